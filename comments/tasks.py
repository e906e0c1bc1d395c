"""Celery tasks for comments: each takes ids, calls one service, and retries only what is transient.

Services are imported inside each task, so that services may queue tasks without an import cycle.
"""

import logging
import random

from celery import shared_task
from django.conf import settings

from comments.spam import SpamFilterUnavailable
from core import mail

logger = logging.getLogger(__name__)

LONGEST_RETRY_DELAY = 60 * 60


def retry_delay(attempt: int, *, base: float) -> float:
    """Return the wait before Akismet retry number `attempt` (from 0): doubling, jittered by ±50%."""
    delay = min(base * 2**attempt, LONGEST_RETRY_DELAY)
    return random.uniform(delay / 2, delay * 1.5)


@shared_task(bind=True)
def check_comment(self, comment_id: int) -> None:
    """Have Akismet judge a pending comment; on failure retry, then leave it to a human."""
    from comments.services import comment_check, comment_check_give_up, comment_check_postpone

    try:
        comment_check(comment_id=comment_id)
    except SpamFilterUnavailable as exc:
        if self.request.retries >= settings.COMMENTS_CHECK_RETRIES:
            comment_check_give_up(comment_id=comment_id, error=str(exc))
            return
        delay = retry_delay(self.request.retries, base=settings.COMMENTS_CHECK_RETRY_DELAY)
        comment_check_postpone(comment_id=comment_id, delay=delay, error=str(exc))
        raise self.retry(exc=exc, countdown=delay, max_retries=None) from exc


@shared_task(bind=True)
def report_to_akismet(self, decision_id: int) -> None:
    """Send an editor's spam / not-spam decision to Akismet, retrying while it is unavailable."""
    from comments.services import decision_report, decision_report_give_up

    try:
        decision_report(decision_id=decision_id)
    except SpamFilterUnavailable as exc:
        if self.request.retries >= settings.COMMENTS_CHECK_RETRIES:
            decision_report_give_up(decision_id=decision_id, error=str(exc))
            return
        delay = retry_delay(self.request.retries, base=settings.COMMENTS_CHECK_RETRY_DELAY)
        raise self.retry(exc=exc, countdown=delay, max_retries=None) from exc


@shared_task(bind=True)
def notify_reply(self, comment_id: int) -> None:
    """Email the commenters who asked to hear of replies in this comment's thread."""
    from comments.services import reply_notify

    try:
        reply_notify(comment_id=comment_id)
    except mail.TransientError as error:
        if self.request.retries >= mail.MAX_RETRIES:
            logger.error("Reply notification for comment %s not sent: %s", comment_id, error)
        mail.retry_later(self, error)


@shared_task
def send_moderation_email() -> int:
    """Tell editors about comments newly waiting, at most once per configured interval."""
    from comments.services import moderation_notice_send

    # A failure marks nothing as announced: the next run, a minute later, tries again.
    return moderation_notice_send()


@shared_task
def sweep_unchecked_comments() -> int:
    """Send again the spam checks that were lost on the way."""
    from comments.services import comments_sweep_unchecked

    return comments_sweep_unchecked()


@shared_task
def purge_discarded_spam() -> int:
    """Delete blatant spam after 30 days."""
    from comments.services import comments_purge_discarded

    return comments_purge_discarded()
