"""Queueing a task after commit never fails the request: with the broker down, the sweeper sends it."""

import logging

import pytest
from kombu.exceptions import OperationalError

from comments import tasks as comment_tasks
from config.celery_app import Task
from newsletter import tasks as newsletter_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """Make every publish fail as it does when Redis refuses connections; record how it was tried."""
    attempts = []

    def refuse(self, args=None, kwargs=None, **options):
        attempts.append((self.name, args, options))
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    return attempts


def test_a_task_queued_on_commit_with_the_broker_down_is_left_to_its_sweeper(
    broker_down, django_capture_on_commit_callbacks, caplog
):
    with caplog.at_level(logging.WARNING, logger="config.celery_app"):
        with django_capture_on_commit_callbacks(execute=True):
            newsletter_tasks.send_confirmation.delay_on_commit(42)
            comment_tasks.check_comment.apply_async_on_commit((7,))

    # Tried once each, without the publish retry loop, and nothing raised into the request.
    assert broker_down == [
        ("newsletter.tasks.send_confirmation", (42,), {"retry": False}),
        ("comments.tasks.check_comment", (7,), {"retry": False}),
    ]
    assert "newsletter.tasks.send_confirmation not queued, left to its sweeper" in caplog.text


def test_nothing_is_sent_before_the_transaction_commits(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        newsletter_tasks.send_confirmation.delay_on_commit(42)

    assert broker_down == []
    assert len(callbacks) == 1


def test_every_task_lives_where_the_workers_look_for_them():
    # Workers import each app's `tasks` module (app.autodiscover_tasks()) and nothing else: a task
    # defined elsewhere is "unregistered" in a worker, and its message is dropped.
    import ast
    from pathlib import Path

    from django.conf import settings

    misplaced = []
    for path in Path(settings.BASE_DIR).glob("*/**/*.py"):
        if path.parts[len(Path(settings.BASE_DIR).parts)] in {".venv", "tests", "bench", "var"}:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            decorators = getattr(node, "decorator_list", [])
            names = {ast.unparse(d).split("(")[0] for d in decorators}
            if names & {"shared_task", "app.task"} and path.name != "tasks.py":
                misplaced.append(f"{path.relative_to(settings.BASE_DIR)}: {node.name}")
    assert misplaced == []
