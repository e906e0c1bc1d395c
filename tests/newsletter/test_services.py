from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import mail as core_mail
from newsletter import emails, tasks
from newsletter.importing import ImportRow
from newsletter.models import Delivery, Issue, Subscriber, SubscriberEvent
from newsletter.services.deliveries import batch_send, deliveries_sweep, issue_fan_out
from newsletter.services.issues import (
    issue_cancel,
    issue_from_post,
    issue_pause,
    issue_resume,
    issue_schedule,
    issue_send,
    issues_start_due,
)
from newsletter.services.subscribers import (
    provider_event_record,
    subscriber_confirm,
    subscriber_erase,
    subscriber_personal_data,
    subscriber_subscribe,
    subscriber_unsubscribe,
    subscribers_import,
)
from tests.blog.factories import MediaItemFactory, PostFactory
from tests.newsletter.factories import IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db
Event = SubscriberEvent


def subscribe(email="nouvelle@example.org", language="fr", **extra):
    return subscriber_subscribe(
        email=email,
        language=language,
        source=Event.Source.FORM,
        consent_text="Texte du consentement",
        ip_address="192.0.2.7",
        user_agent="Firefox",
        **extra,
    )


class TestSubscribe:
    def test_a_new_address_waits_for_confirmation_and_gets_only_the_confirmation(
        self, queued, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            subscriber = subscribe(email=" Nouvelle@Example.org ")
        queued.run_all()

        subscriber.refresh_from_db()
        assert subscriber.email == "nouvelle@example.org"
        assert subscriber.status == Subscriber.Status.PENDING
        assert subscriber.confirmation_sent_at is not None
        [message] = mail.outbox
        assert message.to == ["nouvelle@example.org"]
        assert "Confirm" in message.subject or "Confirmez" in message.subject

    def test_the_ledger_records_consent_text_ip_and_user_agent(self, queued):
        subscriber = subscribe()

        [event] = subscriber.events.all()
        assert event.kind == Event.Kind.SUBSCRIBE
        assert event.source == Event.Source.FORM
        assert event.consent_text == "Texte du consentement"
        assert event.ip_address == "192.0.2.7"
        assert event.user_agent == "Firefox"

    def test_a_confirmed_subscriber_is_left_as_is_and_sent_nothing(
        self, queued, django_capture_on_commit_callbacks
    ):
        subscriber = SubscriberFactory(email="fidele@example.org", language="en")
        with django_capture_on_commit_callbacks(execute=True):
            subscribe(email="fidele@example.org", language="fr")

        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.CONFIRMED
        assert subscriber.language == "en"
        assert queued.calls == []

    def test_a_suppressed_address_is_never_mailed_again(
        self, queued, django_capture_on_commit_callbacks
    ):
        SubscriberFactory(email="rebond@example.org", suppressed=True)
        with django_capture_on_commit_callbacks(execute=True):
            subscribe(email="rebond@example.org")
        assert queued.calls == []

    def test_coming_back_after_leaving_needs_a_new_confirmation(
        self, queued, django_capture_on_commit_callbacks
    ):
        subscriber = SubscriberFactory(email="revient@example.org", unsubscribed=True)
        old_key = subscriber.confirmation_key
        with django_capture_on_commit_callbacks(execute=True):
            subscribe(email="revient@example.org")

        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.PENDING
        assert subscriber.confirmation_key != old_key
        assert queued.named("send_confirmation") == [(subscriber.pk,)]
        assert subscriber_confirm(confirmation_key=old_key) is None

    def test_asking_again_soon_does_not_send_a_second_confirmation(
        self, queued, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            subscribe()
        queued.run_all()
        with django_capture_on_commit_callbacks(execute=True):
            subscribe()
        assert queued.calls == []
        assert len(mail.outbox) == 1

    def test_asking_again_later_sends_the_confirmation_again(
        self, queued, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            subscriber = subscribe()
        queued.run_all()
        Subscriber.objects.filter(pk=subscriber.pk).update(
            confirmation_sent_at=timezone.now() - timedelta(hours=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            subscribe()
        queued.run_all()
        assert len(mail.outbox) == 2


class TestConfirmAndLeave:
    def test_confirming_subscribes_and_is_recorded(self, queued):
        subscriber = SubscriberFactory(pending=True)

        confirmed = subscriber_confirm(
            confirmation_key=subscriber.confirmation_key, ip_address="192.0.2.8"
        )

        assert confirmed.status == Subscriber.Status.CONFIRMED
        assert confirmed.confirmed_at is not None
        assert subscriber.events.get().kind == Event.Kind.CONFIRM

    def test_confirming_twice_records_one_confirmation(self, queued):
        subscriber = SubscriberFactory(pending=True)
        subscriber_confirm(confirmation_key=subscriber.confirmation_key)
        subscriber_confirm(confirmation_key=subscriber.confirmation_key)
        assert subscriber.events.filter(kind=Event.Kind.CONFIRM).count() == 1

    def test_unsubscribing_twice_records_one_event(self):
        subscriber = SubscriberFactory()
        assert subscriber_unsubscribe(subscriber=subscriber, source=Event.Source.EMAIL)
        assert not subscriber_unsubscribe(subscriber=subscriber, source=Event.Source.EMAIL)
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
        assert subscriber.events.filter(kind=Event.Kind.UNSUBSCRIBE).count() == 1

    def test_erasing_keeps_only_an_anonymous_event(self, queued):
        subscriber = SubscriberFactory(email="oubliez-moi@example.org")
        issue = IssueFactory()
        Delivery.objects.create(issue=issue, subscriber=subscriber, status=Delivery.Status.SENT)
        subscribe(email="oubliez-moi@example.org")

        subscriber_erase(subscriber=subscriber, source=Event.Source.PREFERENCES)

        assert not Subscriber.objects.filter(email="oubliez-moi@example.org").exists()
        [event] = SubscriberEvent.objects.all()
        assert event.kind == Event.Kind.ERASE
        assert event.subscriber is None and event.ip_address is None and event.detail == {}
        # The issue's count stays true, without saying who received it.
        assert issue.deliveries.get().subscriber is None

    def test_personal_data_lists_consent_and_received_issues(self, queued):
        subscriber = subscribe(email="curieuse@example.org")
        subscriber_confirm(confirmation_key=subscriber.confirmation_key)
        issue = IssueFactory(subject="La lettre d’avril")
        Delivery.objects.create(
            issue=issue, subscriber=subscriber, status=Delivery.Status.SENT, sent_at=timezone.now()
        )

        data = subscriber_personal_data(subscriber=subscriber)

        assert data["email"] == "curieuse@example.org"
        assert [event["event"] for event in data["consent_ledger"]] == ["subscribe", "confirm"]
        assert data["consent_ledger"][0]["consent_notice"] == "Texte du consentement"
        assert [entry["issue"] for entry in data["emails_received"]] == ["La lettre d’avril"]


class TestImport:
    def test_rows_with_consent_are_subscribed_others_must_confirm(
        self, queued, django_capture_on_commit_callbacks
    ):
        SubscriberFactory(email="partie@example.org", unsubscribed=True)
        rows = [
            ImportRow(2, "avec@example.org", "fr", "salon du livre", date(2024, 3, 1)),
            ImportRow(3, "sans@example.org", "en"),
            ImportRow(4, "partie@example.org", "fr", "ancien fichier", date(2020, 1, 1)),
        ]
        with django_capture_on_commit_callbacks(execute=True):
            result = subscribers_import(rows=rows, imported_by="editrice")

        assert (result.confirmed, result.pending, result.already_known) == (
            1,
            1,
            ["partie@example.org"],
        )
        assert Subscriber.objects.get(email="avec@example.org").is_confirmed
        pending = Subscriber.objects.get(email="sans@example.org")
        assert pending.status == Subscriber.Status.PENDING
        assert queued.named("send_confirmation") == [(pending.pk,)]
        # An import never brings back someone who left.
        assert Subscriber.objects.get(email="partie@example.org").status == "unsubscribed"
        event = Subscriber.objects.get(email="avec@example.org").events.get()
        assert event.kind == Event.Kind.IMPORT and event.source == Event.Source.IMPORT
        assert event.detail["consent_source"] == "salon du livre"
        assert event.detail["consent_date"] == "2024-03-01"

    def test_a_row_of_someone_who_left_is_reported_and_never_subscribes_anyone(self, queued):
        rows = [ImportRow(2, "inconnue@example.org", "fr", no_longer_subscribed=True)]

        result = subscribers_import(rows=rows, imported_by="editrice")

        assert result.left == ["inconnue@example.org"]
        assert not Subscriber.objects.exists() and queued.calls == []


class TestFanOut:
    def test_one_delivery_per_confirmed_subscriber_in_the_audience_in_one_insert(self, queued):
        french = SubscriberFactory.create_batch(3, language="fr")
        SubscriberFactory(language="en")
        SubscriberFactory(pending=True)
        SubscriberFactory(unsubscribed=True)
        issue = IssueFactory(audience="fr")
        issue_send(issue=issue)

        with CaptureQueriesContext(connection) as queries:
            created = issue_fan_out(issue_id=issue.pk)

        assert created == 3
        assert {d.subscriber_id for d in issue.deliveries.all()} == {s.pk for s in french}
        inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
        assert len(inserts) == 1 and "SELECT" in inserts[0]

    def test_batches_hold_at_most_the_batch_size(self, queued, settings):
        settings.NEWSLETTER_BATCH_SIZE = 2
        SubscriberFactory.create_batch(5)
        issue = IssueFactory()
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)

        batches = queued.named("send_batch")
        assert [len(ids) for _issue, ids in batches] == [2, 2, 1]

    def test_running_the_fan_out_twice_creates_and_queues_nothing_more(self, queued):
        SubscriberFactory.create_batch(3)
        issue = IssueFactory()
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        SubscriberFactory()  # confirmed meanwhile: this issue was already addressed

        assert issue_fan_out(issue_id=issue.pk) == 0
        assert issue.deliveries.count() == 3
        assert len(queued.named("send_batch")) == 1

    def test_an_issue_without_recipients_is_sent_at_once(self, queued):
        issue = IssueFactory()
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        issue.refresh_from_db()
        assert issue.status == Issue.Status.SENT


def send_everything(queued, issue):
    issue_send(issue=issue)
    tasks.fan_out.delay(issue.pk)
    queued.run_all()
    issue.refresh_from_db()


class TestBatch:
    def test_every_subscriber_gets_the_issue_once_and_it_is_marked_sent(self, queued):
        subscribers = SubscriberFactory.create_batch(4)
        issue = IssueFactory()

        send_everything(queued, issue)

        assert issue.status == Issue.Status.SENT and issue.finished_at is not None
        assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in subscribers)
        delivery = issue.deliveries.first()
        assert delivery.status == Delivery.Status.SENT
        assert delivery.message_id == f"<newsletter.{issue.pk}.{delivery.pk}@testserver>"

    def test_running_a_batch_twice_sends_nothing_twice(self, queued):
        SubscriberFactory.create_batch(3)
        issue = IssueFactory()
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        [(issue_id, ids)] = queued.named("send_batch")

        first = batch_send(issue_id=issue_id, delivery_ids=ids)
        second = batch_send(issue_id=issue_id, delivery_ids=ids)

        assert (first.sent, second.sent) == (3, 0)
        assert len(mail.outbox) == 3

    def test_someone_who_left_after_the_fan_out_is_skipped(self, queued):
        stays, leaves = SubscriberFactory.create_batch(2)
        issue = IssueFactory()
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        subscriber_unsubscribe(subscriber=leaves, source=Event.Source.ONE_CLICK)
        queued.run_all()

        assert [m.to for m in mail.outbox] == [[stays.email]]
        assert issue.deliveries.get(subscriber=leaves).status == Delivery.Status.SKIPPED

    def _claim_then(self, queued, monkeypatch, during):
        """Fan out to two subscribers, then run the batch with `during()` called after the claim."""
        first, second = SubscriberFactory.create_batch(2)
        issue = IssueFactory()
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        [(issue_id, ids)] = queued.named("send_batch")
        calls = []

        def slot(**kwargs):
            if not calls:
                during(issue, first, second)
            calls.append(1)

        monkeypatch.setattr(core_mail, "wait_for_sending_slot", slot)
        return issue, first, second, batch_send(issue_id=issue_id, delivery_ids=ids)

    def test_someone_who_leaves_while_their_batch_is_sending_gets_nothing(
        self, queued, monkeypatch
    ):
        def leave(issue, first, second):
            subscriber_unsubscribe(subscriber=second, source=Event.Source.ONE_CLICK)

        issue, first, second, result = self._claim_then(queued, monkeypatch, leave)

        assert [m.to for m in mail.outbox] == [[first.email]]
        assert (result.sent, result.skipped) == (1, 1)
        assert issue.deliveries.get(subscriber=second).status == Delivery.Status.SKIPPED

    def test_a_row_the_sweeper_gave_away_mid_batch_is_not_sent_by_it(self, queued, monkeypatch):
        def sweep_second(issue, first, second):
            issue.deliveries.filter(subscriber=second).update(
                status=Delivery.Status.PENDING, claim=""
            )

        issue, first, second, result = self._claim_then(queued, monkeypatch, sweep_second)

        assert [m.to for m in mail.outbox] == [[first.email]]
        assert issue.deliveries.get(subscriber=second).status == Delivery.Status.PENDING

    def test_each_message_costs_two_statements(self, queued):
        def statements(count):
            SubscriberFactory.create_batch(count)
            issue = IssueFactory()
            issue_send(issue=issue)
            issue_fan_out(issue_id=issue.pk)
            [(issue_id, ids)] = queued.named("send_batch")
            queued.calls.clear()
            with CaptureQueriesContext(connection) as queries:
                result = batch_send(issue_id=issue_id, delivery_ids=ids)
            assert result.sent == count
            Subscriber.objects.update(status=Subscriber.Status.UNSUBSCRIBED)
            return len(queries)

        assert statements(6) - statements(3) == 2 * 3

    def test_each_subscriber_reads_the_frame_in_their_language(self, queued):
        SubscriberFactory(email="fr@example.org", language="fr")
        SubscriberFactory(email="en@example.org", language="en")
        send_everything(queued, IssueFactory())

        by_address = {m.to[0]: m.body for m in mail.outbox}
        assert "Se désabonner" in by_address["fr@example.org"]
        assert "Unsubscribe" in by_address["en@example.org"]

    def test_a_paused_issue_sends_nothing_until_resumed(
        self, queued, django_capture_on_commit_callbacks
    ):
        SubscriberFactory.create_batch(3)
        issue = IssueFactory()
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        assert issue_pause(issue=issue)
        queued.run_all()
        assert mail.outbox == []

        with django_capture_on_commit_callbacks(execute=True):
            assert issue_resume(issue=issue)
        queued.run_all()

        issue.refresh_from_db()
        assert len(mail.outbox) == 3 and issue.status == Issue.Status.SENT

    def test_a_cancelled_issue_sends_no_more(self, queued):
        SubscriberFactory.create_batch(2)
        issue = IssueFactory()
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        assert issue_cancel(issue=issue)
        queued.run_all()

        assert mail.outbox == []
        assert set(issue.deliveries.values_list("status", flat=True)) == {"cancelled"}

    def test_a_message_that_cannot_be_built_fails_alone_and_the_batch_goes_on(
        self, queued, monkeypatch
    ):
        subscribers = SubscriberFactory.create_batch(3)
        broken = subscribers[1]
        issue = IssueFactory()
        build = emails.IssueRenderer.message

        def message(renderer, *, subscriber, delivery_id):
            if subscriber.pk == broken.pk:
                raise UnicodeEncodeError("ascii", "é", 0, 1, "a bug while rendering")
            return build(renderer, subscriber=subscriber, delivery_id=delivery_id)

        monkeypatch.setattr(emails.IssueRenderer, "message", message)
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        [(issue_id, ids)] = queued.named("send_batch")

        result = batch_send(issue_id=issue_id, delivery_ids=ids)

        assert (result.sent, result.failed, result.retry_ids) == (2, 1, [])
        failed = issue.deliveries.get(subscriber=broken)
        assert failed.status == Delivery.Status.FAILED
        assert failed.error.startswith("UnicodeEncodeError:")
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            s.email for s in subscribers if s != broken
        )
        issue.refresh_from_db()
        assert issue.status == Issue.Status.SENT

    def test_a_message_the_backend_chokes_on_fails_alone(self, queued, monkeypatch):
        SubscriberFactory(email="a@example.org")
        SubscriberFactory(email="b@example.org")
        issue = IssueFactory()
        send = locmem.EmailBackend.send_messages

        def send_messages(backend, messages):
            if messages[0].to == ["a@example.org"]:
                raise mail.BadHeaderError("Header values can't contain newlines")
            return send(backend, messages)

        monkeypatch.setattr(locmem.EmailBackend, "send_messages", send_messages)

        send_everything(queued, issue)

        assert [m.to for m in mail.outbox] == [["b@example.org"]]
        failed = issue.deliveries.get(status=Delivery.Status.FAILED)
        assert failed.subscriber.email == "a@example.org"
        assert "BadHeaderError" in failed.error and failed.attempts == 1
        assert issue.status == Issue.Status.SENT

    def test_a_time_budget_hands_the_rest_to_a_new_task(self, queued, settings):
        settings.NEWSLETTER_BATCH_TIME_BUDGET = -1
        SubscriberFactory.create_batch(2)
        issue = IssueFactory()
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        [(issue_id, ids)] = queued.named("send_batch")

        result = batch_send(issue_id=issue_id, delivery_ids=ids)

        assert result.sent == 0 and sorted(result.requeue_ids) == sorted(ids)
        assert set(issue.deliveries.values_list("status", flat=True)) == {"pending"}


class TestSweeper:
    def test_rows_of_a_silent_worker_go_back_to_the_queue(self, queued, settings):
        settings.NEWSLETTER_STUCK_TIMEOUT = 60
        SubscriberFactory.create_batch(2)
        issue = IssueFactory()
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        queued.calls.clear()
        # A worker claimed the rows, then died.
        long_ago = timezone.now() - timedelta(minutes=5)
        issue.deliveries.update(status=Delivery.Status.SENDING, claim="dead", claimed_at=long_ago)

        result = deliveries_sweep()

        assert result.released == 2
        queued.run_all()
        issue.refresh_from_db()
        assert issue.status == Issue.Status.SENT and len(mail.outbox) == 2

    def test_rows_a_living_worker_renews_are_left_alone(self, queued, settings):
        settings.NEWSLETTER_STUCK_TIMEOUT = 60
        SubscriberFactory.create_batch(2)
        issue = IssueFactory()
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        issue.deliveries.update(
            status=Delivery.Status.SENDING, claim="alive", claimed_at=timezone.now()
        )

        assert deliveries_sweep().released == 0

    def test_waiting_rows_whose_tasks_were_lost_are_queued_again(self, queued, settings):
        settings.NEWSLETTER_STUCK_TIMEOUT = 60
        SubscriberFactory.create_batch(2)
        issue = IssueFactory()
        issue_send(issue=issue)
        issue_fan_out(issue_id=issue.pk)
        queued.calls.clear()  # the broker lost them
        issue.deliveries.update(queued_at=timezone.now() - timedelta(minutes=5))

        deliveries_sweep()
        queued.run_all()

        assert len(mail.outbox) == 2


class TestScheduledAndAutomatic:
    def test_due_scheduled_issues_start(self, queued, django_capture_on_commit_callbacks):
        due = IssueFactory()
        later = IssueFactory()
        issue_schedule(issue=due, when=timezone.now() + timedelta(hours=1))
        issue_schedule(issue=later, when=timezone.now() + timedelta(days=1))
        Issue.objects.filter(pk=due.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))

        with django_capture_on_commit_callbacks(execute=True):
            assert issues_start_due() == 1

        assert queued.named("fan_out") == [(due.pk,)]
        assert Issue.objects.get(pk=later.pk).status == Issue.Status.SCHEDULED

    def test_an_issue_from_a_post_with_a_cover_opens_with_the_cover_and_its_description(self):
        cover = MediaItemFactory(alt_text="Un bocal de levain")
        post = PostFactory(cover=cover, body="Le texte.")

        issue = issue_from_post(post=post)

        assert issue.body == f"![Un bocal de levain]({cover.url})\n\nLe texte."

    def test_the_database_refuses_a_second_announcement_of_a_post(self, queued):
        post = PostFactory(email_subscribers=True)
        issue_from_post(post=post, origin=Issue.Origin.NEW_POST)
        with pytest.raises(IntegrityError, match="one_notification_per_post"):
            issue_from_post(post=post, origin=Issue.Origin.NEW_POST)


class TestProviderEvents:
    def test_a_bounce_suppresses_once_however_often_reported(self):
        subscriber = SubscriberFactory(email="rebond@example.org")
        for _ in range(2):
            provider_event_record(
                email="Rebond@example.org",
                event_type="bounced",
                provider="postmark",
                event_id="evt-1",
                detail={},
            )
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.SUPPRESSED
        assert subscriber.events.filter(kind=Event.Kind.BOUNCE, source="webhook").count() == 1
