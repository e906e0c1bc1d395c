import csv

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin
from newsletter import services
from newsletter.emails import IssueRenderer
from newsletter.forms import IssueScheduleForm, IssueTestForm, SubscriberImportForm
from newsletter.importing import read_subscribers_csv
from newsletter.models import Delivery, Issue, Language, Subscriber, SubscriberEvent

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


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets; an
# address like "=HYPERLINK(…)@example.org" is valid, so every exported cell is defused (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: str) -> str:
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
            services.subscriber_unsubscribe(subscriber=subscriber, source=Source.ADMIN)
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
            services.subscriber_erase(subscriber=subscriber, source=Source.ADMIN)
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

    def import_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        errors = []
        if request.method == "POST":
            form = SubscriberImportForm(request.POST, request.FILES)
            if form.is_valid():
                rows, errors = read_subscribers_csv(form.cleaned_data["file"].read())
                if not errors:
                    result = services.subscribers_import(
                        rows=rows, imported_by=request.user.get_username()
                    )
                    self.message_user(
                        request,
                        _(
                            "Imported: %(confirmed)d subscribed with recorded consent, %(pending)d "
                            "asked to confirm by email, %(known)d already known and left as they were."
                        )
                        % {
                            "confirmed": result.confirmed,
                            "pending": result.pending,
                            "known": len(result.already_known),
                        },
                        messages.SUCCESS,
                    )
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


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every message of every issue, to find out why one failed."""

    list_display = ["issue", "subscriber", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "issue"]
    search_fields = ["subscriber__email", "message_id"]
    list_select_related = ["issue", "subscriber"]

    def has_delete_permission(self, request, obj=None):
        return False


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    hours, rest = divmod(int(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def progress_data(issue: Issue) -> dict:
    """Return an issue's progress as the admin page shows it."""
    data = issue.progress()
    data["eta_label"] = _duration(data["eta_seconds"])
    data["rate_label"] = f"{data['rate']} / s"
    return data


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ["subject", "status", "audience", "scheduled_at", "finished_at", "sent_count"]
    list_filter = ["status", "audience", "origin"]
    search_fields = ["subject", "body"]
    fields = ["subject", "preheader", "body", "audience", "post"]
    autocomplete_fields = ["post"]
    change_form_template = "admin/newsletter/issue/change_form.html"
    save_on_top = True

    class Media:
        css = {"all": ["newsletter/admin.css"]}
        js = ["newsletter/admin-progress.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_sent_count()

    @admin.display(description=_("sent"), ordering="sent_count")
    def sent_count(self, issue):
        return issue.sent_count

    # Once it is sending an issue is what subscribers received: its page becomes read-only, and
    # only the pause, resume and cancel buttons (which check the real permission) act on it.
    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            return False
        return super().has_change_permission(request, obj)

    # Only an issue that never went out may go: deleting one with deliveries would take with it
    # the record of what subscribers received (and of what failed).
    def has_delete_permission(self, request, obj=None):
        if obj is not None and (
            obj.status not in (Issue.Status.DRAFT, Issue.Status.SCHEDULED)
            or obj.deliveries.exists()
        ):
            return False
        return super().has_delete_permission(request, obj)

    def view_on_site(self, issue):
        # Only sent issues have a public page in the archive.
        return issue.get_absolute_url() if issue.status == Issue.Status.SENT else None

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        issue = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if issue is not None and issue.status != Issue.Status.DRAFT:
            extra_context["progress"] = progress_data(issue)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        def view(function, suffix):
            return path(
                f"<int:pk>/{suffix}/",
                self.admin_site.admin_view(function),
                name=f"newsletter_issue_{suffix}",
            )

        return [
            view(self.progress_view, "progress"),
            view(self.preview_view, "preview"),
            view(self.schedule_view, "schedule"),
            view(self.action_view, "send"),
            view(self.action_view, "unschedule"),
            view(self.action_view, "pause"),
            view(self.action_view, "resume"),
            view(self.action_view, "cancel"),
            *super().get_urls(),
        ]

    def _issue(self, request, pk, *, change=False) -> Issue:
        issue = Issue.objects.select_related("post").filter(pk=pk).first()
        if issue is None:
            raise Http404
        if change:
            allowed = super().has_change_permission(request, issue)
        else:
            allowed = self.has_view_permission(request, issue)
        if not allowed:
            raise PermissionDenied
        return issue

    def _back(self, issue):
        return redirect(reverse("admin:newsletter_issue_change", args=[issue.pk]))

    def _context(self, request, issue, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": issue,
            "issue": issue,
            **extra,
        }

    def progress_view(self, request, pk):
        return JsonResponse(progress_data(self._issue(request, pk)))

    # The email styles itself inline; it is shown in a sandboxed frame that runs no script.
    @csp_update({"style-src": [UNSAFE_INLINE]})
    def preview_view(self, request, pk):
        # Anyone who may see the issue sees the preview; a test goes out only for its editors,
        # and only to their own address, so the form cannot mail the site's words to strangers.
        issue = self._issue(request, pk, change=request.method == "POST")
        language = request.GET.get("language")
        if language not in Language.values:
            language = Language.FRENCH if issue.audience == Issue.Audience.ALL else issue.audience
        editor_email = request.user.email
        if request.method == "POST":
            form = IssueTestForm(request.POST)
            if not editor_email:
                self.message_user(
                    request,
                    _("Your account has no email address: add one to receive tests."),
                    messages.ERROR,
                )
            elif form.is_valid():
                services.issue_send_test(
                    issue=issue, to=editor_email, language=form.cleaned_data["language"]
                )
                self.message_user(
                    request,
                    _("A test copy is on its way to %(email)s.") % {"email": editor_email},
                    messages.SUCCESS,
                )
                return redirect(
                    reverse("admin:newsletter_issue_preview", args=[issue.pk])
                    + f"?language={form.cleaned_data['language']}"
                )
        else:
            form = IssueTestForm(initial={"language": language})
        renderer = IssueRenderer(issue)
        context = self._context(
            request,
            issue,
            title=_("Preview: %(subject)s") % {"subject": issue.subject},
            language=language,
            languages=Language.choices,
            html=renderer.preview_html(language),
            text=renderer.preview_text(language),
            test_form=form,
            editor_email=editor_email,
            can_send_test=super().has_change_permission(request, issue),
        )
        return TemplateResponse(request, "admin/newsletter/issue/preview.html", context)

    def schedule_view(self, request, pk):
        issue = self._issue(request, pk, change=True)
        if request.method == "POST":
            form = IssueScheduleForm(request.POST)
            if form.is_valid():
                if services.issue_schedule(issue=issue, when=form.cleaned_data["scheduled_at"]):
                    self.message_user(request, _("The issue is scheduled."), messages.SUCCESS)
                else:
                    self.message_user(request, _("Only a draft can be scheduled."), messages.ERROR)
                return self._back(issue)
        else:
            form = IssueScheduleForm(initial={"scheduled_at": issue.scheduled_at})
        context = self._context(request, issue, title=_("Schedule the issue"), form=form)
        return TemplateResponse(request, "admin/newsletter/issue/schedule.html", context)

    def action_view(self, request, pk):
        """Ask, then do, one of send, unschedule, pause, resume, cancel."""
        issue = self._issue(request, pk, change=True)
        action = request.resolver_match.url_name.removeprefix("newsletter_issue_")
        service, question, done = ISSUE_ACTIONS[action]
        if request.method == "POST":
            if service(issue=issue):
                self.message_user(request, done, messages.SUCCESS)
            else:
                self.message_user(
                    request,
                    _("Nothing done: the issue is now “%(status)s”.")
                    % {"status": Issue.objects.get(pk=issue.pk).get_status_display()},
                    messages.WARNING,
                )
            return self._back(issue)
        context = self._context(
            request,
            issue,
            title=question,
            action=action,
            recipients=Subscriber.objects.in_audience(issue.audience).count(),
        )
        return TemplateResponse(request, "admin/newsletter/issue/confirm_action.html", context)


ISSUE_ACTIONS = {
    "send": (
        services.issue_send,
        _("Send this issue now?"),
        _("Sending has started: follow it below."),
    ),
    "unschedule": (
        services.issue_unschedule,
        _("Turn this scheduled issue back into a draft?"),
        _("The issue is a draft again."),
    ),
    "pause": (services.issue_pause, _("Pause the sending?"), _("Sending is paused.")),
    "resume": (services.issue_resume, _("Resume the sending?"), _("Sending has resumed.")),
    "cancel": (
        services.issue_cancel,
        _("Cancel this issue? Subscribers who have not received it yet never will."),
        _("The issue is cancelled."),
    ),
}


@admin.action(description=_("Send as a newsletter (opens a draft issue)"))
def send_post_as_newsletter(modeladmin, request, queryset):
    """Turn each selected live post into a draft issue for the editor to check and send."""
    if not request.user.has_perm("newsletter.add_issue"):
        raise PermissionDenied
    issues = []
    for post in queryset:
        if not post.is_live:
            modeladmin.message_user(
                request,
                _("“%(title)s” is not published yet: publish it first.") % {"title": post.title},
                messages.ERROR,
            )
            continue
        issues.append(services.issue_from_post(post=post, created_by=request.user))
    if len(issues) == 1:
        return redirect(reverse("admin:newsletter_issue_change", args=[issues[0].pk]))
    if issues:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d draft issue created.", "%(count)d draft issues created.", len(issues)
            )
            % {"count": len(issues)},
            messages.SUCCESS,
        )
        return redirect(reverse("admin:newsletter_issue_changelist"))
    return None
