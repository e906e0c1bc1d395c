"""The issues' admin: writing, previewing, testing, scheduling and following a send."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from blog.models import Post
from core.admin import LabelledAutocompleteMixin
from newsletter.emails import IssueRenderer
from newsletter.forms import IssueScheduleForm, IssueTestForm
from newsletter.models import Issue, Subscriber
from newsletter.services.issues import (
    issue_cancel,
    issue_from_post,
    issue_pause,
    issue_resume,
    issue_schedule,
    issue_send,
    issue_send_test,
    issue_unschedule,
)


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
class IssueAdmin(LabelledAutocompleteMixin, admin.ModelAdmin):
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
        if language not in dict(settings.LANGUAGES):
            language = (
                settings.LANGUAGE_CODE if issue.audience == Issue.AUDIENCE_ALL else issue.audience
            )
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
                issue_send_test(
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
            languages=settings.LANGUAGES,
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
                if issue_schedule(issue=issue, when=form.cleaned_data["scheduled_at"]):
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
        issue_send,
        _("Send this issue now?"),
        _("Sending has started: follow it below."),
    ),
    "unschedule": (
        issue_unschedule,
        _("Turn this scheduled issue back into a draft?"),
        _("The issue is a draft again."),
    ),
    "pause": (issue_pause, _("Pause the sending?"), _("Sending is paused.")),
    "resume": (issue_resume, _("Resume the sending?"), _("Sending has resumed.")),
    "cancel": (
        issue_cancel,
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
        issues.append(issue_from_post(post=post, created_by=request.user))
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


# The blog knows nothing of the newsletter: the newsletter adds its action to the blog's post admin
# (registered before this module runs, blog coming first in INSTALLED_APPS).
post_admin = admin.site.get_model_admin(Post)
post_admin.actions = [*post_admin.actions, send_post_as_newsletter]
