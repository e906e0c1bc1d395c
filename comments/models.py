import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.markdown import render_user_markdown


class CommentQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Comment.Status.APPROVED)

    def visible_on_post(self, post, *, own_pending_ids=()):
        """Return the approved comments of `post`, plus this browser's own pending ones."""
        shown = Q(status=Comment.Status.APPROVED)
        if own_pending_ids:
            shown |= Q(status=Comment.Status.PENDING, pk__in=own_pending_ids)
        return self.filter(shown, post=post).order_by("created_at", "id")

    def shown_on_page(self) -> list["ShownComment"]:
        """Return these comments as the lightweight objects a post page renders."""
        return [ShownComment(*row) for row in self.values_list(*ShownComment.FIELDS)]

    def waiting(self):
        """Return the comments a human must look at: checked, or given up on, and still pending."""
        return self.filter(status=Comment.Status.PENDING).exclude(verdict=Comment.Verdict.UNCHECKED)

    def unchecked(self):
        """Return the pending comments Akismet has not judged yet."""
        return self.filter(status=Comment.Status.PENDING, verdict=Comment.Verdict.UNCHECKED)

    def without_discarded(self):
        return self.exclude(status=Comment.Status.SPAM, verdict=Comment.Verdict.DISCARD)

    def discarded(self, *, older_than_days: int = 0):
        """Return blatant spam Akismet told us to discard, received over `older_than_days` ago."""
        received_before = timezone.now() - timedelta(days=older_than_days)
        return self.filter(
            status=Comment.Status.SPAM,
            verdict=Comment.Verdict.DISCARD,
            created_at__lt=received_before,
        )

    def duplicate_of(self, *, post, author_email: str, body: str):
        """Return earlier comments on `post` with the same address and the same words."""
        return self.filter(post=post, author_email__iexact=author_email, body=body).exclude(
            status=Comment.Status.REMOVED
        )

    def from_trusted_address(self, email: str):
        """Return the approved comments written from `email`, whatever its case."""
        return self.approved().filter(author_email__iexact=email)

    def status_counts(self) -> dict[str, int]:
        """Return how many comments each moderation tab holds, in one query."""
        spam = Q(status=Comment.Status.SPAM)
        discard = Q(verdict=Comment.Verdict.DISCARD)
        return self.aggregate(
            pending=Count("pk", filter=Q(status=Comment.Status.PENDING)),
            approved=Count("pk", filter=Q(status=Comment.Status.APPROVED)),
            spam=Count("pk", filter=spam & ~discard),
            discarded=Count("pk", filter=spam & discard),
            removed=Count("pk", filter=Q(status=Comment.Status.REMOVED)),
        )


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        SPAM = "spam", _("Spam")
        REMOVED = "removed", _("Removed")

    class Verdict(models.TextChoices):
        UNCHECKED = "", _("Not checked yet")
        HAM = "ham", _("Not spam")
        SPAM = "spam", _("Spam")
        DISCARD = "discard", _("Blatant spam")
        ERROR = "error", _("Akismet unreachable")
        SKIPPED = "skipped", _("No spam filter")

    post = models.ForeignKey(
        "blog.Post", on_delete=models.CASCADE, related_name="comments", verbose_name=_("post")
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
        verbose_name=_("in reply to"),
    )
    depth = models.PositiveSmallIntegerField(default=1, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("account"),
    )
    author_name = models.CharField(_("name"), max_length=80)
    author_email = models.EmailField(_("email"))
    author_url = models.URLField(_("website"), blank=True)
    body = models.TextField(_("comment"))
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    # What Akismet's calls need, kept for the check and for later spam/ham reports.
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)
    referrer = models.CharField(_("referrer"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=8, default="fr")
    notify_replies = models.BooleanField(_("notify of replies"), default=False)
    verdict = models.CharField(
        _("Akismet verdict"), max_length=10, choices=Verdict.choices, blank=True, default=""
    )
    check_attempts = models.PositiveSmallIntegerField(_("check attempts"), default=0)
    # When the next spam check should run; the sweeper re-enqueues checks long overdue.
    check_due_at = models.DateTimeField(default=timezone.now, editable=False)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    check_error = models.CharField(_("last check error"), max_length=300, blank=True)
    replies_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    moderators_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [
            models.Index(fields=["post", "status", "created_at"]),
            models.Index(fields=["status", "verdict", "check_due_at"]),
        ]

    def __str__(self):
        return f"{self.author_name}: {self.body[:40]}"

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is None or "body" in update_fields:
            self.body_html = render_user_markdown(self.body)
            if update_fields is not None:
                update_fields = {*update_fields, "body_html"}
        if self._state.adding:
            self.depth = self.parent.depth + 1 if self.parent_id else 1
        super().save(*args, update_fields=update_fields, **kwargs)

    def get_absolute_url(self):
        return f"{self.post.get_absolute_url()}#comment-{self.pk}"

    @property
    def is_reply(self) -> bool:
        return self.parent_id is not None

    @property
    def initials(self) -> str:
        return initials_of(self.author_name)

    @property
    def gravatar_url(self) -> str:
        return gravatar_url_of(self.author_email)


def initials_of(name: str) -> str:
    """Return the one or two letters an avatar shows for a commenter without a Gravatar."""
    words = [word for word in name.split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


def gravatar_url_of(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"https://www.gravatar.com/avatar/{digest}?s=72&d=identicon"


class ShownComment:
    """A comment as a post page shows it: the columns the page needs, not a model instance.

    Rows read with `CommentQuerySet.shown_on_page()`. Building model instances was a quarter of
    the CPU of a page with 500 comments (docs/BENCHMARKS.md); these cost a tenth as much.
    """

    FIELDS = (
        "pk",
        "parent_id",
        "user_id",
        "author_name",
        "author_url",
        "author_email",
        "created_at",
        "status",
        "body_html",
    )
    # Set by comments.threads.arrange().
    __slots__ = (*FIELDS, "level", "can_reply", "opens_list", "closes_lists")

    def __init__(self, *values):
        for name, value in zip(self.FIELDS, values, strict=True):
            setattr(self, name, value)

    def __repr__(self):
        return f"<ShownComment {self.pk}>"

    @property
    def initials(self) -> str:
        return initials_of(self.author_name)

    @property
    def gravatar_url(self) -> str:
        return gravatar_url_of(self.author_email)


class ModerationDecision(models.Model):
    """One change of a comment's status: by an editor, by Akismet and the policy (no editor), or
    by the comment's author, who edited or deleted it."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approved")
        SPAM = "spam", _("Marked as spam")
        HAM = "ham", _("Marked as not spam")
        REMOVE = "remove", _("Removed")
        HOLD = "hold", _("Held for moderation")
        EDIT = "edit", _("Edited by its author")
        DELETE = "delete", _("Deleted by its author")

    class Feedback(models.TextChoices):
        NONE = "", _("None")
        PENDING = "pending", _("To send")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("No spam filter")

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("comment")
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("moderator"),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    previous_status = models.CharField(
        _("previous status"), max_length=10, choices=Comment.Status.choices
    )
    new_status = models.CharField(_("new status"), max_length=10, choices=Comment.Status.choices)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)
    feedback = models.CharField(
        _("report to Akismet"), max_length=10, choices=Feedback.choices, blank=True, default=""
    )
    feedback_error = models.CharField(max_length=300, blank=True)
    # The words an edit by the author replaced: the history keeps every version.
    previous_body = models.TextField(_("text before the edit"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("moderation decision")
        verbose_name_plural = _("moderation decisions")

    def __str__(self):
        # In the site's time zone, as the row's date column beside it in the admin's history.
        return f"{self.get_action_display()} ({timezone.localtime(self.created_at):%Y-%m-%d %H:%M})"


class ModerationEmail(models.Model):
    """One "comments are waiting" email round; the latest one spaces out the next."""

    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    comment_count = models.PositiveIntegerField()
    recipient_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self):
        return f"{self.sent_at:%Y-%m-%d %H:%M}: {self.comment_count}"


class ReplyNotification(models.Model):
    """One commenter to tell of one reply: a retry emails only those not reached yet."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To send")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")  # refused for good: a bad address

    reply = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="notifications")
    # The earlier comment whose author asked to hear of replies: its address and language.
    subscription = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="+")
    address = models.EmailField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "address"], name="one_notification_per_reader")
        ]

    def __str__(self):
        return f"{self.address}: {self.get_status_display()}"


def moderators():
    """Return the active staff accounts allowed to moderate comments, with an email address."""
    can_moderate = Q(
        groups__permissions__codename="change_comment",
        groups__permissions__content_type__app_label="comments",
    ) | Q(
        user_permissions__codename="change_comment",
        user_permissions__content_type__app_label="comments",
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .exclude(email="")
        .filter(Q(is_superuser=True) | can_moderate)
        .distinct()
    )
