"""A per-address limit on posting comments, counted in the shared cache (core/ratelimit.py)."""

from django.conf import settings

from core.ratelimit import client_ip, hit

__all__ = ["client_ip", "comment_posting_allowed"]


def comment_posting_allowed(ip: str | None) -> tuple[bool, int]:
    """Count one comment post from `ip`; return whether it is allowed, and seconds left to wait."""
    if ip is None:
        return True, 0
    verdict = hit(
        f"comments:posts:{ip}", settings.COMMENTS_RATE_LIMIT, settings.COMMENTS_RATE_LIMIT_PERIOD
    )
    return verdict.allowed, verdict.retry_after
