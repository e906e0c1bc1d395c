"""The two statements a batch runs for every message do what the ORM would do (newsletter.services.deliveries).

They are written as SQL because the ORM spent more CPU building them than PostgreSQL running them
(docs/performance.md); each is checked here against the ORM query it stands for.
"""

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from newsletter.models import Delivery, Subscriber
from newsletter.services.deliveries import FINISH_SENT_SQL, GUARD_SQL
from tests.newsletter.factories import IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

TOKEN = "a" * 32


def held_rows():
    """Rows in every state the guard can meet: held by this run or another, sent, erased."""
    issue = IssueFactory()
    rows = []
    for claim, status, subscriber_status in [
        (TOKEN, Delivery.Status.SENDING, Subscriber.Status.CONFIRMED),
        (TOKEN, Delivery.Status.SENDING, Subscriber.Status.UNSUBSCRIBED),
        (TOKEN, Delivery.Status.SENDING, None),  # the subscriber erased their data
        ("b" * 32, Delivery.Status.SENDING, Subscriber.Status.CONFIRMED),  # another run's
        (TOKEN, Delivery.Status.SENT, Subscriber.Status.CONFIRMED),
        (TOKEN, Delivery.Status.PENDING, Subscriber.Status.CONFIRMED),
    ]:
        subscriber = SubscriberFactory(status=subscriber_status or "confirmed", language="en")
        row = Delivery.objects.create(
            issue=issue, subscriber=subscriber, status=status, claim=claim, attempts=2, error="x"
        )
        if subscriber_status is None:
            subscriber.delete()
        rows.append(row.pk)
    return rows


def orm_rows(pk):
    return Delivery.objects.filter(pk=pk, claim=TOKEN, status=Delivery.Status.SENDING)


def test_the_guard_reads_what_the_orm_reads():
    for pk in held_rows():
        with connection.cursor() as cursor:
            cursor.execute(GUARD_SQL, [pk, TOKEN, Delivery.Status.SENDING])
            from_sql = cursor.fetchone()
        from_orm = orm_rows(pk).values_list("subscriber__status", "subscriber__language").first()

        assert from_sql == from_orm, pk


def test_marking_a_row_sent_writes_what_the_orm_writes():
    now = timezone.now()
    rows = held_rows()
    columns = ["status", "sent_at", "message_id", "attempts", "error", "claim"]
    for pk in rows:
        with connection.cursor() as cursor:
            cursor.execute(
                FINISH_SENT_SQL,
                [Delivery.Status.SENT, now, f"<{pk}@x>", pk, TOKEN, Delivery.Status.SENDING],
            )
    from_sql = list(Delivery.objects.filter(pk__in=rows).order_by("pk").values_list(*columns))

    again = held_rows()
    for pk in again:
        orm_rows(pk).update(
            status=Delivery.Status.SENT,
            sent_at=now,
            message_id=f"<{pk - again[0] + rows[0]}@x>",
            attempts=F("attempts") + 1,
            error="",
        )
    from_orm = list(Delivery.objects.filter(pk__in=again).order_by("pk").values_list(*columns))

    assert from_sql == from_orm
    # Only the three rows this run held were written: the others keep their state.
    assert [bool(message_id) for _status, _at, message_id, *_ in from_sql] == [
        True, True, True, False, False, False
    ]  # fmt: skip
