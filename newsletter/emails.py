"""Compose the newsletter's emails: text and inline-styled HTML, personal links and bulk-mail headers."""

import re
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

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
RELATIVE_LINK = re.compile(r'(\s(?:href|src)=")/(?!/)')
RELATIVE_MARKDOWN_LINK = re.compile(r"\]\(/(?!/)")
# Stand-ins of the per-recipient headers in a batch's prepared copy (see PreparedCopy).
TO_PLACEHOLDER = "newsletter-recipient@placeholder.invalid"
MESSAGE_ID_PLACEHOLDER = "<newsletter-message-id@placeholder.invalid>"
LIST_UNSUBSCRIBE_PLACEHOLDER = "__NEWSLETTER_LIST_UNSUBSCRIBE__"
DATE_PLACEHOLDER = "__NEWSLETTER_DATE__"
# An address that is the same bytes in the To header and the SMTP envelope: plain ASCII dot-atom.
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
MAX_LINE = 998  # RFC 5322: no line longer than this, whatever the encoding


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
    html = RELATIVE_LINK.sub(rf"\1{settings.SITE_URL}/", html)
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
    """Render an issue once per language, then stamp each subscriber's links into the copy."""

    def __init__(self, issue: Issue):
        self.issue = issue
        self.rendered: dict[str, tuple[str, str]] = {}
        self.copies: dict[str, PreparedCopy | None] = {}

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
                "body_text": RELATIVE_MARKDOWN_LINK.sub(f"]({settings.SITE_URL}/", issue.body),
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
        unsubscribe = unsubscribe_url(subscriber)
        links = {
            UNSUBSCRIBE_PLACEHOLDER: unsubscribe,
            PREFERENCES_PLACEHOLDER: preferences_url(subscriber),
        }
        text, html = (self._personalise(part, links) for part in self.parts(subscriber.language))
        headers = {
            # Stable per delivery: a copy resent after a crash carries the same id, and mail
            # systems that de-duplicate on it show the reader one message.
            "Message-ID": f"<newsletter.{self.issue.pk}.{delivery_id}@{site_domain()}>",
            **self._issue_headers(),
            **list_headers(unsubscribe=unsubscribe),
        }
        message = _message(
            subject=self.issue.subject, text=text, html=html, to=subscriber.email, headers=headers
        )
        copy = self._copy(subscriber.language)
        if copy is not None:
            message.raw = copy.stamp(
                to=subscriber.email,
                message_id=headers["Message-ID"],
                list_unsubscribe=headers["List-Unsubscribe"],
                links=links,
            )
        return message

    def _issue_headers(self) -> dict[str, str]:
        sender = settings.NEWSLETTER_FEEDBACK_ID_SENDER
        return {"Feedback-ID": f"{self.issue.pk}:{self.issue.origin}:newsletter:{sender}"}

    def _copy(self, language: str) -> "PreparedCopy | None":
        if language not in self.copies:
            text, html = self.parts(language)
            headers = {
                "Message-ID": MESSAGE_ID_PLACEHOLDER,
                "Date": DATE_PLACEHOLDER,
                **self._issue_headers(),
                **list_headers(unsubscribe="x"),
                "List-Unsubscribe": LIST_UNSUBSCRIBE_PLACEHOLDER,
            }
            template = _message(
                subject=self.issue.subject, text=text, html=html, to=TO_PLACEHOLDER, headers=headers
            )
            self.copies[language] = PreparedCopy.build(template, text=text, html=html)
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
    """An issue's message in one language, serialised once, into which each recipient is stamped.

    Python's email package folds and encodes every header again for every message it writes:
    that was a fifth of a batch's time. The copy is written once per batch by Django itself, with
    stand-ins where recipients differ (To, Date, Message-ID, List-Unsubscribe and the two
    personal links in the bodies), and each recipient's values replace them byte for byte. Only
    values that need no encoding take this path; anything else is left to Django, message by
    message, so the result is always what Django would have written (bar the MIME boundary).
    """

    def __init__(self, raw: bytes, slack_lines: list[tuple[int, int]]):
        self.raw = raw
        # (length, stand-ins) of each body line holding a personal link: it must stay ≤ MAX_LINE.
        self.slack_lines = slack_lines

    @classmethod
    def build(
        cls, template: EmailMultiAlternatives, *, text: str, html: str
    ) -> "PreparedCopy | None":
        raw = template.message().as_bytes(linesep="\r\n")
        header_end = raw.find(b"\r\n\r\n")
        head = raw[:header_end]
        links = (UNSUBSCRIBE_PLACEHOLDER, PREFERENCES_PLACEHOLDER)
        # Each stand-in must have come out whole, where it was put: a body encoded in
        # quoted-printable (very long lines) or a folded header would have split one.
        expected = sum(part.count(link) for part in (text, html) for link in links)
        found = sum(raw.count(link.encode()) for link in links)
        headers_whole = all(
            head.count(f"{name}: {value}\r\n".encode()) == 1
            for name, value in (
                ("To", TO_PLACEHOLDER),
                ("Message-ID", MESSAGE_ID_PLACEHOLDER),
                ("Date", DATE_PLACEHOLDER),
                ("List-Unsubscribe", LIST_UNSUBSCRIBE_PLACEHOLDER),
            )
        )
        # Links are stamped in as they are: only into parts that are not encoded (8bit or 7bit).
        encoded = b"quoted-printable" in raw or b"Transfer-Encoding: base64" in raw
        if found != expected or not headers_whole or encoded:
            return None
        slack_lines = [
            (len(line), sum(line.count(link.encode()) for link in links))
            for line in raw[header_end:].split(b"\r\n")
            if any(link.encode() in line for link in links)
        ]
        return cls(raw, slack_lines)

    def stamp(
        self, *, to: str, message_id: str, list_unsubscribe: str, links: dict[str, str]
    ) -> bytes | None:
        """Return the recipient's message as bytes, or None when Django must write it."""
        values = [to, message_id, list_unsubscribe, *links.values()]
        if not PLAIN_ADDRESS.fullmatch(to) or not all(value.isascii() for value in values):
            return None
        if any("\r" in value or "\n" in value for value in values):
            return None
        growth = max(len(url) for url in links.values()) - len(UNSUBSCRIBE_PLACEHOLDER)
        if any(length + count * growth > MAX_LINE for length, count in self.slack_lines):
            return None
        # Fold between the targets, as the email package would; a single URL is never folded.
        folded = list_unsubscribe.replace(">, <", ">,\r\n <")
        if any(len(line) + len("List-Unsubscribe: ") > MAX_LINE for line in folded.split("\r\n")):
            return None
        raw = self.raw.replace(f"To: {TO_PLACEHOLDER}\r\n".encode(), f"To: {to}\r\n".encode(), 1)
        raw = raw.replace(MESSAGE_ID_PLACEHOLDER.encode(), message_id.encode(), 1)
        raw = raw.replace(
            DATE_PLACEHOLDER.encode(),
            formatdate(localtime=settings.EMAIL_USE_LOCALTIME).encode(),
            1,
        )
        raw = raw.replace(LIST_UNSUBSCRIBE_PLACEHOLDER.encode(), folded.encode(), 1)
        for placeholder, url in links.items():
            raw = raw.replace(placeholder.encode(), url.encode())
        return raw


class IssueMessage(EmailMultiAlternatives):
    """A message that may carry `raw`, its bytes already written, for the SMTP backend to send."""

    raw: bytes | None = None


def _message(*, subject, text, html, to, headers) -> IssueMessage:
    message = IssueMessage(
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
