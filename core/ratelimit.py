"""Limits shared by the apps: who is asking, and how often they may, counted in the cache."""

import ipaddress
import logging
import math
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

    A limit of 0 allows everything.
    """
    if not limit:
        return Verdict(allowed=True)
    try:
        attempts, window_left = count(key, period=period)
    except Exception:
        # A cache outage must not turn honest visitors away; the apps' other defences still stand.
        logger.warning("Rate limit %s skipped: the cache is unavailable", key, exc_info=True)
        return Verdict(allowed=True)
    return Verdict(allowed=attempts <= limit, retry_after=int(window_left) + 1)


def count(key: str, *, period: float, now: float | None = None) -> tuple[int, float]:
    """Count one event under `key` in the fixed window of `period` seconds holding `now`.

    Return the events counted in that window so far, this one included, and the seconds left
    until it ends. The count lives in the Django cache (Redis in production), so every process
    of the site shares it.
    """
    now = time.time() if now is None else now
    window = int(now // period)
    cache_key = f"ratelimit:{key}:{window}"
    timeout = math.ceil(period) + 1
    if cache.add(cache_key, 1, timeout=timeout):
        events = 1
    else:
        try:
            events = cache.incr(cache_key)
        except ValueError:  # the window's key expired between add and incr: this is a new window
            cache.add(cache_key, 1, timeout=timeout)
            events = 1
    return events, (window + 1) * period - now
