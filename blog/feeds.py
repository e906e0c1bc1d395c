from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from blog.models import Post, Tag
from core.feeds import Atom1Feed, Rss201rev2Feed
from core.urls import absolute_links

FEED_LENGTH = 20


class LatestPostsRss(Feed):
    # Leaves out what XML cannot hold: one title pasted with a vertical tab would break the feed.
    feed_type = Rss201rev2Feed
    description = settings.SITE_DESCRIPTION

    def title(self):
        return settings.SITE_NAME

    def link(self):
        return reverse("blog:home")

    def items(self):
        return self.posts()[:FEED_LENGTH]

    def posts(self):
        # One feed per language (/feed/, /en/feed/): its declared language is its entries'.
        return Post.objects.for_detail().filter(language=get_language())

    def item_title(self, post):
        return post.title

    def item_link(self, post):
        return post.get_canonical_url()

    def item_description(self, post):
        # Feed readers show an entry away from the site: its links and images need the host.
        return absolute_links(post.body_html)

    def item_pubdate(self, post):
        return post.published_at

    def item_updateddate(self, post):
        return post.updated_at

    def item_author_name(self, post):
        return post.author.get_full_name() or post.author.get_username()

    def item_categories(self, post):
        return [tag.name for tag in post.tag_list]


class AtomWithBase(Atom1Feed):
    """Atom with `xml:base`, the address relative references in the feed resolve against."""

    def root_attributes(self):
        return {**super().root_attributes(), "xml:base": settings.SITE_URL + "/"}


class LatestPostsAtom(LatestPostsRss):
    feed_type = AtomWithBase
    subtitle = LatestPostsRss.description


class TagPostsRss(LatestPostsRss):
    def get_object(self, request, slug):
        return get_object_or_404(Tag, slug=slug)

    def title(self, tag):
        return _("%(site)s: posts tagged “%(tag)s”") % {"site": settings.SITE_NAME, "tag": tag.name}

    def link(self, tag):
        return tag.get_absolute_url()

    def description(self, tag):
        return tag.description or self.title(tag)

    def items(self, tag):
        return self.posts().filter(tags=tag)[:FEED_LENGTH]


class TagPostsAtom(TagPostsRss):
    feed_type = AtomWithBase

    def subtitle(self, tag):
        return self.description(tag)
