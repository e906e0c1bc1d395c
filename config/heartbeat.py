"""The task workers' heartbeat: each worker writes it, the admin, the outbox and /healthz/worker read it.

A worker that died, hung at start or lost Redis stops beating; two minutes later the site says so
instead of letting emails and spam checks wait unseen (docs/RELIABILITY.md).
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from celery import bootsteps
from django.core.cache import cache
from redis import RedisError

logger = logging.getLogger(__name__)

CACHE_KEY = "worker-heartbeat"
BEAT_SECONDS = 30
# Four beats missed: a worker busy with long tasks still beats, from a thread of its own.
SILENT_AFTER_SECONDS = 120


def beat() -> None:
    """Record that a worker is alive now."""
    # No expiry: once every worker is gone, the site can still say when one last answered.
    cache.set(CACHE_KEY, time.time(), timeout=None)


@dataclass(frozen=True)
class WorkerStatus:
    # When a worker last checked in; None if none ever did (or Redis could not be read).
    last_seen: datetime | None
    age_seconds: float | None
    # False when Redis could not be read: no worker can get tasks then either.
    readable: bool = True

    @property
    def silent(self) -> bool:
        return self.age_seconds is None or self.age_seconds > SILENT_AFTER_SECONDS


def worker_status() -> WorkerStatus:
    """Return when a task worker last checked in, and whether that was too long ago."""
    try:
        stamp = cache.get(CACHE_KEY)
    except RedisError as error:
        logger.warning("Worker heartbeat unreadable: %s", error)
        return WorkerStatus(last_seen=None, age_seconds=None, readable=False)
    if stamp is None:
        return WorkerStatus(last_seen=None, age_seconds=None)
    return WorkerStatus(
        last_seen=datetime.fromtimestamp(stamp, tz=UTC),
        age_seconds=max(0.0, time.time() - stamp),
    )


class Heartbeat(bootsteps.StartStopStep):
    """Beat every BEAT_SECONDS from the worker's main process, from start until it stops."""

    # Once the pool is up the worker can run tasks; the consumer starts last, after this step.
    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, parent):
        self.stopped.clear()
        # A thread, not the worker's timer: a task running in a solo or thread pool would hold
        # the timer back and make a busy worker look dead. A daemon: it dies with the process.
        self.thread = threading.Thread(
            target=self.beat_until_stopped, name="heartbeat", daemon=True
        )
        self.thread.start()

    def stop(self, parent):
        self.stopped.set()

    def terminate(self, parent):
        self.stopped.set()

    def beat_until_stopped(self) -> None:
        while True:
            try:
                beat()
            except RedisError as error:
                logger.warning("Worker heartbeat not written: %s", error)
            if self.stopped.wait(BEAT_SECONDS):
                return
