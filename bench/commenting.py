"""Post comments through gunicorn as readers do, while a slow Akismet stand-in judges them."""

import html
import http.client
import re
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse

from comments.models import Comment

COMMENTER_DOMAIN = "commentateurs-banc.invalid"
HIDDEN_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class CommentingRun:
    posts: int  # POSTs sent and timed
    warm_up_posts: int  # sent first, untimed: each gunicorn worker's first requests load code
    redirected: int  # answered 302: stored, the reader sent back to the post
    seconds: float
    latencies_ms: list[float]
    stored: int
    checked: int
    akismet_checks: int
    akismet_delay_ms: float
    drain_seconds: float  # after the last POST, until the workers had checked every comment

    @property
    def rate(self) -> float:
        return self.posts / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 99)


def percentile(values: list[float], share: float) -> float:
    """Return the value below which `share` percent of `values` lie (nearest rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 100))  # ceiling without floats drifting
    return ordered[int(rank) - 1]


def form_fields(page: str) -> dict[str, str]:
    """Return the hidden fields of the comment form in a post page (CSRF token, signed time)."""
    fields = {}
    for tag in HIDDEN_INPUT.findall(page):
        attributes = dict(ATTRIBUTE.findall(tag))
        if attributes.get("name") in ("csrfmiddlewaretoken", "issued"):
            fields[attributes["name"]] = html.unescape(attributes.get("value", ""))
    return fields


def csrf_cookie(set_cookie_headers: list[str]) -> str:
    """Return the CSRF cookie's value among a response's Set-Cookie headers."""
    for header in set_cookie_headers:
        cookie = SimpleCookie()
        cookie.load(header)
        if settings.CSRF_COOKIE_NAME in cookie:
            return cookie[settings.CSRF_COOKIE_NAME].value
    return ""


class Commenter(threading.Thread):
    """One reader: opens the post once, then posts comments one after another."""

    def __init__(self, *, number: int, address: str, post, count: int):
        super().__init__(daemon=True)
        self.number, self.post, self.count = number, post, count
        self.host, self.port = urlsplit(address).hostname, urlsplit(address).port
        self.latencies_ms: list[float] = []
        self.statuses: list[int] = []

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response, response.read().decode()
        finally:
            connection.close()

    def run(self):
        # The cookie is marked Secure (production), so a client on plain HTTP keeps it by hand.
        response, page = self.request("GET", self.post.get_absolute_url())
        cookie = csrf_cookie(response.headers.get_all("Set-Cookie") or [])
        fields = form_fields(page)
        path = reverse("comments:post", kwargs={"post_id": self.post.pk})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{settings.CSRF_COOKIE_NAME}={cookie}",
        }
        for sequence in range(self.count):
            body = urlencode(
                {
                    **fields,
                    "author_name": f"Lectrice {self.number}-{sequence}",
                    "author_email": f"lectrice-{self.number}-{sequence}@{COMMENTER_DOMAIN}",
                    "author_url": "",
                    "body": f"Merci pour ce billet ! Remarque {sequence} de la lectrice "
                    f"{self.number} : le potager attendra la pluie.",
                    "parent": "",
                    "fax_number": "",
                }
            )
            started = time.perf_counter()
            response, _page = self.request("POST", path, body=body, headers=headers)
            self.latencies_ms.append((time.perf_counter() - started) * 1000)
            self.statuses.append(response.status)


def readers_run(*, address: str, post, first: int, connections: int, count: int) -> list[Commenter]:
    """Have `connections` readers post `count` comments each, at once; return them when done."""
    readers = [
        Commenter(number=number, address=address, post=post, count=count)
        for number in range(first, first + connections)
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return readers


def commenting_run(
    *, address: str, post, connections: int, comments: int, akismet, akismet_delay: float
) -> CommentingRun:
    """Post `comments` comments over `connections` readers; wait until the workers checked them."""
    per_reader = max(1, comments // connections)
    warm_up = readers_run(
        address=address, post=post, first=connections, connections=connections, count=2
    )
    started = time.monotonic()
    readers = readers_run(
        address=address, post=post, first=0, connections=connections, count=per_reader
    )
    seconds = time.monotonic() - started
    statuses = [status for reader in readers for status in reader.statuses]
    posted = Comment.objects.filter(author_email__endswith=f"@{COMMENTER_DOMAIN}")
    # Checks run at the workers' pace, each waiting `akismet_delay` on the stand-in.
    deadline = time.monotonic() + 60 + len(statuses) * akismet_delay
    while posted.filter(verdict=Comment.Verdict.UNCHECKED).exists():
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return CommentingRun(
        posts=len(statuses),
        warm_up_posts=sum(len(reader.statuses) for reader in warm_up),
        redirected=statuses.count(302),
        seconds=seconds,
        latencies_ms=[ms for reader in readers for ms in reader.latencies_ms],
        stored=posted.count(),
        checked=posted.exclude(verdict=Comment.Verdict.UNCHECKED).count(),
        akismet_checks=akismet.count(),
        akismet_delay_ms=akismet_delay * 1000,
        drain_seconds=time.monotonic() - started - seconds,
    )


def render(run: CommentingRun, *, workers: str) -> list[str]:
    """Return the commenting section of the report, in Markdown."""
    return [
        "",
        "### Posting comments",
        "",
        "| POSTs timed | answered 302 | POSTs/s | p50 | p99 | stored, with warm-up "
        "| checked by the workers "
        "| Akismet checks | all checked after |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        f"| {run.posts:,} (+ {run.warm_up_posts} warm-up) | {run.redirected:,} | {run.rate:,.0f} | {run.p50_ms:.1f} ms "
        f"| {run.p99_ms:.1f} ms | {run.stored:,} | {run.checked:,} | {run.akismet_checks:,} "
        f"| {run.drain_seconds:.0f} s more |",
        "",
        f"Akismet stand-in answering each check after {run.akismet_delay_ms:.0f} ms; {workers}.",
    ]
