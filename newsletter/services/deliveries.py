"""Writes on deliveries: one row per subscriber of an issue, claimed, sent once, swept when stuck."""

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core import mail
from newsletter import emails, tasks
from newsletter.models import Delivery, Issue, Subscriber, SubscriberEvent
from newsletter.services.subscribers import subscriber_suppress

logger = logging.getLogger(__name__)

Event = SubscriberEvent
# A running batch notices within this many seconds that an editor paused or cancelled its issue.
STATUS_CHECK_INTERVAL = 2


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


# The two statements every message costs, written out: building them with the ORM cost each
# message more CPU than PostgreSQL spent running them (docs/performance.md). Each does what the
# ORM query beside it in tests/newsletter/test_deliveries_sql.py does, which checks them against
# it. Table names come from the models; values are parameters.
_DELIVERIES = connection.ops.quote_name(Delivery._meta.db_table)
_SUBSCRIBERS = connection.ops.quote_name(Subscriber._meta.db_table)
# This run still holds the row: its subscriber's status and language (NULLs once erased).
GUARD_SQL = (
    f"SELECT s.status, s.language FROM {_DELIVERIES} d "  # noqa: S608
    f"LEFT JOIN {_SUBSCRIBERS} s ON s.id = d.subscriber_id "
    "WHERE d.id = %s AND d.claim = %s AND d.status = %s"
)
# The row is sent, if this run still holds it.
FINISH_SENT_SQL = (
    f"UPDATE {_DELIVERIES} SET status = %s, sent_at = %s, message_id = %s, "  # noqa: S608
    "attempts = attempts + 1, error = '' WHERE id = %s AND claim = %s AND status = %s"
)


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
        """Check in one query that this run still holds row `pk` and its subscriber is confirmed.

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
        with mail.Mailer() as mailer:
            for pk, subscriber_id in claim.held:
                if not claim.renew():
                    stopped_by_editor = True
                    break
                if claim.over_budget():
                    result.requeue_ids = claim.release(waiting)
                    break
                _deliver(claim, mailer, renderer, pk, subscriber_id, result)
                waiting.remove(pk)
    except mail.ConnectionLost as error:
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
    mail.wait_for_sending_slot(on_wait=claim.renew)
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
        message, raw = _compose(renderer, subscriber, pk)
        message_id = mailer.send_prepared(message, raw, paced=False)
    except mail.ConnectionLost:
        raise
    except mail.PermanentError as error:
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
    except mail.TransientError as error:
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
    """Return the subscriber's message and its prepared bytes; one that cannot be built fails alone.

    The bytes come from the issue's prepared copy (newsletter.emails.PreparedCopy): over SMTP they
    go out as they are, sparing the worker Django's writing out of every message.
    """
    try:
        return renderer.prepared_message(subscriber=subscriber, delivery_id=pk)
    except DatabaseError:
        raise  # the database, not this message: the batch stops and its rows are retried
    except Exception as error:
        logger.exception("Delivery %s: the message could not be composed", pk)
        raise mail.PermanentError(f"{type(error).__name__}: {error}"[:1000]) from error


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
