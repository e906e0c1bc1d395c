import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import get_language_info, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.markdown import render_post_markdown

# The sending rate shown to editors is measured over the last minute.
RATE_WINDOW_SECONDS = 60


def new_key() -> str:
    """Return a fresh random key for a subscriber's links."""
    return secrets.token_urlsafe(18)


def normalize_email(email: str) -> str:
    """Return the form under which an address is stored and looked up."""
    return email.strip().lower()


def audience_choices() -> list[tuple[str, str]]:
    """Return "every subscriber", then the readers of each of the site's languages."""
    return [
        (Issue.AUDIENCE_ALL, _("Every subscriber")),
        *(
            (
                code,
                format_lazy(
                    _("Subscribers who read {language}"),
                    language=get_language_info(code)["name_translated"],
                ),
            )
            for code, _name in settings.LANGUAGES
        ),
    ]


class SubscriberQuerySet(models.QuerySet):
    def confirmed(self):
        """Return the subscribers who may receive issues."""
        return self.filter(status=Subscriber.Status.CONFIRMED)

    def in_audience(self, audience: str):
        """Return the confirmed subscribers an issue addressed to `audience` reaches."""
        subscribers = self.confirmed()
        if audience != Issue.AUDIENCE_ALL:
            subscribers = subscribers.filter(language=audience)
        return subscribers

    def awaiting_confirmation_email(self):
        """Return pending subscribers whose latest confirmation email has not gone out yet."""
        return self.filter(
            status=Subscriber.Status.PENDING, confirmation_requested_at__isnull=False
        ).filter(
            Q(confirmation_sent_at__isnull=True)
            | Q(confirmation_sent_at__lt=models.F("confirmation_requested_at"))
        )


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Subscribed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        SUPPRESSED = "suppressed", _("Suppressed (bounce or complaint)")

    email = models.EmailField(_("email"), unique=True)
    language = models.CharField(
        _("language"), max_length=2, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    # Opaque key behind the unsubscribe and preferences links; signed, never shown bare.
    key = models.CharField(max_length=32, unique=True, default=new_key, editable=False)
    # Renewed each time a subscription starts over, so an old confirmation link cannot
    # subscribe someone who has left since.
    confirmation_key = models.CharField(max_length=32, unique=True, default=new_key, editable=False)
    confirmation_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("signed up"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("left"), null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        indexes = [models.Index(fields=["status", "language"])]

    def __str__(self):
        return self.email

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED


class SubscriberEvent(models.Model):
    """One line of the consent ledger: who agreed or withdrew, when, how and from where."""

    class Kind(models.TextChoices):
        # Nouns: the ledger names events ("Désabonnement"), where buttons use verbs.
        SUBSCRIBE = "subscribe", _("Subscribe request")
        CONFIRM = "confirm", _("Confirmation")
        UNSUBSCRIBE = "unsubscribe", pgettext_lazy("consent ledger event", "Unsubscribe")
        BOUNCE = "bounce", _("Bounce")
        COMPLAINT = "complaint", _("Complaint")
        IMPORT = "import", pgettext_lazy("consent ledger event", "Import")
        ERASE = "erase", _("Erasure")

    class Source(models.TextChoices):
        FORM = "form", _("Subscribe form")
        EMAIL = "email", _("Link in an email")
        ONE_CLICK = "one_click", _("One-click unsubscribe (mail provider)")
        PREFERENCES = "preferences", _("Preferences page")
        IMPORT = "import", pgettext_lazy("consent ledger event", "Import")
        ADMIN = "admin", _("Admin")
        WEBHOOK = "webhook", _("Mail provider webhook")
        SENDING = "sending", _("Mail server answer")

    subscriber = models.ForeignKey(
        Subscriber,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("subscriber"),
    )
    kind = models.CharField(_("event"), max_length=12, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    consent_text = models.TextField(_("consent notice shown"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    # The mail provider's id for a webhook event, so a webhook delivered twice is recorded once.
    external_id = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("consent ledger event")
        verbose_name_plural = _("consent ledger")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="newsletter_event_external_id_unique",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class IssueQuerySet(models.QuerySet):
    def archived(self):
        """Return the issues the public archive shows: sent ones, newest first."""
        return self.filter(status=Issue.Status.SENT).order_by("-finished_at", "-id")

    def with_sent_count(self):
        """Annotate each issue with `sent_count`, the messages the mail server accepted."""
        return self.annotate(
            sent_count=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SENT))
        )

    def due(self):
        """Return scheduled issues whose time has come."""
        return self.filter(status=Issue.Status.SCHEDULED, scheduled_at__lte=timezone.now())

    def done_sending(self):
        """Return sending issues whose every delivery has been dealt with."""
        unfinished = Delivery.objects.unfinished().filter(issue=OuterRef("pk"))
        return self.filter(status=Issue.Status.SENDING, fanned_out_at__isnull=False).exclude(
            Exists(unfinished)
        )


class Issue(models.Model):
    # In context: French agrees these with "la lettre", unlike the same words said of a post.
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("newsletter issue", "Draft")
        SCHEDULED = "scheduled", pgettext_lazy("newsletter issue", "Scheduled")
        SENDING = "sending", pgettext_lazy("newsletter issue", "Sending")
        PAUSED = "paused", pgettext_lazy("newsletter issue", "Paused")
        SENT = "sent", pgettext_lazy("newsletter issue", "Sent")
        CANCELLED = "cancelled", pgettext_lazy("newsletter issue", "Cancelled")

    # Every subscriber, or the readers of one language (a code of settings.LANGUAGES).
    AUDIENCE_ALL = "all"

    class Origin(models.TextChoices):
        EDITOR = "editor", _("Written by an editor")
        NEW_POST = "new_post", _("New post notification")

    subject = models.CharField(_("subject"), max_length=200)
    preheader = models.CharField(
        _("preheader"),
        max_length=200,
        blank=True,
        help_text=_("The line mail apps show after the subject in the inbox."),
    )
    body = models.TextField(_("body"), help_text=_("Written in Markdown."))
    body_html = models.TextField(editable=False, default="")
    post = models.ForeignKey(
        "blog.Post",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="newsletter_issues",
        verbose_name=_("post"),
    )
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.EDITOR, editable=False
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    audience = models.CharField(
        _("audience"), max_length=3, choices=audience_choices, default=AUDIENCE_ALL
    )
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("sending started"), null=True, blank=True, editable=False)
    fanned_out_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)

    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        constraints = [
            # A post is announced automatically at most once, whatever runs the check twice.
            models.UniqueConstraint(
                fields=["post"],
                condition=Q(origin="new_post"),
                name="newsletter_issue_one_notification_per_post",
            )
        ]

    def __str__(self):
        return self.subject

    def save(self, *args, **kwargs):
        self.body_html = render_post_markdown(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("newsletter:archive_issue", kwargs={"pk": self.pk})

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)

    def progress(self) -> dict:
        """Return the delivery counts, the recent sending rate and the time left, in one query."""
        now = timezone.now()
        window_start = now - timedelta(seconds=RATE_WINDOW_SECONDS)
        counts = self.deliveries.aggregate(
            total=Count("id"),
            recent=Count("id", filter=Q(sent_at__gte=window_start)),
            **{status: Count("id", filter=Q(status=status)) for status in Delivery.Status.values},
        )
        waiting = counts["pending"] + counts["sending"]
        elapsed = RATE_WINDOW_SECONDS
        if self.started_at and self.started_at > window_start:
            elapsed = max(1.0, (now - self.started_at).total_seconds())
        rate = counts["recent"] / elapsed
        running = self.status == self.Status.SENDING
        return {
            "status": self.status,
            "status_label": str(self.get_status_display()),
            "total": counts["total"],
            "sent": counts["sent"],
            "failed": counts["failed"],
            "skipped": counts["skipped"],
            "cancelled": counts["cancelled"],
            "pending": waiting,
            "rate": round(rate, 1) if running else 0,
            "eta_seconds": round(waiting / rate) if running and rate > 0 else None,
            "finished": self.status in (self.Status.SENT, self.Status.CANCELLED),
        }


class DeliveryQuerySet(models.QuerySet):
    def unfinished(self):
        """Return deliveries still to be sent or being sent."""
        return self.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING])

    def stuck(self, *, older_than):
        """Return deliveries claimed by a worker that has shown no sign of life since `older_than`."""
        return self.filter(status=Delivery.Status.SENDING, claimed_at__lt=older_than)


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (left before sending)")
        CANCELLED = "cancelled", _("Cancelled")

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("issue")
    )
    # Kept when a subscriber is erased so that the issue's counts stay true.
    subscriber = models.ForeignKey(
        Subscriber,
        null=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        verbose_name=_("subscriber"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Which batch run holds the row while it is `sending`; a run sends only rows it still holds.
    claim = models.CharField(max_length=32, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=250, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "subscriber"], name="newsletter_delivery_once_per_subscriber"
            )
        ]
        indexes = [
            models.Index(fields=["issue", "status"]),
            models.Index(fields=["status", "claimed_at"]),
            models.Index(fields=["issue", "sent_at"]),
        ]

    def __str__(self):
        return f"{self.issue} → {self.subscriber or '—'}"
