"""Serve the pages anonymous readers see from the cache, and forget them the moment they change.

A cached page is stored under the site's content version, read from the cache in the same round
trip; any change to what pages show writes a new version once its transaction commits, so the next
request renders afresh. The blog's own changes (a post, a tag, an author, a post going live) are
heard here; apps that show content on the blog's pages call `content_changed()` (the comments
app, when a comment becomes visible or invisible). Time changes pages too, without any write (a
post's comments close by themselves): such apps register when that next happens, and the version
expires then.

Only readers with no cookie but the CSRF and language ones are served from the cache: a session,
messages, the commenter's pending-comments cookie or any cookie we do not know may change what the
page shows them. Per-reader values inside a page (the CSRF token of its forms, a CSP nonce, and
the fields apps register, such as the time the comment form was shown) are cut out of the stored
page and filled in again for each reader, so that forms keep working without JavaScript and their
protections stay as they are.

The content version is also the pages' validator: shared pages carry it as their `ETag` and
`Last-Modified`, and a reader (or a reverse proxy) asking again with it gets a 304 without the
page being rendered or even read from the cache. Pages shown to one reader alone are `private`.
"""

import hashlib
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import _does_token_match, get_token
from django.utils.cache import cc_delim_re, get_conditional_response, patch_cache_control
from django.utils.http import http_date
from redis.exceptions import RedisError

from blog.models import Page, Post, Tag
from blog.signals import post_went_live

VERSION_KEY = "pagecache:version"
CACHED_NAMESPACES = {"blog"}
# Other apps add theirs with `cached_view_register`.
CACHED_VIEW_NAMES = {"django.contrib.sitemaps.views.sitemap"}
UNCACHED_VIEW_NAMES = {"blog:preview", "blog:page_preview"}
# Query parameters the cached views read; analytics tags never change a page and are left out of
# the key. Any other parameter skips the cache, so made-up ones cannot fill it.
PAGE_PARAMETERS = {"page", "q"}
IGNORED_PARAMETER_PREFIXES = ("utm_",)
SHAREABLE_VARY = {"cookie", "accept-language", "accept-encoding"}
CSRF_TOKEN_CANDIDATE = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")
CSRF_HOLE = "csrf"
NONCE_HOLE = "csp-nonce"
FIELD_HOLE = "field"
# A cache that is down must slow the site down, not take it down: Redis errors, or the socket's.
CACHE_ERRORS = (RedisError, OSError)

logger = logging.getLogger(__name__)

# Hooks for the apps whose content shows on cached pages (registered in their AppConfig.ready()).
_reader_fields: dict[
    str, tuple[re.Pattern[bytes], Callable[[str], str | None], Callable[[str], str]]
] = {}
_change_moment_sources: list[Callable[[], datetime | None]] = []
# Seconds the registered reader fields stay valid in a copy a reader keeps (a form's signed time).
_reader_field_lifetimes: list[int] = []


def reader_field_register(
    name: str,
    pattern: re.Pattern[bytes],
    key_of: Callable[[str], str | None],
    fill: Callable[[str], str],
    *,
    lifetime: int | None = None,
):
    """Have each reader get a fresh value where `pattern`'s group 1 matches in a stored page.

    When the page is stored, `key_of` turns the value found into what the fresh one is made from
    (None: not ours, left as it is); each reader is then served `fill(key)`. The comment form's
    signed time, for one, must be the time this reader was shown the form.

    A value valid for `lifetime` seconds makes pages' validators change at least every half of
    it, so that a reader's browser never keeps reusing (304) a copy whose value has expired.
    """
    _reader_fields[name] = (pattern, key_of, fill)
    if lifetime:
        _reader_field_lifetimes.append(lifetime)


def cached_view_register(view_name: str) -> None:
    """Serve the reader page named `view_name` (as `reverse()` knows it) from the cache too."""
    CACHED_VIEW_NAMES.add(view_name)


def change_moment_source_register(source: Callable[[], datetime | None]) -> None:
    """Have pages expire at the moment `source` returns: when they change by time alone."""
    _change_moment_sources.append(source)


def content_changed() -> None:
    """Render every page afresh once the current transaction commits; call it on any change
    to what shared pages show."""
    # After commit: a page rendered before then would show the old content under the new version.
    # Robust: the change is saved whatever the cache says; pages then expire with their timeout.
    if settings.PAGE_CACHE_ENABLED:
        transaction.on_commit(content_version_renew, robust=True)


class PageCacheMiddleware:
    """Answer anonymous GETs of reader pages from the cache; store what they render."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        slot = getattr(request, "_page_cache_slot", None)
        if slot is not None and _is_shareable(request, response):
            key, version = slot
            _validators_set(response, version)
            entry = _entry_from_response(request, response, version)
            if entry is not None:
                try:
                    cache.set(key, entry, settings.PAGE_CACHE_SECONDS)
                except CACHE_ERRORS:
                    logger.warning("Page cache unavailable; page not stored.", exc_info=True)
                else:
                    response["X-Page-Cache"] = "miss"
        elif _is_reader_page(request) and "ETag" not in response:
            # Rendered for this reader (signed in, their own cookie…): no shared cache may keep it.
            patch_cache_control(response, private=True)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.PAGE_CACHE_ENABLED or not _is_cacheable_request(request):
            return None
        key = _page_key(request)
        if key is None:
            return None
        try:
            found = cache.get_many([VERSION_KEY, key])
            version = _current_version(found.get(VERSION_KEY))
        except CACHE_ERRORS:
            logger.warning("Page cache unavailable; page rendered.", exc_info=True)
            return None
        not_modified = get_conditional_response(
            request, etag=_etag(version), last_modified=_validator_moment(version)
        )
        if not_modified is not None:
            _validators_set(not_modified, version)
            return not_modified
        entry = found.get(key)
        if entry is not None and entry[0] == version:
            response = _response_from_entry(request, entry)
            if response is not None:
                return response
        if request.method == "GET":
            request._page_cache_slot = (key, version)
        return None


def _is_reader_page(request) -> bool:
    match = request.resolver_match
    return match is not None and (
        match.namespace in CACHED_NAMESPACES or match.view_name in CACHED_VIEW_NAMES
    )


def _is_cacheable_request(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    match = request.resolver_match
    if match is None or match.view_name in UNCACHED_VIEW_NAMES:
        return False
    if not _is_reader_page(request):
        return False
    shareable_cookies = {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}
    return set(request.COOKIES) <= shareable_cookies


def _page_key(request) -> str | None:
    parameters = []
    for name, values in request.GET.lists():
        if name.startswith(IGNORED_PARAMETER_PREFIXES):
            continue
        if name not in PAGE_PARAMETERS:
            return None
        parameters.extend((name, value) for value in values)
    address = "|".join(
        (
            request.scheme,
            request.get_host(),
            request.LANGUAGE_CODE,
            request.path,
            urlencode(sorted(parameters)),
        )
    )
    return "pagecache:page:" + hashlib.sha256(address.encode()).hexdigest()


def _validator_moment(version: int) -> int:
    """Return the moment (seconds) a page of `version` is dated: when the content last changed,
    or, if later, when the current period of the reader fields' lifetime began."""
    changed = version // 1_000_000_000
    if not _reader_field_lifetimes:
        return changed
    period = max(1, min(_reader_field_lifetimes) // 2)
    return max(changed, int(time.time()) // period * period)


def _etag(version: int) -> str:
    return f'"{version:x}-{_validator_moment(version):x}"'


def _validators_set(response, version: int) -> None:
    """Mark a shared page with the content version; caches may keep it but must ask again."""
    response["ETag"] = _etag(version)
    response["Last-Modified"] = http_date(_validator_moment(version))
    patch_cache_control(response, public=True, max_age=0, must_revalidate=True)


def _current_version(stored) -> int:
    """Return the content version, starting a new one if there is none or it has expired."""
    if stored is not None:
        version, expires_at = stored
        if expires_at is None or time.time() < expires_at:
            return version
    return content_version_renew()


def content_version_renew() -> int:
    """Start a new content version, so every cached page is rendered afresh."""
    # A clock reading never repeats an earlier version, even after the key was evicted.
    version = time.time_ns()
    next_change_at = _next_change_at()
    expires_at = next_change_at.timestamp() if next_change_at else None
    cache.set(VERSION_KEY, (version, expires_at), timeout=None)
    return version


def _next_change_at():
    """Return when pages next change by time alone (comments closing by themselves)."""
    moments = (source() for source in _change_moment_sources)
    return min((moment for moment in moments if moment), default=None)


def _is_shareable(request, response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return False
    vary = {header.lower() for header in cc_delim_re.split(response.get("Vary", "")) if header}
    if not vary <= SHAREABLE_VARY:
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    messages = getattr(request, "_messages", None)
    return not (messages is not None and messages.added_new)


def _entry_from_response(request, response, version):
    """Return the response as a cache entry with its per-reader values cut out, or None."""
    body = response.content
    holes = []
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        secret = request.META["CSRF_COOKIE"]
        if secret.encode() in body:
            return None
        # A token is masked differently each time it is written: only unmasking finds them all.
        holes += [
            (match.start(), match.end(), (CSRF_HOLE,))
            for match in CSRF_TOKEN_CANDIDATE.finditer(body)
            if _does_token_match(match.group().decode(), secret)
        ]
    nonce = getattr(request, "_csp_nonce", None)
    if isinstance(nonce, str):
        holes += [
            (match.start(), match.end(), (NONCE_HOLE,))
            for match in re.finditer(re.escape(nonce.encode()), body)
        ]
    for name, (pattern, key_of, _fill) in _reader_fields.items():
        for match in pattern.finditer(body):
            key = key_of(match.group(1).decode())
            if key is not None:
                holes.append((match.start(1), match.end(1), (FIELD_HOLE, name, key)))
    holes.sort()
    parts, fillings, start = [], [], 0
    for hole_start, hole_end, filling in holes:
        parts.append(body[start:hole_start])
        fillings.append(filling)
        start = hole_end
    parts.append(body[start:])
    # The filled-in values may differ in length: the length is measured again on the way out.
    headers = {name: value for name, value in response.items() if name != "Content-Length"}
    return (version, headers, parts, fillings)


def _response_from_entry(request, entry):
    _version, headers, parts, fillings = entry
    if (NONCE_HOLE,) in fillings and not hasattr(request, "csp_nonce"):
        return None
    values = {}
    for filling in set(fillings):
        if filling[0] == CSRF_HOLE:
            values[filling] = get_token(request)
        elif filling[0] == NONCE_HOLE:
            values[filling] = str(request.csp_nonce)
        else:
            _hole, name, key = filling
            if name not in _reader_fields:  # stored by code that registered other fields
                return None
            values[filling] = _reader_fields[name][2](key)
    chunks = [parts[0]]
    for filling, part in zip(fillings, parts[1:], strict=True):
        chunks += [values[filling].encode(), part]
    response = HttpResponse(b"".join(chunks))
    for name, value in headers.items():
        response[name] = value
    response["X-Page-Cache"] = "hit"
    return response


@receiver(post_save, sender=Post)
@receiver(post_delete, sender=Post)
@receiver(post_save, sender=Tag)
@receiver(post_delete, sender=Tag)
# Every page's header lists the navigation's pages.
@receiver(post_save, sender=Page)
@receiver(post_delete, sender=Page)
def _post_tag_or_page_changed(sender, **kwargs):
    content_changed()


@receiver(m2m_changed, sender=Post.tags.through)
def _post_tags_changed(sender, action, **kwargs):
    if action.startswith("post_"):
        content_changed()


@receiver(post_save, sender=get_user_model())
def _author_changed(sender, update_fields=None, **kwargs):
    # Signing in saves last_login, which no page shows.
    if update_fields is None or set(update_fields) != {"last_login"}:
        content_changed()


@receiver(post_went_live)
def _post_went_live(sender, post, **kwargs):
    content_changed()


@receiver(post_migrate)
def _schema_changed(sender, **kwargs):
    # A deployment runs migrate: pages rendered by the previous code must not outlive it.
    if sender.name == "blog":
        content_changed()
