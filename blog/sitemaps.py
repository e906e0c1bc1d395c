from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from blog.models import Page, Post, Tag


class PostSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Post.objects.published().order_by("-published_at")

    def lastmod(self, post):
        return post.updated_at

    def location(self, post):
        return post.get_canonical_path()


class PageSitemap(Sitemap):
    changefreq = "yearly"

    def items(self):
        return Page.objects.published().order_by("id")

    def lastmod(self, page):
        return page.updated_at

    def location(self, page):
        return page.get_canonical_path()


class TranslatedSitemap(Sitemap):
    """Pages of the interface that exist under every language's prefix, each listed in each one.

    Django writes one `<url>` per language, each with `xhtml:link` alternates to the others and an
    x-default (the site's language, at the root).
    """

    i18n = True
    alternates = True
    x_default = True


class ListSitemap(TranslatedSitemap):
    changefreq = "daily"

    def items(self):
        return ["blog:home", "blog:archives"]

    def location(self, name):
        return reverse(name)

    def lastmod(self, name):
        # Both list every published post: they change when the latest one does.
        if not hasattr(self, "_latest"):
            self._latest = Post.objects.published().aggregate(latest=Max("updated_at"))["latest"]
        return self._latest


class TagSitemap(TranslatedSitemap):
    changefreq = "weekly"

    def items(self):
        # Filtered on the same relation as in_use(): the latest of the tag's published posts.
        return Tag.objects.in_use().annotate(latest=Max("posts__updated_at"))

    def lastmod(self, tag):
        return tag.latest

    def location(self, tag):
        return tag.get_absolute_url()


sitemaps = {"lists": ListSitemap, "posts": PostSitemap, "pages": PageSitemap, "tags": TagSitemap}
