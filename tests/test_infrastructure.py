"""The real parts the suite relies on answer: PostgreSQL, Redis, Celery, SMTP, Chromium."""

import pytest
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import connection


@pytest.mark.django_db
def test_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_cache_is_redis():
    cache.set("infrastructure-check", "ok", 5)
    assert cache.get("infrastructure-check") == "ok"


@pytest.mark.django_db
def test_mail_reaches_the_smtp_server(smtp_server):
    send_mail("Bonjour", "Corps", "site@example.org", ["lectrice@example.org"])
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Bonjour"
    assert smtp_server.to("lectrice@example.org") == [message]
