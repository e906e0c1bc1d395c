from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from blog.models import Post
from comments.models import Comment
from core.feeds import Rss201rev2Feed

FEED_LENGTH = 50


class PostCommentsFeed(Feed):
    """RSS of the latest approved comments on one post."""

    # Leaves out what XML cannot hold, typed in a name or stored before bodies were cleaned.
    feed_type = Rss201rev2Feed

    def get_object(self, request, slug):
        return get_object_or_404(Post.objects.published(), slug=slug)

    def title(self, post):
        return _("Comments on “%(post)s”") % {"post": post.title}

    def link(self, post):
        return post.get_absolute_url() + "#comments"

    def description(self, post):
        return _("The latest comments on “%(post)s”, on %(site)s.") % {
            "post": post.title,
            "site": settings.SITE_NAME,
        }

    def items(self, post):
        return (
            Comment.objects.approved()
            .filter(post=post)
            .select_related("post")
            .order_by("-created_at", "-id")[:FEED_LENGTH]
        )

    def item_title(self, comment):
        return _("%(author)s on “%(post)s”") % {
            "author": comment.author_name,
            "post": comment.post.title,
        }

    def item_description(self, comment):
        return comment.body_html

    def item_link(self, comment):
        return comment.get_absolute_url()

    def item_pubdate(self, comment):
        return comment.created_at

    def item_author_name(self, comment):
        return comment.author_name
