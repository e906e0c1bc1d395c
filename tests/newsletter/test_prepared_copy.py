"""The prepared copy against Django: each issue message sent from it is the one Django would write."""

import email
import re
from email import policy
from email.utils import parsedate_to_datetime

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address

from core import mail
from newsletter import emails
from newsletter.models import Delivery
from newsletter.services.deliveries import batch_send, issue_fan_out
from newsletter.services.issues import issue_send
from tests.blog.factories import PostFactory
from tests.newsletter.factories import IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

# What Django writes differently each time: the MIME boundary and the Date.
BOUNDARY = re.compile(rb"===============\d+==")
DATE_LINE = re.compile(rb"\r\nDate: [^\r]*\r\n")
BODY = (
    "Bonjour à toutes et à tous ! L'été arrive, « les tomates » aussi.\n\n"
    "Voici [le dernier billet](/billet/) et ![une photo](/media/jardin.jpg).\n\n"
    "Ça pousse : 🍅 ✓ — fin."
)
SUBSCRIBERS = [
    {"email": "lea@example.org", "language": "fr"},
    {"email": "tom.smith+news@example.co.uk", "language": "en"},
    # Longer than a header line: the email package folds it onto a line of its own.
    {"email": f"{'a' * 64}@a-rather-long-subdomain.example.org", "language": "en"},
    # Addresses that need encoding are written by Django itself.
    {"email": "anne@exämple.de", "language": "en"},
]
# A mail server without SMTPUTF8 cannot take this one, so it is only written, not sent.
UTF8_LOCAL_PART = {"email": "zoé@exemple.fr", "language": "fr"}
NEED_DJANGO = {"zoé@exemple.fr", "anne@exämple.de"}


@pytest.fixture(autouse=True)
def _list_settings(settings):
    settings.NEWSLETTER_FROM_EMAIL = '"Élise, de Chez Soi" <lettre@example.org>'
    settings.NEWSLETTER_REPLY_TO = ["Rédaction <redaction@example.org>"]
    settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = "desinscription@example.org"
    settings.NEWSLETTER_FEEDBACK_ID_SENDER = "chezsoi"


def _read(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def django_bytes(message: EmailMultiAlternatives) -> bytes:
    """Return `message` as Django's SMTP backend writes it."""
    return message.message().as_bytes(linesep="\r\n")


def assert_same_message(sent: bytes, expected: bytes) -> None:
    """Fail unless `sent` reads as `expected`: headers, parts and decoded bodies; Date by value."""
    got, want = _read(sent), _read(expected)
    assert got.keys() == want.keys()
    for name in want.keys():
        if name == "Date":
            moments = parsedate_to_datetime(got[name]), parsedate_to_datetime(want[name])
            assert abs((moments[0] - moments[1]).total_seconds()) < 60
        elif name != "Content-Type":  # compared part by part below, boundary aside
            assert str(got[name]) == str(want[name]), name
    for got_part, want_part in zip(got.walk(), want.walk(), strict=True):
        assert got_part.get_content_type() == want_part.get_content_type()
        assert [p for p in got_part.get_params() if p[0] != "boundary"] == [
            p for p in want_part.get_params() if p[0] != "boundary"
        ]
        assert got_part["Content-Transfer-Encoding"] == want_part["Content-Transfer-Encoding"]
        if not got_part.is_multipart():
            assert got_part.get_content() == want_part.get_content()
    # Stricter than a reader needs, and true today: the very bytes Django writes.
    assert DATE_LINE.sub(b"", BOUNDARY.sub(b"-", sent)) == DATE_LINE.sub(
        b"", BOUNDARY.sub(b"-", expected)
    )


@pytest.mark.parametrize(
    "body",
    [BODY, BODY + "\n\n" + "Une très longue ligne sans retour, " * 40],
    ids=["short-lines", "very-long-line"],
)
def test_each_recipient_gets_what_django_would_write(body):
    issue = IssueFactory(subject="Au jardin — l’été, enfin", body=body)
    renderer = emails.IssueRenderer(issue)
    long_lines = len(body.splitlines()[-1]) > 998

    for delivery_id, fields in enumerate([*SUBSCRIBERS, UTF8_LOCAL_PART], start=41):
        subscriber = SubscriberFactory(**fields)
        message, raw = renderer.prepared_message(subscriber=subscriber, delivery_id=delivery_id)
        expected = django_bytes(renderer.message(subscriber=subscriber, delivery_id=delivery_id))

        if subscriber.email in NEED_DJANGO or long_lines:
            assert raw is None, "only Django can write this one"
            continue
        assert raw is not None, "a plain address and short lines take the prepared path"
        assert_same_message(raw, expected)
        assert_same_message(raw, django_bytes(message))
        sent = _read(raw)
        assert sent["To"] == subscriber.email
        assert sent["Message-ID"] == f"<newsletter.{issue.pk}.{delivery_id}@testserver>"
        assert emails.unsubscribe_url(subscriber) in sent["List-Unsubscribe"]
        text = sent.get_body(("plain",)).get_content()
        assert emails.preferences_url(subscriber) in text
        assert "http://testserver/billet/" in text
        assert not re.search(rb"[^\r]\n|\r[^\n]", raw), "every line ends in CRLF"


def test_a_link_that_would_push_a_line_past_998_characters_is_left_to_django():
    line = "x" * 960 + " " + emails.UNSUBSCRIBE_PLACEHOLDER  # fits with the stand-in only
    template = EmailMultiAlternatives(
        "Objet",
        line,
        "lettre@example.org",
        [emails.TO_PLACEHOLDER],
        headers={
            "Message-ID": emails.MESSAGE_ID_PLACEHOLDER,
            "List-Unsubscribe": emails.LIST_UNSUBSCRIBE_PLACEHOLDER,
        },
    )
    template.attach_alternative("<p>Bonjour</p>", "text/html")
    copy = emails.PreparedCopy.build(template)
    assert copy is not None
    short, long = "http://testserver/u/court/", "http://testserver/u/" + "t" * 60 + "/"
    links = {emails.PREFERENCES_PLACEHOLDER: short}

    def stamp(url):
        return copy.stamp(
            to="lea@example.org",
            message_id="<un@testserver>",
            list_unsubscribe=f"<{url}>",
            links={**links, emails.UNSUBSCRIBE_PLACEHOLDER: url},
        )

    assert stamp(short) is not None
    assert stamp(long) is None  # Django writes that body in quoted-printable


class TestOverSmtp:
    def test_the_server_receives_the_bytes_django_would_send(self, smtp_server):
        issue = IssueFactory(subject="Au jardin — l’été, enfin", body=BODY)
        renderer = emails.IssueRenderer(issue)
        subscribers = [SubscriberFactory(**fields) for fields in SUBSCRIBERS]

        prepared = []
        with mail.Mailer() as mailer:
            for delivery_id, subscriber in enumerate(subscribers, start=1):
                message, raw = renderer.prepared_message(
                    subscriber=subscriber, delivery_id=delivery_id
                )
                assert mailer.send_prepared(message, raw) == message.extra_headers["Message-ID"]
                prepared.append(raw)

        smtp_server.wait_for(len(subscribers))
        envelopes = smtp_server.handler.envelopes
        for delivery_id, (subscriber, envelope, raw) in enumerate(
            zip(subscribers, envelopes, prepared, strict=True), start=1
        ):
            expected = renderer.message(subscriber=subscriber, delivery_id=delivery_id)
            assert envelope.content == (raw or envelope.content), "the prepared bytes, as they are"
            assert envelope.mail_from == "lettre@example.org"
            assert envelope.rcpt_tos == [sanitize_address(subscriber.email, "utf-8")]
            assert_same_message(envelope.content, django_bytes(expected))

    def test_a_batch_sends_each_subscriber_what_django_would_write(self, smtp_server, queued):
        issue = IssueFactory(post=PostFactory(language="en", slug="spring"), body=BODY)
        subscribers = [SubscriberFactory(**fields) for fields in SUBSCRIBERS]
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        [(issue_id, ids)] = queued.named("send_batch")

        assert batch_send(issue_id=issue_id, delivery_ids=ids).sent == len(subscribers)

        smtp_server.wait_for(len(subscribers))
        renderer = emails.IssueRenderer(issue)
        for subscriber in subscribers:
            delivery = Delivery.objects.get(issue=issue, subscriber=subscriber)
            [envelope] = [
                envelope
                for envelope in smtp_server.handler.envelopes
                if f"<newsletter.{issue.pk}.{delivery.pk}@testserver>".encode() in envelope.content
            ]
            expected = renderer.message(subscriber=subscriber, delivery_id=delivery.pk)
            assert_same_message(envelope.content, django_bytes(expected))
            assert delivery.message_id == expected.extra_headers["Message-ID"]
