import smtplib
from types import SimpleNamespace

import akismet
import httpx
import pytest
from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError
from django.core import mail

from comments import tasks
from comments.models import Comment, ModerationDecision, ReplyNotification
from tests.blog.factories import EditorFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db


def test_retry_delays_double_with_jitter_and_stay_bounded():
    for attempt in range(6):
        delays = [tasks.retry_delay(attempt, base=30) for _ in range(50)]
        assert all(15 * 2**attempt <= delay <= 45 * 2**attempt for delay in delays)
        assert len(set(delays)) > 1  # jittered: retries of many comments do not come in step
    assert tasks.retry_delay(30, base=30) <= tasks.LONGEST_RETRY_DELAY * 1.5


@pytest.mark.akismet_client(comment_check_response=akismet.CheckResponse.SPAM)
def test_check_task_files_the_comment(akismet_on, eager_tasks):
    comment = CommentFactory(pending=True)

    tasks.check_comment.delay(comment.pk)

    comment.refresh_from_db()
    assert comment.status == Comment.Status.SPAM


def test_check_task_retries_then_recovers(akismet_answers, eager_tasks, settings):
    settings.COMMENTS_CHECK_RETRIES = 3
    checks = []

    def handler(request):
        if request.url.path == "/1.1/verify-key":
            return httpx.Response(200, text="valid")
        checks.append(request)
        return httpx.Response(500) if len(checks) == 1 else httpx.Response(200, text="false")

    akismet_answers(handler)
    comment = CommentFactory(pending=True)

    tasks.check_comment.delay(comment.pk)

    comment.refresh_from_db()
    assert (comment.status, comment.verdict) == (Comment.Status.PENDING, Comment.Verdict.HAM)
    assert comment.check_attempts == 2


def test_check_task_gives_up_after_the_last_retry_and_waits_for_a_human(
    akismet_answers, eager_tasks, settings
):
    settings.COMMENTS_CHECK_RETRIES = 2
    calls = []

    def unreachable(request):
        calls.append(request.url.path)
        raise httpx.ConnectError("no route to host", request=request)

    akismet_answers(unreachable)
    CommentFactory(author_email="fidele@example.org")  # trusted, yet never published unchecked
    comment = CommentFactory(pending=True, author_email="fidele@example.org")

    tasks.check_comment.delay(comment.pk)

    comment.refresh_from_db()
    assert (comment.status, comment.verdict) == (Comment.Status.PENDING, Comment.Verdict.ERROR)
    assert comment.check_attempts == 3
    assert comment.check_error == "Error making request to Akismet."
    assert len(calls) == 3
    assert comment.decisions.get().action == ModerationDecision.Action.HOLD


def test_report_task_marks_the_decision_failed_after_the_last_retry(
    akismet_answers, eager_tasks, settings
):
    settings.COMMENTS_CHECK_RETRIES = 1
    akismet_answers(lambda request: httpx.Response(503, text="busy"))
    comment = CommentFactory(verdict=Comment.Verdict.HAM)
    decision = ModerationDecision.objects.create(
        comment=comment,
        moderator=EditorFactory(),
        action=ModerationDecision.Action.SPAM,
        previous_status=Comment.Status.APPROVED,
        new_status=Comment.Status.SPAM,
        feedback=ModerationDecision.Feedback.PENDING,
    )

    tasks.report_to_akismet.delay(decision.pk)

    decision.refresh_from_db()
    assert decision.feedback == ModerationDecision.Feedback.FAILED
    assert "503" in decision.feedback_error


def test_notify_task_retries_when_the_mail_server_is_briefly_away(eager_tasks, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages
    failures = iter([smtplib.SMTPServerDisconnected("bye")])

    def flaky(self, messages):
        failure = next(failures, None)
        if failure:
            raise failure
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    parent = CommentFactory(notify_replies=True)
    reply = CommentFactory(parent=parent)

    tasks.notify_reply.delay(reply.pk)

    assert [message.to for message in mail.outbox] == [[parent.author_email]]


class ThrottlingProvider(AnymailTestBackend):
    """An email provider, reached through django-anymail, that answers 429 to the first calls."""

    throttled_calls = 0

    def post_to_esp(self, payload, message):
        if ThrottlingProvider.throttled_calls:
            ThrottlingProvider.throttled_calls -= 1
            response = SimpleNamespace(status_code=429, reason="Too Many Requests", text="{}")
            raise AnymailAPIError(
                "Rate limit exceeded", status_code=429, response=response, backend=self
            )
        return super().post_to_esp(payload, message)


# Twice, as the issue asked; six times, more than Celery's own default of three retries.
@pytest.mark.parametrize("throttled", [2, 6])
def test_a_reply_notification_throttled_by_the_provider_is_delivered_once(
    eager_tasks, settings, monkeypatch, throttled
):
    settings.EMAIL_BACKEND = f"{__name__}.ThrottlingProvider"
    monkeypatch.setattr(ThrottlingProvider, "throttled_calls", throttled)
    parent = CommentFactory(notify_replies=True, author_email="abonnee@example.org")
    reply = CommentFactory(parent=parent)

    tasks.notify_reply.delay(reply.pk)

    assert ThrottlingProvider.throttled_calls == 0  # every 429 answer was met
    assert [message.to for message in mail.outbox] == [["abonnee@example.org"]]
    notification = ReplyNotification.objects.get(reply=reply)
    assert notification.status == ReplyNotification.Status.SENT


def test_a_reply_notification_refused_for_good_is_not_retried(eager_tasks, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    calls = []

    def refuse(self, messages):
        calls.append(messages)
        raise smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"5.1.1 No such user")})

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    parent = CommentFactory(notify_replies=True)
    reply = CommentFactory(parent=parent)

    tasks.notify_reply.delay(reply.pk)
    tasks.notify_reply.delay(reply.pk)  # a later run, for other readers, leaves it alone

    assert len(calls) == 1
    assert mail.outbox == []
    assert ReplyNotification.objects.get(reply=reply).status == ReplyNotification.Status.FAILED
