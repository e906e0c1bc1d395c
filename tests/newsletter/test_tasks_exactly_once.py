"""Every subscriber receives an issue once, even when the worker is killed or the SMTP server goes away.

The worker runs as a real subprocess (prefork pool, as in production) so that it can be killed with
SIGKILL; PostgreSQL, Redis and an SMTP server on loopback are real too.
"""

import os
import time
from collections import Counter

import pytest
from django.conf import settings

from config.celery_app import app as celery_app
from newsletter.models import Delivery, Issue, Subscriber
from newsletter.services.deliveries import deliveries_sweep
from newsletter.services.issues import issue_send
from tests.newsletter import broker
from tests.newsletter.factories import IssueFactory
from tests.support.processes import Worker
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIBERS = 2000
CONCURRENCY = 2
STUCK_TIMEOUT = 6


@pytest.fixture
def worker_factory(tmp_path):
    """Return a starter of `celery worker` processes joined to this run's queue and database."""
    workers = []
    database = settings.DATABASES["default"]

    def start(smtp_port):
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "TEST_RUN_ID": os.environ["TEST_RUN_ID"],
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
                f"{database['NAME']}"
            ),
            "REDIS_URL": settings.REDIS_URL,
            "TEST_SMTP_PORT": str(smtp_port),
            "EMAIL_TIMEOUT": "3",
            "NEWSLETTER_RATE_PER_SECOND": "0",
            "NEWSLETTER_HEARTBEAT_INTERVAL": "1",
            "NEWSLETTER_STUCK_TIMEOUT": str(STUCK_TIMEOUT),
            "NEWSLETTER_RETRY_BACKOFF_MAX": "3",
        }
        worker = Worker(
            environment,
            tmp_path,
            concurrency=CONCURRENCY,
            name="exactly-once",
            queue=settings.CELERY_TASK_DEFAULT_QUEUE,
        ).start()
        workers.append(worker)
        return worker

    celery_app.control.purge()
    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def audience():
    Subscriber.objects.bulk_create(
        Subscriber(email=f"abonne{n}@example.org", status=Subscriber.Status.CONFIRMED)
        for n in range(SUBSCRIBERS)
    )
    return set(Subscriber.objects.values_list("email", flat=True))


def sent_count(issue):
    return Delivery.objects.filter(issue=issue, status=Delivery.Status.SENT).count()


def sweep_until_sent(issue, timeout):
    """Run the periodic sweeper (beat does it every minute) until the issue is sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deliveries_sweep()
        if Issue.objects.get(pk=issue.pk).status == Issue.Status.SENT:
            return
        time.sleep(1)
    raise AssertionError(f"issue not sent in time: {sent_count(issue)} sent")


def received(*servers):
    return Counter(
        address
        for server in servers
        for envelope in server.handler.envelopes
        for address in envelope.rcpt_tos
    )


def report(capsys, text):
    with capsys.disabled():
        print(f"\n[newsletter exactly-once] {text}")


def test_a_worker_killed_mid_send_loses_nothing_and_repeats_only_what_was_in_flight(
    settings, smtp_server, worker_factory, audience, capsys
):
    settings.NEWSLETTER_STUCK_TIMEOUT = STUCK_TIMEOUT
    issue = IssueFactory()
    first = worker_factory(smtp_server.port)

    issue_send(issue=issue)
    deadline = time.monotonic() + 60
    while sent_count(issue) < SUBSCRIBERS // 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.kill()
    sent_before_kill = sent_count(issue)
    held_at_kill = set(
        Delivery.objects.filter(issue=issue, status=Delivery.Status.SENDING).values_list(
            "subscriber__email", flat=True
        )
    )
    # The tasks the dead worker had taken stay unacknowledged until the broker's visibility
    # timeout (an hour) gives them back to the queue.
    tasks_of_the_dead = broker.unacked_tags()
    assert 0 < sent_before_kill < SUBSCRIBERS, "the kill must happen part-way"
    assert tasks_of_the_dead, "the dead worker was running batches"
    worker_factory(smtp_server.port)
    sweep_until_sent(issue, timeout=90)
    broker.wait_until_settled(issue, held_by_the_dead=tasks_of_the_dead)
    # Their redelivery, brought forward, must send nothing either; then nothing is left to send.
    broker.restore(tasks_of_the_dead)
    broker.wait_until_settled(issue)

    counts = received(smtp_server)
    duplicates = {address: count for address, count in counts.items() if count > 1}
    in_flight_duplicates = sum(count - 1 for count in duplicates.values())
    report(
        capsys,
        f"SIGKILL after {sent_before_kill}/{SUBSCRIBERS} sent, {len(held_at_kill)} rows and "
        f"{len(tasks_of_the_dead)} tasks held by the dead worker (tasks redelivered); "
        f"in-flight duplicates: {in_flight_duplicates}",
    )
    assert set(counts) == audience, "every subscriber received the issue"
    assert in_flight_duplicates <= CONCURRENCY
    # Only a message on its way at the kill (accepted by the server, not yet marked sent) repeats.
    assert set(duplicates) <= held_at_kill
    assert set(Delivery.objects.filter(issue=issue).values_list("status", flat=True)) == {"sent"}


def test_an_smtp_server_refusing_connections_for_20_seconds_delays_but_sends_once(
    settings, smtp_server, worker_factory, audience, capsys
):
    settings.NEWSLETTER_STUCK_TIMEOUT = STUCK_TIMEOUT
    issue = IssueFactory()
    worker_factory(smtp_server.port)

    issue_send(issue=issue)
    deadline = time.monotonic() + 60
    while sent_count(issue) < SUBSCRIBERS // 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    smtp_server.stop()
    outage_started = time.monotonic()
    sent_at_outage = sent_count(issue)
    assert sent_at_outage < SUBSCRIBERS, "the outage must happen part-way"
    while time.monotonic() - outage_started < 20:
        deliveries_sweep()
        time.sleep(1)
    stalled_at = sent_count(issue)
    # The message in flight when the server went away may have been the last one accepted.
    assert stalled_at - sent_at_outage <= CONCURRENCY
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.SENDING

    back = SmtpServer(port=smtp_server.port).start()
    try:
        sweep_until_sent(issue, timeout=90)
        # Retries scheduled during the outage may still be waiting in the worker: let them run.
        broker.wait_until_settled(issue)
    finally:
        back.stop()

    counts = received(smtp_server, back)
    duplicates = sum(count - 1 for count in counts.values())
    report(
        capsys,
        f"SMTP down 20 s after {sent_at_outage}/{SUBSCRIBERS} sent; "
        f"{sum(received(back).values())} sent after it came back; duplicates: {duplicates}",
    )
    assert set(counts) == audience
    assert duplicates == 0
