"""Celery tasks of the newsletter: each takes ids, calls one service, and is safe to run twice."""

import logging

from celery import shared_task
from django.conf import settings

from newsletter import sending, services

logger = logging.getLogger(__name__)


@shared_task
def fan_out(issue_id: int, requeue: bool = False) -> None:
    """Create the issue's deliveries and queue their batches."""
    services.issue_fan_out(issue_id=issue_id, requeue=requeue)


@shared_task(bind=True, max_retries=None)
def send_batch(self, issue_id: int, delivery_ids: list[int]) -> None:
    """Send one batch of deliveries; retry what the mail server could not take yet."""
    result = services.batch_send(issue_id=issue_id, delivery_ids=delivery_ids)
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
        args=(issue_id, result.retry_ids),
        countdown=sending.retry_delay(self.request.retries),
    )


@shared_task(
    autoretry_for=(sending.TransientError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def send_confirmation(subscriber_id: int) -> None:
    """Send a pending subscriber their confirmation email."""
    services.confirmation_send(subscriber_id=subscriber_id)


@shared_task(
    autoretry_for=(sending.TransientError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def send_data_link(subscriber_id: int) -> None:
    """Send a subscriber the short-lived link to download or erase their data."""
    services.data_link_send(subscriber_id=subscriber_id)


@shared_task(autoretry_for=(sending.TransientError,), retry_backoff=True, max_retries=3)
def send_test(issue_id: int, to: str, language: str) -> None:
    """Send an editor a test copy of an issue."""
    services.issue_test_copy_deliver(issue_id=issue_id, to=to, language=language)


@shared_task
def start_due_issues() -> None:
    """Start the scheduled issues whose time has come (periodic)."""
    services.issues_start_due()


@shared_task
def sweep_deliveries() -> None:
    """Give the rows of dead workers back to the queue and finish done issues (periodic)."""
    services.deliveries_sweep()


@shared_task
def send_post_notifications() -> None:
    """Announce newly live posts marked for subscribers (periodic)."""
    services.post_notifications_send()


@shared_task
def requeue_confirmations() -> None:
    """Queue again the confirmation emails that never went out (periodic)."""
    services.confirmations_requeue()
