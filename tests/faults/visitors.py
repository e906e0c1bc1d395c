"""Readers, commenters and subscribers as a browser without JavaScript would be: GET the form, POST it.

The site runs with production settings over plain HTTP on loopback, so its cookies are marked
Secure and an HTTP client would not send them back: the visitor carries its CSRF cookie itself.
Each visitor comes from its own address, told to the site in the proxy's X-Real-IP header.
"""

import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from html import unescape

import httpx

CLIENT_IP_HEADER = "X-Real-IP"
FIELD_VALUE = r'name="{name}"[^>]*?value="([^"]*)"|value="([^"]*)"[^>]*?name="{name}"'


@dataclass
class Answer:
    """One request as the visitor saw it."""

    kind: str
    status: int
    seconds: float
    location: str = ""
    text: str = ""
    headers: dict = field(default_factory=dict)
    started: float = 0.0  # time.monotonic() when the request left
    sent: str = ""  # the comment's text or the address, for what was posted

    @property
    def server_error(self) -> bool:
        return self.status >= 500


def form_value(html: str, name: str) -> str:
    match = re.search(FIELD_VALUE.format(name=re.escape(name)), html)
    if match is None:
        raise AssertionError(f"no field {name!r} in the page")
    return unescape(match.group(1) or match.group(2))


class Visitor:
    """One person at one address, with their own cookies."""

    def __init__(self, base_url: str, ip: str, *, timeout: float = 30):
        self.ip = ip
        self.client = httpx.Client(base_url=base_url, timeout=timeout, follow_redirects=False)
        self.csrf_cookie = ""

    def close(self):
        self.client.close()

    def _request(self, kind: str, method: str, path: str, **kwargs) -> Answer:
        headers = {CLIENT_IP_HEADER: self.ip, "User-Agent": "Mozilla/5.0 (faults) Firefox/130.0"}
        if self.csrf_cookie:
            headers["Cookie"] = f"csrftoken={self.csrf_cookie}"
        started = time.monotonic()
        try:
            response = self.client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            # No answer at all (connection refused or reset): as bad as a 5xx for the reader.
            return Answer(kind, 599, time.monotonic() - started, text=repr(error), started=started)
        seconds = time.monotonic() - started
        self.client.cookies.clear()
        token = response.cookies.get("csrftoken")
        if token:
            self.csrf_cookie = token
        return Answer(
            kind=kind,
            status=response.status_code,
            seconds=seconds,
            location=response.headers.get("Location", ""),
            text=response.text,
            headers=dict(response.headers),
            started=started,
        )

    def read(self, path: str, kind: str = "read") -> Answer:
        return self._request(kind, "GET", path)

    def comment(self, post_path: str, *, name: str, email: str, body: str) -> tuple[Answer, ...]:
        """Open the post, fill in its comment form and send it; return the answers (the page's
        alone when it did not open)."""
        page = self.read(post_path, kind="read")
        if page.status != 200:
            return (page,)
        form = re.search(r'<form class="comment-form" method="post" action="([^"]+)"', page.text)
        if form is None:
            raise AssertionError(f"no comment form on {post_path}")
        data = {
            "csrfmiddlewaretoken": form_value(page.text, "csrfmiddlewaretoken"),
            "issued": form_value(page.text, "issued"),
            "author_name": name,
            "author_email": email,
            "author_url": "",
            "body": body,
            "parent": "",
            "fax_number": "",
        }
        answer = self._post("comment", form.group(1), data)
        answer.sent = body
        return page, answer

    def _post(self, kind: str, path: str, data: dict) -> Answer:
        return self._request(kind, "POST", path, data=data)

    def subscribe(self, *, email: str, path: str = "/newsletter/") -> tuple[Answer, ...]:
        """Open the subscribe page, fill in the address and send it; return the answers (the
        page's alone when it did not open)."""
        page = self.read(path, kind="read")
        if page.status != 200:
            return (page,)
        data = {
            "csrfmiddlewaretoken": form_value(page.text, "csrfmiddlewaretoken"),
            "email": email,
            "language": "fr",
            "website": "",
        }
        answer = self._post("subscribe", path, data)
        answer.sent = email
        return page, answer


class Traffic:
    """Mixed traffic in threads until stopped: readers on the given pages, commenters and
    subscribers at a steady rate, each commenter and subscriber from an address of their own."""

    def __init__(
        self,
        base_url: str,
        *,
        read_paths: list[str],
        post_paths: list[str],
        readers: int = 3,
        reader_pause: float = 0.0,
        comments_per_second: float = 2.0,
        signups_per_second: float = 1.0,
        tag: str = "load",
    ):
        self.base_url, self.read_paths, self.post_paths = base_url, read_paths, post_paths
        self.readers, self.reader_pause, self.tag = readers, reader_pause, tag
        self.rates = {"comment": comments_per_second, "subscribe": signups_per_second}
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.addresses = itertools.count(1)
        self.threads: list[threading.Thread] = []

    def _keep(self, *answers: Answer) -> None:
        with self.lock:
            self.answers.extend(answers)

    def _address(self) -> str:
        with self.lock:
            n = next(self.addresses)
        return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"

    def _read(self, number: int) -> None:
        visitor = Visitor(self.base_url, ip=f"192.0.2.{number + 1}")
        try:
            for path in itertools.cycle(self.read_paths):
                if self.stopping.wait(self.reader_pause):
                    return
                self._keep(visitor.read(path))
        finally:
            visitor.close()

    def _post(self, kind: str) -> None:
        interval = 1 / self.rates[kind]
        next_at = time.monotonic()
        for n in itertools.count():
            next_at += interval
            if self.stopping.wait(max(0.0, next_at - time.monotonic())):
                return
            visitor = Visitor(self.base_url, ip=self._address())
            try:
                if kind == "comment":
                    path = self.post_paths[n % len(self.post_paths)]
                    answers = visitor.comment(
                        path,
                        name=f"Lecteur {self.tag} {n}",
                        email=f"{self.tag}-{n}@example.org",
                        body=f"Commentaire {self.tag} numéro {n}, sous {path}.",
                    )
                else:
                    answers = visitor.subscribe(email=f"{self.tag}-abonne-{n}@example.org")
            except AssertionError as error:  # the page came without its form
                answers = (Answer(kind, 598, 0.0, text=str(error), started=time.monotonic()),)
            finally:
                visitor.close()
            self._keep(*answers)

    def start(self) -> "Traffic":
        targets = [(self._read, (n,)) for n in range(self.readers)]
        targets += [(self._post, (kind,)) for kind, rate in self.rates.items() if rate]
        self.threads = [threading.Thread(target=t, args=a, daemon=True) for t, a in targets]
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> list[Answer]:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)
        with self.lock:
            return sorted(self.answers, key=lambda answer: answer.started)
