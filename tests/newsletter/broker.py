"""Look into this test run's Celery queue on Redis, to wait until the newsletter's work is provably over.

"Nothing was sent twice" can only be asserted once nothing more can be sent: every delivery of the
issue is in a final state, and no task of this run waits in the queue, runs, or sits prefetched or
scheduled for a retry in a worker (kombu keeps those in its `unacked` hash until acknowledged).
"""

import json
import time

import redis
from django.conf import settings
from kombu.transport.redis import PRIORITY_STEPS, Channel

from config.celery_app import app as celery_app
from newsletter.models import Delivery, Issue


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def queued_count() -> int:
    """Return how many messages wait in this run's queue, at every priority level."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    names = [queue] + [f"{queue}{Channel.sep}{step}" for step in PRIORITY_STEPS if step]
    client = _redis()
    return sum(client.llen(name) for name in names)


def unacked_tags() -> set[str]:
    """Return the tags of this run's messages that a worker took and has not acknowledged yet."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    # The hash is shared by every queue of the Redis database: keep this run's messages only.
    return {
        tag.decode()
        for tag, entry in _redis().hgetall(Channel.unacked_key).items()
        if json.loads(entry)[2] == queue
    }


def restore(tags: set[str]) -> None:
    """Put back in the queue messages a dead worker held, as Redis would after their visibility timeout."""
    with celery_app.connection_for_write() as connection:
        qos = connection.default_channel.qos
        for tag in tags:
            qos.restore_by_tag(tag)


def _settled(issue: Issue, held_by_the_dead: set[str]) -> bool:
    fanned_out = Issue.objects.filter(pk=issue.pk, fanned_out_at__isnull=False).exists()
    return (
        fanned_out
        and not Delivery.objects.filter(issue=issue).unfinished().exists()
        and queued_count() == 0
        and unacked_tags() <= held_by_the_dead
    )


def wait_until_settled(
    issue: Issue, *, held_by_the_dead: set[str] = frozenset(), timeout: float = 60
) -> None:
    """Wait until every delivery of `issue` is final and no task of this run is left anywhere.

    `held_by_the_dead`: messages a killed worker took; they stay unacknowledged until restored.
    Between a worker's pop from the queue and its note in `unacked` a message is briefly in
    neither, so the state must hold on a few looks in a row.
    """
    deadline = time.monotonic() + timeout
    calm = 0
    while time.monotonic() < deadline:
        calm = calm + 1 if _settled(issue, held_by_the_dead) else 0
        if calm == 3:
            return
        time.sleep(0.1)
    raise AssertionError(
        f"work on issue {issue.pk} not over in {timeout} s: "
        f"{Delivery.objects.filter(issue=issue).unfinished().count()} deliveries unfinished, "
        f"{queued_count()} messages queued, {len(unacked_tags() - held_by_the_dead)} unacked"
    )
