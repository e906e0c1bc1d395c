"""Celery tasks for comments: each takes ids, calls one service, and retries only what is transient."""

import logging
import random
import smtplib

from celery import shared_task
from django.conf import settings

from comments import services
from comments.spam import SpamFilterUnavailable

logger = logging.getLogger(__name__)

LONGEST_RETRY_DELAY = 60 * 60
MAIL_RETRIES = 5
MAIL_RETRY_DELAY = 60


def retry_delay(attempt: int, *, base: float) -> float:
    """Return the wait before retry number `attempt` (from 0): doubling, jittered by ±50%."""
    delay = min(base * 2**attempt, LONGEST_RETRY_DELAY)
    return random.uniform(delay / 2, delay * 1.5)


def is_transient_mail_error(exc: Exception) -> bool:
    """Return whether a mail server failure is worth another try (no connection, 4xx)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _message in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError)


@shared_task(bind=True)
def check_comment(self, comment_id: int) -> None:
    """Have Akismet judge a pending comment; on failure retry, then leave it to a human."""
    try:
        services.comment_check(comment_id=comment_id)
    except SpamFilterUnavailable as exc:
        if self.request.retries >= settings.COMMENTS_CHECK_RETRIES:
            services.comment_check_give_up(comment_id=comment_id, error=str(exc))
            return
        delay = retry_delay(self.request.retries, base=settings.COMMENTS_CHECK_RETRY_DELAY)
        services.comment_check_postpone(comment_id=comment_id, delay=delay, error=str(exc))
        raise self.retry(exc=exc, countdown=delay, max_retries=None) from exc


@shared_task(bind=True)
def report_to_akismet(self, decision_id: int) -> None:
    """Send an editor's spam / not-spam decision to Akismet, retrying while it is unavailable."""
    try:
        services.decision_report(decision_id=decision_id)
    except SpamFilterUnavailable as exc:
        if self.request.retries >= settings.COMMENTS_CHECK_RETRIES:
            services.decision_report_give_up(decision_id=decision_id, error=str(exc))
            return
        delay = retry_delay(self.request.retries, base=settings.COMMENTS_CHECK_RETRY_DELAY)
        raise self.retry(exc=exc, countdown=delay, max_retries=None) from exc


@shared_task(bind=True)
def notify_reply(self, comment_id: int) -> None:
    """Email the commenters who asked to hear of replies in this comment's thread."""
    try:
        services.reply_notify(comment_id=comment_id)
    except Exception as exc:
        if not is_transient_mail_error(exc) or self.request.retries >= MAIL_RETRIES:
            logger.error("Reply notification for comment %s not sent: %s", comment_id, exc)
            raise
        delay = retry_delay(self.request.retries, base=MAIL_RETRY_DELAY)
        raise self.retry(exc=exc, countdown=delay, max_retries=None) from exc


@shared_task
def send_moderation_email() -> int:
    """Tell editors about comments newly waiting, at most once per configured interval."""
    # A failure marks nothing as announced: the next run, a minute later, tries again.
    return services.moderation_notice_send()


@shared_task
def sweep_unchecked_comments() -> int:
    """Send again the spam checks that were lost on the way."""
    return services.comments_sweep_unchecked()


@shared_task
def purge_discarded_spam() -> int:
    """Delete blatant spam after 30 days."""
    return services.comments_purge_discarded()
