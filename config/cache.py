"""Django's Redis cache, keeping its redis-py client instead of building a new one per call."""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        # Django makes a redis.Redis for every operation, which costs more than a GET itself on a
        # cached page (docs/BENCHMARKS.md). A client is only a handle on the shared pool; the
        # cache object owning this one belongs to a single thread.
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
