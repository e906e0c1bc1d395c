"""Staff and a supervisor learn that no task worker answers, from the heartbeat workers write."""

import time

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.utils import translation

from config import heartbeat
from tests.blog.factories import SuperuserFactory
from tests.support.waiting import wait_until

WARNING_FR = (
    "Les e-mails et les vérifications anti-spam attendent : aucun processus de tâches ne répond."
)
WARNING_EN = "Emails and spam checks are waiting: no task worker is answering."


@pytest.fixture(autouse=True)
def no_heartbeat():
    """Start with no heartbeat: a worker of an earlier test may have left one in this run's cache."""
    cache.delete(heartbeat.CACHE_KEY)
    yield
    cache.delete(heartbeat.CACHE_KEY)


def beat_seconds_ago(seconds: float) -> None:
    cache.set(heartbeat.CACHE_KEY, time.time() - seconds, timeout=None)


@pytest.fixture
def staff_client(client):
    client.force_login(SuperuserFactory())
    return client


def admin_index(client) -> str:
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_admin_says_when_no_worker_ever_answered(staff_client):
    page = admin_index(staff_client)

    assert WARNING_FR in page
    assert "Aucun n’a encore répondu." in page


@pytest.mark.django_db
def test_the_admin_says_when_the_worker_last_answered(staff_client):
    beat_seconds_ago(5 * 60 + 5)

    page = admin_index(staff_client)

    assert WARNING_FR in page
    assert "Le dernier a répondu il y a 5\xa0minutes." in page


@pytest.mark.django_db
def test_the_admin_is_quiet_while_a_worker_beats(staff_client):
    beat_seconds_ago(heartbeat.SILENT_AFTER_SECONDS - 10)

    assert WARNING_FR not in admin_index(staff_client)


def test_the_warning_exists_in_english():
    with translation.override("en"):
        text = Template("{% load worker %}{% worker_silent %}").render(Context())

    assert WARNING_EN in text and "None has answered yet." in text


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_makes_the_warning_go_away(staff_client, request):
    assert WARNING_FR in admin_index(staff_client)

    request.getfixturevalue("celery_worker")

    wait_until(
        lambda: WARNING_FR not in admin_index(staff_client),
        timeout=15,
        what="the worker's heartbeat to reach the admin",
    )


def test_the_worker_step_beats_until_the_worker_stops(monkeypatch):
    monkeypatch.setattr(heartbeat, "BEAT_SECONDS", 0.05)
    step = heartbeat.Heartbeat(parent=None)

    step.start(parent=None)
    first = wait_until(lambda: cache.get(heartbeat.CACHE_KEY), timeout=5, what="a first beat")
    wait_until(lambda: cache.get(heartbeat.CACHE_KEY) != first, timeout=5, what="a second beat")
    step.stop(parent=None)

    step.thread.join(timeout=5)
    assert not step.thread.is_alive()


@pytest.mark.parametrize(
    ("last_beat", "status", "text"),
    [
        (None, 503, "stale: no worker has ever checked in"),
        (heartbeat.SILENT_AFTER_SECONDS + 60, 503, "stale: last heartbeat 180 s ago"),
        (20, 200, "ok: last heartbeat 20 s ago"),
    ],
    ids=["never", "stale", "fresh"],
)
@pytest.mark.django_db
def test_the_health_endpoint_fails_once_no_worker_beats(client, last_beat, status, text):
    if last_beat is not None:
        beat_seconds_ago(last_beat)

    response = client.get("/healthz/worker")

    assert response.status_code == status
    assert response.content.decode().startswith(text)
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_health_endpoint_fails_when_redis_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }

    response = client.get("/healthz/worker")

    assert response.status_code == 503
    assert response.content.decode().startswith("stale: Redis unreachable")
