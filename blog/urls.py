from django.urls import path

from blog import feeds, views

app_name = "blog"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("feed/", feeds.LatestPostsRss(), name="feed_rss"),
    path("feed/atom/", feeds.LatestPostsAtom(), name="feed_atom"),
    path("tag/<slug:slug>/", views.tag, name="tag"),
    path("tag/<slug:slug>/feed/", feeds.TagPostsRss(), name="tag_feed_rss"),
    path("tag/<slug:slug>/feed/atom/", feeds.TagPostsAtom(), name="tag_feed_atom"),
    path("archives/", views.archives, name="archives"),
    path("<int:year>/", views.archive_year, name="archive_year"),
    path("<int:year>/<int:month>/", views.archive_month, name="archive_month"),
    path("preview/<int:pk>/", views.preview, name="preview"),
    path("preview/page/<int:pk>/", views.page_preview, name="page_preview"),
    path("<slug:slug>/", views.post_detail, name="post"),
    # Pages share the posts' addresses: the view above serves them; this name builds their links.
    path("<slug:slug>/", views.post_detail, name="page"),
]
