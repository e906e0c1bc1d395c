"""Revisions of posts and pages (django-reversion): the list, a diff of the text, a restore."""

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from reversion.admin import VersionAdmin
from reversion.models import Version

from blog.revisions import (
    field_changes,
    object_values,
    restored_message,
    revision_author,
    revision_restore,
    revisions_register,
    text_diff,
    version_values,
)

# reversion's own revert and recover pages write the stored fields back raw, fields it does not
# keep included (the go-live stamp, the comment count): ours restore through save() instead.
REVERSION_URL_SUFFIXES = ("_revision", "_recover", "_recoverlist")


class RevisionAdmin(VersionAdmin):
    """A ModelAdmin whose every save keeps a revision, with a history to compare and restore."""

    object_history_template = "admin/blog/revisions/history.html"
    revision_compare_template = "admin/blog/revisions/compare.html"
    # Django's change list, without reversion's "Recover deleted" link.
    change_list_template = None

    def reversion_register(self, model, **options):
        revisions_register(model, follow=options.get("follow", ()))

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        dropped = {prefix + suffix for suffix in REVERSION_URL_SUFFIXES}
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/history/<int:version_id>/",
                view(self.revision_compare_view),
                name=f"{prefix}_revision",
            ),
            path(
                "<path:object_id>/history/<int:version_id>/restore/",
                view(require_POST(self.revision_restore_view)),
                name=f"{prefix}_revision_restore",
            ),
            *(url for url in super().get_urls() if getattr(url, "name", None) not in dropped),
        ]

    def _url(self, name, *args):
        opts = self.opts
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{name}", args=args
        )

    def _object_or_404(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("This object no longer exists."))
        return obj

    def _versions(self, obj):
        """Return the object's revisions, newest first."""
        return Version.objects.get_for_object(obj).select_related("revision__user").order_by("-pk")

    def history_view(self, request, object_id, extra_context=None):
        obj = self._object_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        versions = list(self._versions(obj))
        key = quote(obj.pk)
        rows = []
        # A row saved outside the admin (an import, a factory) has no revision yet.
        previous_versions = [*versions[1:], None] if versions else []
        for version, previous in zip(versions, previous_versions, strict=True):
            compare_url = self._url("revision", key, version.pk)
            rows.append(
                {
                    "version": version,
                    "revision": version.revision,
                    "author": revision_author(version.revision),
                    "compare_url": compare_url,
                    "previous_url": previous and f"{compare_url}?against={previous.pk}",
                    "restore_url": self._url("revision_restore", key, version.pk),
                }
            )
        context = {
            "action_list": rows,
            "can_restore": self.has_change_permission(request, obj),
            **(extra_context or {}),
        }
        # Django's own history view, not reversion's: ours has already listed the revisions.
        return admin.ModelAdmin.history_view(self, request, object_id, context)

    def revision_compare_view(self, request, object_id, version_id):
        """Show a revision against the current object, or against the revision before it."""
        obj = self._object_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        versions = self._versions(obj)
        version = get_object_or_404(versions, pk=version_id)
        against = None
        # isdecimal(), not isdigit(): "²" is a digit that int() refuses.
        if request.GET.get("against", "").isdecimal():
            against = get_object_or_404(versions, pk=request.GET["against"])
            old, new = version_values(against), version_values(version)
        else:
            old, new = version_values(version), object_values(obj)
        key = quote(obj.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Compare revisions of “%(object)s”") % {"object": obj},
            "subtitle": None,
            "opts": self.opts,
            "object": obj,
            "version": version,
            "author": revision_author(version.revision),
            "against": against,
            "against_author": against and revision_author(against.revision),
            "title_diff": text_diff(old.get("title", ""), new.get("title", "")),
            "body_diff": text_diff(old.get("body", ""), new.get("body", "")),
            "changes": field_changes(self.model, old, new),
            "history_url": self._url("history", key),
            "restore_url": self._url("revision_restore", key, version.pk),
            "can_restore": self.has_change_permission(request, obj),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.revision_compare_template, context)

    def revision_restore_view(self, request, object_id, version_id):
        """Restore a revision in one POST, then show the change form."""
        obj = self._object_or_404(request, object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        version = get_object_or_404(self._versions(obj), pk=version_id)
        key = quote(obj.pk)
        try:
            obj = revision_restore(version=version, user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return redirect(self._url("history", key))
        message = restored_message(version)
        self.log_change(request, obj, message)
        self.message_user(request, message, messages.SUCCESS)
        return redirect(self._url("change", key))
