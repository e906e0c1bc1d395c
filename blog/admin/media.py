"""The media library in the admin: thumbnails, search, uploads, and a warning before deleting
an image a post still shows."""

from django import forms
from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from blog.media import (
    media_item_update,
    media_item_upload,
    media_items_delete,
    media_upload_check,
)
from blog.models import MediaItem, MediaUse

THUMBNAIL_WIDTH = 96
PREVIEW_WIDTH = 480


class MediaItemAddForm(forms.ModelForm):
    """The upload form: the file is checked by the library's own rules, with their messages."""

    class Meta:
        model = MediaItem
        fields = ["file", "alt_text", "caption"]
        # Django's ImageField would refuse with its own, vaguer message, and decode bombs.
        field_classes = {"file": forms.FileField}
        widgets = {"file": forms.ClearableFileInput(attrs={"accept": "image/*"})}

    def clean_file(self):
        file = self.cleaned_data["file"]
        media_upload_check(file=file)
        return file


@admin.register(MediaItem)
class MediaItemAdmin(admin.ModelAdmin):
    list_display = ["thumbnail", "__str__", "dimensions", "uploaded_by", "uploaded_at"]
    list_display_links = ["thumbnail", "__str__"]
    list_filter = ["uploaded_at", "uploaded_by"]
    list_select_related = ["uploaded_by"]
    # Also what the cover's autocomplete on the post form searches.
    search_fields = ["file", "alt_text", "caption"]
    date_hierarchy = "uploaded_at"
    actions = ["delete_selected"]
    delete_confirmation_template = "admin/blog/mediaitem/delete_confirmation.html"
    delete_selected_confirmation_template = "admin/blog/mediaitem/delete_selected_confirmation.html"

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = MediaItemAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["file", "alt_text", "caption"]
        return ["preview", "alt_text", "caption", "details", "rendition_list", "uses"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["preview", "details", "rendition_list", "uses"]

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        # Stored by the same service as the editor's uploads: stripped, and resized in the worker.
        return media_item_upload(
            file=form.cleaned_data["file"],
            uploaded_by=request.user,
            alt_text=form.cleaned_data["alt_text"],
            caption=form.cleaned_data["caption"],
        )

    def save_model(self, request, obj, form, change):
        if change:
            # The posts and pages showing the image are rendered again with its new words.
            media_item_update(
                item=obj,
                alt_text=form.cleaned_data["alt_text"],
                caption=form.cleaned_data["caption"],
            )

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def delete_model(self, request, obj):
        media_items_delete(items=[obj])

    def delete_queryset(self, request, queryset):
        media_items_delete(items=queryset)

    def render_delete_form(self, request, context):
        context["uses"] = _uses_shown(MediaItem.objects.filter(pk=context["object"].pk).uses())
        return super().render_delete_form(request, context)

    @admin.action(permissions=["delete"], description=delete_selected.short_description)
    def delete_selected(self, request, queryset):
        """Django's bulk delete, whose confirmation also names the posts showing the images."""
        response = delete_selected(self, request, queryset)
        if isinstance(response, TemplateResponse):
            response.context_data["uses"] = _uses_shown(queryset.uses())
        return response

    @admin.display(description=_("image"))
    def thumbnail(self, item):
        return render_to_string(
            "admin/blog/mediaitem/_thumbnail.html", _scaled(item, THUMBNAIL_WIDTH)
        )

    @admin.display(description=_("image"))
    def preview(self, item):
        return render_to_string("admin/blog/mediaitem/_preview.html", _scaled(item, PREVIEW_WIDTH))

    @admin.display(description=_("size"), ordering="width")
    def dimensions(self, item):
        return f"{item.width} × {item.height}"

    @admin.display(description=_("file"))
    def details(self, item):
        try:
            size = item.file.size
        except OSError:
            size = None
        return render_to_string("admin/blog/mediaitem/_details.html", {"item": item, "size": size})

    @admin.display(description=_("renditions"))
    def rendition_list(self, item):
        renditions = [
            {
                "width": rendition["width"],
                "webp_url": default_storage.url(rendition["webp"]),
                "fallback_url": default_storage.url(rendition["fallback"]),
                "fallback_format": rendition["fallback"].rsplit(".", 1)[-1].upper(),
            }
            for rendition in item.renditions
        ]
        return render_to_string(
            "admin/blog/mediaitem/_renditions.html",
            {"item": item, "renditions": renditions},
        )

    @admin.display(description=_("shown in"))
    def uses(self, item):
        return render_to_string(
            "admin/blog/mediaitem/_uses.html",
            {"uses": _uses_shown(MediaItem.objects.filter(pk=item.pk).uses())},
        )


@admin.display(description=_("cover as saved"))
def cover_thumbnail(post) -> str:
    """Show the post's cover, as a thumbnail beside the field that picks it."""
    if post.cover is None:
        return "—"
    return render_to_string(
        "admin/blog/mediaitem/_thumbnail.html", _scaled(post.cover, THUMBNAIL_WIDTH * 2)
    )


def _scaled(item: MediaItem, width: int) -> dict:
    """Return the smallest image of the item at least `width` wide, and its size shown."""
    src = item.url
    for rendition in item.renditions:
        if rendition["width"] >= width:
            src = default_storage.url(rendition["fallback"])
            break
    shown = min(width, item.width) or width
    height = round(item.height * shown / item.width) if item.width else shown
    return {"item": item, "src": src, "width": shown, "height": height}


def _uses_shown(uses: list[MediaUse]) -> list[dict]:
    return [
        {
            "item": use.item,
            "kind": use.writing._meta.verbose_name,
            "title": use.writing.title,
            "url": reverse(
                f"admin:{use.writing._meta.app_label}_{use.writing._meta.model_name}_change",
                args=[use.writing.pk],
            ),
            "as_cover": use.as_cover,
        }
        for use in uses
    ]
