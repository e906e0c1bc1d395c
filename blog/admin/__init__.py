"""The blog's admin: where editors write, publish and keep their media library."""

from django.conf import settings
from django.contrib import admin

from blog.admin import media, pages, posts, tags  # noqa: F401 (each registers its models)

# The admin is where editors publish: name it after the site rather than after Django.
admin.site.site_header = settings.SITE_NAME
admin.site.site_title = settings.SITE_NAME
