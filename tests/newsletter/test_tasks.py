"""The pipeline end to end: a real Celery worker on Redis, PostgreSQL, and a real SMTP server."""

import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.test import Client

from newsletter import tasks
from newsletter.models import Delivery, Issue, Subscriber, SubscriberEvent
from newsletter.services.issues import issue_send
from tests.newsletter.broker import wait_until_settled
from tests.newsletter.factories import IssueFactory, SubscriberFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def issue_status(issue):
    return Issue.objects.get(pk=issue.pk).status


def path_of(url):
    return urlsplit(url).path


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://blog.example.org"
    settings.NEWSLETTER_FROM_EMAIL = "Chez Soi <lettre@blog.example.org>"
    settings.NEWSLETTER_REPLY_TO = ["redaction@blog.example.org"]
    settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = "desabonnement@blog.example.org"
    settings.NEWSLETTER_RETRY_BACKOFF_MAX = 1
    return settings


def test_every_subscriber_receives_the_issue_with_the_bulk_mail_headers(
    site, smtp_server, celery_worker
):
    french = SubscriberFactory(email="marie@example.org", language="fr")
    english = SubscriberFactory(email="john@example.org", language="en")
    SubscriberFactory(email="pas-encore@example.org", pending=True)
    issue = IssueFactory(subject="La lettre de mai", body="Bonjour **tout le monde**.")

    issue_send(issue=issue)

    smtp_server.wait_for(2)
    wait_until(lambda: issue_status(issue) == Issue.Status.SENT)
    assert smtp_server.to("pas-encore@example.org") == []
    [message] = smtp_server.to("marie@example.org")
    assert message["Subject"] == "La lettre de mai"
    assert message["From"] == "Chez Soi <lettre@blog.example.org>"
    assert message["Reply-To"] == "redaction@blog.example.org"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_link, mailto = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    assert https_link.startswith("https://blog.example.org/newsletter/unsubscribe/")
    assert mailto == "mailto:desabonnement@blog.example.org?subject=unsubscribe"
    assert message["List-Id"] == "Chez Soi <newsletter.blog.example.org>"
    assert message["Message-ID"].endswith("@blog.example.org>")
    assert message["Feedback-ID"].startswith(f"{issue.pk}:editor:newsletter:")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Bonjour tout le monde." in text and https_link in text
    assert "<strong>tout le monde</strong>" in html and f'href="{https_link}"' in html
    assert 'name="color-scheme" content="light dark"' in html
    delivery = Delivery.objects.get(subscriber=french)
    assert delivery.message_id == message["Message-ID"]

    # Personal links work: the preferences page opens, the one-click address unsubscribes.
    preferences = re.search(r"https://blog\.example\.org(/newsletter/preferences/[^\s\"]+/)", text)
    assert Client().get(preferences[1]).status_code == 200
    [english_message] = smtp_server.to("john@example.org")
    english_link = re.findall(r"<([^>]+)>", english_message["List-Unsubscribe"])[0]
    response = Client(enforce_csrf_checks=True).post(
        path_of(english_link), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert Subscriber.objects.get(pk=english.pk).status == Subscriber.Status.UNSUBSCRIBED


def test_a_visitor_confirms_through_the_email_received(site, smtp_server, celery_worker):
    Client().post("/newsletter/", {"email": "nouvelle@example.org", "language": "en"})

    [message] = smtp_server.wait_for(1)
    assert message["To"] == "nouvelle@example.org"
    assert "List-Unsubscribe" not in message
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https://blog\.example\.org(/en/newsletter/confirm/[^\s]+/)", text)[1]
    reader = Client()
    assert reader.get(link).status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    assert reader.post(link).status_code == 302
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_enqueuing_the_fan_out_twice_sends_nothing_twice(smtp_server, celery_worker):
    subscribers = SubscriberFactory.create_batch(30)
    issue = IssueFactory()
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENDING)

    tasks.fan_out.delay(issue.pk)
    tasks.fan_out.delay(issue.pk)

    smtp_server.wait_for(30)
    wait_until(lambda: issue_status(issue) == Issue.Status.SENT)
    # Both fan-outs and every batch they queued have run and been acknowledged: nothing is left
    # that could still send.
    wait_until_settled(issue)
    received = Counter(address for e in smtp_server.handler.envelopes for address in e.rcpt_tos)
    assert received == Counter({subscriber.email: 1 for subscriber in subscribers})


def test_a_server_answering_4xx_gets_the_messages_later(site, smtp_server, celery_worker):
    SubscriberFactory.create_batch(3)
    issue = IssueFactory()
    smtp_server.handler.reject_with = "451 4.3.0 Try again later"

    issue_send(issue=issue)

    wait_until(lambda: Delivery.objects.filter(issue=issue, attempts__gte=1).count() == 3)
    assert issue_status(issue) == Issue.Status.SENDING
    smtp_server.handler.reject_with = None
    smtp_server.wait_for(3)
    wait_until(lambda: issue_status(issue) == Issue.Status.SENT)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_mailbox_that_does_not_exist_fails_and_is_suppressed(site, smtp_server, celery_worker):
    subscriber = SubscriberFactory()
    issue = IssueFactory()
    smtp_server.handler.reject_with = "550 5.1.1 No such user here"

    issue_send(issue=issue)

    wait_until(lambda: issue_status(issue) == Issue.Status.SENT)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED and "5.1.1" in delivery.error
    assert Subscriber.objects.get(pk=subscriber.pk).status == Subscriber.Status.SUPPRESSED
    event = SubscriberEvent.objects.get(subscriber=subscriber)
    assert (event.kind, event.source) == ("bounce", "sending")
