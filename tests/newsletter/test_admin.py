import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from newsletter.models import Delivery, Issue, Subscriber, SubscriberEvent
from tests.blog.factories import EditorFactory, PostFactory, UserFactory
from tests.newsletter.factories import IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = EditorFactory(email="editrice@example.org")
    client.force_login(user)
    return user


@pytest.fixture
def reader(client):
    """A staff member who may look at the newsletter's issues and subscribers, and change nothing."""
    user = UserFactory(email="lecteur@example.org", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="newsletter", codename__in=["view_issue", "view_subscriber"]
        )
    )
    client.force_login(user)
    return user


def issue_url(name, issue):
    return reverse(f"admin:newsletter_issue_{name}", args=[issue.pk])


class TestIssueAdmin:
    def test_writing_an_issue(self, client, editor):
        response = client.post(
            reverse("admin:newsletter_issue_add"),
            {
                "subject": "La lettre de juin",
                "preheader": "Des nouvelles",
                "body": "Bonjour,\n\n*Merci* de nous lire.",
                "audience": "all",
                "_continue": "1",
            },
        )
        issue = Issue.objects.get()
        assert response.status_code == 302
        assert issue.created_by == editor and issue.status == Issue.Status.DRAFT
        assert "<em>Merci</em>" in issue.body_html

        page = client.get(issue_url("change", issue)).content.decode()
        assert issue_url("preview", issue) in page
        assert issue_url("send", issue) in page
        assert issue_url("schedule", issue) in page

    def test_the_preview_shows_the_email_and_sends_a_test(
        self, client, editor, queued, django_capture_on_commit_callbacks
    ):
        issue = IssueFactory(subject="Aperçu", body="Un **texte**.")
        response = client.get(issue_url("preview", issue) + "?language=en")
        page = response.content.decode()
        assert "&lt;strong&gt;texte&lt;/strong&gt;" in page  # inside the frame's srcdoc
        assert "Unsubscribe" in page
        assert "'unsafe-inline'" in response["Content-Security-Policy"]

        assert "editrice@example.org" in page  # where the test will go

        # Whatever the form is made to say, the test goes to the editor's own address.
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                issue_url("preview", issue),
                {"email": "quelquun@example.com", "to": "quelquun@example.com", "language": "fr"},
            )
        assert response.status_code == 302
        queued.run_all()
        [message] = mail.outbox
        assert message.to == ["editrice@example.org"]
        assert message.subject.endswith("Aperçu") and "Test" in message.subject

    def test_an_editor_without_an_address_is_told_and_nothing_is_sent(
        self, client, editor, queued, django_capture_on_commit_callbacks
    ):
        editor.email = ""
        editor.save()
        issue = IssueFactory()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(issue_url("preview", issue), {"language": "fr"}, follow=True)
        assert "Votre compte n’a pas d’adresse e-mail" in response.content.decode()
        queued.run_all()
        assert mail.outbox == []

    def test_viewing_an_issue_is_not_enough_to_send_a_test(
        self, client, reader, queued, django_capture_on_commit_callbacks
    ):
        issue = IssueFactory(subject="Aperçu")
        response = client.get(issue_url("preview", issue))
        assert response.status_code == 200 and "<iframe" in response.content.decode()
        assert 'name="language"' not in response.content.decode()  # no test form

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(issue_url("preview", issue), {"language": "fr"})
        assert response.status_code == 403
        queued.run_all()
        assert mail.outbox == []

    def test_sending_asks_first_then_starts(
        self, client, editor, queued, django_capture_on_commit_callbacks
    ):
        SubscriberFactory.create_batch(3)
        issue = IssueFactory()

        question = client.get(issue_url("send", issue)).content.decode()
        assert "<p>3 abonnés confirmés dans l’audience en ce moment.</p>" in question
        assert Issue.objects.get(pk=issue.pk).status == Issue.Status.DRAFT

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(issue_url("send", issue))
        assert response["Location"] == issue_url("change", issue)
        assert Issue.objects.get(pk=issue.pk).status == Issue.Status.SENDING
        assert queued.named("fan_out") == [(issue.pk,)]

    def test_scheduling_needs_a_future_moment(self, client, editor):
        issue = IssueFactory()
        past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        response = client.post(issue_url("schedule", issue), {"scheduled_at": past})
        assert response.status_code == 200
        assert Issue.objects.get(pk=issue.pk).status == Issue.Status.DRAFT

        future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        client.post(issue_url("schedule", issue), {"scheduled_at": future})
        issue.refresh_from_db()
        assert issue.status == Issue.Status.SCHEDULED and issue.scheduled_at > timezone.now()

        client.post(issue_url("unschedule", issue))
        assert Issue.objects.get(pk=issue.pk).status == Issue.Status.DRAFT

    def test_pausing_resuming_and_cancelling(
        self, client, editor, queued, django_capture_on_commit_callbacks
    ):
        issue = IssueFactory(status=Issue.Status.SENDING)
        client.post(issue_url("pause", issue))
        assert Issue.objects.get(pk=issue.pk).status == Issue.Status.PAUSED
        assert issue_url("resume", issue) in client.get(issue_url("change", issue)).content.decode()

        with django_capture_on_commit_callbacks(execute=True):
            client.post(issue_url("resume", issue))
        assert Issue.objects.get(pk=issue.pk).status == Issue.Status.SENDING

        client.post(issue_url("cancel", issue))
        assert Issue.objects.get(pk=issue.pk).status == Issue.Status.CANCELLED

    def test_a_draft_that_never_went_out_can_be_deleted(self, client, editor):
        issue = IssueFactory()
        response = client.post(issue_url("delete", issue), {"post": "yes"})
        assert response.status_code == 302
        assert not Issue.objects.filter(pk=issue.pk).exists()

    @pytest.mark.parametrize(
        ("status", "delivered"),
        [
            (Issue.Status.PAUSED, True),
            (Issue.Status.CANCELLED, True),
            (Issue.Status.CANCELLED, False),
            (Issue.Status.SENDING, False),
            (Issue.Status.SENT, True),
            (Issue.Status.DRAFT, True),  # sent once, then turned back into a draft
        ],
    )
    def test_an_issue_that_went_out_cannot_be_deleted(self, client, editor, status, delivered):
        issue = IssueFactory(status=status)
        if delivered:
            Delivery.objects.create(issue=issue, subscriber=SubscriberFactory(), status="sent")

        assert client.get(issue_url("delete", issue)).status_code == 403
        assert client.post(issue_url("delete", issue), {"post": "yes"}).status_code == 403
        client.post(
            reverse("admin:newsletter_issue_changelist"),
            {"action": "delete_selected", "_selected_action": [issue.pk], "post": "yes"},
        )
        assert Issue.objects.filter(pk=issue.pk).exists()
        assert Delivery.objects.filter(issue=issue).count() == int(delivered)

    def test_the_progress_endpoint_counts_deliveries(
        self, client, editor, django_assert_num_queries
    ):
        issue = IssueFactory(status=Issue.Status.SENDING, started_at=timezone.now())
        now = timezone.now()
        for status in ["sent", "sent", "failed", "pending", "sending", "skipped"]:
            Delivery.objects.create(
                issue=issue,
                subscriber=SubscriberFactory(),
                status=status,
                sent_at=now if status == "sent" else None,
            )
        # Session, user, the issue, the editor's permissions (2), then one query for every count.
        with django_assert_num_queries(6):
            data = client.get(issue_url("progress", issue)).json()
        assert (data["total"], data["sent"], data["failed"], data["pending"], data["skipped"]) == (
            6,
            2,
            1,
            2,
            1,
        )
        assert data["rate"] > 0 and data["eta_seconds"] is not None
        assert data["finished"] is False

    def test_a_sent_issue_shows_its_counts_and_cannot_be_edited(self, client, editor):
        issue = IssueFactory(status=Issue.Status.SENT, finished_at=timezone.now())
        Delivery.objects.create(issue=issue, subscriber=SubscriberFactory(), status="sent")
        page = client.get(issue_url("change", issue)).content.decode()
        assert 'data-progress="sent">1<' in page
        assert 'name="subject"' not in page
        assert 'data-progress-live="false"' in page
        assert f'href="{issue.get_absolute_url()}"' in page  # its page in the public archive
        assert "newsletter/admin-progress.js" in page

    def test_the_issue_list_counts_sent_messages_in_fixed_queries(
        self, client, editor, django_assert_num_queries
    ):
        for issue in IssueFactory.create_batch(3, status=Issue.Status.SENT):
            Delivery.objects.create(issue=issue, subscriber=SubscriberFactory(), status="sent")
        # Session, user, permissions (2), the filtered and total counts, then the page itself.
        with django_assert_num_queries(7):
            page = client.get(reverse("admin:newsletter_issue_changelist")).content.decode()
        assert page.count('<td class="field-sent_count">1</td>') == 3


class TestSubscriberAdmin:
    def test_search_and_filters(self, client, editor):
        SubscriberFactory(email="trouvee@example.org", language="en")
        SubscriberFactory(email="autre@example.org", pending=True)
        url = reverse("admin:newsletter_subscriber_changelist")
        page = client.get(url, {"q": "trouvee"}).content.decode()
        assert "trouvee@example.org" in page and "autre@example.org" not in page
        page = client.get(url, {"status__exact": "pending"}).content.decode()
        assert "autre@example.org" in page and "trouvee@example.org" not in page
        page = client.get(url, {"language__exact": "en"}).content.decode()
        assert "trouvee@example.org" in page and "autre@example.org" not in page

    def test_export_as_csv(self, client, editor):
        subscribers = [
            SubscriberFactory(email="a@example.org"),
            SubscriberFactory(email="b@example.org"),
        ]
        response = client.post(
            reverse("admin:newsletter_subscriber_changelist"),
            {"action": "export_csv", "_selected_action": [s.pk for s in subscribers]},
        )
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0] == ["email", "language", "status", "signed_up", "confirmed", "left"]
        assert sorted(row[0] for row in rows[1:]) == ["a@example.org", "b@example.org"]

    def test_addresses_a_spreadsheet_would_run_as_formulas_are_exported_as_text(
        self, client, editor
    ):
        addresses = [
            "=1+1@example.org",
            "+33@example.org",
            "-cmd@example.org",
            "@sum@example.org",
            "\tonglet@example.org",
            "\rretour@example.org",
            "sage@example.org",
        ]
        subscribers = [SubscriberFactory(email=address) for address in addresses]
        response = client.post(
            reverse("admin:newsletter_subscriber_changelist"),
            {"action": "export_csv", "_selected_action": [s.pk for s in subscribers]},
        )
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert [row[0] for row in rows[1:]] == [
            "'=1+1@example.org",
            "'+33@example.org",
            "'-cmd@example.org",
            "'@sum@example.org",
            "'\tonglet@example.org",
            "'\rretour@example.org",
            "sage@example.org",
        ]

    def test_viewing_subscribers_is_not_enough_to_export_them(self, client, reader):
        subscriber = SubscriberFactory(email="privee@example.org")
        url = reverse("admin:newsletter_subscriber_changelist")
        page = client.get(url).content.decode()
        assert "privee@example.org" in page and 'value="export_csv"' not in page

        response = client.post(
            url, {"action": "export_csv", "_selected_action": [subscriber.pk]}, follow=True
        )
        assert "Content-Disposition" not in response
        assert "privee@example.org," not in response.content.decode()

    def test_unsubscribe_and_erase_actions(self, client, editor):
        leaving, erased = SubscriberFactory(), SubscriberFactory()
        url = reverse("admin:newsletter_subscriber_changelist")
        client.post(url, {"action": "unsubscribe_selected", "_selected_action": [leaving.pk]})
        client.post(url, {"action": "erase_selected", "_selected_action": [erased.pk]})

        leaving.refresh_from_db()
        assert leaving.status == Subscriber.Status.UNSUBSCRIBED
        assert leaving.events.get().source == SubscriberEvent.Source.ADMIN
        assert not Subscriber.objects.filter(pk=erased.pk).exists()
        assert SubscriberEvent.objects.filter(kind="erase", subscriber=None).count() == 1

    def test_the_subscriber_list_links_to_the_import_page(self, client, editor):
        page = client.get(reverse("admin:newsletter_subscriber_changelist")).content.decode()
        assert f'href="{reverse("admin:newsletter_subscriber_import")}"' in page

    def test_an_import_with_bad_rows_imports_nothing_and_names_the_lines(self, client, editor):
        content = (
            "email,language,consent_source,consent_date\n"
            "bonne@example.org,fr,salon,2024-05-01\n"
            "pas-une-adresse,fr,,\n"
            "autre@example.org,de,,\n"
            "bonne@example.org,fr,,\n"
        )
        response = client.post(
            reverse("admin:newsletter_subscriber_import"),
            {"file": SimpleUploadedFile("liste.csv", content.encode())},
        )
        page = response.content.decode()
        assert response.status_code == 200
        for line in (3, 4, 5):
            assert f"Line {line}" in page or f"Ligne {line}" in page
        assert not Subscriber.objects.exists()

    def test_an_import_subscribes_with_consent_and_asks_the_others(
        self, client, editor, queued, django_capture_on_commit_callbacks
    ):
        content = (
            "email;language;consent_source;consent_date\n"
            "avec@example.org;fr;formulaire papier;2024-05-01\n"
            "sans@example.org;en;;\n"
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("admin:newsletter_subscriber_import"),
                {"file": SimpleUploadedFile("liste.csv", content.encode())},
            )
        assert response.status_code == 302
        assert Subscriber.objects.get(email="avec@example.org").is_confirmed
        assert Subscriber.objects.get(email="sans@example.org").status == "pending"
        summary = client.get(response["Location"]).content.decode()
        assert (
            "Import terminé\u00a0: 1 abonné avec consentement enregistré, "
            "1 invité à confirmer par e-mail, 0 déjà connu et laissé tel quel." in summary
        )
        queued.run_all()
        assert [m.to for m in mail.outbox] == [["sans@example.org"]]

    def test_an_exported_file_imports_back_without_bringing_back_anyone_who_left(
        self, client, editor, queued, django_capture_on_commit_callbacks, settings
    ):
        settings.TIME_ZONE = "Europe/Paris"
        # Just after midnight in Paris: still the 9th in UTC, the time the export writes.
        consented = timezone.make_aware(datetime(2024, 3, 10, 0, 30), ZoneInfo("Europe/Paris"))
        subscribers = [
            SubscriberFactory(email="fidele@example.org", confirmed_at=consented),
            SubscriberFactory(email="attente@example.org", pending=True, language="en"),
            SubscriberFactory(email="partie@example.org", unsubscribed=True),
            SubscriberFactory(email="rebond@example.org", suppressed=True),
            SubscriberFactory(email="=calcul@example.org"),
        ]
        exported = b"".join(
            client.post(
                reverse("admin:newsletter_subscriber_changelist"),
                {"action": "export_csv", "_selected_action": [s.pk for s in subscribers]},
            ).streaming_content
        )
        Subscriber.objects.all().delete()  # the file arrives on a new site

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("admin:newsletter_subscriber_import"),
                {"file": SimpleUploadedFile("subscribers.csv", exported)},
            )

        assert response.status_code == 302
        assert dict(Subscriber.objects.values_list("email", "status")) == {
            "fidele@example.org": "confirmed",
            "attente@example.org": "pending",
            "=calcul@example.org": "confirmed",
        }
        event = SubscriberEvent.objects.get(subscriber__email="fidele@example.org")
        assert event.detail["consent_date"] == "2024-03-10"
        assert Subscriber.objects.get(email="attente@example.org").language == "en"
        summary = client.get(response["Location"]).content.decode()
        assert "2 plus abonnés, ignorés." in summary
        queued.run_all()
        assert [m.to for m in mail.outbox] == [["attente@example.org"]]

    def test_the_consent_ledger_names_events_with_nouns(self, client, editor):
        leaving = SubscriberFactory()
        url = reverse("admin:newsletter_subscriber_changelist")
        client.post(url, {"action": "unsubscribe_selected", "_selected_action": [leaving.pk]})

        page = client.get(reverse("admin:newsletter_subscriber_change", args=[leaving.pk]))
        assert "Désabonnement" in page.content.decode()

    def test_no_adding_or_deleting_by_hand(self, client, editor):
        assert client.get(reverse("admin:newsletter_subscriber_add")).status_code == 403
        subscriber = SubscriberFactory()
        url = reverse("admin:newsletter_subscriber_delete", args=[subscriber.pk])
        assert client.get(url).status_code == 403


class TestPostAction:
    def test_sending_a_post_as_a_newsletter_opens_a_draft_issue(self, client, editor):
        post = PostFactory(title="Le billet du jour")
        response = client.post(
            reverse("admin:blog_post_changelist"),
            {"action": "send_post_as_newsletter", "_selected_action": [post.pk]},
        )
        issue = Issue.objects.get()
        assert response["Location"] == issue_url("change", issue)
        assert (issue.subject, issue.post, issue.status) == ("Le billet du jour", post, "draft")
        assert issue.body == post.body

    def test_a_post_not_yet_published_is_refused(self, client, editor):
        post = PostFactory(draft=True)
        client.post(
            reverse("admin:blog_post_changelist"),
            {"action": "send_post_as_newsletter", "_selected_action": [post.pk]},
        )
        assert not Issue.objects.exists()
