"""Addresses: as the world sees them (SITE_URL), and the ones list pages write by the dozen."""

import re
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import get_language, override

# Valid for the `slug` and `str` converters, and in no address of the site.
_PLACEHOLDER = "chezsoi0slot0{}0"
_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted


def absolute_url(path: str) -> str:
    """Return `path` (an address on this site, starting with /) as a full URL under SITE_URL."""
    return settings.SITE_URL + path


# An attribute of sanitized HTML holding an address of this site: href="/…", src="/…".
_SITE_PATH_ATTRIBUTE = re.compile(r'(\s(?:href|src)=")/(?!/)')
_SRCSET = re.compile(r'(\ssrcset=")([^"]*)"')


def absolute_links(html: str, base_url: str | None = None) -> str:
    """Return sanitized HTML with its addresses on this site (href, src, srcset) made absolute,
    for readers outside it: feed readers and mail clients, which have no page address to start
    from."""
    base = settings.SITE_URL if base_url is None else base_url
    html = _SITE_PATH_ATTRIBUTE.sub(rf"\1{base}/", html)

    def candidates(match):
        urls = (
            base + candidate
            if candidate.startswith("/") and not candidate.startswith("//")
            else candidate
            for candidate in (part.strip() for part in match[2].split(","))
        )
        return f'{match[1]}{", ".join(urls)}"'

    return _SRCSET.sub(candidates, html)


def reverse_slugs(viewname: str, *, language: str | None = None, **kwargs: str) -> str:
    """Return `reverse(viewname, kwargs=kwargs)` for slug arguments, resolved once per view name.

    A list page links every post and tag it shows: `reverse()` walks the URL patterns each time,
    16 % of the home page's Python calls (docs/performance.md). The address is resolved once per
    view name, language, script prefix and URLconf with stand-ins, and each call only fills them
    in. `language` gives the address under that language's prefix rather than the active one's.
    The values are not checked against the converters: pass only a model's validated slug.
    tests/core/test_urls.py checks it against `reverse()`.
    """
    url, placeholders = _resolved(
        viewname,
        tuple(sorted(kwargs)),
        language or get_language(),
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
    )
    for name, value in kwargs.items():
        url = url.replace(placeholders[name], quote(str(value), safe=_SAFE))
    return url


@lru_cache(maxsize=512)
def _resolved(viewname, names, language, script_prefix, urlconf):
    placeholders = {name: _PLACEHOLDER.format(index) for index, name in enumerate(names)}
    with override(language):
        url = reverse(viewname, kwargs=placeholders, urlconf=urlconf)
    return url, placeholders
