import re
from html.parser import HTMLParser

import pytest

from comments import emails
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db

# French puts a non-breaking space before : ; ! ? and inside « »; a plain space lets the line break
# before the colon, and no space at all reads as English.
UNSPACED = re.compile(r"(?<![\u00a0\u202f])[:;!?»](?=\s|$)|«(?![\u00a0\u202f])")
RIGHT_TO_LEFT_NAME = "Mallory \u202eesrever"


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hidden = 0
        self.words = []

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in {"head", "style"}

    def handle_endtag(self, tag):
        self.hidden -= tag in {"head", "style"}

    def handle_data(self, data):
        if not self.hidden:
            self.words.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.words)


def messages():
    subscription = CommentFactory(language="fr", notify_replies=True, author_name="Alice")
    reply = CommentFactory(parent=subscription, author_name=RIGHT_TO_LEFT_NAME)
    yield "reply notification", emails.reply_notification(reply=reply, subscription=subscription)
    yield (
        "moderation notice",
        emails.moderation_notice(to="editrice@example.org", comments=[reply], waiting_total=3),
    )


def test_the_comment_emails_space_french_punctuation_with_non_breaking_spaces(settings):
    settings.LANGUAGE_CODE = "fr"
    for name, message in messages():
        [(html, _mimetype)] = message.alternatives
        for part, text in (("text", message.body), ("html", visible_text(html))):
            assert not [text[max(0, m.start() - 20) : m.end()] for m in UNSPACED.finditer(text)], (
                f"{name} ({part})"
            )


def test_the_comment_emails_isolate_author_names(settings):
    settings.LANGUAGE_CODE = "fr"
    notification, notice = (message for _name, message in messages())

    [(html, _mimetype)] = notification.alternatives
    assert "<p>Bonjour <bdi>Alice</bdi>,</p>" in html
    assert f"<p><bdi>{RIGHT_TO_LEFT_NAME}</bdi> a répondu dans la conversation" in html
    [(html, _mimetype)] = notice.alternatives
    assert f"<strong><bdi>{RIGHT_TO_LEFT_NAME}</bdi></strong>" in html
