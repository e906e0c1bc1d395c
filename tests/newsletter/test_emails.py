import email
import re
from email import policy
from html.parser import HTMLParser

import pytest

from newsletter import emails
from tests.blog.factories import PostFactory
from tests.newsletter.factories import IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def parts(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


def test_the_body_is_styled_inline_with_absolute_links(settings):
    settings.SITE_URL = "https://blog.example.org"
    html = emails.styled_body(
        '<p>Voir <a href="/billet/">le billet</a></p><img src="/media/a.jpg" alt="">'
    )
    assert (
        '<a style="color:#8a2d1c;text-decoration:underline;" href="https://blog.example.org/billet/">'
        in html
    )
    assert (
        '<img style="max-width:100%;height:auto;border:0;" src="https://blog.example.org/media/a.jpg"'
        in html
    )
    assert '<p style="margin:0 0 16px;">' in html


def test_each_subscriber_gets_their_own_links_in_text_html_and_headers():
    issue = IssueFactory(preheader="Ce mois-ci au jardin")
    renderer = emails.IssueRenderer(issue)
    first, second = SubscriberFactory.create_batch(2)

    one = renderer.message(subscriber=first, delivery_id=1)
    two = renderer.message(subscriber=second, delivery_id=2)

    for message, subscriber in ((one, first), (two, second)):
        text, html = parts(message)
        link = emails.unsubscribe_url(subscriber)
        assert f"<{link}>" == message.extra_headers["List-Unsubscribe"]
        assert link in text and f'href="{link}"' in html
        assert emails.preferences_url(subscriber) in text
    assert one.extra_headers["Message-ID"] != two.extra_headers["Message-ID"]
    assert "Ce mois-ci au jardin" in parts(one)[1]  # the preheader, hidden at the top


def test_the_html_reads_in_dark_mode_and_on_phones():
    _text, html = parts(
        emails.IssueRenderer(IssueFactory()).message(subscriber=SubscriberFactory(), delivery_id=1)
    )
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert 'name="viewport"' in html and "max-width:600px" in html


def test_a_post_issue_links_to_the_post_in_its_own_language():
    post = PostFactory(language="en", slug="spring")
    issue = IssueFactory(post=post)
    text, html = parts(
        emails.IssueRenderer(issue).message(
            subscriber=SubscriberFactory(language="fr"), delivery_id=1
        )
    )
    assert "http://testserver/en/spring/" in text
    assert "Le lire sur le site" in html


def test_the_confirmation_is_in_the_subscriber_language_and_has_no_list_headers():
    subscriber = SubscriberFactory(pending=True, language="en")
    message = emails.confirmation_message(subscriber)
    text, html = parts(message)
    assert message.subject == "Confirm your subscription to Chez Soi"
    assert "/en/newsletter/confirm/" in text and "Confirm my subscription" in html
    assert "List-Unsubscribe" not in message.extra_headers
    assert message.extra_headers["Message-ID"].endswith("@testserver>")


def test_a_test_copy_is_marked_and_leads_to_the_site():
    issue = IssueFactory(subject="Essai")
    message = emails.IssueRenderer(issue).test_message(to="editrice@example.org", language="fr")
    assert message.subject == "[Test] Essai"
    assert "/newsletter/unsubscribe/" not in message.body


def _read(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def test_each_subscriber_gets_their_own_links_and_headers(settings):
    settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = "desinscription@example.org"
    settings.SITE_NAME = "Chez Soi"
    settings.NEWSLETTER_LIST_ID = ""
    settings.NEWSLETTER_FEEDBACK_ID_SENDER = "chezsoi"
    issue = IssueFactory(
        subject="Au jardin — été", body="Bonjour **à tous**.\n\n[Le billet](/billet/)"
    )
    renderer = emails.IssueRenderer(issue)
    first, second = SubscriberFactory.create_batch(2)

    for delivery_id, subscriber, other in ((7, first, second), (8, second, first)):
        message = renderer.message(subscriber=subscriber, delivery_id=delivery_id)
        sent = _read(message.message().as_bytes(linesep="\r\n"))
        assert sent["To"] == subscriber.email
        assert sent["Subject"] == "Au jardin — été"
        assert sent["Message-ID"] == f"<newsletter.{issue.pk}.{delivery_id}@testserver>"
        assert sent["List-Unsubscribe"].strip() == (
            f"<{emails.unsubscribe_url(subscriber)}>, "
            "<mailto:desinscription@example.org?subject=unsubscribe>"
        )
        assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert sent["List-Id"] == "Chez Soi <newsletter.testserver>"
        assert sent["Feedback-ID"] == f"{issue.pk}:editor:newsletter:chezsoi"
        text = sent.get_body(("plain",)).get_content()
        html = sent.get_body(("html",)).get_content()
        for body in (text, html):
            assert emails.preferences_url(subscriber) in body
            assert emails.unsubscribe_url(subscriber) in body
            assert emails.unsubscribe_url(other) not in body
            assert emails.UNSUBSCRIBE_PLACEHOLDER not in body
            assert emails.PREFERENCES_PLACEHOLDER not in body
        assert "http://testserver/billet/" in text


def test_an_address_that_needs_encoding_and_very_long_lines_are_written_by_django():
    renderer = emails.IssueRenderer(IssueFactory(body="Mot " * 400))
    accented = SubscriberFactory(email="zoé@exemple.fr")

    sent = _read(renderer.message(subscriber=accented, delivery_id=1).message().as_bytes())

    assert sent["To"] == "zoé@exemple.fr"
    assert "Mot " * 100 in " ".join(sent.get_body(("plain",)).get_content().split())
    assert "Mot " * 100 in sent.get_body(("html",)).get_content()
    assert emails.unsubscribe_url(accented) in sent.get_body(("plain",)).get_content()


def test_the_text_part_reads_as_text_with_numbered_links_and_a_signature_separator(settings):
    settings.SITE_URL = "https://blog.example.org"
    long_line = "Une phrase qui revient " * 12
    issue = IssueFactory(body=f"{long_line}\n\nVoir [le billet](/billet/) et **la suite**.")
    message = emails.IssueRenderer(issue).message(subscriber=SubscriberFactory(), delivery_id=1)

    parsed = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    text = parsed.get_body(preferencelist=("plain",)).get_content()

    lines = text.splitlines()
    assert all(len(line) <= 78 for line in lines if not line.startswith("https://"))
    assert "Voir le billet [1] et la suite." in text
    assert "[1] https://blog.example.org/billet/" in lines
    assert "**" not in text
    assert "-- " in lines  # the separator mail clients recognise, with its space


# Contrast of every visible text of the emails, in light and dark mode (WCAG 2.1, 1.4.3) ---------

DARK_BLOCK = re.compile(r"@media \(prefers-color-scheme: dark\) \{(.*?)\n  \}", re.S)
RULE = re.compile(r"([^{}]+)\{([^}]*)\}")


def luminance(colour: str) -> float:
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_function_gives_the_figures_of_the_audit():
    assert round(contrast("#8a2d1c", "#161616"), 2) == 2.13
    assert round(contrast("#5c5c5c", "#161616"), 2) == 2.71
    assert round(contrast("#000", "#fff"), 1) == 21.0


def declarations(text: str) -> dict[str, str]:
    pairs = (part.split(":", 1) for part in text.split(";") if ":" in part)
    return {name.strip(): value.replace("!important", "").strip() for name, value in pairs}


def dark_rules(html: str) -> list[tuple[list[str], dict[str, str]]]:
    """Return the dark-mode rules as (selector as [".class", "tag"...], declarations)."""
    rules = []
    for selectors, body in RULE.findall(DARK_BLOCK.search(html).group(1)):
        for selector in selectors.split(","):
            rules.append((selector.split(), declarations(body)))
    return rules


class Texts(HTMLParser):
    """Collect each visible text with the colour and background it is shown in."""

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self, rules):
        super().__init__()
        self.rules = rules
        self.stack = [("html", set(), {"color": "#000000", "background": "#ffffff"}, False)]
        self.shown = []

    def matches(self, selector, tag, classes, ancestors) -> bool:
        *context, last = selector
        if not (last == tag or last.lstrip(".") in classes and last.startswith(".")):
            return False
        return all(
            any(part.lstrip(".") in a_classes for _, a_classes, _, _ in ancestors)
            for part in context
        )

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        inline = declarations(attrs.get("style") or "")
        _, _, parent, hidden = self.stack[-1]
        style = {"color": parent["color"], "background": parent["background"]}
        for name in ("color", "background"):
            if name in inline:
                style[name] = inline[name]
        if self.rules is not None:
            for selector, rule in self.rules:
                if self.matches(selector, tag, classes, self.stack):
                    style.update({k: v for k, v in rule.items() if k in style})
        hidden = (
            hidden
            or tag in {"head", "title", "style"}
            or "display:none" in (attrs.get("style") or "")
        )
        if tag not in self.VOID:
            self.stack.append((tag, classes, style, hidden))

    def handle_endtag(self, tag):
        if tag not in self.VOID and len(self.stack) > 1:
            self.stack.pop()

    def handle_data(self, data):
        tag, _, style, hidden = self.stack[-1]
        if data.strip() and not hidden:
            self.shown.append((data.strip(), tag, style["color"], style["background"]))


def texts_of(html: str, *, dark: bool):
    parser = Texts(dark_rules(html) if dark else None)
    parser.feed(html)
    return parser.shown


def newsletter_emails():
    subscriber = SubscriberFactory(language="fr")
    issue = IssueFactory(
        post=PostFactory(),
        body="Voir [le billet](/billet/).\n\n> Une citation.\n\n```\ncode\n```",
    )
    yield "confirmation", emails.confirmation_message(SubscriberFactory(pending=True))
    yield "data link", emails.data_link_message(subscriber)
    yield "issue", emails.IssueRenderer(issue).message(subscriber=subscriber, delivery_id=1)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_every_text_of_the_emails_has_a_contrast_of_at_least_4_5(dark):
    for name, message in newsletter_emails():
        _text, html = parts(message)
        shown = texts_of(html, dark=dark)
        assert any(text == "Chez Soi" for text, *_ in shown)  # the site's name is among them
        low = [
            (text[:30], tag, colour, background, round(contrast(colour, background), 2))
            for text, tag, colour, background in shown
            if contrast(colour, background) < 4.5
        ]
        assert low == [], name


UNSPACED = re.compile(r"(?<![\u00a0\u202f])[:;!?»](?=\s|$)|«(?![\u00a0\u202f])")


def test_the_emails_space_french_punctuation_with_non_breaking_spaces():
    for name, message in newsletter_emails():
        text, html = parts(message)
        shown = " ".join(words for words, *_ in texts_of(html, dark=False))
        for part, words in (("text", text), ("html", shown)):
            assert not [
                words[max(0, m.start() - 20) : m.end()] for m in UNSPACED.finditer(words)
            ], f"{name} ({part})"
