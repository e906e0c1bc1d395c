"""Addresses as the world sees them: emails, feeds and other sites need the site's full URL."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """Return `path` (an address on this site, starting with /) as a full URL under SITE_URL."""
    return settings.SITE_URL + path
