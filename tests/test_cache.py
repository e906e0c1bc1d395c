"""The site's Redis cache: Django's, keeping one client per server."""

from django.core.cache import cache


def test_values_round_trip_through_redis():
    cache.set("test-cache-round-trip", {"page": [b"<p>", b"</p>"]}, 30)

    assert cache.get_many(["test-cache-round-trip", "absent"]) == {
        "test-cache-round-trip": {"page": [b"<p>", b"</p>"]}
    }


def test_one_client_serves_every_call():
    client = cache._cache.get_client(write=True)

    assert cache._cache.get_client(write=True) is client
    assert client.ping()
