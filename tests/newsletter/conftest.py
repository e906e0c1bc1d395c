from dataclasses import dataclass, field

import pytest
from django.db import transaction

from newsletter import services


@pytest.fixture(autouse=True)
def _newsletter_settings(settings):
    """Send as fast as the machine allows unless a test measures the rate limit."""
    settings.NEWSLETTER_RATE_PER_SECOND = 0


@dataclass
class QueuedTasks:
    """Stands in for the broker: records what the services enqueue, runs it when asked."""

    calls: list[tuple[str, tuple, dict]] = field(default_factory=list)

    def named(self, name: str) -> list[tuple]:
        return [args for task, args, _kwargs in self.calls if task == name]

    def run_all(self) -> None:
        """Run queued tasks (and those they queue) in order, as a worker would."""
        while self.calls:
            name, args, kwargs = self.calls.pop(0)
            RUNNERS[name](*args, **kwargs)


RUNNERS = {
    "fan_out": lambda issue_id, requeue=False: services.issue_fan_out(
        issue_id=issue_id, requeue=requeue
    ),
    "send_batch": lambda issue_id, ids: services.batch_send(issue_id=issue_id, delivery_ids=ids),
    "send_confirmation": lambda subscriber_id: services.confirmation_send(
        subscriber_id=subscriber_id
    ),
    "send_data_link": lambda subscriber_id: services.data_link_send(subscriber_id=subscriber_id),
    "send_test": lambda issue_id, to, language: services.issue_test_copy_deliver(
        issue_id=issue_id, to=to, language=language
    ),
}


class _FakeTask:
    def __init__(self, name, queue):
        self.name, self.queue = name, queue

    def delay(self, *args, **kwargs):
        self.queue.calls.append((self.name, args, kwargs))

    def delay_on_commit(self, *args, **kwargs):
        transaction.on_commit(lambda: self.delay(*args, **kwargs))


class _FakeTasks:
    def __init__(self, queue):
        for name in RUNNERS:
            setattr(self, name, _FakeTask(name, queue))


@pytest.fixture
def queued(monkeypatch):
    """Replace the broker for the services: enqueued tasks are recorded, not sent to Redis."""
    queue = QueuedTasks()
    monkeypatch.setattr(services, "tasks", _FakeTasks(queue))
    return queue
