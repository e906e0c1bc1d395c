"""The Celery application: configured from Django settings, tasks found in each app's tasks.py."""

import logging

from celery import Celery
from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from config.heartbeat import Heartbeat
from config.settings.variables import choose_settings

choose_settings(default="config.settings.local")

logger = logging.getLogger(__name__)


class Task(DjangoTask):
    """A task whose queueing on commit never fails, nor holds up, the request that stored the row."""

    def delay_on_commit(self, *args, **kwargs) -> None:
        self.apply_async_on_commit(args, kwargs)

    def apply_async_on_commit(self, args=None, kwargs=None, **options) -> None:
        # Once the row is committed the request has done its part: with the broker down, one
        # attempt (no retry loop: see CELERY_BROKER_TRANSPORT_OPTIONS), a warning, and the
        # task's periodic sweeper sends it when the broker is back (docs/RELIABILITY.md).
        # A function, not a functools.partial: Django names a failing robust callback in its log.
        def send() -> None:
            self._send_or_leave_to_sweeper(args, kwargs, options)

        transaction.on_commit(send, robust=True)

    def _send_or_leave_to_sweeper(self, args, kwargs, options) -> None:
        try:
            self.apply_async(args, kwargs, retry=False, **options)
        except BrokerUnavailable as error:
            logger.warning("%s not queued, left to its sweeper: %s", self.name, error)


app = Celery("chezsoi", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every worker tells the site it is alive (config/heartbeat.py).
app.steps["worker"].add(Heartbeat)
