"""The real SyncClient, a real Celery worker on Redis, and a local server speaking Akismet's API."""

import pytest
from django.core.cache import cache

from comments import services, spam, tokens
from comments.models import Comment, ModerationDecision
from tests.blog.factories import EditorFactory, PostFactory
from tests.comments.factories import CommentFactory
from tests.support.akismet import API_KEY, TIMEOUT, AkismetServer
from tests.support.waiting import wait_until


@pytest.fixture
def akismet_server(settings):
    """Run the fake Akismet on loopback and send the real client's requests there."""
    server = AkismetServer().start()
    settings.AKISMET_API_KEY = API_KEY
    settings.AKISMET_TIMEOUT = TIMEOUT
    settings.COMMENTS_CHECK_RETRIES = 2
    settings.COMMENTS_CHECK_RETRY_DELAY = 0.1
    settings.AKISMET_API_URL = server.url
    cache.delete(spam._key_verified_cache_key())
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_every_akismet_answer_through_the_worker(client, akismet_server, celery_worker):
    post = PostFactory(slug="integration")
    CommentFactory(post=post, author_email="hamlet@example.org")  # a returning commenter
    authors = ["Hamlet", "Spammer", "Blatant", "Nonsense", "Slow", "Broken", "Flaky"]
    for author in authors:
        response = client.post(
            f"/comments/post/{post.pk}/",
            {
                "author_name": author,
                "author_email": f"{author.lower()}@example.org",
                "body": f"Un commentaire de {author}.",
                "issued": tokens.form_issued_token(post.pk),
            },
            HTTP_USER_AGENT="Mozilla/5.0 Firefox/130.0",
            HTTP_REFERER="http://testserver/integration/",
            REMOTE_ADDR="198.51.100.30",
        )
        assert response.status_code == 302

    def settled():
        return not Comment.objects.unchecked().filter(post=post).exists()

    wait_until(settled)

    outcome = {
        c.author_name: (c.status, c.verdict, c.check_attempts)
        for c in Comment.objects.filter(author_name__in=authors)
    }
    pending, approved, spam_ = "pending", "approved", "spam"
    assert outcome == {
        "Hamlet": (approved, "ham", 1),
        "Spammer": (spam_, "spam", 1),
        "Blatant": (spam_, "discard", 1),
        "Nonsense": (pending, "error", 3),
        "Slow": (pending, "error", 3),
        "Broken": (pending, "error", 3),
        "Flaky": (pending, "ham", 2),
    }
    # Never published unchecked: every comment left pending is in the moderators' queue.
    assert set(Comment.objects.waiting().values_list("author_name", flat=True)) == {
        "Nonsense",
        "Slow",
        "Broken",
        "Flaky",
    }
    checks = [fields for path, fields in akismet_server.requests if path == "/1.1/comment-check"]
    hamlet = next(fields for fields in checks if fields["comment_author"] == "Hamlet")
    assert hamlet["api_key"] == API_KEY
    assert hamlet["user_ip"] == "198.51.100.30"
    assert hamlet["user_agent"] == "Mozilla/5.0 Firefox/130.0"
    assert hamlet["referrer"] == "http://testserver/integration/"
    assert hamlet["permalink"] == "http://testserver/integration/"
    assert hamlet["comment_type"] == "comment"
    assert hamlet["comment_content"] == "Un commentaire de Hamlet."
    assert hamlet["blog_lang"] == "fr, en" and hamlet["blog_charset"] == "UTF-8"
    assert hamlet["is_test"] == "true"


@pytest.mark.django_db(transaction=True)
def test_an_editors_spam_report_reaches_akismet_through_the_worker(akismet_server, celery_worker):
    comment = CommentFactory(verdict=Comment.Verdict.HAM, author_name="Missed")

    services.comment_mark_spam(comment=comment, moderator=EditorFactory())

    decision = comment.decisions.get()
    wait_until(
        lambda: ModerationDecision.objects.filter(
            pk=decision.pk, feedback=ModerationDecision.Feedback.SENT
        ).exists()
    )
    [report] = [fields for path, fields in akismet_server.requests if path == "/1.1/submit-spam"]
    assert report["comment_author"] == "Missed"
    assert report["user_ip"] == comment.ip_address
