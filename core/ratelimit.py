"""Per-visitor limits shared by the apps: who is asking, and how often they may, counted in the cache."""

import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def client_ip(request) -> str | None:
    """Return the visitor's address: the socket's, or the one a trusted reverse proxy reports."""
    header = settings.COMMENTS_CLIENT_IP_HEADER
    candidate = request.META.get("REMOTE_ADDR", "")
    if header:
        # The proxy appends the address it saw last, after whatever the client claimed.
        forwarded = request.headers.get(header, "").split(",")[-1].strip()
        candidate = forwarded or candidate
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until the window in which the limit was reached ends


def hit(key: str, limit: int, period: int) -> Verdict:
    """Count one attempt under `key`; allow at most `limit` per fixed window of `period` seconds.

    A limit of 0 allows everything. The count lives in the Django cache (Redis in production), so
    every process of the site shares it.
    """
    if not limit:
        return Verdict(allowed=True)
    window = int(time.time() // period)
    cache_key = f"ratelimit:{key}:{window}"
    try:
        count = 1 if cache.add(cache_key, 1, timeout=period) else _increment(cache_key, period)
    except Exception:
        # A cache outage must not turn honest visitors away; the apps' other defences still stand.
        logger.warning("Rate limit %s skipped: the cache is unavailable", key, exc_info=True)
        return Verdict(allowed=True)
    retry_after = int((window + 1) * period - time.time()) + 1
    return Verdict(allowed=count <= limit, retry_after=retry_after)


def _increment(cache_key: str, period: int) -> int:
    try:
        return cache.incr(cache_key)
    except ValueError:  # the window's key expired between add and incr: this is a new window
        cache.add(cache_key, 1, timeout=period)
        return 1
