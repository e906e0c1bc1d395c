"""Static pages (About, Contact, Legal), written with the same editor as posts."""

from django.contrib import admin

from blog.admin.editor import MarkdownEditorAdminMixin
from blog.admin.revisions import RevisionAdmin
from blog.models import Page


@admin.register(Page)
class PageAdmin(MarkdownEditorAdminMixin, RevisionAdmin):
    list_display = ["title", "slug", "status", "language", "in_navigation", "navigation_order"]
    list_editable = ["navigation_order"]
    prepopulated_fields = {"slug": ["title"]}
    search_fields = ["title", "slug", "body"]
