from django.urls import path

from comments import feeds, views

app_name = "comments"

urlpatterns = [
    path("post/<int:post_id>/", views.post_comment, name="post"),
    path("<int:comment_id>/edit/", views.edit_comment, name="edit"),
    path("<int:comment_id>/delete/", views.delete_comment, name="delete"),
    path("feed/<slug:slug>/", feeds.PostCommentsFeed(), name="feed"),
    path("stop/<str:token>/", views.stop_notifications, name="stop_notifications"),
]
