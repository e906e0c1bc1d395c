"""Compose the newsletter's emails: text and inline-styled HTML, personal links and bulk-mail headers."""

import re
from email.header import Header
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import RFC5322_EMAIL_LINE_LENGTH_LIMIT
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.plaintext import html_to_text
from core.urls import absolute_links
from newsletter import tokens
from newsletter.models import Issue, Subscriber

# Stand-ins rendered once per language, replaced per subscriber: templates render once per batch.
UNSUBSCRIBE_PLACEHOLDER = "__NEWSLETTER_UNSUBSCRIBE_URL__"
PREFERENCES_PLACEHOLDER = "__NEWSLETTER_PREFERENCES_URL__"

ACCENT = "#8a2d1c"
# Mail clients drop <style> blocks unevenly, so the elements of an issue's body carry their own.
BODY_STYLES = {
    "p": "margin:0 0 16px;",
    "a": f"color:{ACCENT};text-decoration:underline;",
    "h1": "font-size:24px;line-height:1.3;margin:24px 0 12px;",
    "h2": "font-size:21px;line-height:1.3;margin:24px 0 12px;",
    "h3": "font-size:18px;line-height:1.3;margin:20px 0 10px;",
    "img": "max-width:100%;height:auto;border:0;",
    "blockquote": "margin:0 0 16px;padding:0 0 0 14px;border-left:3px solid #d6cfc4;",
    "pre": "white-space:pre-wrap;background:#f4f1ec;color:#1d1d1f;padding:12px;font-size:14px;",
    "ul": "margin:0 0 16px;padding-left:24px;",
    "ol": "margin:0 0 16px;padding-left:24px;",
}
OPENING_TAG = re.compile(rf"<({'|'.join(BODY_STYLES)})(?=[\s>/])")
# Stand-ins of the per-recipient headers in a language's prepared copy (see PreparedCopy).
TO_PLACEHOLDER = "newsletter-recipient@placeholder.invalid"
MESSAGE_ID_PLACEHOLDER = "<newsletter-message-id@placeholder.invalid>"
DATE_PLACEHOLDER = "__NEWSLETTER_DATE__"
LIST_UNSUBSCRIBE_PLACEHOLDER = "__NEWSLETTER_LIST_UNSUBSCRIBE__"
# An address Django writes as it is, in the To header and the SMTP envelope: an ASCII dot-atom.
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
PLAIN_ADDRESS = re.compile(rf"{ATEXT}(?:\.{ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
# The email package folds header lines longer than this (Django writes with its compat32 policy).
HEADER_LINE = 78


def site_domain() -> str:
    """Return the host name of SITE_URL, the domain our Message-IDs and List-Id live on."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def list_id() -> str:
    return settings.NEWSLETTER_LIST_ID or f"{settings.SITE_NAME} <newsletter.{site_domain()}>"


def unsubscribe_url(subscriber: Subscriber) -> str:
    token = tokens.unsubscribe_token(subscriber.key)
    return settings.SITE_URL + reverse("newsletter_unsubscribe", kwargs={"token": token})


def preferences_url(subscriber: Subscriber) -> str:
    token = tokens.preferences_token(subscriber.key)
    with translation.override(subscriber.language):
        path = reverse("newsletter:preferences", kwargs={"token": token})
    return settings.SITE_URL + path


def confirmation_url(subscriber: Subscriber) -> str:
    token = tokens.confirmation_token(subscriber.confirmation_key)
    with translation.override(subscriber.language):
        path = reverse("newsletter:confirm", kwargs={"token": token})
    return settings.SITE_URL + path


def data_access_url(subscriber: Subscriber) -> str:
    token = tokens.data_access_token(subscriber.key)
    with translation.override(subscriber.language):
        path = reverse("newsletter:my_data", kwargs={"token": token})
    return settings.SITE_URL + path


def styled_body(html: str) -> str:
    """Return sanitized body HTML with inline styles and absolute links, ready for mail clients."""
    html = absolute_links(html)
    return OPENING_TAG.sub(lambda match: f'<{match[1]} style="{BODY_STYLES[match[1]]}"', html)


def list_headers(*, unsubscribe: str) -> dict[str, str]:
    """Return the headers Gmail, Yahoo and Outlook expect on bulk mail, for one recipient."""
    targets = [f"<{unsubscribe}>"]
    if settings.NEWSLETTER_UNSUBSCRIBE_MAILTO:
        targets.append(f"<mailto:{settings.NEWSLETTER_UNSUBSCRIBE_MAILTO}?subject=unsubscribe>")
    return {
        "List-Id": list_id(),
        "List-Unsubscribe": ", ".join(targets),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Precedence": "bulk",
    }


class IssueRenderer:
    """Render an issue once per language, then put each subscriber's links into their message."""

    def __init__(self, issue: Issue):
        self.issue = issue
        self.rendered: dict[str, tuple[str, str]] = {}
        self.copies: dict[str, PreparedCopy | None] = {}
        self.last_links: tuple[tuple[str, str], dict[str, str]] | None = None

    def parts(self, language: str) -> tuple[str, str]:
        if language not in self.rendered:
            self.rendered[language] = self._render(language)
        return self.rendered[language]

    def _render(self, language: str) -> tuple[str, str]:
        issue = self.issue
        with translation.override(language):
            context = {
                "issue": issue,
                "body_html": styled_body(issue.body_html),
                "body_text": html_to_text(issue.body_html, base_url=settings.SITE_URL),
                "post_url": issue.post.get_canonical_url() if issue.post_id else "",
                "archive_url": settings.SITE_URL + issue.get_absolute_url() if issue.pk else "",
                "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
                "preferences_url": PREFERENCES_PLACEHOLDER,
                "site_name": settings.SITE_NAME,
                "site_url": settings.SITE_URL,
                "language": language,
            }
            text = render_to_string("newsletter/email/issue.txt", context)
            html = render_to_string("newsletter/email/issue.html", context)
        return text, html

    def message(self, *, subscriber: Subscriber, delivery_id: int) -> EmailMultiAlternatives:
        """Return the issue as `subscriber` receives it, with its personal links and headers."""
        links = self._links(subscriber)
        text, html = (self._personalise(part, links) for part in self.parts(subscriber.language))
        headers = self._headers(
            # Stable per delivery: a copy resent after a crash carries the same id, and mail
            # systems that de-duplicate on it show the reader one message.
            message_id=f"<newsletter.{self.issue.pk}.{delivery_id}@{site_domain()}>",
            unsubscribe=links[UNSUBSCRIBE_PLACEHOLDER],
        )
        return _message(
            subject=self.issue.subject, text=text, html=html, to=subscriber.email, headers=headers
        )

    def prepared_message(
        self, *, subscriber: Subscriber, delivery_id: int
    ) -> tuple[EmailMultiAlternatives, bytes | None]:
        """Return `message()` and the same message as bytes, stamped into the prepared copy.

        The bytes are None when only Django can write this recipient's message (see PreparedCopy).
        """
        message = self.message(subscriber=subscriber, delivery_id=delivery_id)
        copy = self._copy(subscriber.language)
        if copy is None:
            return message, None
        raw = copy.stamp(
            to=subscriber.email,
            message_id=message.extra_headers["Message-ID"],
            list_unsubscribe=message.extra_headers["List-Unsubscribe"],
            links=self._links(subscriber),
        )
        return message, raw

    def _links(self, subscriber: Subscriber) -> dict[str, str]:
        # Kept for the last subscriber: prepared_message() needs the links message() just made.
        key = (subscriber.key, subscriber.language)
        if self.last_links is None or self.last_links[0] != key:
            links = {
                UNSUBSCRIBE_PLACEHOLDER: unsubscribe_url(subscriber),
                PREFERENCES_PLACEHOLDER: preferences_url(subscriber),
            }
            self.last_links = (key, links)
        return self.last_links[1]

    def _headers(self, *, message_id: str, unsubscribe: str) -> dict[str, str]:
        sender = settings.NEWSLETTER_FEEDBACK_ID_SENDER
        return {
            "Message-ID": message_id,
            "Feedback-ID": f"{self.issue.pk}:{self.issue.origin}:newsletter:{sender}",
            **list_headers(unsubscribe=unsubscribe),
        }

    def _copy(self, language: str) -> "PreparedCopy | None":
        if language not in self.copies:
            text, html = self.parts(language)
            headers = {
                **self._headers(message_id=MESSAGE_ID_PLACEHOLDER, unsubscribe="x"),
                "List-Unsubscribe": LIST_UNSUBSCRIBE_PLACEHOLDER,
            }
            template = _message(
                subject=self.issue.subject, text=text, html=html, to=TO_PLACEHOLDER, headers=headers
            )
            self.copies[language] = PreparedCopy.build(template)
        return self.copies[language]

    def test_message(self, *, to: str, language: str) -> EmailMultiAlternatives:
        """Return the issue as an editor's test copy: marked as a test, links leading to the site."""
        text, html = self.parts(language)
        subscribe_page = settings.SITE_URL + reverse("newsletter:subscribe")
        links = {UNSUBSCRIBE_PLACEHOLDER: subscribe_page, PREFERENCES_PLACEHOLDER: subscribe_page}
        with translation.override(language):
            subject = _("[Test] %(subject)s") % {"subject": self.issue.subject}
        headers = {
            "Message-ID": make_msgid(idstring="newsletter-test", domain=site_domain()),
            **list_headers(unsubscribe=subscribe_page),
        }
        return _message(
            subject=subject,
            text=self._personalise(text, links),
            html=self._personalise(html, links),
            to=to,
            headers=headers,
        )

    def preview_html(self, language: str) -> str:
        """Return the HTML an editor previews in the browser, links pointing at the site."""
        subscribe_page = settings.SITE_URL + reverse("newsletter:subscribe")
        _text, html = self.parts(language)
        return self._personalise(
            html, {UNSUBSCRIBE_PLACEHOLDER: subscribe_page, PREFERENCES_PLACEHOLDER: subscribe_page}
        )

    def preview_text(self, language: str) -> str:
        subscribe_page = settings.SITE_URL + reverse("newsletter:subscribe")
        text, _html = self.parts(language)
        return self._personalise(
            text, {UNSUBSCRIBE_PLACEHOLDER: subscribe_page, PREFERENCES_PLACEHOLDER: subscribe_page}
        )

    @staticmethod
    def _personalise(content: str, links: dict[str, str]) -> str:
        for placeholder, url in links.items():
            content = content.replace(placeholder, url)
        return content


def confirmation_message(subscriber: Subscriber) -> EmailMultiAlternatives:
    """Return the double opt-in email: the only one an unconfirmed address ever receives."""
    with translation.override(subscriber.language):
        return _subscriber_message(
            subscriber,
            template="newsletter/email/confirmation",
            subject=_("Confirm your subscription to %(site)s") % {"site": settings.SITE_NAME},
            message_kind="newsletter-confirm",
            confirm_url=confirmation_url(subscriber),
            expiry_days=max(1, settings.NEWSLETTER_CONFIRMATION_MAX_AGE // 86400),
        )


def data_link_message(subscriber: Subscriber) -> EmailMultiAlternatives:
    """Return the email carrying a short-lived link to download or erase one's data."""
    with translation.override(subscriber.language):
        return _subscriber_message(
            subscriber,
            template="newsletter/email/data_link",
            subject=_("Your data at %(site)s") % {"site": settings.SITE_NAME},
            message_kind="newsletter-data",
            data_url=data_access_url(subscriber),
            expiry_minutes=max(1, settings.NEWSLETTER_DATA_LINK_MAX_AGE // 60),
        )


def _subscriber_message(
    subscriber: Subscriber, *, template: str, subject: str, message_kind: str, **context
) -> EmailMultiAlternatives:
    """Render a one-off email to a subscriber from `template`.txt and .html, in the active language."""
    context.update(
        site_name=settings.SITE_NAME, site_url=settings.SITE_URL, language=subscriber.language
    )
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    headers = {"Message-ID": make_msgid(idstring=message_kind, domain=site_domain())}
    return _message(subject=subject, text=text, html=html, to=subscriber.email, headers=headers)


class PreparedCopy:
    """An issue's message in one language, written out once by Django, each recipient stamped in.

    Writing a message out (MIME parts, header folding and encoding) is most of the worker CPU a
    send costs. The copy is Django's own output for a stand-in recipient: each recipient's To,
    Date, Message-ID, List-Unsubscribe and two personal links replace the stand-ins, the headers
    folded as the email package folds them. Where the result could differ from what Django
    writes (an address that needs encoding, a part encoded in quoted-printable or base64, a line
    a link would push past 998 characters), `stamp` returns None and Django writes that message.
    tests/newsletter/test_prepared_copy.py compares the two, recipient by recipient.
    """

    def __init__(self, head: bytes, body: bytes, link_lines: list[tuple[int, int, int]]):
        self.head = head
        self.body = body
        # (length, unsubscribe links, preferences links) of each body line holding a link.
        self.link_lines = link_lines

    @classmethod
    def build(cls, template: EmailMultiAlternatives) -> "PreparedCopy | None":
        """Write `template` out once; None when its stand-ins did not come out whole."""
        written = template.message()
        written.replace_header("Date", DATE_PLACEHOLDER)
        # Links go in as they are: only into parts written as plain 7bit or 8bit lines.
        if any(
            part.get("Content-Transfer-Encoding", "7bit") not in ("7bit", "8bit")
            for part in written.walk()
        ):
            return None
        head, _blank, body = written.as_bytes(linesep="\r\n").partition(b"\r\n\r\n")
        head = b"\r\n" + head + b"\r\n"
        stand_ins = (
            ("To", TO_PLACEHOLDER),
            ("Message-ID", MESSAGE_ID_PLACEHOLDER),
            ("Date", DATE_PLACEHOLDER),
            ("List-Unsubscribe", LIST_UNSUBSCRIBE_PLACEHOLDER),
        )
        if any(head.count(f"\r\n{name}: {value}\r\n".encode()) != 1 for name, value in stand_ins):
            return None
        [(html, _mimetype)] = template.alternatives
        links = (UNSUBSCRIBE_PLACEHOLDER.encode(), PREFERENCES_PLACEHOLDER.encode())
        for link in links:
            if body.count(link) != (template.body + html).count(link.decode()):
                return None  # a folded or encoded line split one
        link_lines = [
            (len(line), line.count(links[0]), line.count(links[1]))
            for line in body.split(b"\r\n")
            if links[0] in line or links[1] in line
        ]
        return cls(head, body, link_lines)

    def stamp(
        self, *, to: str, message_id: str, list_unsubscribe: str, links: dict[str, str]
    ) -> bytes | None:
        """Return the recipient's message as bytes, or None when Django must write it."""
        unsubscribe, preferences = links[UNSUBSCRIBE_PLACEHOLDER], links[PREFERENCES_PLACEHOLDER]
        values = (message_id, list_unsubscribe, unsubscribe, preferences)
        if not PLAIN_ADDRESS.fullmatch(to):
            return None
        if not all(value.isascii() and value.isprintable() for value in values):
            return None
        # Django writes a body with a line over 998 characters in quoted-printable.
        unsubscribe_growth = len(unsubscribe) - len(UNSUBSCRIBE_PLACEHOLDER)
        preferences_growth = len(preferences) - len(PREFERENCES_PLACEHOLDER)
        if any(
            length + unsubscribes * unsubscribe_growth + preferences * preferences_growth
            > RFC5322_EMAIL_LINE_LENGTH_LIMIT
            for length, unsubscribes, preferences in self.link_lines
        ):
            return None
        head = self.head
        for name, stand_in, value in (
            ("To", TO_PLACEHOLDER, to),
            ("Message-ID", MESSAGE_ID_PLACEHOLDER, message_id),
            ("Date", DATE_PLACEHOLDER, formatdate(localtime=settings.EMAIL_USE_LOCALTIME)),
            ("List-Unsubscribe", LIST_UNSUBSCRIBE_PLACEHOLDER, list_unsubscribe),
        ):
            head = head.replace(
                f"\r\n{name}: {stand_in}\r\n".encode(),
                f"\r\n{name}: {_folded(name, value)}\r\n".encode(),
                1,
            )
        body = self.body.replace(UNSUBSCRIBE_PLACEHOLDER.encode(), unsubscribe.encode())
        body = body.replace(PREFERENCES_PLACEHOLDER.encode(), preferences.encode())
        return head[2:] + b"\r\n" + body


def _folded(name: str, value: str) -> str:
    """Return an ASCII header value folded as Django's email package folds it."""
    if len(name) + 2 + len(value) <= HEADER_LINE and "  " not in value:
        return value  # a line that fits is written as it is
    return Header(value, header_name=name).encode(linesep="\r\n", maxlinelen=HEADER_LINE)


def _message(*, subject, text, html, to, headers) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        # One line: a line break in a title would make Django refuse the whole message.
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[to],
        reply_to=settings.NEWSLETTER_REPLY_TO or None,
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message
