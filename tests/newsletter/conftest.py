from dataclasses import dataclass, field

import pytest
from celery.exceptions import Retry

from newsletter import tasks

TASKS = (
    tasks.fan_out,
    tasks.send_batch,
    tasks.send_confirmation,
    tasks.send_data_link,
    tasks.send_test,
)


@pytest.fixture(autouse=True)
def _newsletter_settings(settings):
    """Send as fast as the machine allows unless a test measures the rate limit."""
    settings.NEWSLETTER_RATE_PER_SECOND = 0


@dataclass
class QueuedTasks:
    """Stands in for the broker: records the tasks the services queue, runs them when asked."""

    calls: list[tuple] = field(default_factory=list)

    def named(self, name: str) -> list[tuple]:
        return [args for task, args, _kwargs in self.calls if task.name.endswith(f".{name}")]

    def run_all(self) -> None:
        """Run queued tasks (and those they queue) in order, as a worker would, without retries."""
        while self.calls:
            task, args, kwargs = self.calls.pop(0)
            try:
                task(*args, **kwargs)
            except Retry:
                pass  # a worker would run it again later; the rows it holds stay waiting


@pytest.fixture
def queued(monkeypatch):
    """Replace the broker for the newsletter's tasks: they are recorded, not sent to Redis."""
    queue = QueuedTasks()
    for task in TASKS:

        def record(args=None, kwargs=None, _task=task, **options):
            queue.calls.append((_task, tuple(args or ()), dict(kwargs or {})))

        monkeypatch.setattr(task, "apply_async", record)
    return queue
