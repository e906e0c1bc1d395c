from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from moving import export_views
from moving.models import ImportRun, Redirect

FORMAT_CHOICES = [
    ("auto", _("Recognised from the file")),
    ("wxr", _("WordPress (WXR)")),
    ("blogger", "Blogger"),
    ("overblog", "Overblog"),
    ("substack", "Substack"),
    ("ghost", "Ghost"),
    ("mailchimp", "Mailchimp"),
    ("chezsoi", _("Chez Soi export")),
]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Export file"),
        help_text=_("The file (XML, JSON, CSV or zip) the old platform gave you."),
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="auto")
    dry_run = forms.BooleanField(
        label=_("Dry run"),
        required=False,
        help_text=_("Read and report, without writing anything."),
    )
    pingbacks = forms.ChoiceField(
        label=_("Pingbacks and trackbacks"),
        choices=[("keep", _("Keep them as comments")), ("drop", _("Leave them out"))],
        initial="keep",
    )


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Imports: an upload form starts one, its page follows it; a run is never edited."""

    list_display = [
        "file_name",
        "format",
        "status",
        "dry_run",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "format"]
    list_select_related = ["created_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        # The export of the whole site lives with the imports; its views admit superusers only.
        return [
            path(
                "export/",
                self.admin_site.admin_view(export_views.export_page),
                name="moving_export",
            ),
            path(
                "export/<str:name>",
                self.admin_site.admin_view(export_views.export_download),
                name="moving_export_download",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_export": request.user.is_superuser}
        return super().changelist_view(request, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        from moving.services import import_run_start

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            run = import_run_start(
                uploaded=form.cleaned_data["file"],
                created_by=request.user,
                format_name=form.cleaned_data["format"],
                dry_run=form.cleaned_data["dry_run"],
                keep_pingbacks=form.cleaned_data["pingbacks"] == "keep",
            )
            return redirect("admin:moving_importrun_change", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a site"),
            "form": form,
        }
        return TemplateResponse(request, "admin/moving/importrun/upload.html", context)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The admin's own lookup: an address that is not a run's id is a 404 (and a redirect to the
        # list, as for any model), never an error.
        run = self.get_object(request, unquote(object_id))
        if run is None:
            raise Http404(_("This import no longer exists."))
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": run.file_name,
            "run": run,
            "has_delete_permission": self.has_delete_permission(request, run),
        }
        return TemplateResponse(request, "admin/moving/importrun/run.html", context)


@admin.register(Redirect)
class RedirectAdmin(admin.ModelAdmin):
    list_display = ["old_path", "new_path", "hits", "note", "created_at"]
    search_fields = ["old_path", "new_path", "note"]
    fields = ["old_path", "new_path", "note", "hits"]
    readonly_fields = ["hits"]
