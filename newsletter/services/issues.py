"""Writes on issues: drafting one from a post, sending, scheduling, pausing, cancelling, test copies."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import Truncator

from blog.models import Post
from core import mail
from newsletter import emails, tasks
from newsletter.models import Delivery, Issue


def issue_from_post(*, post: Post, created_by=None, origin: str = Issue.Origin.EDITOR) -> Issue:
    """Create an issue carrying a post: its title as subject, its text, a link to read it online."""
    body = post.body
    if post.cover:
        body = f"![{post.cover.alt_text}]({post.cover.url})\n\n{body}"
    return Issue.objects.create(
        subject=post.title,
        preheader=Truncator(post.summary).chars(150),
        body=body,
        post=post,
        origin=origin,
        created_by=created_by,
    )


def issue_send(*, issue: Issue) -> bool:
    """Start sending a draft or scheduled issue now; return False if it had already left that state."""
    started = Issue.objects.filter(
        pk=issue.pk, status__in=[Issue.Status.DRAFT, Issue.Status.SCHEDULED]
    ).update(status=Issue.Status.SENDING, started_at=timezone.now())
    if started:
        issue.status = Issue.Status.SENDING
        tasks.fan_out.delay_on_commit(issue.pk)
    return bool(started)


def issue_schedule(*, issue: Issue, when: datetime) -> bool:
    """Have a draft sent automatically at `when`."""
    scheduled = Issue.objects.filter(
        pk=issue.pk, status__in=[Issue.Status.DRAFT, Issue.Status.SCHEDULED]
    ).update(status=Issue.Status.SCHEDULED, scheduled_at=when)
    return bool(scheduled)


def issue_unschedule(*, issue: Issue) -> bool:
    """Turn a scheduled issue back into a draft."""
    return bool(
        Issue.objects.filter(pk=issue.pk, status=Issue.Status.SCHEDULED).update(
            status=Issue.Status.DRAFT, scheduled_at=None
        )
    )


def issue_pause(*, issue: Issue) -> bool:
    """Stop a sending issue after the messages already on their way; resume picks up the rest."""
    return bool(
        Issue.objects.filter(pk=issue.pk, status=Issue.Status.SENDING).update(
            status=Issue.Status.PAUSED
        )
    )


def issue_resume(*, issue: Issue) -> bool:
    """Continue a paused issue where it stopped."""
    resumed = Issue.objects.filter(pk=issue.pk, status=Issue.Status.PAUSED).update(
        status=Issue.Status.SENDING
    )
    if resumed:
        tasks.fan_out.delay_on_commit(issue.pk, requeue=True)
    return bool(resumed)


def issue_cancel(*, issue: Issue) -> bool:
    """Stop an issue for good: nothing more of it goes out."""
    with transaction.atomic():
        cancelled = Issue.objects.filter(
            pk=issue.pk,
            status__in=[Issue.Status.SCHEDULED, Issue.Status.SENDING, Issue.Status.PAUSED],
        ).update(status=Issue.Status.CANCELLED, finished_at=timezone.now())
        if cancelled:
            Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.CANCELLED
            )
    return bool(cancelled)


def issue_send_test(*, issue: Issue, to: str, language: str) -> None:
    """Have a test copy of the issue, marked as such, sent to an editor."""
    tasks.send_test.delay_on_commit(issue.pk, to, language)


def issue_test_copy_deliver(*, issue_id: int, to: str, language: str) -> None:
    """Send the test copy asked for with issue_send_test."""
    issue = Issue.objects.select_related("post").get(pk=issue_id)
    mail.send_one(emails.IssueRenderer(issue).test_message(to=to, language=language))


def issues_start_due() -> int:
    """Start the scheduled issues whose time has come."""
    return sum(issue_send(issue=issue) for issue in Issue.objects.due())


def post_announce(*, post: Post) -> bool:
    """Email subscribers a post marked for them that just went live; once per post, however often asked.

    A post that went live longer than NEWSLETTER_POST_NOTIFICATION_MAX_AGE ago is not announced:
    subscribers would hear of old news.
    """
    if not post.email_subscribers or post.published_at is None:
        return False
    recent = timezone.now() - timedelta(seconds=settings.NEWSLETTER_POST_NOTIFICATION_MAX_AGE)
    if post.published_at < recent:
        return False
    if Issue.objects.filter(post=post, origin=Issue.Origin.NEW_POST).exists():
        return False
    try:
        with transaction.atomic():
            issue = issue_from_post(post=post, origin=Issue.Origin.NEW_POST)
            return issue_send(issue=issue)
    except IntegrityError:  # announced a moment ago by another worker
        return False
