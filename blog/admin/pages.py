"""Static pages (About, Contact, Legal), written with the same editor as posts."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from blog.admin.editor import MarkdownEditorAdminMixin
from blog.admin.revisions import RevisionAdmin
from blog.models import Page


@admin.register(Page)
class PageAdmin(MarkdownEditorAdminMixin, RevisionAdmin):
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

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "author":
            # Authors are the site's staff, not every reader who signed up to comment.
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def view_on_site(self, page):
        # Drafts are not public yet: staff see them through the preview.
        if page.is_live:
            return page.get_absolute_url()
        return reverse("blog:page_preview", kwargs={"pk": page.pk})

    @admin.display(description=_("address"), ordering="slug")
    def address(self, page):
        return page.get_canonical_path()
