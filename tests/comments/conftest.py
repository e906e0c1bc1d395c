"""Comment tests post freely (no clock or rate limit unless a test sets one) and fake only Akismet."""

from urllib.parse import parse_qs

import httpx
import pytest
from django.core.cache import cache

from comments import spam
from config.celery_app import app as celery_app


@pytest.fixture(autouse=True)
def comment_settings(settings):
    settings.COMMENTS_MIN_SECONDS = 0
    settings.COMMENTS_RATE_LIMIT = 0
    settings.AKISMET_API_KEY = ""
    settings.AKISMET_API_URL = ""
    settings.COMMENTS_MODERATION = "trust_returning"
    settings.COMMENTS_MAX_DEPTH = 3
    settings.COMMENTS_CLOSE_AFTER_DAYS = 0
    settings.COMMENTS_REQUIRE_LOGIN = False
    settings.COMMENTS_GRAVATAR = False
    return settings


@pytest.fixture
def akismet_on(settings, monkeypatch, akismet_sync_class):
    """Turn spam filtering on, answered by the akismet package's test client.

    Its verdict is chosen with `@pytest.mark.akismet_client(comment_check_response=...)`.
    """
    settings.AKISMET_API_KEY = "test-key"
    monkeypatch.setattr(spam, "client_class", akismet_sync_class)
    return akismet_sync_class


@pytest.fixture
def akismet_answers(settings, monkeypatch):
    """Turn spam filtering on with the real client, answered by `handler(request)` in memory."""
    settings.AKISMET_API_KEY = "test-key"

    def answer_with(handler):
        monkeypatch.setattr(spam, "transport", httpx.MockTransport(handler))

    return answer_with


@pytest.fixture
def akismet_requests(akismet_answers):
    """Answer like Akismet ("valid", "false", thanks); return each request as (path, fields)."""
    requests = []

    def handler(request):
        fields = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        requests.append((request.url.path, fields))
        answers = {
            "/1.1/verify-key": "valid",
            "/1.1/comment-check": "false",
            "/1.1/submit-spam": "Thanks for making the web a better place.",
            "/1.1/submit-ham": "Thanks for making the web a better place.",
        }
        return httpx.Response(200, text=answers[request.url.path])

    cache.delete(spam._key_verified_cache_key())
    akismet_answers(handler)
    yield requests
    # The cache outlives the test: the next one must see its own key verified.
    cache.delete(spam._key_verified_cache_key())


@pytest.fixture
def eager_tasks():
    """Run Celery tasks inline, retries included (their countdowns skipped)."""
    # Errors are not propagated: Celery runs an eager retry only when the Retry is not raised.
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def enqueued(monkeypatch):
    """Record the comment tasks sent to the broker instead of sending them: [(name, args)]."""
    from comments import tasks

    sent = []
    for task in (tasks.check_comment, tasks.report_to_akismet, tasks.notify_reply):

        def record(args=None, kwargs=None, _name=task.name, **options):
            sent.append((_name.rsplit(".", 1)[-1], tuple(args or ())))

        monkeypatch.setattr(task, "apply_async", record)
    return sent
