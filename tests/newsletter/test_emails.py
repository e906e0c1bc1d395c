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
    import email
    from email import policy

    return email.message_from_bytes(raw, policy=policy.default)


def test_the_prepared_copy_is_what_django_would_write_for_each_subscriber(settings):
    settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = "desinscription@example.org"
    issue = IssueFactory(
        subject="Au jardin — été", body="Bonjour **à tous**.\n\n[Le billet](/billet/)"
    )
    renderer = emails.IssueRenderer(issue)
    first, second = SubscriberFactory.create_batch(2)

    for delivery_id, subscriber in ((7, first), (8, second)):
        message = renderer.message(subscriber=subscriber, delivery_id=delivery_id)
        assert message.raw, "a plain address and short lines take the prepared path"
        fast, slow = _read(message.raw), _read(message.message().as_bytes(linesep="\r\n"))
        names = [name for name in slow.keys() if name != "Date"]
        assert [name for name in fast.keys() if name != "Date"] == names
        for name in names:
            if name != "Content-Type":  # the MIME boundary differs; folding adds a space
                assert str(fast[name]).strip() == str(slow[name]).strip(), name
        assert fast["To"] == subscriber.email
        assert fast["Message-ID"] == f"<newsletter.{issue.pk}.{delivery_id}@testserver>"
        assert emails.unsubscribe_url(subscriber) in fast["List-Unsubscribe"]
        assert "mailto:desinscription@example.org" in fast["List-Unsubscribe"]
        for fast_part, slow_part in zip(fast.walk(), slow.walk(), strict=True):
            if not fast_part.is_multipart():
                assert fast_part.get_content() == slow_part.get_content()
        assert emails.preferences_url(subscriber) in fast.get_body(("plain",)).get_content()
        assert b"\n" not in message.raw.replace(b"\r\n", b"")


def test_an_address_that_needs_encoding_or_a_very_long_line_is_left_to_django():
    renderer = emails.IssueRenderer(IssueFactory())
    accented = SubscriberFactory(email="zoé@exemple.fr")
    assert renderer.message(subscriber=accented, delivery_id=1).raw is None

    long_lines = emails.IssueRenderer(IssueFactory(body="Mot " * 400))  # quoted-printable body
    message = long_lines.message(subscriber=SubscriberFactory(), delivery_id=2)
    assert message.raw is None
