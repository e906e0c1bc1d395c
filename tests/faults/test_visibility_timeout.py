"""A newsletter send longer than the broker's visibility timeout sends nothing twice.

Redis gives a task that is still unacknowledged after the visibility timeout to the next worker
that starts (with `task_acks_late`, a long task is unacknowledged while it runs). Production keeps
task time limits far below the timeout (docs/RELIABILITY.md); this test makes the timeout short
on purpose so that batches are handed out again while a first worker is still sending them: the
second run claims no row (pending → sending is a guarded update) and sends nothing.
"""

import re
import time
from collections import Counter

import pytest

from newsletter.models import Delivery, Issue, Subscriber
from tests.newsletter.factories import IssueFactory
from tests.support.processes import Worker, manage
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

SUBSCRIBERS = 200
VISIBILITY_TIMEOUT = 2
# Two batches of 100 sent side by side at 20 messages a second in all: each takes about 10 s,
# far longer than the visibility timeout.
RATE_PER_SECOND = 20
RECEIVED = re.compile(r"Task newsletter\.tasks\.send_batch\[([0-9a-f-]+)\] received")


def batch_runs(*workers) -> Counter:
    """Return how many times each send_batch task was handed to a worker, from their logs."""
    return Counter(
        task_id
        for worker in workers
        for task_id in RECEIVED.findall(worker.process.log_path.read_text(errors="replace"))
    )


def test_a_send_longer_than_the_visibility_timeout_sends_nothing_twice(
    site_env, mail_server, faults_dir, figures
):
    Subscriber.objects.bulk_create(
        Subscriber(email=f"longue-{n}@example.org", status=Subscriber.Status.CONFIRMED)
        for n in range(SUBSCRIBERS)
    )
    issue = IssueFactory(subject="Un long envoi")
    environment = site_env(
        CELERY_BROKER_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT,
        NEWSLETTER_RATE_PER_SECOND=RATE_PER_SECOND,
        NEWSLETTER_BATCH_SIZE=100,
    )
    first = Worker(environment, faults_dir, name="long-send-1", loglevel="INFO").start()
    second = Worker(environment, faults_dir, name="long-send-2", loglevel="INFO")
    try:
        manage(
            environment,
            "shell",
            "-c",
            "from newsletter.services.issues import issue_send; from newsletter.models import Issue; "
            f"issue_send(issue=Issue.objects.get(pk={issue.pk}))",
        )
        wait_until(
            lambda: Delivery.objects.filter(issue=issue, status="sent").exists(),
            timeout=30,
            what="the send to start",
        )
        # The batches in the first worker's hands outlive the visibility timeout; a worker that
        # starts now is handed them again.
        time.sleep(VISIBILITY_TIMEOUT + 1)
        second.start()
        wait_until(
            lambda: Issue.objects.get(pk=issue.pk).status == Issue.Status.SENT,
            timeout=90,
            what="the issue to be sent",
        )
        time.sleep(1)  # anything sent twice would have arrived by now
    finally:
        second.stop()
        first.stop()

    runs = batch_runs(first, second)
    handed_twice = sum(1 for count in runs.values() if count > 1)
    assert handed_twice, "no batch was redelivered: the test did not reach its condition"
    received = Counter(
        address for envelope in mail_server.handler.envelopes for address in envelope.rcpt_tos
    )
    assert len(received) == SUBSCRIBERS
    assert set(received.values()) == {1}
    assert set(Delivery.objects.filter(issue=issue).values_list("status", flat=True)) == {"sent"}

    figures(
        subscribers=SUBSCRIBERS,
        visibility_timeout_seconds=VISIBILITY_TIMEOUT,
        batch_tasks=len(runs),
        batch_tasks_run_twice=handed_twice,
        messages_received=sum(received.values()),
        messages_sent_twice=sum(count - 1 for count in received.values()),
    )
