"""The SMTP server is down, then back: every email still goes out, once.

Confirmation emails retry by themselves (exponential backoff, at most 8 times); the "comments are
waiting" email is sent by a periodic task that marks nothing as announced until it succeeds; a
reply notification releases its claim when the server fails and its task retries later.
"""

import time

import pytest

from comments.models import Comment
from newsletter.models import Subscriber
from tests.blog.factories import EditorFactory, PostFactory
from tests.comments.factories import CommentFactory
from tests.faults.visitors import Visitor
from tests.support.processes import Site, Worker
from tests.support.smtp import SmtpServer

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

DOWN_SECONDS = 6
SIGNUPS = 3


def test_smtp_down_then_back(site_env, mail_server, faults_dir, figures):
    editor = EditorFactory(email="editrice@example.org")
    post = PostFactory(slug="courriel-en-panne", author=editor)
    thread = CommentFactory(post=post, author_email="alice@example.org", notify_replies=True)
    reply = CommentFactory(post=post, parent=thread, author_email="bob@example.org")
    waiting = CommentFactory(post=post, status=Comment.Status.PENDING, verdict="ham")
    environment = site_env()
    site = Site(environment, faults_dir, name="gunicorn-smtp").start()
    worker = Worker(environment, faults_dir, name="smtp-worker").start()
    port = mail_server.port
    try:
        mail_server.stop()
        down_at = time.monotonic()
        for n in range(SIGNUPS):
            visitor = Visitor(site.url, ip=f"203.0.113.{n + 1}")
            *_page, answer = visitor.subscribe(email=f"courriel-{n}@example.org")
            visitor.close()
            assert answer.status == 302
        # What approving the reply queues, and the periodic moderation email.
        worker.control.send_task("comments.tasks.notify_reply", args=[reply.pk])
        worker.control.send_task("comments.tasks.send_moderation_email")
        time.sleep(DOWN_SECONDS)
        assert not Subscriber.objects.filter(confirmation_sent_at__isnull=False).exists()

        mail_server = SmtpServer(port=port).start()
        back_at = time.monotonic()
        # Beat's next run of the moderation email, and the reply task's own retry (due 30 to 90 s
        # after the failure: the test sends it now rather than wait).
        worker.control.send_task("comments.tasks.send_moderation_email")
        worker.control.send_task("comments.tasks.notify_reply", args=[reply.pk])
        expected = SIGNUPS + 2  # confirmations, the reply notification, the editor's notice
        mail_server.wait_for(expected, timeout=60)
        delivered_after = time.monotonic() - back_at
        time.sleep(2)  # anything sent twice would have arrived by now
    finally:
        worker.stop()
        site.stop()
        mail_server.stop()

    recipients = sorted(
        address for envelope in mail_server.handler.envelopes for address in envelope.rcpt_tos
    )
    # Everything arrived, once: confirmations, the reply notification, the editor's notice.
    assert recipients == sorted(
        [f"courriel-{n}@example.org" for n in range(SIGNUPS)]
        + ["alice@example.org", "editrice@example.org"]
    )
    assert not Subscriber.objects.filter(confirmation_sent_at__isnull=True).exists()
    assert Comment.objects.filter(pk=waiting.pk, moderators_notified_at__isnull=False).exists()

    figures(
        smtp_down_seconds=round(back_at - down_at, 1),
        emails_expected=expected,
        emails_delivered=len(recipients),
        emails_duplicated=len(recipients) - len(set(recipients)),
        delivered_within_seconds_of_return=round(delivered_after, 1),
    )
