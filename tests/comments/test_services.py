import smtplib
import threading
from datetime import UTC, timedelta

import akismet
import httpx
import pytest
import time_machine
from django.core import mail
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from blog import pagecache
from blog.models import Post
from comments import services, spam
from comments.models import Comment, ModerationDecision, ModerationEmail
from comments.spam import SpamFilterUnavailable
from core.mail import TransientError
from tests.blog.factories import EditorFactory, PostFactory, UserFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db

HAM = akismet.CheckResponse.HAM
SPAM = akismet.CheckResponse.SPAM
DISCARD = akismet.CheckResponse.DISCARD


def gmt(moment):
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def submit(post=None, **overrides):
    fields = {
        "post": post or PostFactory(),
        "author_name": "Camille",
        "author_email": "camille@example.org",
        "body": "Merci pour ce billet, je l’ai lu deux fois.",
        "language": "fr",
        "ip_address": "198.51.100.4",
        "user_agent": "Mozilla/5.0 Firefox/130.0",
        "referrer": "https://example.org/billet/",
    }
    return services.comment_submit(**(fields | overrides))


def test_submit_stores_a_pending_comment_with_what_akismet_needs_later(enqueued):
    comment = submit()

    stored = Comment.objects.get(pk=comment.pk)
    assert stored.status == Comment.Status.PENDING
    assert stored.verdict == Comment.Verdict.UNCHECKED
    assert (stored.ip_address, stored.user_agent, stored.referrer, stored.language) == (
        "198.51.100.4",
        "Mozilla/5.0 Firefox/130.0",
        "https://example.org/billet/",
        "fr",
    )


def test_submit_enqueues_the_spam_check_only_once_the_comment_is_committed(
    enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        comment = submit()
        assert enqueued == []

    assert enqueued == [("check_comment", (comment.pk,))]


def test_submit_rolled_back_enqueues_nothing(enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            submit()
            raise RuntimeError("the request failed after the insert")

    assert enqueued == []
    assert not Comment.objects.exists()


def test_submit_files_a_reply_under_its_parent(enqueued):
    parent = CommentFactory()

    reply = submit(post=parent.post, parent=parent)

    assert reply.parent == parent and reply.depth == 2


@pytest.mark.akismet_client(comment_check_response=HAM)
def test_ham_from_a_new_address_waits_for_an_editor(akismet_on, enqueued):
    comment = submit()

    assert services.comment_check(comment_id=comment.pk) == Comment.Verdict.HAM

    comment.refresh_from_db()
    assert (comment.status, comment.verdict) == (Comment.Status.PENDING, Comment.Verdict.HAM)
    assert comment.checked_at is not None
    assert list(Comment.objects.waiting()) == [comment]


@pytest.mark.akismet_client(comment_check_response=HAM)
def test_ham_from_an_address_with_an_approved_comment_is_published(akismet_on, enqueued):
    CommentFactory(author_email="Camille@Example.org")
    comment = submit()

    services.comment_check(comment_id=comment.pk)

    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    decision = comment.decisions.get()
    assert (decision.moderator, decision.action) == (None, ModerationDecision.Action.APPROVE)


@pytest.mark.akismet_client(comment_check_response=HAM)
def test_hold_all_keeps_even_returning_commenters_for_an_editor(akismet_on, enqueued, settings):
    settings.COMMENTS_MODERATION = "hold_all"
    CommentFactory(author_email="camille@example.org")
    comment = submit()

    services.comment_check(comment_id=comment.pk)

    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING


@pytest.mark.akismet_client(comment_check_response=HAM)
def test_an_editors_own_ham_is_published_at_once(akismet_on, enqueued, settings):
    settings.COMMENTS_MODERATION = "hold_all"
    editor = EditorFactory()
    comment = submit(user=editor, author_email=editor.email)

    services.comment_check(comment_id=comment.pk)

    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED


@pytest.mark.akismet_client(comment_check_response=SPAM)
def test_spam_goes_to_the_spam_queue(akismet_on, enqueued):
    CommentFactory(author_email="camille@example.org")
    comment = submit()

    services.comment_check(comment_id=comment.pk)

    comment.refresh_from_db()
    assert (comment.status, comment.verdict) == (Comment.Status.SPAM, Comment.Verdict.SPAM)
    assert comment not in Comment.objects.waiting()


@pytest.mark.akismet_client(comment_check_response=DISCARD)
def test_discard_is_spam_hidden_from_the_default_view(akismet_on, enqueued):
    comment = submit()

    services.comment_check(comment_id=comment.pk)

    comment.refresh_from_db()
    assert (comment.status, comment.verdict) == (Comment.Status.SPAM, Comment.Verdict.DISCARD)
    assert comment not in Comment.objects.without_discarded()
    assert comment in Comment.objects.discarded()


def test_without_an_akismet_key_every_comment_waits_for_an_editor(enqueued):
    CommentFactory(author_email="camille@example.org")
    comment = submit()

    assert services.comment_check(comment_id=comment.pk) == Comment.Verdict.SKIPPED

    comment.refresh_from_db()
    assert (comment.status, comment.verdict) == (Comment.Status.PENDING, Comment.Verdict.SKIPPED)
    assert list(Comment.objects.waiting()) == [comment]


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(lambda request: httpx.Response(500, text="oops"), id="http-500"),
        pytest.param(lambda request: httpx.Response(200, text="maybe"), id="nonsense"),
        pytest.param(lambda request: httpx.Response(200, text="invalid"), id="invalid-key"),
        pytest.param(
            lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=request)),
            id="timeout",
        ),
        pytest.param(
            lambda request: (_ for _ in ()).throw(httpx.ConnectError("down", request=request)),
            id="unreachable",
        ),
    ],
)
def test_akismet_failing_leaves_the_comment_pending_and_unchecked(
    akismet_answers, enqueued, failure
):
    akismet_answers(failure)
    CommentFactory(author_email="camille@example.org")
    comment = submit()

    with pytest.raises(SpamFilterUnavailable):
        services.comment_check(comment_id=comment.pk)

    comment.refresh_from_db()
    assert (comment.status, comment.verdict) == (Comment.Status.PENDING, "")
    assert comment.check_attempts == 1


@pytest.mark.akismet_client(comment_check_response=HAM)
def test_check_does_nothing_when_an_editor_decided_first(akismet_on, enqueued):
    comment = submit()
    services.comment_remove(comment=comment, moderator=EditorFactory())

    assert services.comment_check(comment_id=comment.pk) is None

    comment.refresh_from_db()
    assert (comment.status, comment.verdict) == (Comment.Status.REMOVED, "")


@pytest.mark.akismet_client(comment_check_response=HAM)
def test_checking_twice_changes_nothing_the_second_time(akismet_on, enqueued):
    comment = submit()
    services.comment_check(comment_id=comment.pk)

    assert services.comment_check(comment_id=comment.pk) is None
    assert comment.decisions.count() == 1


def test_give_up_leaves_the_comment_to_a_human_and_never_publishes_it(enqueued):
    comment = submit()

    services.comment_check_give_up(comment_id=comment.pk, error="Akismet timed out.")

    comment.refresh_from_db()
    assert (comment.status, comment.verdict) == (Comment.Status.PENDING, Comment.Verdict.ERROR)
    assert comment.check_error == "Akismet timed out."
    assert list(Comment.objects.waiting()) == [comment]


def test_sweeper_sends_again_checks_overdue_by_five_minutes_once(enqueued):
    overdue = submit()
    Comment.objects.filter(pk=overdue.pk).update(check_due_at=timezone.now() - timedelta(minutes=6))
    submit(body="Un autre avis, tout frais.")  # its check is due, not overdue
    retrying_later = submit(body="Un troisième, dont la relance est prévue.")
    services.comment_check_postpone(comment_id=retrying_later.pk, delay=600, error="timeout")
    CommentFactory()  # approved: nothing to check

    assert services.comments_sweep_unchecked() == 1
    assert services.comments_sweep_unchecked() == 0

    assert enqueued == [("check_comment", (overdue.pk,))]


def test_editor_approves_a_pending_comment_and_the_decision_is_recorded(enqueued):
    editor = EditorFactory()
    comment = CommentFactory(pending=True)

    assert services.comment_approve(comment=comment, moderator=editor)

    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    decision = comment.decisions.get()
    assert (decision.moderator, decision.action, decision.previous_status) == (
        editor,
        ModerationDecision.Action.APPROVE,
        Comment.Status.PENDING,
    )
    assert decision.feedback == ModerationDecision.Feedback.NONE


def test_approving_an_approved_comment_changes_nothing(enqueued):
    comment = CommentFactory()

    assert not services.comment_approve(comment=comment, moderator=EditorFactory())
    assert not comment.decisions.exists()


def test_marking_ham_as_spam_reports_it_to_akismet_after_commit(
    akismet_on, enqueued, django_capture_on_commit_callbacks
):
    comment = CommentFactory(verdict=Comment.Verdict.HAM)

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_mark_spam(comment=comment, moderator=EditorFactory())

    decision = comment.decisions.get()
    assert decision.feedback == ModerationDecision.Feedback.PENDING
    assert enqueued == [("report_to_akismet", (decision.pk,))]
    comment.refresh_from_db()
    assert comment.status == Comment.Status.SPAM


def test_not_spam_approves_and_reports_ham(
    akismet_on, enqueued, django_capture_on_commit_callbacks
):
    comment = CommentFactory(status=Comment.Status.SPAM, verdict=Comment.Verdict.SPAM)

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_mark_ham(comment=comment, moderator=EditorFactory())

    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    decision = comment.decisions.get()
    assert decision.action == ModerationDecision.Action.HAM
    assert enqueued == [("report_to_akismet", (decision.pk,))]


def test_approving_spam_counts_as_not_spam(akismet_on, enqueued):
    comment = CommentFactory(status=Comment.Status.SPAM, verdict=Comment.Verdict.SPAM)

    services.comment_approve(comment=comment, moderator=EditorFactory())

    assert comment.decisions.get().action == ModerationDecision.Action.HAM


def test_spam_akismet_already_caught_is_not_reported_again(akismet_on, enqueued):
    comment = CommentFactory(status=Comment.Status.PENDING, verdict=Comment.Verdict.SPAM)

    services.comment_mark_spam(comment=comment, moderator=EditorFactory())

    assert comment.decisions.get().feedback == ModerationDecision.Feedback.NONE


def test_without_a_key_spam_decisions_are_recorded_but_not_reported(enqueued):
    comment = CommentFactory(verdict=Comment.Verdict.SKIPPED)

    services.comment_mark_spam(comment=comment, moderator=EditorFactory())

    assert comment.decisions.get().feedback == ModerationDecision.Feedback.SKIPPED
    assert enqueued == []


def test_remove_is_soft_and_keeps_the_comment_for_the_record(enqueued):
    comment = CommentFactory()

    services.comment_remove(comment=comment, moderator=EditorFactory())

    comment.refresh_from_db()
    assert comment.status == Comment.Status.REMOVED
    assert comment.decisions.get().action == ModerationDecision.Action.REMOVE


def test_decision_report_sends_akismet_the_stored_context_once(
    akismet_requests, enqueued, settings
):
    post = PostFactory(slug="le-seigle")
    comment = CommentFactory(
        post=post,
        author_name="Vendeur",
        author_email="promo@example.com",
        author_url="https://promo.example.com",
        body="Achetez nos montres.",
        language="en",
        ip_address="203.0.113.9",
        user_agent="SpamBot/1.0",
        referrer="https://promo.example.com/",
    )
    services.comment_mark_spam(comment=comment, moderator=EditorFactory())
    decision = comment.decisions.get()

    services.decision_report(decision_id=decision.pk)
    services.decision_report(decision_id=decision.pk)

    decision.refresh_from_db()
    assert decision.feedback == ModerationDecision.Feedback.SENT
    reports = [fields for path, fields in akismet_requests if path.startswith("/1.1/submit-")]
    assert reports == [
        {
            "api_key": "test-key",
            "blog": settings.AKISMET_BLOG_URL,
            "user_ip": "203.0.113.9",
            "user_agent": "SpamBot/1.0",
            "referrer": "https://promo.example.com/",
            "permalink": "http://testserver/en/le-seigle/",
            "comment_type": "comment",
            "comment_author": "Vendeur",
            "comment_author_email": "promo@example.com",
            "comment_author_url": "https://promo.example.com",
            "comment_content": "Achetez nos montres.",
            "comment_date_gmt": gmt(comment.created_at),
            "comment_post_modified_gmt": gmt(post.updated_at),
            "blog_lang": "fr, en",
            "blog_charset": "UTF-8",
            "is_test": "true",
        }
    ]
    assert [path for path, _fields in akismet_requests][-1] == "/1.1/submit-spam"


def test_two_runs_of_one_report_tell_akismet_once(akismet_answers, enqueued):
    comment = CommentFactory(verdict=Comment.Verdict.HAM)
    services.comment_mark_spam(comment=comment, moderator=EditorFactory())
    decision = comment.decisions.get()
    reports = []

    def akismet(request):
        if request.url.path == "/1.1/verify-key":
            return httpx.Response(200, text="valid")
        reports.append(request.url.path)
        if len(reports) == 1:
            # The task delivered twice: a second run starts while Akismet handles the first.
            services.decision_report(decision_id=decision.pk)
        return httpx.Response(200, text="Thanks for making the web a better place.")

    akismet_answers(akismet)

    services.decision_report(decision_id=decision.pk)

    decision.refresh_from_db()
    assert reports == ["/1.1/submit-spam"]
    assert decision.feedback == ModerationDecision.Feedback.SENT


def test_a_report_akismet_could_not_take_is_sent_by_the_next_run(akismet_answers, enqueued):
    comment = CommentFactory(verdict=Comment.Verdict.HAM)
    services.comment_mark_spam(comment=comment, moderator=EditorFactory())
    decision = comment.decisions.get()
    answers = iter([500, 200])

    def akismet(request):
        if request.url.path == "/1.1/verify-key":
            return httpx.Response(200, text="valid")
        return httpx.Response(next(answers), text="Thanks for making the web a better place.")

    akismet_answers(akismet)

    with pytest.raises(SpamFilterUnavailable):
        services.decision_report(decision_id=decision.pk)
    decision.refresh_from_db()
    assert decision.feedback == ModerationDecision.Feedback.PENDING
    assert "500" in decision.feedback_error

    services.decision_report(decision_id=decision.pk)
    decision.refresh_from_db()
    assert (decision.feedback, decision.feedback_error) == (ModerationDecision.Feedback.SENT, "")


def test_approving_a_reply_notifies_the_thread_after_commit(
    enqueued, django_capture_on_commit_callbacks
):
    parent = CommentFactory(notify_replies=True)
    reply = CommentFactory(parent=parent, pending=True)

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_approve(comment=reply, moderator=EditorFactory())

    assert enqueued == [("notify_reply", (reply.pk,))]


def test_reply_notification_goes_to_each_subscriber_once_in_their_language():
    root = CommentFactory(
        author_name="Alice", author_email="alice@example.org", notify_replies=True, language="en"
    )
    middle = CommentFactory(
        parent=root, author_email="bruno@example.org", notify_replies=True, language="fr"
    )
    CommentFactory(parent=middle, author_email="ALICE@example.org", notify_replies=True)
    quiet = CommentFactory(parent=root, author_email="chloe@example.org", notify_replies=False)
    reply = CommentFactory(parent=middle, author_name="Denis", body="Je suis **d’accord**.")

    assert services.reply_notify(comment_id=reply.pk) == 2
    assert services.reply_notify(comment_id=reply.pk) == 0

    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"alice@example.org", "bruno@example.org"}
    english, french = by_address["alice@example.org"], by_address["bruno@example.org"]
    assert english.subject == f"New reply to your comment on “{reply.post.title}”"
    assert "Denis replied" in english.body and f"/en/{reply.post.slug}/#comment-" in english.body
    assert french.subject.startswith("Nouvelle réponse")
    html, mimetype = english.alternatives[0]
    assert mimetype == "text/html" and "<strong>d’accord</strong>" in html
    assert english.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert quiet.pk


def test_a_reply_to_your_own_comment_sends_you_nothing():
    parent = CommentFactory(author_email="alice@example.org", notify_replies=True)
    reply = CommentFactory(parent=parent, author_email="alice@example.org")

    assert services.reply_notify(comment_id=reply.pk) == 0
    assert mail.outbox == []


def test_a_failed_notification_is_sent_by_the_retry(monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    parent = CommentFactory(notify_replies=True)
    reply = CommentFactory(parent=parent)

    def refuse(self, messages):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    with pytest.raises(TransientError):
        services.reply_notify(comment_id=reply.pk)
    monkeypatch.undo()

    assert services.reply_notify(comment_id=reply.pk) == 1
    assert [message.to for message in mail.outbox] == [[parent.author_email]]


def thread_of_two_subscribers():
    """Return a reply whose thread has Alice (its parent) and Bruno (above her) subscribed."""
    bruno = CommentFactory(author_email="bruno@example.org", notify_replies=True)
    alice = CommentFactory(parent=bruno, author_email="alice@example.org", notify_replies=True)
    return CommentFactory(parent=alice, author_email="chloe@example.org")


def test_a_retry_after_a_partial_send_emails_only_the_readers_not_reached(monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    reply = thread_of_two_subscribers()
    real_send = EmailBackend.send_messages
    lost = []

    def connection_lost_at_bruno(self, messages):
        for message in messages:
            if message.to == ["bruno@example.org"] and not lost:
                lost.append(message)
                raise smtplib.SMTPServerDisconnected("connection lost")
            real_send(self, [message])
        return len(messages)

    monkeypatch.setattr(EmailBackend, "send_messages", connection_lost_at_bruno)
    with pytest.raises(TransientError):
        services.reply_notify(comment_id=reply.pk)
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]

    assert services.reply_notify(comment_id=reply.pk) == 1
    assert [message.to for message in mail.outbox] == [["alice@example.org"], ["bruno@example.org"]]
    assert services.reply_notify(comment_id=reply.pk) == 0
    assert len(mail.outbox) == 2


def test_two_runs_at_once_email_each_reader_once(monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    reply = thread_of_two_subscribers()
    real_send = EmailBackend.send_messages
    second_run = []

    def send_while_another_run_starts(self, messages):
        if not second_run:
            second_run.append("started")
            second_run.append(services.reply_notify(comment_id=reply.pk))
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_while_another_run_starts)

    first_run = services.reply_notify(comment_id=reply.pk)

    assert (first_run, second_run) == (1, ["started", 1])
    assert sorted(message.to[0] for message in mail.outbox) == [
        "alice@example.org",
        "bruno@example.org",
    ]


def test_a_reader_who_stops_notifications_before_a_retry_is_not_emailed(monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    parent = CommentFactory(notify_replies=True)
    reply = CommentFactory(parent=parent)

    def refuse(self, messages):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    with pytest.raises(TransientError):
        services.reply_notify(comment_id=reply.pk)
    monkeypatch.undo()
    services.notifications_stop(subscription=parent)

    assert services.reply_notify(comment_id=reply.pk) == 0
    assert mail.outbox == []


def test_notifications_stop_for_that_address_on_that_post_only():
    parent = CommentFactory(author_email="alice@example.org", notify_replies=True)
    other_on_post = CommentFactory(
        post=parent.post, author_email="ALICE@example.org", notify_replies=True
    )
    elsewhere = CommentFactory(author_email="alice@example.org", notify_replies=True)

    assert services.notifications_stop(subscription=parent) == 2

    assert not Comment.objects.filter(pk__in=[parent.pk, other_on_post.pk], notify_replies=True)
    elsewhere.refresh_from_db()
    assert elsewhere.notify_replies


def held(post=None, **fields):
    return CommentFactory(
        post=post or PostFactory(), status=Comment.Status.PENDING, verdict="ham", **fields
    )


def test_moderation_email_tells_editors_and_the_post_author_what_waits():
    editor = EditorFactory(email="editrice@example.org")
    EditorFactory(email="", username="sans-adresse")
    UserFactory(email="lecteur@example.org")  # a reader, not a moderator
    author = UserFactory(email="autrice@example.org", is_staff=True)
    post = PostFactory(author=author, title="Le pain")
    waiting = held(post=post, author_name="Zoé", body="Avez-vous essayé le seigle ?")
    CommentFactory(post=post, pending=True)  # not checked yet: announced once Akismet spoke

    assert services.moderation_notice_send() == 1

    assert sorted(message.to[0] for message in mail.outbox) == [
        "autrice@example.org",
        editor.email,
    ]
    message = mail.outbox[0]
    assert message.subject == "1 commentaire attend d’être modéré sur Chez Soi"
    assert "Zoé" in message.body and "Avez-vous essayé le seigle ?" in message.body
    assert "/admin/comments/comment/?status=pending" in message.body
    assert message.alternatives[0][1] == "text/html"
    waiting.refresh_from_db()
    assert waiting.moderators_notified_at is not None


def test_moderation_email_goes_at_most_once_per_interval(settings):
    settings.COMMENTS_MODERATION_EMAIL_INTERVAL = 30
    editor = EditorFactory()
    post = PostFactory(author=editor)
    held(post=post)
    services.moderation_notice_send()
    held(post=post)

    assert services.moderation_notice_send() == 0
    assert len(mail.outbox) == 1

    ModerationEmail.objects.update(sent_at=timezone.now() - timedelta(minutes=31))
    assert services.moderation_notice_send() == 1
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_moderation_email_is_sent_once_the_comments_are_claimed_and_unlocked(monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    EditorFactory()
    waiting = held()
    real_send = EmailBackend.send_messages
    seen_by_another_worker = []

    def look_from_another_worker():
        try:
            with transaction.atomic():
                row = Comment.objects.select_for_update(nowait=True).get(pk=waiting.pk)
                seen_by_another_worker.append(row.moderators_notified_at is not None)
        except DatabaseError as exc:
            seen_by_another_worker.append(type(exc).__name__)
        finally:
            connections.close_all()

    def send(self, messages):
        # While the mail server is busy, the comments are neither locked nor left unclaimed.
        worker = threading.Thread(target=look_from_another_worker)
        worker.start()
        worker.join()
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send)

    assert services.moderation_notice_send() == 1
    assert seen_by_another_worker and all(claimed is True for claimed in seen_by_another_worker)


def test_moderation_email_the_mail_server_refused_goes_with_the_next_run(monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    editor = EditorFactory(email="editrice@example.org")
    waiting = held(post=PostFactory(author=editor), author_name="Zoé")

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("bye")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    with pytest.raises(TransientError):
        services.moderation_notice_send()
    monkeypatch.undo()
    waiting.refresh_from_db()
    assert waiting.moderators_notified_at is None
    assert not ModerationEmail.objects.exists()

    assert services.moderation_notice_send() == 1
    assert [message.to for message in mail.outbox] == [["editrice@example.org"]]
    assert "Zoé" in mail.outbox[0].body


def test_moderation_email_refused_for_one_editor_still_reaches_the_others(monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    EditorFactory(email="partie@example.org")
    editor = EditorFactory(email="editrice@example.org")
    held(post=PostFactory(author=editor))
    real_send = EmailBackend.send_messages

    def refuse_one(self, messages):
        if messages[0].to == ["partie@example.org"]:
            raise smtplib.SMTPRecipientsRefused(
                {"partie@example.org": (550, b"5.1.1 No such user")}
            )
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_one)

    assert services.moderation_notice_send() == 1
    assert [message.to for message in mail.outbox] == [["editrice@example.org"]]
    assert services.moderation_notice_send() == 0  # announced: not sent again to anyone


def test_moderation_email_not_sent_when_nothing_new_waits():
    EditorFactory()

    assert services.moderation_notice_send() == 0
    assert mail.outbox == [] and not ModerationEmail.objects.exists()


def test_purge_deletes_discarded_spam_after_thirty_days_only():
    old = CommentFactory(status=Comment.Status.SPAM, verdict=Comment.Verdict.DISCARD)
    recent = CommentFactory(status=Comment.Status.SPAM, verdict=Comment.Verdict.DISCARD)
    old_plain_spam = CommentFactory(status=Comment.Status.SPAM, verdict=Comment.Verdict.SPAM)
    Comment.objects.filter(pk__in=[old.pk, old_plain_spam.pk]).update(
        created_at=timezone.now() - timedelta(days=31)
    )

    assert services.comments_purge_discarded() == 1

    assert set(Comment.objects.values_list("pk", flat=True)) == {recent.pk, old_plain_spam.pk}


@pytest.mark.akismet_client(comment_check_response=HAM)
def test_a_reply_published_by_the_policy_notifies_the_thread(
    akismet_on, enqueued, django_capture_on_commit_callbacks
):
    parent = CommentFactory(notify_replies=True)
    CommentFactory(author_email="camille@example.org")  # Camille has commented before
    reply = submit(post=parent.post, parent=parent)

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_check(comment_id=reply.pk)

    assert ("notify_reply", (reply.pk,)) in enqueued


# Authors fixing their own comments ---------------------------------------------------------------


def test_an_authors_edit_keeps_the_old_words_in_the_history_and_has_the_new_ones_checked(
    enqueued, django_capture_on_commit_callbacks
):
    comment = CommentFactory(body="Le levain doit reposer une nuiit.")
    assert Post.objects.get(pk=comment.post_id).comment_count == 1

    with django_capture_on_commit_callbacks(execute=True):
        changed = services.comment_edit(comment=comment, body="Le levain doit reposer une *nuit*.")

    assert changed
    stored = Comment.objects.get(pk=comment.pk)
    assert stored.body == "Le levain doit reposer une *nuit*."
    assert "<em>nuit</em>" in stored.body_html
    assert (stored.status, stored.verdict) == (Comment.Status.PENDING, Comment.Verdict.UNCHECKED)
    [edit] = stored.decisions.filter(action=ModerationDecision.Action.EDIT)
    assert edit.previous_body == "Le levain doit reposer une nuiit."
    assert (edit.previous_status, edit.new_status) == ("approved", "pending")
    assert edit.moderator is None
    assert enqueued == [("check_comment", (comment.pk,))]
    # No longer shown to readers until it is filed again.
    assert Post.objects.get(pk=comment.post_id).comment_count == 0


@pytest.mark.parametrize(
    ("policy", "trusted", "filed_as"),
    [
        ("trust_returning", True, Comment.Status.APPROVED),
        ("trust_returning", False, Comment.Status.PENDING),
        ("hold_all", True, Comment.Status.PENDING),
    ],
)
def test_an_edited_comment_is_filed_by_the_policy_like_a_new_one(
    akismet_requests, enqueued, settings, policy, trusted, filed_as
):
    settings.COMMENTS_MODERATION = policy
    comment = CommentFactory(author_email="camille@example.org", body="Premier jet.")
    if trusted:
        CommentFactory(author_email="camille@example.org")
    services.comment_edit(comment=comment, body="Second jet, relu.")

    assert services.comment_check(comment_id=comment.pk) == Comment.Verdict.HAM

    checks = [fields for path, fields in akismet_requests if path == "/1.1/comment-check"]
    assert [fields["comment_content"] for fields in checks] == ["Second jet, relu."]
    assert Comment.objects.get(pk=comment.pk).status == filed_as
    actions = list(comment.decisions.values_list("action", flat=True))
    assert actions[0] == ModerationDecision.Action.EDIT
    assert len(actions) == 2


@pytest.mark.akismet_client(comment_check_response=SPAM)
def test_an_edit_turning_a_comment_into_spam_is_filed_as_spam(akismet_on, enqueued):
    comment = CommentFactory()
    services.comment_edit(comment=comment, body="Achetez des montres pas chères ici.")

    services.comment_check(comment_id=comment.pk)

    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.SPAM


def test_a_check_of_the_words_before_an_edit_does_not_file_the_edited_comment(
    enqueued, monkeypatch, settings
):
    settings.AKISMET_API_KEY = "test-key"
    comment = submit(body="Des mots bien sages.")

    def check_while_the_author_edits(checked):
        services.comment_edit(comment=checked, body="Autre chose, de tout autre nature.")
        return Comment.Verdict.HAM

    monkeypatch.setattr(spam, "check", check_while_the_author_edits)

    assert services.comment_check(comment_id=comment.pk) is None
    stored = Comment.objects.get(pk=comment.pk)
    assert (stored.status, stored.verdict) == (Comment.Status.PENDING, Comment.Verdict.UNCHECKED)


def test_an_edit_that_changes_nothing_is_not_recorded(enqueued):
    comment = CommentFactory(body="Tel quel.")

    assert not services.comment_edit(comment=comment, body="Tel quel.")

    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.APPROVED
    assert not comment.decisions.exists() and enqueued == []


def test_edits_and_deletions_are_refused_once_the_time_allowed_has_passed(enqueued, settings):
    settings.COMMENT_EDIT_MINUTES = 15
    comment = CommentFactory(body="Trop tard.")

    with time_machine.travel(comment.created_at + timedelta(minutes=15, seconds=1)):
        with pytest.raises(services.ChangeRefused):
            services.comment_edit(comment=comment, body="Corrigé.")
        with pytest.raises(services.ChangeRefused):
            services.comment_delete_by_author(comment=comment)

    stored = Comment.objects.get(pk=comment.pk)
    assert (stored.body, stored.status) == ("Trop tard.", Comment.Status.APPROVED)
    assert not stored.decisions.exists()


def test_within_the_time_allowed_the_author_may_still_edit(enqueued, settings):
    settings.COMMENT_EDIT_MINUTES = 15
    comment = CommentFactory(body="Juste à temps.")

    with time_machine.travel(comment.created_at + timedelta(minutes=14, seconds=59)):
        assert services.comment_edit(comment=comment, body="Juste à temps, relu.")


@pytest.mark.parametrize("status", [Comment.Status.SPAM, Comment.Status.REMOVED])
def test_a_comment_filed_as_spam_or_removed_cannot_be_changed_by_its_author(enqueued, status):
    comment = CommentFactory(status=status)

    with pytest.raises(services.ChangeRefused):
        services.comment_edit(comment=comment, body="Je réessaie.")
    with pytest.raises(services.ChangeRefused):
        services.comment_delete_by_author(comment=comment)

    assert Comment.objects.get(pk=comment.pk).status == status


def test_deleting_by_the_author_takes_the_comment_off_the_page_and_records_it(
    monkeypatch, django_capture_on_commit_callbacks
):
    comment = CommentFactory()
    kept = CommentFactory(post=comment.post)
    renewed = []
    monkeypatch.setattr(pagecache, "content_changed", lambda: renewed.append(True))

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_delete_by_author(comment=comment)

    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.REMOVED
    [decision] = comment.decisions.all()
    assert decision.action == ModerationDecision.Action.DELETE
    assert (decision.previous_status, decision.new_status) == ("approved", "removed")
    assert Post.objects.get(pk=comment.post_id).comment_count == 1
    assert renewed == [True]
    assert Comment.objects.get(pk=kept.pk).status == Comment.Status.APPROVED


def test_editing_a_published_comment_renews_the_cached_pages(monkeypatch, enqueued):
    published = CommentFactory()
    pending = CommentFactory(pending=True)
    renewed = []
    monkeypatch.setattr(pagecache, "content_changed", lambda: renewed.append(True))

    services.comment_edit(comment=published, body="Une autre version.")
    assert renewed == [True]
    # A pending comment shows on no shared page.
    services.comment_edit(comment=pending, body="Une autre version encore.")
    assert renewed == [True]
