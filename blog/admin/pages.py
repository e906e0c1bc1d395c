"""Static pages (About, Contact, Legal), written with the same editor as posts."""

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from blog.admin.authors import StaffAuthorAdminMixin
from blog.admin.editor import MarkdownEditorAdminMixin
from blog.admin.revisions import RevisionAdmin
from blog.models import Page


@admin.register(Page)
class PageAdmin(StaffAuthorAdminMixin, MarkdownEditorAdminMixin, RevisionAdmin):
    list_display = [
        "title",
        "address",
        "status",
        "language",
        "in_navigation",
        "navigation_order",
        "updated_at",
    ]
    list_editable = ["navigation_order"]
    list_filter = ["status", "language", "in_navigation"]
    prepopulated_fields = {"slug": ["title"]}
    search_fields = ["title", "slug", "body"]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "slug", "body"]}),
        (
            _("Publication"),
            {
                "fields": [
                    "status",
                    "language",
                    "author",
                    ("in_navigation", "navigation_order"),
                ]
            },
        ),
        (
            _("Search engines and sharing"),
            {
                "fields": ["seo_title", "seo_description"],
                "description": _("Left empty, the title and the start of the body are used."),
                "classes": ["collapse"],
            },
        ),
    ]

    def view_on_site(self, page):
        # Drafts are not public yet: staff see them through the preview.
        if page.is_live:
            return page.get_absolute_url()
        return reverse("blog:page_preview", kwargs={"pk": page.pk})

    @admin.display(description=_("address"), ordering="slug")
    def address(self, page):
        return page.get_canonical_path()
