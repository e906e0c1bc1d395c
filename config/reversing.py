"""`reverse()` for the addresses a page writes dozens of times: resolved once, then filled in.

A list page links every post and tag it shows; Django's `reverse()` walks the URL patterns each
time (about 35 µs here), which made links a quarter of a list page's CPU (docs/BENCHMARKS.md).
The address is resolved once per view name, language, script prefix and URLconf with
placeholders, and each call only substitutes the values.
"""

from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import get_language, override

# Valid for the `slug` and `str` converters, and in no address of ours.
_PLACEHOLDER = "chezsoi0slot0{}0"
_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted


@lru_cache(maxsize=512)
def _resolved(viewname, names, language, script_prefix, urlconf, current_app=None):
    placeholders = {name: _PLACEHOLDER.format(index) for index, name in enumerate(names)}
    with override(language):
        url = reverse(viewname, kwargs=placeholders, urlconf=urlconf, current_app=current_app)
    return url, placeholders


def reverse_memoized(viewname: str, *, current_app: str | None = None) -> str:
    """Return `reverse(viewname, current_app=current_app)` for an address without arguments."""
    url, _ = _resolved(
        viewname,
        (),
        get_language(),
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
        current_app,
    )
    return url


def reverse_slugs(viewname: str, *, language: str | None = None, **kwargs: str) -> str:
    """Return `reverse(viewname, kwargs=kwargs)` for string or slug arguments, memoized.

    `language` gives the address under that language's prefix rather than the active one's.
    The values are not checked against the converters: pass only validated values (a model's
    slug field), as every caller does.
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
