"""Akismet, behind one seam: the only module that imports `akismet`."""

import datetime
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import akismet
import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from comments.models import Comment

logger = logging.getLogger(__name__)

# The API client class; tests put one of akismet's test clients here.
client_class: type[akismet.SyncClient] = akismet.SyncClient
# Tests answer Akismet's requests in memory by setting an httpx transport here.
transport: httpx.BaseTransport | None = None

KEY_VERIFIED_SECONDS = 24 * 60 * 60

VERDICTS = {
    akismet.CheckResponse.HAM: Comment.Verdict.HAM,
    akismet.CheckResponse.SPAM: Comment.Verdict.SPAM,
    akismet.CheckResponse.DISCARD: Comment.Verdict.DISCARD,
}


class SpamFilterUnavailable(Exception):
    """Akismet could not answer: unreachable, slow, erroring, or answering nonsense."""


def is_enabled() -> bool:
    return bool(settings.AKISMET_API_KEY)


def check(comment: Comment) -> str:
    """Ask Akismet about `comment` and return its verdict (a Comment.Verdict value)."""
    with _client() as client:
        return VERDICTS[client.comment_check(**akismet_arguments(comment))]


def report_spam(comment: Comment) -> None:
    """Tell Akismet that `comment` is spam it missed."""
    with _client() as client:
        client.submit_spam(**akismet_arguments(comment))


def report_ham(comment: Comment) -> None:
    """Tell Akismet that `comment` is not spam."""
    with _client() as client:
        client.submit_ham(**akismet_arguments(comment))


def akismet_arguments(comment: Comment) -> dict:
    """Return everything Akismet is told about `comment`, as stored when it was posted."""
    post = comment.post
    with translation.override(comment.language):
        permalink = settings.SITE_URL + post.get_absolute_url()
    arguments = {
        "user_ip": comment.ip_address or "127.0.0.1",
        "user_agent": comment.user_agent,
        "referrer": comment.referrer,
        "permalink": permalink,
        "comment_type": "reply" if comment.is_reply else "comment",
        "comment_author": comment.author_name,
        "comment_author_email": comment.author_email,
        "comment_author_url": comment.author_url,
        "comment_content": comment.body,
        "comment_date_gmt": _gmt(comment.created_at),
        "comment_post_modified_gmt": _gmt(post.updated_at),
        "blog_lang": ", ".join(code for code, _name in settings.LANGUAGES),
        "blog_charset": "UTF-8",
    }
    if comment.user is not None and comment.user.is_staff:
        arguments["user_role"] = "administrator"
    if settings.AKISMET_IS_TEST:
        arguments["is_test"] = True
    return arguments


def _gmt(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds")


@contextmanager
def _client() -> Iterator[akismet.SyncClient]:
    """Yield a client with a verified key; every way Akismet can fail becomes one exception."""
    config = akismet.Config(key=settings.AKISMET_API_KEY, url=settings.AKISMET_BLOG_URL)
    try:
        with httpx.Client(
            headers={"User-Agent": akismet.USER_AGENT},
            timeout=settings.AKISMET_TIMEOUT,
            transport=_transport(),
        ) as http_client:
            # The key is verified once a day, not before every comment.
            if cache.get(_key_verified_cache_key()):
                yield client_class(config=config, http_client=http_client)
            else:
                client = client_class.validated_client(config=config, http_client=http_client)
                cache.set(_key_verified_cache_key(), True, KEY_VERIFIED_SECONDS)
                yield client
    except akismet.ConfigurationError as exc:
        cache.delete(_key_verified_cache_key())
        logger.error("Akismet refused the API key or site URL: %s", exc)
        raise SpamFilterUnavailable(_first_line(exc)) from exc
    except (akismet.AkismetError, httpx.HTTPError) as exc:
        logger.warning("Akismet unavailable: %s", exc)
        raise SpamFilterUnavailable(_first_line(exc)) from exc


def _transport() -> httpx.BaseTransport | None:
    if transport is not None:
        return transport
    if settings.AKISMET_API_URL:
        return _StandInTransport(settings.AKISMET_API_URL)
    return None


class _StandInTransport(httpx.BaseTransport):
    """Send what the akismet package addresses to rest.akismet.com to AKISMET_API_URL instead."""

    def __init__(self, base_url: str):
        self.base = httpx.URL(base_url)
        self.network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self.base.scheme, host=self.base.host, port=self.base.port
        )
        return self.network.handle_request(request)

    def close(self) -> None:
        self.network.close()


def _key_verified_cache_key() -> str:
    account = f"{settings.AKISMET_API_KEY} {settings.AKISMET_BLOG_URL}".encode()
    return f"comments:akismet-key-verified:{hashlib.sha256(account).hexdigest()[:16]}"


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (lines[0] if lines else type(exc).__name__)[:300]
