"""Compose the newsletter's emails: text and inline-styled HTML, personal links and bulk-mail headers."""

import re
from email.utils import make_msgid
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
    """Render an issue once per language, then put each subscriber's links into their message."""

    def __init__(self, issue: Issue):
        self.issue = issue
        self.rendered: dict[str, tuple[str, str]] = {}

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
        return _message(
            subject=self.issue.subject, text=text, html=html, to=subscriber.email, headers=headers
        )

    def _issue_headers(self) -> dict[str, str]:
        sender = settings.NEWSLETTER_FEEDBACK_ID_SENDER
        return {"Feedback-ID": f"{self.issue.pk}:{self.issue.origin}:newsletter:{sender}"}

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
