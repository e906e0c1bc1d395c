"""Akismet slow, then erroring, then back: no comment lost, none published unchecked, retries bounded.

Each check that fails (a timeout, an HTTP 500) is retried COMMENTS_CHECK_RETRIES times with a
doubling, jittered delay; a comment whose retries run out waits for an editor with the verdict
"Akismet unreachable", and one whose retry meets Akismet back gets its verdict as usual.
"""

import time

import pytest

from comments.models import Comment
from tests.blog.factories import PostFactory
from tests.comments.factories import CommentFactory
from tests.faults.visitors import Visitor
from tests.support.processes import Site, Worker
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

RETRIES = 3
AKISMET_TIMEOUT = 1
SLOW_SECONDS = 5
ERRORING_SECONDS = 5
RETURNING = "fidele@example.org"  # has an approved comment: Akismet's ham from them is published


def test_akismet_slow_then_erroring_then_back(site_env, akismet, faults_dir, figures):
    post = PostFactory(slug="akismet-en-panne")
    CommentFactory(post=post, author_email=RETURNING, body="Un ancien commentaire approuvé.")
    environment = site_env(
        AKISMET_TIMEOUT=AKISMET_TIMEOUT,
        COMMENTS_CHECK_RETRIES=RETRIES,
        COMMENTS_CHECK_RETRY_DELAY=0.5,
    )
    site = Site(environment, faults_dir, name="gunicorn-akismet").start()
    worker = Worker(environment, faults_dir, name="akismet-worker").start()
    sent = {}
    addresses = iter(range(1, 100))

    def comment(phase, email):
        visitor = Visitor(site.url, ip=f"203.0.113.{next(addresses)}")
        try:
            *_page, answer = visitor.comment(
                post.get_absolute_url(),
                name=f"{phase} {email}",
                email=email,
                body=f"{phase}: {email}",
            )
        finally:
            visitor.close()
        assert answer.status == 302
        sent[f"{phase} {email}"] = phase

    try:
        akismet.behave(delay=AKISMET_TIMEOUT * 2)
        for email in (RETURNING, "nouvelle@example.org"):
            comment("slow", email)
        time.sleep(SLOW_SECONDS)
        akismet.behave(failing=True)
        for email in (RETURNING, "autre@example.org"):
            comment("erroring", email)
        time.sleep(ERRORING_SECONDS)
        for email in (RETURNING, "derniere@example.org"):
            comment("back", email)
        akismet.behave()
        wait_until(
            lambda: not Comment.objects.filter(post=post).unchecked().exists(),
            timeout=60,
            what="every comment to get a verdict or be left to an editor",
        )
    finally:
        worker.stop()
        site.stop()

    outcome = {
        c.author_name: (c.status, c.verdict)
        for c in Comment.objects.filter(author_name__in=list(sent))
    }
    # Nothing lost.
    assert set(outcome) == set(sent)
    # Retries ran out during the outage: left to an editor, never published.
    assert outcome[f"slow {RETURNING}"] == ("pending", "error")
    assert outcome["slow nouvelle@example.org"] == ("pending", "error")
    # Checked once Akismet was back: the returning reader is published, the newcomer waits.
    assert outcome[f"back {RETURNING}"] == ("approved", "ham")
    assert outcome["back derniere@example.org"] == ("pending", "ham")
    # Nothing published unchecked, whatever the timing of the comments sent while it erred.
    for status, verdict in outcome.values():
        assert status != "approved" or verdict == "ham"
        assert verdict in ("ham", "error")
    # Retries bounded: at most 1 + COMMENTS_CHECK_RETRIES calls per comment.
    calls = {name: 0 for name in sent}
    for fields in akismet.checks():
        calls[fields["comment_author"]] += 1
    assert max(calls.values()) <= 1 + RETRIES
    assert all(c.check_attempts <= 1 + RETRIES for c in Comment.objects.filter(post=post))
    left_to_editor = [name for name, (_s, verdict) in outcome.items() if verdict == "error"]
    assert set(left_to_editor) <= set(
        Comment.objects.waiting().values_list("author_name", flat=True)
    )

    figures(
        comments=len(sent),
        akismet_down_seconds=SLOW_SECONDS + ERRORING_SECONDS,
        akismet_calls=sum(calls.values()),
        most_calls_for_one_comment=max(calls.values()),
        left_to_an_editor=len(left_to_editor),
        checked_after_return=len(sent) - len(left_to_editor),
        published_unchecked=sum(1 for s, v in outcome.values() if s == "approved" and v != "ham"),
        lost=len(set(sent) - set(outcome)),
    )
