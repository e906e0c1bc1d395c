"""The per-visitor limits the comments and the newsletter share (core/ratelimit.py)."""

import uuid

import pytest
from django.core.cache import cache

from comments import ratelimit as comments_ratelimit
from core import ratelimit
from newsletter import views as newsletter_views


def fresh_key():
    return f"test:{uuid.uuid4().hex}"


class TestClientIp:
    def test_the_socket_address_without_a_proxy(self, rf, settings):
        settings.COMMENTS_CLIENT_IP_HEADER = ""
        request = rf.get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.5")
        assert ratelimit.client_ip(request) == "192.0.2.10"

    def test_the_address_the_trusted_proxy_saw_last(self, rf, settings):
        settings.COMMENTS_CLIENT_IP_HEADER = "X-Forwarded-For"
        request = rf.get(
            "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5"
        )
        assert ratelimit.client_ip(request) == "203.0.113.5"

    def test_no_address_when_it_is_not_one(self, rf, settings):
        settings.COMMENTS_CLIENT_IP_HEADER = ""
        assert ratelimit.client_ip(rf.get("/", REMOTE_ADDR="pas-une-adresse")) is None


class TestHit:
    def test_a_fixed_window_allows_the_limit_then_refuses(self):
        key = fresh_key()
        verdicts = [ratelimit.hit(key, 3, 600) for _ in range(4)]
        assert [verdict.allowed for verdict in verdicts] == [True, True, True, False]
        assert 0 < verdicts[-1].retry_after <= 601

    def test_keys_are_counted_apart(self):
        first, second = fresh_key(), fresh_key()
        assert ratelimit.hit(first, 1, 600).allowed
        assert ratelimit.hit(second, 1, 600).allowed
        assert not ratelimit.hit(first, 1, 600).allowed

    def test_zero_means_no_limit(self):
        key = fresh_key()
        assert all(ratelimit.hit(key, 0, 600).allowed for _ in range(20))

    def test_a_cache_outage_lets_visitors_through(self, monkeypatch):
        def unavailable(*args, **kwargs):
            raise ConnectionError("Redis is down")

        monkeypatch.setattr(cache, "add", unavailable)
        assert ratelimit.hit(fresh_key(), 1, 600).allowed


@pytest.mark.parametrize("module", [comments_ratelimit, newsletter_views])
def test_both_apps_use_the_shared_module(module):
    assert module.client_ip is ratelimit.client_ip
