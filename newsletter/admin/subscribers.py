"""The subscribers' admin: the list, the consent ledger, CSV import and export."""

import csv

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin
from newsletter.forms import SubscriberImportForm
from newsletter.importing import FORMULA_STARTS, read_subscribers_csv
from newsletter.models import Subscriber, SubscriberEvent
from newsletter.services.subscribers import (
    subscriber_erase,
    subscriber_unsubscribe,
    subscribers_import,
)

Source = SubscriberEvent.Source


class SubscriberEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SubscriberEvent
    fields = ["created_at", "kind", "source", "ip_address", "user_agent", "consent_text", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("consent ledger")


class _CsvLine:
    """A file-like sink for csv.writer that hands each line back to the streaming response."""

    def write(self, value):
        return value


def _csv_cell(value: str) -> str:
    # A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets; an
    # address like "=HYPERLINK(…)@example.org" is valid, so every exported cell is defused (OWASP).
    """Return `value` as a spreadsheet shows it, never as a formula it would run."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "language", "created_at", "confirmed_at", "unsubscribed_at"]
    list_filter = ["status", "language"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    fields = ["email", "language", "status", "created_at", "confirmed_at", "unsubscribed_at"]
    readonly_fields = ["email", "status", "created_at", "confirmed_at", "unsubscribed_at"]
    inlines = [SubscriberEventInline]
    actions = ["unsubscribe_selected", "erase_selected", "export_csv"]
    change_list_template = "admin/newsletter/subscriber/change_list.html"

    # People join through the form (their own consent) or an import (consent on record).
    def has_add_permission(self, request):
        return False

    # Deleting would lose the consent ledger's trace: "erase" keeps an anonymous event.
    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        urls = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="newsletter_subscriber_import",
            )
        ]
        return urls + super().get_urls()

    @admin.action(description=_("Unsubscribe the selected subscribers"), permissions=["change"])
    def unsubscribe_selected(self, request, queryset):
        count = sum(
            subscriber_unsubscribe(subscriber=subscriber, source=Source.ADMIN)
            for subscriber in queryset
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d subscriber unsubscribed.", "%(count)d subscribers unsubscribed.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Erase the selected subscribers (address and history)"),
        permissions=["change"],
    )
    def erase_selected(self, request, queryset):
        count = 0
        for subscriber in queryset:
            subscriber_erase(subscriber=subscriber, source=Source.ADMIN)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d subscriber erased.", "%(count)d subscribers erased.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    # The whole list of addresses leaves the site: as much trust as changing it, not just viewing.
    @admin.action(description=_("Export the selected subscribers as CSV"), permissions=["change"])
    def export_csv(self, request, queryset):
        writer = csv.writer(_CsvLine())
        header = ["email", "language", "status", "signed_up", "confirmed", "left"]

        def lines():
            yield writer.writerow(header)
            for subscriber in queryset.order_by("pk").iterator(chunk_size=2000):
                row = [
                    subscriber.email,
                    subscriber.language,
                    subscriber.status,
                    _iso(subscriber.created_at),
                    _iso(subscriber.confirmed_at),
                    _iso(subscriber.unsubscribed_at),
                ]
                yield writer.writerow([_csv_cell(cell) for cell in row])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="subscribers.csv"'
        return response

    def changelist_view(self, request, extra_context=None):
        # The admin's list context carries no permission flags: the import link needs its own.
        extra_context = {"can_import": self.has_change_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        errors = []
        if request.method == "POST":
            form = SubscriberImportForm(request.POST, request.FILES)
            if form.is_valid():
                rows, errors = read_subscribers_csv(form.cleaned_data["file"].read())
                if not errors:
                    result = subscribers_import(rows=rows, imported_by=request.user.get_username())
                    self.message_user(request, _import_summary(result), messages.SUCCESS)
                    return redirect("admin:newsletter_subscriber_changelist")
        else:
            form = SubscriberImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import subscribers"),
            "form": form,
            "row_errors": errors,
        }
        return TemplateResponse(request, "admin/newsletter/subscriber/import.html", context)


def _iso(moment):
    return moment.isoformat() if moment else ""


@admin.register(SubscriberEvent)
class SubscriberEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The consent ledger, read-only: rows are written by the services, never by hand."""

    list_display = ["created_at", "kind", "source", "subscriber", "ip_address"]
    list_filter = ["kind", "source"]
    search_fields = ["subscriber__email"]
    list_select_related = ["subscriber"]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None):
        return False


def _import_summary(result) -> str:
    # One sentence per count, each with its own plural: "1 déjà connu", "2 déjà connus".
    parts = [
        ngettext(
            "%(count)d subscribed with recorded consent",
            "%(count)d subscribed with recorded consent",
            result.confirmed,
        )
        % {"count": result.confirmed},
        ngettext(
            "%(count)d asked to confirm by email",
            "%(count)d asked to confirm by email",
            result.pending,
        )
        % {"count": result.pending},
        ngettext(
            "%(count)d already known and left as it was",
            "%(count)d already known and left as they were",
            len(result.already_known),
        )
        % {"count": len(result.already_known)},
    ]
    if result.left:
        parts.append(
            ngettext(
                "%(count)d no longer subscribed, skipped",
                "%(count)d no longer subscribed, skipped",
                len(result.left),
            )
            % {"count": len(result.left)}
        )
    return _("Imported: %(summary)s.") % {"summary": ", ".join(parts)}
