from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from comments import services, spam
from comments.models import Comment, ModerationDecision
from core.admin import ReadOnlyAdminMixin

STATUS_TABS = [
    ("pending", _("Pending")),
    ("approved", _("Approved")),
    ("spam", _("Spam")),
    ("removed", _("Removed")),
    ("discarded", _("Discarded spam")),
]


class StatusFilter(admin.SimpleListFilter):
    """Moderation tabs; the default view leaves out the blatant spam Akismet said to discard."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        counts = Comment.objects.status_counts()
        return [(value, f"{label} ({counts[value]})") for value, label in STATUS_TABS] + [
            ("all", _("Everything"))
        ]

    def choices(self, changelist):
        choices = list(super().choices(changelist))
        choices[0]["display"] = _("All but discarded spam")
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset.without_discarded()
        if value == "all":
            return queryset
        if value == "discarded":
            return queryset.discarded()
        if value == "spam":
            return queryset.filter(status=Comment.Status.SPAM).without_discarded()
        return queryset.filter(status=value)


class ModerationDecisionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ModerationDecision
    extra = 0
    can_delete = False
    fields = [
        "created_at",
        "moderator",
        "action",
        "previous_status",
        "new_status",
        "feedback",
        "previous_body",
    ]
    readonly_fields = fields
    verbose_name_plural = _("history")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["excerpt", "author", "post_link", "status", "verdict", "created_at"]
    list_display_links = ["excerpt"]
    list_filter = [StatusFilter, "verdict", "created_at"]
    list_select_related = ["post"]
    search_fields = ["author_name", "author_email", "ip_address", "body"]
    date_hierarchy = "created_at"
    list_per_page = 50
    actions = ["approve", "mark_spam", "mark_ham", "remove"]
    fields = [
        "post_link",
        "parent",
        "status",
        "verdict",
        "author_name",
        "author_email",
        "author_url",
        "body",
        "notify_replies",
        "created_at",
        "ip_address",
        "user_agent",
        "referrer",
        "language",
        "user",
        "checked_at",
        "check_attempts",
        "check_error",
    ]
    # Every field is read-only: editors decide with the actions, and a reader's words or name
    # are never rewritten without a trace.
    readonly_fields = fields
    inlines = [ModerationDecisionInline]

    def has_add_permission(self, request):
        # Comments come from readers, through the site's form and its checks.
        return False

    def has_delete_permission(self, request, obj=None):
        # Editors remove (kept for the record); only the owner deletes for good.
        return request.user.is_superuser

    def delete_model(self, request, obj):
        services.comment_delete(comment=obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def changelist_view(self, request, extra_context=None):
        current = request.GET.get(StatusFilter.parameter_name)
        counts = Comment.objects.status_counts()
        tabs = [
            {
                "label": label,
                "count": counts[value],
                "url": "?" + urlencode({StatusFilter.parameter_name: value}),
                "current": current == value,
            }
            for value, label in STATUS_TABS
        ]
        extra_context = {
            **(extra_context or {}),
            "status_tabs": tabs,
            "spam_filter_on": spam.is_enabled(),
        }
        return super().changelist_view(request, extra_context=extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "spam_filter_on": spam.is_enabled(),
            # Nothing to save: the decision buttons are the only changes.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def save_model(self, request, obj, form, change):
        # Every field is read-only; writing the row back could undo a decision made meanwhile.
        pass

    def response_change(self, request, obj):
        for button, (service, done) in DECISION_BUTTONS.items():
            if button in request.POST:
                if service(comment=obj, moderator=request.user):
                    self.message_user(request, done, messages.SUCCESS)
                url = reverse("admin:comments_comment_change", args=[obj.pk])
                return HttpResponseRedirect(url)
        return super().response_change(request, obj)

    @admin.display(description=_("comment"))
    def excerpt(self, comment):
        return Truncator(comment.body).chars(80)

    @admin.display(description=_("author"), ordering="author_name")
    def author(self, comment):
        return format_html(
            "{}<br><small>{}<br>{}</small>",
            comment.author_name,
            comment.author_email,
            comment.ip_address or "",
        )

    @admin.display(description=_("post"), ordering="post__title")
    def post_link(self, comment):
        return format_html(
            '<a href="{}">{}</a>', comment.post.get_absolute_url(), comment.post.title
        )

    @admin.action(description=_("Approve"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, services.comment_approve, APPROVED_MESSAGE)

    @admin.action(description=_("Mark as spam"), permissions=["change"])
    def mark_spam(self, request, queryset):
        self._decide(request, queryset, services.comment_mark_spam, SPAM_MESSAGE)

    @admin.action(description=_("Not spam: approve and tell Akismet"), permissions=["change"])
    def mark_ham(self, request, queryset):
        self._decide(request, queryset, services.comment_mark_ham, HAM_MESSAGE)

    @admin.action(description=_("Remove (kept for the record)"), permissions=["change"])
    def remove(self, request, queryset):
        self._decide(request, queryset, services.comment_remove, REMOVED_MESSAGE)

    def _decide(self, request, queryset, service, message):
        changed = sum(
            service(comment=comment, moderator=request.user) for comment in queryset.order_by()
        )
        self.message_user(request, message % {"count": changed})


APPROVED_MESSAGE = ngettext_lazy(
    "%(count)d comment approved.", "%(count)d comments approved.", "count"
)
SPAM_MESSAGE = ngettext_lazy(
    "%(count)d comment marked as spam.", "%(count)d comments marked as spam.", "count"
)
HAM_MESSAGE = ngettext_lazy(
    "%(count)d comment marked as not spam and approved.",
    "%(count)d comments marked as not spam and approved.",
    "count",
)
REMOVED_MESSAGE = ngettext_lazy(
    "%(count)d comment removed.", "%(count)d comments removed.", "count"
)
DECISION_BUTTONS = {
    "_approve": (services.comment_approve, _("The comment is approved.")),
    "_spam": (services.comment_mark_spam, _("The comment is marked as spam.")),
    "_ham": (services.comment_mark_ham, _("The comment is marked as not spam and approved.")),
    "_remove": (services.comment_remove, _("The comment is removed.")),
}
