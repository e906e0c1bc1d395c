"""The post and page editor: Markdown with a toolbar, a live preview and image uploads.

The editor itself is EasyMDE (vendored in blog/static/blog/vendor/easymde/), started by
blog/static/blog/editor/editor.js; its preview and its uploads are two admin views of this mixin,
so that the preview is the page's own renderer and an upload goes through the media library.
"""

import math

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from blog.media import media_item_upload
from blog.models import WORDS_READ_PER_MINUTE, render_body

# More than twice a very long post (200 kB): a preview of more is refused rather than rendered.
PREVIEW_MAX_CHARS = 500_000
IMAGE_TYPES = "image/jpeg, image/png, image/webp, image/gif"
UPLOAD_PERMISSION = "blog.add_mediaitem"


class MarkdownEditorAdminMixin:
    """Gives a ModelAdmin with a Markdown `body` the editor (blog/static/blog/editor/)."""

    @property
    def media(self):
        # A property, as the admin classes' own `Media` would hide a mixin's.
        return super().media + forms.Media(
            css={"all": ["blog/vendor/easymde/easymde.min.css", "blog/editor/editor.css"]},
            js=["blog/vendor/easymde/easymde.min.js", "blog/editor/editor.js"],
        )

    def get_urls(self):
        editor_urls = [
            path(
                "editor/preview/",
                self.admin_site.admin_view(self.editor_preview_view),
                name=self.editor_url_name("preview"),
            ),
            path(
                "editor/upload/",
                self.admin_site.admin_view(self.editor_upload_view),
                name=self.editor_url_name("upload"),
            ),
        ]
        # Before the model's own URLs, whose `<path:object_id>/` would take these addresses.
        return editor_urls + super().get_urls()

    def editor_url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_editor_{view}"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["markdown_editor"] = self.editor_settings(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def editor_settings(self, obj) -> dict:
        """Return what editor.js needs: its addresses, the draft's key and its words."""
        return {
            "previewUrl": reverse(f"admin:{self.editor_url_name('preview')}"),
            "uploadUrl": reverse(f"admin:{self.editor_url_name('upload')}"),
            # One saved draft per object, and one for the object not created yet.
            "draftKey": f"{self.opts.model_name}-{obj.pk if obj else 'new'}",
            "newDraftKey": f"{self.opts.model_name}-new",
            "imageMaxSize": settings.MEDIA_MAX_UPLOAD_MB * 1024 * 1024,
            "imageAccept": IMAGE_TYPES,
            "texts": {key: str(text) for key, text in EDITOR_TEXTS.items()},
        }

    def has_editor_permission(self, request) -> bool:
        return self.has_change_permission(request) or self.has_add_permission(request)

    @method_decorator(require_POST)
    def editor_preview_view(self, request):
        """Return a body's HTML as readers will get it, with its words and reading time."""
        if not self.has_editor_permission(request):
            raise PermissionDenied
        body = request.POST.get("body", "")
        if len(body) > PREVIEW_MAX_CHARS:
            return JsonResponse({"error": _("This text is too long to preview.")}, status=413)
        # Never saved: render_body only fills the instance and reads the library's images.
        writing = self.model(body=body)
        render_body(writing)
        words = writing.word_count
        minutes = max(1, math.ceil(words / WORDS_READ_PER_MINUTE))
        return JsonResponse(
            {
                "html": writing.body_html,
                "words": words,
                "minutes": minutes,
                "reading": _("%(words)s · %(minutes)s")
                % {
                    "words": ngettext("%(count)d word", "%(count)d words", words)
                    % {"count": words},
                    "minutes": ngettext(
                        "%(count)d minute of reading", "%(count)d minutes of reading", minutes
                    )
                    % {"count": minutes},
                },
            }
        )

    @method_decorator(require_POST)
    def editor_upload_view(self, request):
        """Store an image given to the editor in the media library; answer as EasyMDE expects."""
        # Writing the post is not enough: the image is added to the library.
        if not (self.has_editor_permission(request) and request.user.has_perm(UPLOAD_PERMISSION)):
            raise PermissionDenied
        image = request.FILES.get("image")
        if image is None:
            return JsonResponse({"error": _("Choose an image to upload.")}, status=400)
        try:
            item = media_item_upload(file=image, uploaded_by=request.user, alt_text="")
        except ValidationError as error:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        return JsonResponse({"data": {"filePath": item.url}})


# The editor's words, translated here and handed to editor.js in a JSON element.
EDITOR_TEXTS = {
    "bold": gettext_lazy("Bold"),
    "italic": gettext_lazy("Italic"),
    "heading": gettext_lazy("Heading"),
    "quote": gettext_lazy("Quotation"),
    "unorderedList": gettext_lazy("Bulleted list"),
    "orderedList": gettext_lazy("Numbered list"),
    "link": gettext_lazy("Link"),
    "uploadImage": gettext_lazy("Insert an image from your computer"),
    "code": gettext_lazy("Code"),
    "preview": gettext_lazy("Preview"),
    "sideBySide": gettext_lazy("Preview beside the text"),
    "fullscreen": gettext_lazy("Full screen"),
    "guide": gettext_lazy("Markdown help"),
    "autosaved": gettext_lazy("Draft kept in this browser at "),
    "restored": gettext_lazy("Restored an unsaved draft from %(time)s."),
    "discard": gettext_lazy("Discard the draft"),
    "restore": gettext_lazy("Restore the draft"),
    "sent": gettext_lazy(
        "A draft was sent at %(time)s and may not have been saved: this form shows the saved text."
    ),
    "discarded": gettext_lazy("Draft discarded: the saved text is back."),
    "previewFailed": gettext_lazy("The preview could not be updated; it shows the last version."),
    "uploadHint": gettext_lazy("Add images with the button, by dragging them here or by pasting."),
    "dragEnter": gettext_lazy("Drop the image to add it."),
    "uploading": gettext_lazy("Uploading #images_names#…"),
    "progress": gettext_lazy("Uploading #file_name#: #progress# %"),
    "uploaded": gettext_lazy("Added #image_name#: describe it between the brackets."),
    "sizeUnits": gettext_lazy(" B, kB, MB"),
    "noFileGiven": gettext_lazy("Choose an image to upload."),
    "typeNotAllowed": gettext_lazy("This file is not an image the library accepts."),
    "fileTooLarge": gettext_lazy(
        "#image_name# is too large (#image_size#); the largest accepted is #image_max_size#."
    ),
    "importError": gettext_lazy("#image_name# could not be uploaded."),
}
