"""Mixed traffic for LOAD_SECONDS (60 by default) against gunicorn with production settings.

Readers go round the home page, posts and the feed without pausing; commenters and subscribers
arrive at a steady rate, each from their own address (X-Real-IP, as the reverse proxy sets it),
so that the per-address limits stay out of the way. Every request must succeed, and every
accepted comment and signup must be stored and processed (checked by Akismet, confirmation
email received) once the traffic stops.
"""

import os
import time

import pytest

from comments.models import Comment
from newsletter.models import Subscriber
from tests.blog.factories import PostFactory, TagFactory
from tests.comments.factories import CommentFactory
from tests.faults.conftest import latency_summary
from tests.faults.visitors import Traffic
from tests.support.processes import Site, Worker
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
READERS = 4
COMMENTS_PER_SECOND = 2
SIGNUPS_PER_SECOND = 1


def test_mixed_traffic_against_production_settings(site_env, mail_server, faults_dir, figures):
    tag = TagFactory(slug="vie-quotidienne")
    posts = PostFactory.create_batch(12, tags=[tag])
    for post in posts[:3]:
        CommentFactory.create_batch(20, post=post)
    post_paths = [post.get_absolute_url() for post in posts[:3]]
    read_paths = ["/", *post_paths, "/feed/", "/en/", f"/tag/{tag.slug}/", "/?page=2"]
    environment = site_env()
    site = Site(environment, faults_dir, name="gunicorn-load").start()
    worker = Worker(environment, faults_dir, name="load-worker").start()
    traffic = Traffic(
        site.url,
        read_paths=read_paths,
        post_paths=post_paths,
        readers=READERS,
        comments_per_second=COMMENTS_PER_SECOND,
        signups_per_second=SIGNUPS_PER_SECOND,
    )
    try:
        started = time.monotonic()
        traffic.start()
        time.sleep(LOAD_SECONDS)
        answers = traffic.stop()
        elapsed = time.monotonic() - started
        accepted_comments = [a.sent for a in answers if a.kind == "comment" and a.status == 302]
        accepted_signups = [a.sent for a in answers if a.kind == "subscribe" and a.status == 302]
        wait_until(
            lambda: not Comment.objects.unchecked().exists(),
            timeout=120,
            what="every comment to be checked",
        )
        mail_server.wait_for(len(accepted_signups), timeout=120)
        # The worker records the sending just after the SMTP server has the message.
        wait_until(
            lambda: (
                not Subscriber.objects.filter(
                    email__in=accepted_signups, confirmation_sent_at__isnull=True
                ).exists()
            ),
            timeout=30,
            what="every confirmation to be recorded as sent",
        )
    finally:
        traffic.stopping.set()
        worker.stop()
        site.stop()

    statuses = {a.status for a in answers}
    assert not [a for a in answers if a.status >= 500], statuses
    assert statuses <= {200, 302}, statuses
    comments = [a for a in answers if a.kind == "comment"]
    signups = [a for a in answers if a.kind == "subscribe"]
    assert len(accepted_comments) == len(comments) > 0
    assert len(accepted_signups) == len(signups) > 0
    # Stored and processed: every comment checked, every signup sent its confirmation.
    stored = set(Comment.objects.filter(body__in=accepted_comments).values_list("body", flat=True))
    assert stored == set(accepted_comments)
    assert not Comment.objects.filter(body__in=accepted_comments, verdict="").exists()
    subscribers = Subscriber.objects.filter(email__in=accepted_signups)
    assert subscribers.count() == len(accepted_signups)
    assert not subscribers.filter(confirmation_sent_at__isnull=True).exists()
    confirmed_to = sorted(address for m in mail_server.messages for address in [m["To"]])
    assert confirmed_to == sorted(accepted_signups)

    reads = [a for a in answers if a.kind == "read"]
    figures(
        seconds=round(elapsed),
        requests=len(answers),
        requests_per_second=round(len(answers) / elapsed),
        server_errors=sum(a.server_error for a in answers),
        comments_accepted=len(accepted_comments),
        comments_stored=len(stored),
        comments_checked=len(accepted_comments),
        signups_accepted=len(accepted_signups),
        confirmations_received=len(confirmed_to),
        **{
            f"all_{key}": value
            for key, value in latency_summary([a.seconds for a in answers]).items()
        },
        **{
            f"read_{key}": value
            for key, value in latency_summary([a.seconds for a in reads]).items()
        },
        **{
            f"comment_post_{key}": value
            for key, value in latency_summary([a.seconds for a in comments]).items()
        },
        **{
            f"subscribe_post_{key}": value
            for key, value in latency_summary([a.seconds for a in signups]).items()
        },
    )
