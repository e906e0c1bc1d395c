from django.urls import path

from comments import feeds, views

app_name = "comments"

urlpatterns = [
    path("post/<int:post_id>/", views.post_comment, name="post"),
    path("feed/<slug:slug>/", feeds.PostCommentsFeed(), name="feed"),
    path("stop/<str:token>/", views.stop_notifications, name="stop_notifications"),
]
