"""Celery tasks of the newsletter: each takes ids, calls one service, and is safe to run twice.

Services are imported inside each task, so that services may queue tasks without an import cycle.
"""

import logging

from celery import shared_task
from django.conf import settings

from core import mail

logger = logging.getLogger(__name__)


@shared_task
def fan_out(issue_id: int, requeue: bool = False) -> None:
    """Create the issue's deliveries and queue their batches."""
    from newsletter.services.deliveries import issue_fan_out

    issue_fan_out(issue_id=issue_id, requeue=requeue)


@shared_task(bind=True, max_retries=None)
def send_batch(self, issue_id: int, delivery_ids: list[int]) -> None:
    """Send one batch of deliveries; retry what the mail server could not take yet."""
    from newsletter.services.deliveries import batch_send

    result = batch_send(issue_id=issue_id, delivery_ids=delivery_ids)
    if result.requeue_ids:
        send_batch.delay(issue_id, result.requeue_ids)
    if not result.retry_ids:
        return
    if self.request.retries >= settings.NEWSLETTER_BATCH_MAX_RETRIES:
        # The rows wait in the queue; the sweeper queues them again once the issue has stalled.
        logger.warning(
            "Issue %s: giving up retrying %d deliveries for now", issue_id, len(result.retry_ids)
        )
        return
    raise self.retry(
        args=(issue_id, result.retry_ids), countdown=mail.retry_delay(self.request.retries)
    )


@shared_task(bind=True)
def send_confirmation(self, subscriber_id: int) -> None:
    """Send a pending subscriber their confirmation email."""
    from newsletter.services.subscribers import confirmation_send

    try:
        confirmation_send(subscriber_id=subscriber_id)
    except mail.TransientError as error:
        mail.retry_later(self, error)


@shared_task(bind=True)
def send_data_link(self, subscriber_id: int) -> None:
    """Send a subscriber the short-lived link to download or erase their data."""
    from newsletter.services.subscribers import data_link_send

    try:
        data_link_send(subscriber_id=subscriber_id)
    except mail.TransientError as error:
        mail.retry_later(self, error)


@shared_task(bind=True)
def send_test(self, issue_id: int, to: str, language: str) -> None:
    """Send an editor a test copy of an issue."""
    from newsletter.services.issues import issue_test_copy_deliver

    try:
        issue_test_copy_deliver(issue_id=issue_id, to=to, language=language)
    except mail.TransientError as error:
        mail.retry_later(self, error)


@shared_task
def start_due_issues() -> None:
    """Start the scheduled issues whose time has come (periodic)."""
    from newsletter.services.issues import issues_start_due

    issues_start_due()


@shared_task
def sweep_deliveries() -> None:
    """Give the rows of dead workers back to the queue and finish done issues (periodic)."""
    from newsletter.services.deliveries import deliveries_sweep

    deliveries_sweep()


@shared_task
def requeue_confirmations() -> None:
    """Queue again the confirmation emails that never went out (periodic)."""
    from newsletter.services.subscribers import confirmations_requeue

    confirmations_requeue()
