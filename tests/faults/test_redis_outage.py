"""Redis stops while readers comment and visitors subscribe: nothing is refused, nothing is lost.

Redis is the cache and the Celery broker. While it is down the site answers as usual and stores
every comment and signup; the tasks that could not be queued are sent by the sweepers once it is
back, so that every comment is checked and every confirmation email goes out, once.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from comments.models import Comment
from newsletter.models import Subscriber
from tests.blog.factories import PostFactory
from tests.faults.conftest import latency_summary
from tests.faults.visitors import Visitor
from tests.support.processes import Site, Worker
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

# Per phase: before the outage, during it, after Redis is back.
COMMENTS_PER_PHASE = {"before": 4, "during": 10, "after": 4}
SIGNUPS_PER_PHASE = {"before": 3, "during": 6, "after": 3}
# The broker is tried once and a failure left to the sweeper: a request must not wait on it.
OUTAGE_REQUEST_LIMIT_SECONDS = 2.0


def visit(site, post, phase, counter):
    """Comment, subscribe and read as the phase's visitors; return every answer."""
    answers = []
    for n in range(max(COMMENTS_PER_PHASE[phase], SIGNUPS_PER_PHASE[phase])):
        counter[0] += 1
        visitor = Visitor(site.url, ip=f"198.51.100.{counter[0]}")
        try:
            answers.append(visitor.read("/", kind="read"))
            answers.append(visitor.read("/feed/", kind="read"))
            if n < COMMENTS_PER_PHASE[phase]:
                answers += visitor.comment(
                    post.get_absolute_url(),
                    name=f"Lectrice {phase} {n}",
                    email=f"{phase}{n}@example.org",
                    body=f"Commentaire {phase} numéro {n}.",
                )
            if n < SIGNUPS_PER_PHASE[phase]:
                answers += visitor.subscribe(email=f"abonnee-{phase}-{n}@example.org")
        finally:
            visitor.close()
    return answers


def test_redis_stopped_while_readers_comment_and_visitors_subscribe(
    site_env, private_redis, mail_server, akismet, faults_dir, figures
):
    post = PostFactory(slug="panne-redis")
    environment = site_env()
    site = Site(environment, faults_dir).start()
    worker = Worker(environment, faults_dir, name="redis-outage-worker").start()
    counter = [0]
    try:
        # Akismet slows down so that checks are still in the worker's hands when Redis stops.
        akismet.behave(delay=1.5)
        before = visit(site, post, "before", counter)

        private_redis.stop()
        during = visit(site, post, "during", counter)
        private_redis.start()
        akismet.behave(delay=0)

        after = visit(site, post, "after", counter)
        # A worker that loses Redis with a task in hand may exit (kombu 5.7 fails to restore the
        # task on a closed connection): the supervisor starts it again (docs/RELIABILITY.md).
        worker_restarted = worker.supervise()
        worker.wait_ready()
        # Five minutes later the sweepers find what was never queued; the test does not wait
        # five minutes, it moves the comments' due time back.
        Comment.objects.unchecked().update(check_due_at=timezone.now() - timedelta(minutes=6))
        worker.control.send_task("comments.tasks.sweep_unchecked_comments")
        worker.control.send_task("newsletter.tasks.requeue_confirmations")

        submitted_comments = sum(COMMENTS_PER_PHASE.values())
        submitted_signups = sum(SIGNUPS_PER_PHASE.values())
        wait_until(
            lambda: not Comment.objects.filter(post=post).unchecked().exists(),
            timeout=60,
            what="every comment to be checked",
        )
        mail_server.wait_for(submitted_signups, timeout=60)
        # The worker records the sending just after the SMTP server has the message.
        wait_until(
            lambda: not Subscriber.objects.filter(confirmation_sent_at__isnull=True).exists(),
            timeout=30,
            what="every confirmation to be recorded as sent",
        )
    finally:
        worker.stop()
        site.stop()

    answers = before + during + after
    by_kind = {
        kind: [a for a in answers if a.kind == kind] for kind in ("read", "comment", "subscribe")
    }
    # Every request got its normal answer, during the outage too.
    assert [a.status for a in by_kind["read"]] == [200] * len(by_kind["read"])
    assert all(a.status == 302 and "#comment-" in a.location for a in by_kind["comment"])
    assert all(
        a.status == 302 and a.location.endswith("/newsletter/thanks/") for a in by_kind["subscribe"]
    )
    # Stored = submitted = processed.
    comments = Comment.objects.filter(post=post)
    assert comments.count() == len(by_kind["comment"]) == submitted_comments
    assert comments.exclude(verdict="").count() == submitted_comments
    subscribers = Subscriber.objects.all()
    assert subscribers.count() == len(by_kind["subscribe"]) == submitted_signups
    assert not subscribers.filter(confirmation_sent_at__isnull=True).exists()
    # One confirmation email each, none twice.
    recipients = sorted(message["To"] for message in mail_server.messages)
    assert recipients == sorted(subscribers.values_list("email", flat=True))
    # Nobody waited on the broker during the outage.
    outage_posts = [a.seconds for a in during if a.kind in ("comment", "subscribe")]
    assert max(outage_posts) < OUTAGE_REQUEST_LIMIT_SECONDS, outage_posts

    figures(
        requests=len(answers),
        requests_during_outage=len(during),
        comments_submitted=submitted_comments,
        comments_stored=comments.count(),
        comments_checked=comments.exclude(verdict="").count(),
        signups_submitted=submitted_signups,
        signups_stored=subscribers.count(),
        confirmations_sent=len(recipients),
        server_errors=sum(a.server_error for a in answers),
        worker_restarted=worker_restarted,
        **{f"outage_posts_{key}": value for key, value in latency_summary(outage_posts).items()},
    )
