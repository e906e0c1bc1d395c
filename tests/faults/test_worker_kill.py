"""The Celery worker is killed with SIGKILL during a burst of spam checks: every check completes.

Two kills: one pool process (the worker's main process sees it die and, with
`task_reject_on_worker_lost`, puts its task back at once), then the whole worker at once (its
unacknowledged tasks come back from Redis after the visibility timeout, when a worker starts).
Checks are acknowledged only when done (`task_acks_late`), so a kill loses none; the only
repeats are Akismet calls that were in flight at a kill, and a repeated check files nothing twice.
"""

import os
import signal
import time
from collections import Counter

import pytest

from comments.models import Comment, ModerationDecision
from tests.blog.factories import PostFactory
from tests.comments.factories import CommentFactory
from tests.support.processes import Worker
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

BURST = 40
AKISMET_SECONDS = 0.3
VISIBILITY_TIMEOUT = 4


def in_flight(akismet, post) -> set[str]:
    """Return the comments Akismet was asked about whose verdict is not stored yet."""
    asked = {fields["comment_author"] for fields in akismet.checks()}
    checked = set(
        Comment.objects.filter(post=post).exclude(verdict="").values_list("author_name", flat=True)
    )
    return asked - checked


def test_worker_killed_during_a_burst_of_spam_checks(site_env, akismet, faults_dir, figures):
    post = PostFactory(slug="controle-en-rafale")
    comments = CommentFactory.create_batch(BURST, post=post, pending=True)
    environment = site_env(CELERY_BROKER_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT)
    akismet.behave(delay=AKISMET_SECONDS)
    worker = Worker(environment, faults_dir, name="kill-worker").start()
    try:
        for comment in comments:
            worker.control.send_task("comments.tasks.check_comment", args=[comment.pk])

        wait_until(
            lambda: len(akismet.checks()) >= 6 and in_flight(akismet, post),
            timeout=30,
            what="the burst to be under way",
        )
        os.kill(worker.children()[0], signal.SIGKILL)
        # Read after the kill: the killed process's check stays unanswered until it runs again.
        in_flight_at_child_kill = in_flight(akismet, post)

        wait_until(
            lambda: len(akismet.checks()) >= 16 and in_flight(akismet, post),
            timeout=30,
            what="the burst to go on",
        )
        worker.kill()
        in_flight_at_worker_kill = in_flight(akismet, post)
        checked_at_worker_kill = Comment.objects.filter(post=post).exclude(verdict="").count()
        # Past the visibility timeout, the next worker to start takes back what the dead one held.
        time.sleep(VISIBILITY_TIMEOUT + 1)
        worker.supervise()
        wait_until(
            lambda: not Comment.objects.filter(post=post).unchecked().exists(),
            timeout=90,
            what="every check to complete",
        )
    finally:
        worker.stop()

    assert 0 < checked_at_worker_kill < BURST, "the kill must happen part-way"
    assert in_flight_at_child_kill and in_flight_at_worker_kill
    # Every check completed, and filed its comment once.
    assert Comment.objects.filter(post=post, verdict="ham").count() == BURST
    decisions = Counter(
        ModerationDecision.objects.filter(comment__post=post).values_list("comment_id", flat=True)
    )
    assert set(decisions.values()) == {1} and len(decisions) == BURST
    # Akismet was asked twice only about comments in flight at a kill.
    asked = Counter(fields["comment_author"] for fields in akismet.checks())
    repeated = {author for author, count in asked.items() if count > 1}
    assert repeated <= in_flight_at_child_kill | in_flight_at_worker_kill

    figures(
        checks=BURST,
        kills=2,
        in_flight_at_pool_process_kill=len(in_flight_at_child_kill),
        in_flight_at_worker_kill=len(in_flight_at_worker_kill),
        checks_completed=Comment.objects.filter(post=post).exclude(verdict="").count(),
        akismet_calls=sum(asked.values()),
        akismet_calls_repeated=sum(count - 1 for count in asked.values()),
        comments_filed_twice=sum(count - 1 for count in decisions.values()),
    )
