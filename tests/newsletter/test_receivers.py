import base64
import importlib.util
import json
from datetime import timedelta

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.contrib import admin
from django.core import mail
from django.test import Client
from django.utils import timezone

import config.urls
from blog.models import Post
from blog.signals import post_went_live
from newsletter.models import Issue, Subscriber, SubscriberEvent
from tests.blog.factories import PostFactory
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def report(event_type, recipient, **fields):
    event = AnymailTrackingEvent(event_type=event_type, recipient=recipient, **fields)
    tracking.send(sender=object, event=event, esp_name="SendGrid")


def status_of(subscriber):
    return Subscriber.objects.get(pk=subscriber.pk).status


@pytest.mark.parametrize(
    ("event_type", "reject_reason", "status", "kind"),
    [
        ("bounced", None, "suppressed", "bounce"),
        ("complained", None, "suppressed", "complaint"),
        ("unsubscribed", None, "unsubscribed", "unsubscribe"),
        ("rejected", "bounced", "suppressed", "bounce"),
        ("rejected", "invalid", "suppressed", "bounce"),
        ("rejected", "spam", "suppressed", "complaint"),
    ],
)
def test_provider_reports_stop_further_mail(event_type, reject_reason, status, kind):
    subscriber = SubscriberFactory(email="lectrice@example.org")
    report(event_type, "lectrice@example.org", reject_reason=reject_reason, event_id="e1")

    assert status_of(subscriber) == status
    event = SubscriberEvent.objects.get(subscriber=subscriber)
    assert (event.kind, event.source) == (kind, "webhook")
    assert event.detail["provider"] == "SendGrid"


@pytest.mark.parametrize(
    ("event_type", "reject_reason"),
    [("delivered", None), ("opened", None), ("deferred", None), ("rejected", "blocked")],
)
def test_other_reports_change_nothing(event_type, reject_reason):
    subscriber = SubscriberFactory()
    report(event_type, subscriber.email, reject_reason=reject_reason, event_id="e2")
    assert status_of(subscriber) == "confirmed"
    assert not SubscriberEvent.objects.exists()


def test_the_same_report_twice_is_recorded_once_even_without_an_id():
    subscriber = SubscriberFactory(email="deux-fois@example.org")
    for _ in range(2):
        report("complained", "deux-fois@example.org", message_id="m-1")
    assert SubscriberEvent.objects.filter(subscriber=subscriber).count() == 1


def test_an_unknown_address_is_ignored():
    report("bounced", "inconnue@example.org", event_id="e3")
    assert not SubscriberEvent.objects.exists()


@pytest.fixture
def load_root_urlconf(settings):
    """Return a function serving the site with config/urls.py as it reads with `ANYMAIL = …`."""

    def load(anymail):
        settings.ANYMAIL = anymail
        spec = importlib.util.spec_from_file_location("urlconf_under_test", config.urls.__file__)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        settings.ROOT_URLCONF = module

    # Running the module wraps the admin's login view once more: the original comes back after.
    login = admin.site.login
    yield load
    admin.site.login = login


class TestWebhookAddress:
    """The URL documented for providers, with its basic-auth secret (ANYMAIL_WEBHOOK_SECRET)."""

    bounce = {
        "RecordType": "Bounce",
        "ID": 4323372036,
        "Type": "HardBounce",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Email": "Partie@example.org",
        "BouncedAt": "2024-05-01T12:00:00Z",
        "Description": "The server was unable to deliver your message",
    }

    @pytest.fixture(autouse=True)
    def secret(self, load_root_urlconf):
        load_root_urlconf({"WEBHOOK_SECRET": "postmark:tres-secret"})

    def post(self, credentials=None):
        headers = {}
        if credentials is not None:
            auth = base64.b64encode(credentials.encode()).decode()
            headers["HTTP_AUTHORIZATION"] = f"Basic {auth}"
        return Client(enforce_csrf_checks=True).post(
            "/anymail/postmark/tracking/",
            json.dumps(self.bounce),
            content_type="application/json",
            **headers,
        )

    def test_a_bounce_posted_by_the_provider_suppresses_the_address(self):
        subscriber = SubscriberFactory(email="partie@example.org")
        assert self.post("postmark:tres-secret").status_code == 200
        assert self.post("postmark:tres-secret").status_code == 200
        assert status_of(subscriber) == "suppressed"
        assert SubscriberEvent.objects.filter(subscriber=subscriber, kind="bounce").count() == 1

    def test_a_wrong_secret_is_refused(self):
        subscriber = SubscriberFactory(email="partie@example.org")
        assert self.post("postmark:devine").status_code == 400
        assert status_of(subscriber) == "confirmed"
        assert not SubscriberEvent.objects.exists()

    def test_a_post_without_credentials_is_refused(self):
        subscriber = SubscriberFactory(email="partie@example.org")
        assert self.post().status_code == 400
        assert status_of(subscriber) == "confirmed"
        assert not SubscriberEvent.objects.exists()

    def test_without_a_secret_the_address_does_not_exist(self, load_root_urlconf):
        load_root_urlconf({})
        subscriber = SubscriberFactory(email="partie@example.org")
        assert self.post().status_code == 404
        assert self.post("postmark:tres-secret").status_code == 404
        assert status_of(subscriber) == "confirmed"
        assert not SubscriberEvent.objects.exists()


class TestPostWentLive:
    """The blog says a post went live; the newsletter announces it to subscribers once."""

    def test_a_marked_post_is_announced_once_however_often_it_is_said(
        self, queued, django_capture_on_commit_callbacks
    ):
        SubscriberFactory(email="lectrice@example.org")
        post = PostFactory(email_subscribers=True, title="Le printemps")

        with django_capture_on_commit_callbacks(execute=True):
            post_went_live.send(sender=Post, post=post)
            post_went_live.send(sender=Post, post=post)
        queued.run_all()

        issue = Issue.objects.get(post=post)
        assert (issue.origin, issue.status) == (Issue.Origin.NEW_POST, Issue.Status.SENT)
        [message] = mail.outbox
        assert message.to == ["lectrice@example.org"]
        assert message.subject == "Le printemps"
        assert post.get_canonical_url() in message.body

    def test_a_post_not_marked_for_subscribers_is_not_announced(self, queued):
        SubscriberFactory()
        post = PostFactory(email_subscribers=False)

        post_went_live.send(sender=Post, post=post)

        assert not Issue.objects.exists()

    def test_old_news_is_not_announced(self, queued, settings):
        settings.NEWSLETTER_POST_NOTIFICATION_MAX_AGE = 3600
        SubscriberFactory()
        post = PostFactory(email_subscribers=True, published_at=timezone.now() - timedelta(hours=2))

        post_went_live.send(sender=Post, post=post)

        assert not Issue.objects.exists()
