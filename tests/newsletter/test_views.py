import json
import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsletter import tokens
from newsletter.models import Issue, Subscriber, SubscriberEvent
from tests.newsletter.factories import IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db
Event = SubscriberEvent
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">')
NONCE = re.compile(r'nonce="[^"]+"')


@pytest.fixture(autouse=True)
def _no_subscribe_limit(settings):
    settings.NEWSLETTER_SUBSCRIBE_LIMIT_PER_HOUR = 0


def unsubscribe_url(subscriber):
    return reverse(
        "newsletter_unsubscribe", kwargs={"token": tokens.unsubscribe_token(subscriber.key)}
    )


def preferences_url(subscriber, name="newsletter:preferences"):
    return reverse(name, kwargs={"token": tokens.preferences_token(subscriber.key)})


class TestSubscribeForm:
    def test_every_page_has_the_form_and_it_costs_no_query(
        self, client, rf, django_assert_num_queries
    ):
        page = client.get("/").content.decode()
        assert 'action="/newsletter/"' in page and 'name="email"' in page

        request = rf.get("/")
        with django_assert_num_queries(0):
            form = render_to_string("newsletter/_subscribe_form.html", request=request)
        assert 'name="website"' in form  # the honeypot

    def test_the_answer_is_the_same_whatever_the_address(self, client, queued):
        SubscriberFactory(email="pending@example.org", pending=True)
        SubscriberFactory(email="confirmed@example.org")
        SubscriberFactory(email="left@example.org", unsubscribed=True)
        SubscriberFactory(email="bounced@example.org", suppressed=True)
        answers = set()
        for email in [
            "new@example.org",
            "pending@example.org",
            "confirmed@example.org",
            "left@example.org",
            "bounced@example.org",
        ]:
            response = client.post("/newsletter/", {"email": email, "language": "fr"})
            page = client.get(response["Location"])
            content = NONCE.sub("", CSRF_INPUT.sub("", page.content.decode()))
            answers.add((response.status_code, response["Location"], content))
        assert len(answers) == 1
        [(status, location, content)] = answers
        assert status == 302 and location == "/newsletter/thanks/"
        assert "Check your inbox" in content or "Vérifiez" in content

    def test_the_own_page_shows_the_form_and_the_consent_notice(self, client):
        page = client.get("/newsletter/").content.decode()
        assert 'id="id_email"' in page
        assert "one-click" in page or "un clic" in page

    def test_an_invalid_address_is_explained(self, client, queued):
        response = client.post("/newsletter/", {"email": "pas-une-adresse", "language": "fr"})
        assert response.status_code == 200
        page = response.content.decode()
        assert "is-invalid" in page
        # The site's words ("adresse e-mail"), not Django's ("adresse de courriel").
        assert "Saisissez une adresse e-mail comme nom@exemple.fr." in page
        assert "courriel" not in page
        assert not Subscriber.objects.exists()

    def test_a_robot_filling_the_honeypot_sees_success_but_subscribes_nobody(self, client, queued):
        response = client.post(
            "/newsletter/",
            {"email": "robot@example.org", "language": "fr", "website": "http://spam.example"},
        )
        assert response.status_code == 302
        assert not Subscriber.objects.exists()

    def test_one_address_cannot_post_endlessly(self, client, queued, settings):
        settings.NEWSLETTER_SUBSCRIBE_LIMIT_PER_HOUR = 2
        visitor = {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"}
        for n in range(2):
            response = client.post(
                "/newsletter/", {"email": f"n{n}@example.org", "language": "fr"}, **visitor
            )
            assert response.status_code == 302
        response = client.post(
            "/newsletter/", {"email": "n3@example.org", "language": "fr"}, **visitor
        )
        assert response.status_code == 429
        assert Subscriber.objects.count() == 2

    def test_the_english_form_defaults_to_english(self, client):
        page = client.get("/en/newsletter/").content.decode()
        assert re.search(r'<option value="en" selected>', page)


class TestConfirm:
    def test_opening_the_link_changes_nothing_the_button_confirms(self, client):
        subscriber = SubscriberFactory(pending=True)
        url = reverse(
            "newsletter:confirm",
            kwargs={"token": tokens.confirmation_token(subscriber.confirmation_key)},
        )

        page = client.get(url)
        subscriber.refresh_from_db()
        assert page.status_code == 200 and subscriber.status == Subscriber.Status.PENDING
        assert '<form method="post">' in page.content.decode()

        response = client.post(url, REMOTE_ADDR="192.0.2.44")
        subscriber.refresh_from_db()
        assert response.status_code == 302 and response["Location"] == "/newsletter/confirmed/"
        assert subscriber.status == Subscriber.Status.CONFIRMED
        assert subscriber.events.get(kind=Event.Kind.CONFIRM).ip_address == "192.0.2.44"

    def test_a_tampered_link_gets_a_clear_400_page(self, client):
        subscriber = SubscriberFactory(pending=True)
        token = tokens.confirmation_token(subscriber.confirmation_key)
        response = client.post(f"/newsletter/confirm/{token[:-2]}xy/")
        assert response.status_code == 400
        assert "does not work" in response.content.decode() or "ne fonctionne pas" in (
            response.content.decode()
        )
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.PENDING

    def test_an_expired_link_says_so(self, client, settings):
        subscriber = SubscriberFactory(pending=True)
        token = tokens.confirmation_token(subscriber.confirmation_key)
        settings.NEWSLETTER_CONFIRMATION_MAX_AGE = -1
        response = client.post(f"/newsletter/confirm/{token}/")
        assert response.status_code == 400
        assert 'href="/newsletter/"' in response.content.decode()
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.PENDING

    def test_an_unsubscribe_token_does_not_confirm(self, client):
        subscriber = SubscriberFactory(pending=True)
        response = client.post(f"/newsletter/confirm/{tokens.unsubscribe_token(subscriber.key)}/")
        assert response.status_code == 400
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.PENDING
        assert not subscriber.events.exists()


class TestOneClickUnsubscribe:
    def test_a_provider_post_form_encoded_without_cookie_or_csrf(self):
        subscriber = SubscriberFactory()
        provider = Client(enforce_csrf_checks=True)

        response = provider.post(
            unsubscribe_url(subscriber),
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )

        assert response.status_code == 200
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
        assert subscriber.events.get(kind=Event.Kind.UNSUBSCRIBE).source == Event.Source.ONE_CLICK

    def test_a_provider_post_multipart(self):
        subscriber = SubscriberFactory()
        response = Client(enforce_csrf_checks=True).post(
            unsubscribe_url(subscriber), {"List-Unsubscribe": "One-Click"}
        )
        assert response.status_code == 200
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.UNSUBSCRIBED

    def test_the_address_has_no_language_prefix(self):
        subscriber = SubscriberFactory(language="en")
        url = unsubscribe_url(subscriber)
        assert url.startswith("/newsletter/unsubscribe/")
        page = Client().get(url).content.decode()
        assert '<html lang="en">' in page

    def test_a_get_shows_a_button_and_changes_nothing(self, client):
        subscriber = SubscriberFactory()
        response = client.get(unsubscribe_url(subscriber))
        assert response.status_code == 200
        assert '<form method="post">' in response.content.decode()
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.CONFIRMED

    def test_the_page_button_unsubscribes(self, client):
        subscriber = SubscriberFactory()
        response = client.post(unsubscribe_url(subscriber))
        assert response.status_code == 200
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
        assert subscriber.events.get().source == Event.Source.EMAIL

    def test_a_tampered_token_gets_a_400_and_changes_nothing(self, client):
        subscriber = SubscriberFactory()
        url = unsubscribe_url(subscriber)
        response = client.post(
            url.replace(subscriber.key[:4], "AAAA"), {"List-Unsubscribe": "One-Click"}
        )
        assert response.status_code == 400
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.CONFIRMED

    def test_a_preferences_token_is_not_an_unsubscribe_token(self, client):
        subscriber = SubscriberFactory()
        token = tokens.preferences_token(subscriber.key)
        response = client.post(f"/newsletter/unsubscribe/{token}/")
        assert response.status_code == 400
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.CONFIRMED
        assert not subscriber.events.exists()

    def test_an_erased_address_still_gets_a_200(self, client):
        subscriber = SubscriberFactory()
        url = unsubscribe_url(subscriber)
        subscriber.delete()
        assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200


class TestPreferences:
    def test_the_page_shows_the_address_and_status(self, client):
        subscriber = SubscriberFactory(email="moi@example.org")
        page = client.get(preferences_url(subscriber)).content.decode()
        assert "moi@example.org" in page

    def test_changing_the_language(self, client):
        subscriber = SubscriberFactory(language="fr")
        response = client.post(
            preferences_url(subscriber, "newsletter:preferences_language"), {"language": "en"}
        )
        assert response.status_code == 302
        subscriber.refresh_from_db()
        assert subscriber.language == "en"

    def test_leaving_then_coming_back_needs_a_confirmation(
        self, client, queued, django_capture_on_commit_callbacks
    ):
        subscriber = SubscriberFactory()
        client.post(preferences_url(subscriber, "newsletter:preferences_unsubscribe"))
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.UNSUBSCRIBED

        with django_capture_on_commit_callbacks(execute=True):
            client.post(preferences_url(subscriber, "newsletter:preferences_resubscribe"))
        queued.run_all()
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.PENDING
        assert [m.to for m in mail.outbox] == [[subscriber.email]]

    def test_the_page_never_opens_the_data_itself(self, client):
        subscriber = SubscriberFactory()
        token = tokens.preferences_token(subscriber.key)
        page = client.get(preferences_url(subscriber)).content.decode()
        assert not re.search(r'(href|action)="[^"]*/(data|my-data|erase)/', page)
        assert "/data-link/" in page  # a button to have a fresh link emailed instead

        # Forwarded issues carry this token: it opens neither the download nor the erasure.
        download = client.get(f"/newsletter/my-data/{token}/download/")
        erase = client.post(f"/newsletter/my-data/{token}/erase/", {"confirm": "on"})
        assert (download.status_code, erase.status_code) == (400, 400)
        assert client.get(f"/newsletter/preferences/{token}/data/").status_code == 404
        assert client.post(f"/newsletter/preferences/{token}/erase/").status_code == 404
        assert Subscriber.objects.filter(pk=subscriber.pk).exists()
        assert not SubscriberEvent.objects.filter(kind=Event.Kind.ERASE).exists()

    def test_the_data_link_arrives_by_email_and_opens_download_and_erasure(
        self, client, queued, django_capture_on_commit_callbacks
    ):
        subscriber = SubscriberFactory(email="donnees@example.org")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                preferences_url(subscriber, "newsletter:preferences_data_link"), follow=True
            )
        assert "60 minutes" in response.content.decode()
        queued.run_all()
        [message] = mail.outbox
        assert message.to == ["donnees@example.org"]
        link = re.search(r"http://testserver(/newsletter/my-data/[^\s]+/)", message.body)[1]

        page = client.get(link).content.decode()
        assert "donnees@example.org" in page
        download = client.get(f"{link}download/")
        assert download["Content-Disposition"].startswith("attachment")
        assert json.loads(download.content)["email"] == "donnees@example.org"

        # The erase page asks first; only its POST with the box ticked erases.
        assert client.get(f"{link}erase/").status_code == 200
        assert client.post(f"{link}erase/").status_code == 200
        assert Subscriber.objects.filter(pk=subscriber.pk).exists()
        response = client.post(f"{link}erase/", {"confirm": "on"})
        assert response["Location"] == "/newsletter/erased/"
        assert not Subscriber.objects.filter(pk=subscriber.pk).exists()
        assert client.get(link).status_code == 404
        assert client.get(preferences_url(subscriber)).status_code == 404

    def test_a_data_link_expires(self, client, settings):
        subscriber = SubscriberFactory()
        token = tokens.data_access_token(subscriber.key)
        settings.NEWSLETTER_DATA_LINK_MAX_AGE = -1

        download = client.get(f"/newsletter/my-data/{token}/download/")
        erase = client.post(f"/newsletter/my-data/{token}/erase/", {"confirm": "on"})

        assert (download.status_code, erase.status_code) == (400, 400)
        assert "Manage your subscription" in download.content.decode() or "Gérer" in (
            download.content.decode()
        )
        assert Subscriber.objects.filter(pk=subscriber.pk).exists()

    def test_a_data_token_opens_nothing_else(self, client):
        subscriber = SubscriberFactory()
        token = tokens.data_access_token(subscriber.key)
        assert client.get(f"/newsletter/preferences/{token}/").status_code == 400
        assert client.post(f"/newsletter/unsubscribe/{token}/").status_code == 400
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.CONFIRMED

    def test_asking_for_the_data_link_answers_the_same_whether_or_not_mail_goes_out(
        self, client, queued, django_capture_on_commit_callbacks
    ):
        answers = set()
        subscribers = [SubscriberFactory(), SubscriberFactory(suppressed=True)]
        for subscriber in subscribers:
            url = preferences_url(subscriber, "newsletter:preferences_data_link")
            for _ in range(5):  # more than the few links an hour anybody needs
                with django_capture_on_commit_callbacks(execute=True):
                    response = client.post(url, follow=True)
                [(location, status)] = response.redirect_chain
                assert location == preferences_url(subscriber)
                answers.add((status, *(str(m) for m in response.context["messages"])))
        queued.run_all()
        [answer] = answers
        assert answer[0] == 302 and "un lien pour télécharger ou effacer vos données" in answer[1]
        # The bounced address got nothing; the other no more than three links in the hour.
        assert [m.to for m in mail.outbox] == [[subscribers[0].email]] * 3

    def test_a_tampered_preferences_link_gets_a_400(self, client):
        subscriber = SubscriberFactory()
        token = tokens.unsubscribe_token(subscriber.key)
        assert client.get(f"/newsletter/preferences/{token}/").status_code == 400


class TestArchive:
    def test_the_list_shows_sent_issues_only_in_fixed_queries(
        self, client, django_assert_num_queries
    ):
        for n in range(3):
            IssueFactory(
                subject=f"Envoyée {n}", status=Issue.Status.SENT, finished_at=timezone.now()
            )
        IssueFactory(subject="Brouillon")
        # The archive's two, and the header's navigation pages.
        with django_assert_num_queries(3):
            page = client.get("/newsletter/archive/").content.decode()
        assert "Envoyée 2" in page and "Brouillon" not in page

    def test_a_sent_issue_has_its_page_a_draft_does_not(self, client, django_assert_num_queries):
        sent = IssueFactory(
            status=Issue.Status.SENT,
            finished_at=timezone.now() - timedelta(days=1),
            body="Le **contenu** de la lettre.",
        )
        draft = IssueFactory()
        # The issue, and the header's navigation pages.
        with django_assert_num_queries(2):
            page = client.get(sent.get_absolute_url()).content.decode()
        assert "<strong>contenu</strong>" in page
        assert "/newsletter/unsubscribe/" not in page and "/preferences/" not in page
        assert client.get(draft.get_absolute_url()).status_code == 404
