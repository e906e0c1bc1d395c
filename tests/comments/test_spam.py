from datetime import UTC, datetime

import akismet
import httpx
import pytest
from django.core.cache import cache

from comments import spam
from comments.models import Comment
from tests.blog.factories import EditorFactory, PostFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db


def test_check_sends_akismet_the_whole_context(akismet_requests, settings):
    settings.AKISMET_BLOG_URL = "https://blog.example.org"
    post = PostFactory(slug="le-pain")
    parent = CommentFactory(post=post)
    reply = CommentFactory(
        parent=parent,
        pending=True,
        author_name="Zoé",
        author_email="zoe@example.org",
        author_url="https://zoe.example.org",
        body="Merci !",
        language="en",
        ip_address="2001:db8::1",
    )
    Comment.objects.filter(pk=reply.pk).update(created_at=datetime(2025, 3, 1, 12, 30, tzinfo=UTC))
    reply.refresh_from_db()

    assert spam.check(reply) == Comment.Verdict.HAM

    [(_, verify), (path, fields)] = akismet_requests
    assert verify == {"key": "test-key", "blog": "https://blog.example.org"}
    assert path == "/1.1/comment-check"
    assert fields == {
        "api_key": "test-key",
        "blog": "https://blog.example.org",
        "user_ip": "2001:db8::1",
        "user_agent": reply.user_agent,
        "referrer": reply.referrer,
        "permalink": "http://testserver/en/le-pain/",
        "comment_type": "reply",
        "comment_author": "Zoé",
        "comment_author_email": "zoe@example.org",
        "comment_author_url": "https://zoe.example.org",
        "comment_content": "Merci !",
        "comment_date_gmt": "2025-03-01T12:30:00+00:00",
        "comment_post_modified_gmt": fields["comment_post_modified_gmt"],
        "blog_lang": "fr, en",
        "blog_charset": "UTF-8",
        "is_test": "true",
    }
    assert fields["comment_post_modified_gmt"].endswith("+00:00")


def test_staff_are_sent_as_administrators_and_production_checks_are_real(
    akismet_requests, settings
):
    settings.AKISMET_IS_TEST = False
    editor = EditorFactory()
    comment = CommentFactory(pending=True, user=editor, author_email=editor.email)

    spam.check(comment)

    fields = akismet_requests[-1][1]
    assert fields["user_role"] == "administrator"
    assert fields["comment_type"] == "comment"
    assert "is_test" not in fields


def test_the_key_is_verified_once_a_day_not_before_every_check(akismet_requests):
    first, second = CommentFactory(pending=True), CommentFactory(pending=True)

    spam.check(first)
    spam.check(second)

    assert [path for path, _fields in akismet_requests] == [
        "/1.1/verify-key",
        "/1.1/comment-check",
        "/1.1/comment-check",
    ]


def test_reports_send_the_stored_context(akismet_requests):
    comment = CommentFactory(ip_address="203.0.113.9")

    spam.report_spam(comment)
    spam.report_ham(comment)

    assert [path for path, _fields in akismet_requests][-2:] == [
        "/1.1/submit-spam",
        "/1.1/submit-ham",
    ]
    assert akismet_requests[-1][1]["user_ip"] == "203.0.113.9"


@pytest.mark.parametrize(
    ("response", "verdict"),
    [
        (akismet.CheckResponse.HAM, Comment.Verdict.HAM),
        (akismet.CheckResponse.SPAM, Comment.Verdict.SPAM),
        (akismet.CheckResponse.DISCARD, Comment.Verdict.DISCARD),
    ],
)
def test_check_maps_every_akismet_answer(response, verdict, settings, monkeypatch):
    class Client(akismet.TestSyncClient):
        comment_check_response = response

    settings.AKISMET_API_KEY = "test-key"
    monkeypatch.setattr(spam, "client_class", Client)

    assert spam.check(CommentFactory(pending=True)) == verdict


@pytest.mark.akismet_client(verify_key_response=False)
def test_a_refused_key_makes_akismet_unavailable_and_is_verified_again(akismet_on):
    cache.delete(spam._key_verified_cache_key())

    with pytest.raises(spam.SpamFilterUnavailable, match="invalid"):
        spam.check(CommentFactory(pending=True))

    assert cache.get(spam._key_verified_cache_key()) is None


def test_a_key_refused_at_check_time_forgets_it_was_verified(akismet_answers):
    akismet_answers(lambda request: httpx.Response(200, text="invalid"))
    cache.set(spam._key_verified_cache_key(), True)

    with pytest.raises(spam.SpamFilterUnavailable):
        spam.check(CommentFactory(pending=True))

    assert cache.get(spam._key_verified_cache_key()) is None


def test_no_key_means_the_filter_is_off(settings):
    settings.AKISMET_API_KEY = ""

    assert not spam.is_enabled()
