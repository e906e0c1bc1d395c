from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.utils import translation

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


class TagSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Tag.objects.in_use()

    def location(self, tag):
        # One address per tag, whatever language the robot's headers ask for.
        with translation.override(settings.LANGUAGE_CODE):
            return tag.get_absolute_url()


sitemaps = {"posts": PostSitemap, "pages": PageSitemap, "tags": TagSitemap}
