"""Writes with side effects on subscribers, issues and deliveries: views, admin, webhooks and tasks call these."""

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator

from blog.models import Post
from newsletter import emails, sending, tasks
from newsletter.models import Delivery, Issue, Subscriber, SubscriberEvent, new_key

logger = logging.getLogger(__name__)

Event = SubscriberEvent
# A running batch notices within this many seconds that an editor paused or cancelled its issue.
STATUS_CHECK_INTERVAL = 2
# The two statements every message costs, written out: the ORM's query building cost more CPU than
# PostgreSQL spent running them. Table names come from the models; values are parameters.
_DELIVERIES = connection.ops.quote_name(Delivery._meta.db_table)
_SUBSCRIBERS = connection.ops.quote_name(Subscriber._meta.db_table)
GUARD_SQL = (
    f"SELECT s.status, s.language FROM {_DELIVERIES} d "  # noqa: S608
    f"LEFT JOIN {_SUBSCRIBERS} s ON s.id = d.subscriber_id "
    "WHERE d.id = %s AND d.claim = %s AND d.status = %s"
)
FINISH_SENT_SQL = (
    f"UPDATE {_DELIVERIES} SET status = %s, sent_at = %s, message_id = %s, "  # noqa: S608
    "attempts = attempts + 1, error = '' WHERE id = %s AND claim = %s AND status = %s"
)


def normalize_email(email: str) -> str:
    return email.strip().lower()


# Subscribers ---------------------------------------------------------------------------------


@transaction.atomic
def subscriber_subscribe(
    *,
    email: str,
    language: str,
    source: str,
    consent_text: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> Subscriber:
    """Record a subscribe request and send the confirmation email when one is due.

    Whatever the address's state the caller answers the same way: nobody learns who subscribes.
    A confirmed address stays as it is, a suppressed one receives nothing, an address that left
    starts over with a new confirmation.
    """
    now = timezone.now()
    subscriber, created = Subscriber.objects.select_for_update().get_or_create(
        email=normalize_email(email), defaults={"language": language}
    )
    state_before = "new" if created else subscriber.status
    confirmation_due = False
    if created or subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        subscriber.status = Subscriber.Status.PENDING
        subscriber.language = language
        subscriber.confirmation_key = new_key()
        confirmation_due = True
    elif subscriber.status == Subscriber.Status.PENDING:
        subscriber.language = language
        last_sent = subscriber.confirmation_sent_at
        # One already on its way is not sent twice; a lost one is sent again, but not in a loop.
        resend_after = timedelta(seconds=settings.NEWSLETTER_CONFIRMATION_RESEND_INTERVAL)
        confirmation_due = last_sent is not None and now - last_sent >= resend_after
    if confirmation_due:
        subscriber.confirmation_requested_at = now
    subscriber.save()
    Event.objects.create(
        subscriber=subscriber,
        kind=Event.Kind.SUBSCRIBE,
        source=source,
        ip_address=ip_address,
        user_agent=user_agent[:300],
        consent_text=consent_text,
        detail={"language": language, "state_before": state_before},
    )
    if confirmation_due:
        tasks.send_confirmation.delay_on_commit(subscriber.pk)
    return subscriber


@transaction.atomic
def subscriber_confirm(
    *, confirmation_key: str, ip_address: str | None = None, user_agent: str = ""
) -> Subscriber | None:
    """Confirm the subscription a confirmation link belongs to; None when that link is spent."""
    subscriber = (
        Subscriber.objects.select_for_update().filter(confirmation_key=confirmation_key).first()
    )
    if subscriber is None or subscriber.status in (
        Subscriber.Status.UNSUBSCRIBED,
        Subscriber.Status.SUPPRESSED,
    ):
        return None
    if subscriber.status == Subscriber.Status.PENDING:
        subscriber.status = Subscriber.Status.CONFIRMED
        subscriber.confirmed_at = timezone.now()
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["status", "confirmed_at", "unsubscribed_at"])
        Event.objects.create(
            subscriber=subscriber,
            kind=Event.Kind.CONFIRM,
            source=Event.Source.EMAIL,
            ip_address=ip_address,
            user_agent=user_agent[:300],
        )
    return subscriber


def subscriber_unsubscribe(
    *,
    subscriber: Subscriber,
    source: str,
    ip_address: str | None = None,
    user_agent: str = "",
    detail: dict | None = None,
    external_id: str = "",
) -> bool:
    """Stop every later send to `subscriber` at once; return whether they were still on the list."""
    with transaction.atomic():
        changed = Subscriber.objects.filter(
            pk=subscriber.pk,
            status__in=[Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED],
        ).update(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())
        if changed:
            _record_once(
                subscriber=subscriber,
                kind=Event.Kind.UNSUBSCRIBE,
                source=source,
                ip_address=ip_address,
                user_agent=user_agent[:300],
                detail=detail or {},
                external_id=external_id,
            )
    return bool(changed)


def subscriber_suppress(
    *, subscriber: Subscriber, kind: str, source: str, detail: dict, external_id: str = ""
) -> bool:
    """Never mail `subscriber` again after a bounce or complaint; record it once per provider event."""
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk).exclude(
            status=Subscriber.Status.SUPPRESSED
        ).update(status=Subscriber.Status.SUPPRESSED, unsubscribed_at=timezone.now())
        return _record_once(
            subscriber=subscriber, kind=kind, source=source, detail=detail, external_id=external_id
        )


def _record_once(*, external_id: str = "", **fields) -> bool:
    """Add a ledger event; an event a provider already reported (same id) is not added again."""
    if external_id and Event.objects.filter(external_id=external_id).exists():
        return False
    try:
        with transaction.atomic():
            Event.objects.create(external_id=external_id, **fields)
    except IntegrityError:  # the same webhook delivered twice at the same moment
        return False
    return True


def provider_event_record(
    *, email: str, event_type: str, provider: str, event_id: str, detail: dict
) -> bool:
    """Apply a mail provider's bounce, complaint or unsubscribe report; a repeated report does nothing."""
    subscriber = Subscriber.objects.filter(email=normalize_email(email)).first()
    if subscriber is None:
        return False
    # Providers without event ids are told apart by what they report, so a retry still matches.
    fingerprint = (
        event_id
        or hashlib.sha256(
            json.dumps(
                [email, event_type, detail.get("message_id"), detail.get("timestamp")]
            ).encode()
        ).hexdigest()
    )
    external_id = f"{provider}:{fingerprint}"[:200]
    if event_type == "unsubscribed":
        return subscriber_unsubscribe(
            subscriber=subscriber,
            source=Event.Source.WEBHOOK,
            detail=detail,
            external_id=external_id,
        )
    kind = Event.Kind.COMPLAINT if event_type == "complained" else Event.Kind.BOUNCE
    return subscriber_suppress(
        subscriber=subscriber,
        kind=kind,
        source=Event.Source.WEBHOOK,
        detail=detail,
        external_id=external_id,
    )


def subscriber_set_language(*, subscriber: Subscriber, language: str) -> None:
    """Change the language a subscriber's emails are written in."""
    Subscriber.objects.filter(pk=subscriber.pk).update(language=language)
    subscriber.language = language


@transaction.atomic
def subscriber_erase(*, subscriber: Subscriber, source: str) -> None:
    """Remove the address and its history; only an anonymous erasure event remains (GDPR)."""
    subscriber.events.all().delete()
    subscriber.delete()
    Event.objects.create(kind=Event.Kind.ERASE, source=source)


def subscriber_data_link_request(*, subscriber: Subscriber) -> bool:
    """Email a subscriber a short-lived link to download or erase their data; False if none is due.

    The preferences link in every issue never expires and may be forwarded, so it does not open
    the data itself: only a fresh link, sent to the address, does.
    """
    if subscriber.status == Subscriber.Status.SUPPRESSED:
        return False  # it bounced or complained: mailing it again would hurt the sender
    tasks.send_data_link.delay_on_commit(subscriber.pk)
    return True


def data_link_send(*, subscriber_id: int) -> bool:
    """Send the data-access link a subscriber asked for; return whether it went out."""
    subscriber = (
        Subscriber.objects.exclude(status=Subscriber.Status.SUPPRESSED)
        .filter(pk=subscriber_id)
        .first()
    )
    if subscriber is None:
        return False
    return _send_to_subscriber(
        subscriber, emails.data_link_message(subscriber), email_kind="data_link"
    )


def _send_to_subscriber(subscriber: Subscriber, message, *, email_kind: str) -> bool:
    """Send one email; a refused address is suppressed. Return whether the server accepted it."""
    try:
        sending.send_one(message)
    except sending.PermanentError as error:
        logger.warning(
            "Email %s to subscriber %s refused: %s", email_kind, subscriber.pk, error.reason
        )
        if error.bad_address:
            subscriber_suppress(
                subscriber=subscriber,
                kind=Event.Kind.BOUNCE,
                source=Event.Source.SENDING,
                detail={"reason": error.reason, "email": email_kind},
            )
        return False
    return True


def subscriber_personal_data(*, subscriber: Subscriber) -> dict:
    """Return everything the site holds about a subscriber, for them to download."""
    return {
        "email": subscriber.email,
        "language": subscriber.language,
        "status": subscriber.status,
        "signed_up": _iso(subscriber.created_at),
        "confirmed": _iso(subscriber.confirmed_at),
        "left": _iso(subscriber.unsubscribed_at),
        "consent_ledger": [
            {
                "date": _iso(event.created_at),
                "event": event.kind,
                "source": event.source,
                "ip_address": event.ip_address,
                "user_agent": event.user_agent,
                "consent_notice": event.consent_text,
                "detail": event.detail,
            }
            for event in subscriber.events.order_by("created_at", "id")
        ],
        "emails_received": [
            {"issue": subject, "sent": _iso(sent_at)}
            for subject, sent_at in subscriber.deliveries.filter(
                status=Delivery.Status.SENT
            ).values_list("issue__subject", "sent_at")
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass
class ImportRow:
    line: int
    email: str
    language: str
    consent_source: str = ""
    consent_date: date | None = None


@dataclass
class ImportResult:
    confirmed: int = 0
    pending: int = 0
    already_known: list[str] = field(default_factory=list)


@transaction.atomic
def subscribers_import(*, rows: list[ImportRow], imported_by: str) -> ImportResult:
    """Add validated rows: with recorded consent they are subscribed, without it they must confirm.

    Addresses already known are left alone, so an import never overrides someone's leaving.
    """
    result = ImportResult()
    known = set(
        Subscriber.objects.filter(email__in=[row.email for row in rows]).values_list(
            "email", flat=True
        )
    )
    now = timezone.now()
    for row in rows:
        if row.email in known:
            result.already_known.append(row.email)
            continue
        consented = bool(row.consent_source and row.consent_date)
        subscriber = Subscriber.objects.create(
            email=row.email,
            language=row.language,
            status=Subscriber.Status.CONFIRMED if consented else Subscriber.Status.PENDING,
            confirmed_at=now if consented else None,
            confirmation_requested_at=None if consented else now,
        )
        Event.objects.create(
            subscriber=subscriber,
            kind=Event.Kind.IMPORT,
            source=Event.Source.IMPORT,
            detail={
                "line": row.line,
                "consent_source": row.consent_source,
                "consent_date": row.consent_date.isoformat() if row.consent_date else None,
                "imported_by": imported_by,
            },
        )
        if consented:
            result.confirmed += 1
        else:
            result.pending += 1
            tasks.send_confirmation.delay_on_commit(subscriber.pk)
    return result


def confirmation_send(*, subscriber_id: int) -> bool:
    """Send the confirmation email a pending subscriber is waiting for; return whether it went out."""
    subscriber = Subscriber.objects.awaiting_confirmation_email().filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    # Two workers given the same request (a re-enqueue racing the first task) send it once.
    lock = f"newsletter:confirmation:{subscriber.pk}:{subscriber.confirmation_requested_at.timestamp()}"
    if not cache.add(lock, 1, timeout=settings.NEWSLETTER_STUCK_TIMEOUT):
        return False
    try:
        _send_to_subscriber(
            subscriber, emails.confirmation_message(subscriber), email_kind="confirmation"
        )
    except sending.TransientError:
        cache.delete(lock)
        raise
    # Also when refused for good: asking the same server again would only be refused again.
    Subscriber.objects.filter(pk=subscriber.pk).update(confirmation_sent_at=timezone.now())
    return True


def confirmations_requeue() -> int:
    """Queue again the confirmation emails that were asked for but never went out."""
    waited = timezone.now() - timedelta(seconds=settings.NEWSLETTER_CONFIRMATION_REQUEUE_AFTER)
    ids = list(
        Subscriber.objects.awaiting_confirmation_email()
        .filter(confirmation_requested_at__lt=waited)
        .values_list("pk", flat=True)[:1000]
    )
    for subscriber_id in ids:
        tasks.send_confirmation.delay(subscriber_id)
    return len(ids)


# Issues --------------------------------------------------------------------------------------


def issue_from_post(*, post: Post, created_by=None, origin: str = Issue.Origin.EDITOR) -> Issue:
    """Create an issue carrying a post: its title as subject, its text, a link to read it online."""
    body = post.body
    if post.cover:
        body = f"![{post.cover_alt}]({post.cover.url})\n\n{body}"
    return Issue.objects.create(
        subject=post.title,
        preheader=Truncator(post.summary).chars(150),
        body=body,
        post=post,
        origin=origin,
        created_by=created_by,
    )


def issue_send(*, issue: Issue) -> bool:
    """Start sending a draft or scheduled issue now; return False if it had already left that state."""
    started = Issue.objects.filter(
        pk=issue.pk, status__in=[Issue.Status.DRAFT, Issue.Status.SCHEDULED]
    ).update(status=Issue.Status.SENDING, started_at=timezone.now())
    if started:
        issue.status = Issue.Status.SENDING
        tasks.fan_out.delay_on_commit(issue.pk)
    return bool(started)


def issue_schedule(*, issue: Issue, when: datetime) -> bool:
    """Have a draft sent automatically at `when`."""
    scheduled = Issue.objects.filter(
        pk=issue.pk, status__in=[Issue.Status.DRAFT, Issue.Status.SCHEDULED]
    ).update(status=Issue.Status.SCHEDULED, scheduled_at=when)
    return bool(scheduled)


def issue_unschedule(*, issue: Issue) -> bool:
    """Turn a scheduled issue back into a draft."""
    return bool(
        Issue.objects.filter(pk=issue.pk, status=Issue.Status.SCHEDULED).update(
            status=Issue.Status.DRAFT, scheduled_at=None
        )
    )


def issue_pause(*, issue: Issue) -> bool:
    """Stop a sending issue after the messages already on their way; resume picks up the rest."""
    return bool(
        Issue.objects.filter(pk=issue.pk, status=Issue.Status.SENDING).update(
            status=Issue.Status.PAUSED
        )
    )


def issue_resume(*, issue: Issue) -> bool:
    """Continue a paused issue where it stopped."""
    resumed = Issue.objects.filter(pk=issue.pk, status=Issue.Status.PAUSED).update(
        status=Issue.Status.SENDING
    )
    if resumed:
        tasks.fan_out.delay_on_commit(issue.pk, requeue=True)
    return bool(resumed)


def issue_cancel(*, issue: Issue) -> bool:
    """Stop an issue for good: nothing more of it goes out."""
    with transaction.atomic():
        cancelled = Issue.objects.filter(
            pk=issue.pk,
            status__in=[Issue.Status.SCHEDULED, Issue.Status.SENDING, Issue.Status.PAUSED],
        ).update(status=Issue.Status.CANCELLED, finished_at=timezone.now())
        if cancelled:
            Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.CANCELLED
            )
    return bool(cancelled)


def issue_send_test(*, issue: Issue, to: str, language: str) -> None:
    """Have a test copy of the issue, marked as such, sent to an editor."""
    tasks.send_test.delay_on_commit(issue.pk, to, language)


def issue_test_copy_deliver(*, issue_id: int, to: str, language: str) -> None:
    """Send the test copy asked for with issue_send_test."""
    issue = Issue.objects.select_related("post").get(pk=issue_id)
    sending.send_one(emails.IssueRenderer(issue).test_message(to=to, language=language))


def issues_start_due() -> int:
    """Start the scheduled issues whose time has come."""
    return sum(issue_send(issue=issue) for issue in Issue.objects.due())


def post_notifications_send() -> int:
    """Send each newly live post marked "email to subscribers" once, through the same pipeline."""
    recent = timezone.now() - timedelta(seconds=settings.NEWSLETTER_POST_NOTIFICATION_MAX_AGE)
    posts = (
        Post.objects.published()
        .filter(email_subscribers=True, published_at__gte=recent)
        .exclude(newsletter_issues__origin=Issue.Origin.NEW_POST)
    )
    started = 0
    for post in posts:
        try:
            with transaction.atomic():
                issue = issue_from_post(post=post, origin=Issue.Origin.NEW_POST)
                started += issue_send(issue=issue)
        except IntegrityError:  # another run announced it a moment ago
            continue
    return started


# Deliveries ----------------------------------------------------------------------------------


def issue_fan_out(*, issue_id: int, requeue: bool = False) -> int:
    """Create one delivery per subscriber in the audience, in one statement, then queue the batches.

    Running it again inserts nothing (the fan-out is done once, in the same transaction that
    marks it done) and queues only rows never queued; `requeue` queues every waiting row.
    """
    with transaction.atomic():
        issue = (
            Issue.objects.select_for_update()
            .filter(pk=issue_id, status=Issue.Status.SENDING)
            .first()
        )
        if issue is None:
            return 0
        created = 0
        if issue.fanned_out_at is None:
            created = _insert_deliveries(issue)
            Issue.objects.filter(pk=issue.pk).update(fanned_out_at=timezone.now())
    deliveries_enqueue(issue_id=issue_id, only_unqueued=not requeue)
    issue_finish_if_done(issue_id=issue_id)
    return created


def _insert_deliveries(issue: Issue) -> int:
    audience = Subscriber.objects.in_audience(issue.audience).order_by().values("id")
    select_sql, select_params = audience.query.sql_with_params()
    quote = connection.ops.quote_name
    # INSERT … SELECT: the subscribers never travel through Python, however many there are. Only
    # a quoted table name and the ORM's own parametrised SELECT are spliced in.
    sql = (
        f"INSERT INTO {quote(Delivery._meta.db_table)} "  # noqa: S608
        "(issue_id, subscriber_id, status, attempts, claim, message_id, error) "
        f"SELECT %s, audience.id, %s, 0, '', '', '' FROM ({select_sql}) AS audience "
        "WHERE true ON CONFLICT (issue_id, subscriber_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [issue.pk, Delivery.Status.PENDING, *select_params])
        return cursor.rowcount


def deliveries_enqueue(*, issue_id: int, only_unqueued: bool = False) -> int:
    """Queue the issue's waiting deliveries as batch tasks of at most NEWSLETTER_BATCH_SIZE."""
    waiting = Delivery.objects.filter(issue_id=issue_id, status=Delivery.Status.PENDING)
    if only_unqueued:
        waiting = waiting.filter(queued_at__isnull=True)
    size = min(settings.NEWSLETTER_BATCH_SIZE, 100)
    queued = 0
    # Batch by batch, so that memory does not grow with the list: a worker that queues 100,000
    # deliveries holds 100 ids at a time, and rows are marked queued only once their task is.
    batch: list[int] = []
    for delivery_id in waiting.order_by("pk").values_list("pk", flat=True).iterator(2000):
        batch.append(delivery_id)
        if len(batch) == size:
            queued += _batch_enqueue(issue_id, batch)
            batch = []
    if batch:
        queued += _batch_enqueue(issue_id, batch)
    return queued


def _batch_enqueue(issue_id: int, delivery_ids: list[int]) -> int:
    Delivery.objects.filter(pk__in=delivery_ids).update(queued_at=timezone.now())
    tasks.send_batch.delay(issue_id, delivery_ids)
    return len(delivery_ids)


def issue_finish_if_done(*, issue_id: int) -> bool:
    """Mark a sending issue sent once none of its deliveries is waiting or on its way."""
    return bool(
        Issue.objects.done_sending()
        .filter(pk=issue_id)
        .update(status=Issue.Status.SENT, finished_at=timezone.now())
    )


@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retry_ids: list[int] = field(default_factory=list)  # released; try again after a pause
    requeue_ids: list[int] = field(default_factory=list)  # released; continue in a new task


class _Claim:
    """The rows a batch run holds: renewed while it works, given back when it stops."""

    def __init__(self, issue_id: int, delivery_ids: list[int]):
        self.issue_id = issue_id
        self.token = uuid.uuid4().hex
        self.started = time.monotonic()
        self.last_beat = self.last_check = self.started
        self.still_sending = True
        now = timezone.now()
        Delivery.objects.filter(
            issue_id=issue_id, pk__in=delivery_ids, status=Delivery.Status.PENDING
        ).update(status=Delivery.Status.SENDING, claim=self.token, claimed_at=now)
        self.held = list(
            Delivery.objects.filter(claim=self.token, status=Delivery.Status.SENDING)
            .order_by("pk")
            .values_list("pk", "subscriber_id")
        )
        # The whole batch's subscribers in one query; each is checked again right before its send.
        self.subscribers = Subscriber.objects.in_bulk(
            [subscriber_id for _pk, subscriber_id in self.held if subscriber_id]
        )

    def guard(self, pk: int, subscriber: Subscriber) -> str:
        """Check in one statement that this run still holds row `pk` and its subscriber is confirmed.

        Return "send", "skip" (no longer confirmed, or erased) or "lost" (the sweeper gave it away).
        The subscriber's language is refreshed too: a change made since the claim is honoured.
        """
        with connection.cursor() as cursor:
            cursor.execute(GUARD_SQL, [pk, self.token, Delivery.Status.SENDING])
            row = cursor.fetchone()
        if row is None:
            return "lost"
        status, language = row
        if status != Subscriber.Status.CONFIRMED:
            return "skip"
        subscriber.language = language
        return "send"

    def finish_sent(self, pk: int, message_id: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                FINISH_SENT_SQL,
                [
                    Delivery.Status.SENT,
                    timezone.now(),
                    message_id,
                    pk,
                    self.token,
                    Delivery.Status.SENDING,
                ],
            )

    def rows(self, pk: int | None = None):
        rows = Delivery.objects.filter(claim=self.token, status=Delivery.Status.SENDING)
        return rows.filter(pk=pk) if pk is not None else rows

    def renew(self) -> bool:
        """Show the sweeper this run is alive; return False when the issue was paused or cancelled."""
        now = time.monotonic()
        if now - self.last_beat >= settings.NEWSLETTER_HEARTBEAT_INTERVAL:
            self.last_beat = now
            self.rows().update(claimed_at=timezone.now())
        if now - self.last_check >= STATUS_CHECK_INTERVAL:
            self.last_check = now
            self.still_sending = Issue.objects.filter(
                pk=self.issue_id, status=Issue.Status.SENDING
            ).exists()
        return self.still_sending

    def over_budget(self) -> bool:
        return time.monotonic() - self.started > settings.NEWSLETTER_BATCH_TIME_BUDGET

    def finish(self, pk: int, **fields) -> None:
        self.rows(pk).update(**fields)

    def release(self, ids: list[int]) -> list[int]:
        """Put rows still held back in the queue; return those given back."""
        released = list(self.rows().filter(pk__in=ids).values_list("pk", flat=True))
        self.rows().filter(pk__in=released).update(
            status=Delivery.Status.PENDING, claim="", queued_at=timezone.now()
        )
        return released


def batch_send(*, issue_id: int, delivery_ids: list[int]) -> BatchResult:
    """Send a batch of deliveries over one connection; each row is marked sent as soon as accepted.

    Rows are claimed with a guarded update (pending → sending), so running a batch twice sends
    nothing twice; each subscriber is checked again right before their message goes out.
    """
    result = BatchResult()
    issue = (
        Issue.objects.select_related("post")
        .filter(pk=issue_id, status=Issue.Status.SENDING)
        .first()
    )
    if issue is None:
        return result
    claim = _Claim(issue_id, delivery_ids)
    if not claim.held:
        issue_finish_if_done(issue_id=issue_id)
        return result
    renderer = emails.IssueRenderer(issue)
    waiting = [pk for pk, _subscriber in claim.held]
    stopped_by_editor = False
    try:
        with sending.Mailer() as mailer:
            for pk, subscriber_id in claim.held:
                if not claim.renew():
                    stopped_by_editor = True
                    break
                if claim.over_budget():
                    result.requeue_ids = claim.release(waiting)
                    break
                _deliver(claim, mailer, renderer, pk, subscriber_id, result)
                waiting.remove(pk)
    except sending.ConnectionLost as error:
        logger.warning(
            "Issue %s: mail server unreachable (%s); batch retried later", issue_id, error
        )
        result.retry_ids += claim.release(waiting)
    finally:
        # Whatever stopped the loop, no row stays held by a run that is over.
        leftover = claim.release(waiting)
        if stopped_by_editor:
            issue_settle_stopped(issue_id=issue_id)
        else:
            result.retry_ids += leftover
    issue_finish_if_done(issue_id=issue_id)
    return result


def _deliver(claim, mailer, renderer, pk, subscriber_id, result) -> str:
    subscriber = claim.subscribers.get(subscriber_id) if subscriber_id else None
    if subscriber is None or not subscriber.is_confirmed:
        claim.finish(pk, status=Delivery.Status.SKIPPED)
        result.skipped += 1
        return "skipped"
    sending.wait_for_sending_slot(on_wait=claim.renew)
    # Checked at claim time, and again here, last thing before the send: an unsubscribe that
    # landed meanwhile still stops the message, and a row the sweeper gave away is left alone.
    verdict = claim.guard(pk, subscriber)
    if verdict == "lost":
        return "lost"
    if verdict == "skip":
        claim.finish(pk, status=Delivery.Status.SKIPPED)
        result.skipped += 1
        return "skipped"
    try:
        message_id = mailer.send(_compose(renderer, subscriber, pk))
    except sending.ConnectionLost:
        raise
    except sending.PermanentError as error:
        claim.finish(
            pk, status=Delivery.Status.FAILED, error=error.reason, attempts=F("attempts") + 1
        )
        result.failed += 1
        if error.bad_address:
            subscriber_suppress(
                subscriber=subscriber,
                kind=Event.Kind.BOUNCE,
                source=Event.Source.SENDING,
                detail={"reason": error.reason, "issue": claim.issue_id},
            )
        return "failed"
    except sending.TransientError as error:
        attempts = Delivery.objects.filter(pk=pk).values_list("attempts", flat=True).first() or 0
        if attempts + 1 >= settings.NEWSLETTER_MAX_ATTEMPTS:
            claim.finish(
                pk,
                status=Delivery.Status.FAILED,
                error=error.reason,
                attempts=F("attempts") + 1,
            )
            result.failed += 1
            return "failed"
        claim.finish(
            pk,
            status=Delivery.Status.PENDING,
            claim="",
            error=error.reason,
            attempts=F("attempts") + 1,
        )
        result.retry_ids.append(pk)
        return "deferred"
    claim.finish_sent(pk, message_id[:250])
    result.sent += 1
    return "sent"


def _compose(renderer, subscriber, pk):
    """Return the subscriber's message; a message that cannot be built fails alone, not the batch."""
    try:
        return renderer.message(subscriber=subscriber, delivery_id=pk)
    except DatabaseError:
        raise  # the database, not this message: the batch stops and its rows are retried
    except Exception as error:
        logger.exception("Delivery %s: the message could not be composed", pk)
        raise sending.PermanentError(f"{type(error).__name__}: {error}"[:1000]) from error


def issue_settle_stopped(*, issue_id: int) -> None:
    """Cancel the rows left waiting by an issue an editor cancelled."""
    if Issue.objects.filter(pk=issue_id, status=Issue.Status.CANCELLED).exists():
        Delivery.objects.filter(issue_id=issue_id).unfinished().update(
            status=Delivery.Status.CANCELLED, claim=""
        )


@dataclass
class SweepResult:
    released: int = 0
    requeued: int = 0
    finished: int = 0


def deliveries_sweep() -> SweepResult:
    """Recover from workers that died and queues that lost their tasks, then finish done issues."""
    result = SweepResult()
    now = timezone.now()
    silent_since = now - timedelta(seconds=settings.NEWSLETTER_STUCK_TIMEOUT)
    # A run renews its rows every NEWSLETTER_HEARTBEAT_INTERVAL: rows it stopped renewing belong
    # to a worker that was killed; they go back to the queue, unqueued, to be queued below.
    result.released = (
        Delivery.objects.stuck(older_than=silent_since)
        .filter(issue__status=Issue.Status.SENDING)
        .update(status=Delivery.Status.PENDING, claim="", queued_at=None)
    )
    for issue_id in Issue.objects.filter(status=Issue.Status.CANCELLED).values_list(
        "pk", flat=True
    ):
        Delivery.objects.stuck(older_than=silent_since).filter(issue_id=issue_id).update(
            status=Delivery.Status.CANCELLED, claim=""
        )
    for issue in Issue.objects.filter(status=Issue.Status.SENDING):
        if issue.fanned_out_at is None:
            if issue.started_at and issue.started_at < silent_since:
                tasks.fan_out.delay(issue.pk)
            continue
        deliveries = Delivery.objects.filter(issue=issue)
        result.requeued += deliveries_enqueue(issue_id=issue.pk, only_unqueued=True)
        # Waiting rows, and no sign of any worker on this issue lately: their tasks were lost.
        lively = (
            deliveries.filter(claimed_at__gte=silent_since).exists()
            or deliveries.filter(queued_at__gte=silent_since).exists()
        )
        if not lively and deliveries.filter(status=Delivery.Status.PENDING).exists():
            result.requeued += deliveries_enqueue(issue_id=issue.pk)
        result.finished += issue_finish_if_done(issue_id=issue.pk)
    return result
