import email
from email import policy

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
