"""Writes on comments: submitting, the spam check, moderation, notifications and clean-up."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from blog import pagecache
from blog.models import Post
from comments import emails, moderation, spam, tasks
from comments.models import (
    Comment,
    ModerationDecision,
    ModerationEmail,
    ReplyNotification,
    moderators,
)
from core import mail

logger = logging.getLogger(__name__)

Status = Comment.Status
Verdict = Comment.Verdict
Action = ModerationDecision.Action
Feedback = ModerationDecision.Feedback

# A check whose time has come this long ago without running was lost on the way (broker down,
# worker killed): the sweeper sends it again.
CHECK_OVERDUE_AFTER = timedelta(minutes=5)
DISCARDED_SPAM_KEPT_DAYS = 30


def comment_submit(
    *,
    post,
    author_name: str,
    author_email: str,
    body: str,
    language: str,
    ip_address: str | None,
    author_url: str = "",
    parent: Comment | None = None,
    user=None,
    notify_replies: bool = False,
    user_agent: str = "",
    referrer: str = "",
) -> Comment:
    """Store a reader's comment as pending, then have it checked for spam once it is stored."""
    with transaction.atomic():
        comment = Comment.objects.create(
            post=post,
            parent=parent,
            user=user if user is not None and user.is_authenticated else None,
            author_name=author_name,
            author_email=author_email,
            author_url=author_url,
            body=body,
            language=language,
            notify_replies=notify_replies,
            ip_address=ip_address,
            user_agent=user_agent[:500],
            referrer=referrer[:1000],
            status=Status.PENDING,
        )
        tasks.check_comment.delay_on_commit(comment.pk)
    return comment


class ChangeRefused(Exception):
    """The author's time to edit or delete the comment has passed, or an editor has filed it."""


def comment_edit(*, comment: Comment, body: str) -> bool:
    """Replace a comment's words at its author's request; return whether they changed.

    The old words stay in the history. The new ones are checked by Akismet and filed by the
    policy as a newly posted comment would be. Raise ChangeRefused if the author may no longer.
    """
    with transaction.atomic():
        current = Comment.objects.select_for_update().get(pk=comment.pk)
        if not moderation.author_may_change(current):
            raise ChangeRefused
        if current.body == body:
            return False
        ModerationDecision.objects.create(
            comment=current,
            action=Action.EDIT,
            previous_status=current.status,
            new_status=Status.PENDING,
            previous_body=current.body,
        )
        was_shown = current.status == Status.APPROVED
        current.body, current.status, current.verdict = body, Status.PENDING, Verdict.UNCHECKED
        current.check_attempts, current.check_due_at = 0, timezone.now()
        current.checked_at, current.check_error, current.moderators_notified_at = None, "", None
        current.save(
            update_fields=[
                "body",
                "status",
                "verdict",
                "check_attempts",
                "check_due_at",
                "checked_at",
                "check_error",
                "moderators_notified_at",
            ]
        )
        if was_shown:
            _shown_comments_changed(post_id=current.post_id)
        tasks.check_comment.delay_on_commit(current.pk)
    comment.body, comment.body_html = current.body, current.body_html
    comment.status, comment.verdict = current.status, current.verdict
    return True


def comment_delete_by_author(*, comment: Comment) -> None:
    """Take a comment off the page at its author's request; it is kept, with its history.

    Raise ChangeRefused if the author may no longer.
    """
    with transaction.atomic():
        current = Comment.objects.select_for_update().get(pk=comment.pk)
        if not moderation.author_may_change(current):
            raise ChangeRefused
        ModerationDecision.objects.create(
            comment=current,
            action=Action.DELETE,
            previous_status=current.status,
            new_status=Status.REMOVED,
        )
        was_shown = current.status == Status.APPROVED
        current.status = Status.REMOVED
        current.save(update_fields=["status"])
        if was_shown:
            _shown_comments_changed(post_id=current.post_id)
    comment.status = Status.REMOVED


def comment_check(*, comment_id: int) -> str | None:
    """File a pending comment by Akismet's verdict and the moderation policy; return the verdict.

    Raise spam.SpamFilterUnavailable when Akismet cannot answer: the comment stays pending.
    """
    comment = Comment.objects.select_related("post", "user").filter(pk=comment_id).first()
    if comment is None or comment.status != Status.PENDING or comment.verdict != Verdict.UNCHECKED:
        return None
    Comment.objects.filter(pk=comment_id).update(check_attempts=F("check_attempts") + 1)
    checked_body = comment.body
    verdict = spam.check(comment) if spam.is_enabled() else Verdict.SKIPPED
    if verdict in (Verdict.SPAM, Verdict.DISCARD):
        new_status, action = Status.SPAM, Action.SPAM
    elif verdict == Verdict.HAM and moderation.publishes_ham(comment):
        new_status, action = Status.APPROVED, Action.APPROVE
    else:
        new_status, action = Status.PENDING, Action.HOLD
    with transaction.atomic():
        # Guarded: an editor may have decided while Akismet was thinking, or the author edited
        # the words it judged (the edit's own check files it). Saved, not updated, so that
        # whoever listens for visible comments (the page cache) hears of it.
        comment = Comment.objects.select_for_update().filter(pk=comment_id).first()
        if (
            comment is None
            or comment.status != Status.PENDING
            or comment.verdict
            or comment.body != checked_body
        ):
            return None
        comment.verdict, comment.status = verdict, new_status
        comment.checked_at, comment.check_error = timezone.now(), ""
        comment.save(update_fields=["verdict", "status", "checked_at", "check_error"])
        ModerationDecision.objects.create(
            comment=comment, action=action, previous_status=Status.PENDING, new_status=new_status
        )
        if new_status == Status.APPROVED:
            _shown_comments_changed(post_id=comment.post_id)
        if new_status == Status.APPROVED and comment.is_reply:
            tasks.notify_reply.delay_on_commit(comment.pk)
    return verdict


def comment_check_postpone(*, comment_id: int, delay: float, error: str) -> None:
    """Record that Akismet failed and when the next try is due."""
    Comment.objects.unchecked().filter(pk=comment_id).update(
        check_due_at=timezone.now() + timedelta(seconds=delay), check_error=error[:300]
    )


def comment_check_give_up(*, comment_id: int, error: str) -> None:
    """Leave a comment Akismet never managed to judge to a human; it stays pending."""
    with transaction.atomic():
        held = (
            Comment.objects.unchecked()
            .filter(pk=comment_id)
            .update(verdict=Verdict.ERROR, checked_at=timezone.now(), check_error=error[:300])
        )
        if held:
            ModerationDecision.objects.create(
                comment_id=comment_id,
                action=Action.HOLD,
                previous_status=Status.PENDING,
                new_status=Status.PENDING,
            )
    logger.warning("Comment %s left for moderation: Akismet kept failing (%s)", comment_id, error)


def comments_sweep_unchecked() -> int:
    """Send again the spam checks overdue by five minutes; return how many were sent."""
    now = timezone.now()
    overdue = now - CHECK_OVERDUE_AFTER
    swept = 0
    for comment_id in (
        Comment.objects.unchecked()
        .filter(check_due_at__lt=overdue)
        .values_list("pk", flat=True)[:500]
    ):
        # Guarded so that two sweepers running together send each check once.
        if Comment.objects.filter(pk=comment_id, check_due_at__lt=overdue).update(check_due_at=now):
            tasks.check_comment.delay(comment_id)
            swept += 1
    return swept


def comment_approve(*, comment: Comment, moderator) -> bool:
    """Publish a comment; approving one filed as spam also tells Akismet it was wrong."""
    if comment.status == Status.SPAM:
        return comment_mark_ham(comment=comment, moderator=moderator)
    return _decide(comment=comment, moderator=moderator, action=Action.APPROVE)


def comment_mark_spam(*, comment: Comment, moderator) -> bool:
    """File a comment as spam and teach Akismet if it had let it through."""
    return _decide(comment=comment, moderator=moderator, action=Action.SPAM)


def comment_mark_ham(*, comment: Comment, moderator) -> bool:
    """Publish a comment filed as spam and tell Akismet it was not spam."""
    return _decide(comment=comment, moderator=moderator, action=Action.HAM)


def comment_remove(*, comment: Comment, moderator) -> bool:
    """Hide a comment from readers; it is kept, with its history, for the record."""
    return _decide(comment=comment, moderator=moderator, action=Action.REMOVE)


NEW_STATUS = {
    Action.APPROVE: Status.APPROVED,
    Action.HAM: Status.APPROVED,
    Action.SPAM: Status.SPAM,
    Action.REMOVE: Status.REMOVED,
}


def _decide(*, comment: Comment, moderator, action: str) -> bool:
    new_status = NEW_STATUS[action]
    with transaction.atomic():
        current = Comment.objects.select_for_update().get(pk=comment.pk)
        if current.status == new_status:
            return False
        flagged_by_akismet = current.verdict in (Verdict.SPAM, Verdict.DISCARD)
        teaches_akismet = (action == Action.SPAM and not flagged_by_akismet) or (
            action == Action.HAM and (flagged_by_akismet or current.status == Status.SPAM)
        )
        if not teaches_akismet:
            feedback = Feedback.NONE
        elif spam.is_enabled():
            feedback = Feedback.PENDING
        else:
            feedback = Feedback.SKIPPED
        decision = ModerationDecision.objects.create(
            comment=current,
            moderator=moderator,
            action=action,
            previous_status=current.status,
            new_status=new_status,
            feedback=feedback,
        )
        was_shown = current.status == Status.APPROVED
        current.status = new_status
        current.save(update_fields=["status"])
        if was_shown or new_status == Status.APPROVED:
            _shown_comments_changed(post_id=current.post_id)
        if feedback == Feedback.PENDING:
            tasks.report_to_akismet.delay_on_commit(decision.pk)
        if new_status == Status.APPROVED and current.is_reply and not current.replies_notified_at:
            tasks.notify_reply.delay_on_commit(current.pk)
    comment.status = new_status
    return True


def comment_delete(*, comment: Comment) -> None:
    """Delete a comment for good, with its replies (the site owner's choice, not moderation)."""
    with transaction.atomic():
        comment.delete()
        _shown_comments_changed(post_id=comment.post_id)


def _shown_comments_changed(*, post_id: int) -> None:
    # A recount rather than +1/-1: two moderators at once cannot make it drift.
    post_comment_counts_refresh(posts=Post.objects.filter(pk=post_id))
    pagecache.content_changed()


def post_comment_counts_refresh(*, posts=None) -> int:
    """Recount the approved comments of `posts` (a queryset; all posts if None) into
    `Post.comment_count`, which list pages show; code that writes comments in bulk calls it."""
    approved = (
        Comment.objects.filter(post=OuterRef("pk"), status=Status.APPROVED)
        .order_by()
        .values("post")
        .annotate(count=Count("pk"))
        .values("count")
    )
    posts = Post.objects.all() if posts is None else posts
    return posts.update(comment_count=Coalesce(Subquery(approved), 0))


def decision_report(*, decision_id: int) -> None:
    """Send an editor's spam or not-spam decision to Akismet, with the comment's stored context.

    Raise spam.SpamFilterUnavailable when Akismet cannot take it: the report is then to send again.
    """
    # Claimed before Akismet is called, so that two runs of the task cannot both report it.
    if not ModerationDecision.objects.filter(pk=decision_id, feedback=Feedback.PENDING).update(
        feedback=Feedback.SENDING
    ):
        return
    decision = ModerationDecision.objects.select_related("comment__post", "comment__user").get(
        pk=decision_id
    )
    try:
        if decision.action == Action.SPAM:
            spam.report_spam(decision.comment)
        else:
            spam.report_ham(decision.comment)
    except Exception as exc:
        ModerationDecision.objects.filter(pk=decision_id, feedback=Feedback.SENDING).update(
            feedback=Feedback.PENDING, feedback_error=str(exc)[:300]
        )
        raise
    ModerationDecision.objects.filter(pk=decision_id, feedback=Feedback.SENDING).update(
        feedback=Feedback.SENT, feedback_error=""
    )


def decision_report_give_up(*, decision_id: int, error: str) -> None:
    ModerationDecision.objects.filter(pk=decision_id, feedback=Feedback.PENDING).update(
        feedback=Feedback.FAILED, feedback_error=error[:300]
    )
    logger.warning("Akismet never took decision %s: %s", decision_id, error)


def reply_notify(*, comment_id: int) -> int:
    """Email the earlier commenters of a thread who asked to hear of replies; return how many.

    Each reader is recorded before being emailed, so that a retry emails only those not reached.
    """
    reply = (
        Comment.objects.select_related("post", "parent")
        .filter(pk=comment_id, status=Status.APPROVED, parent__isnull=False)
        .first()
    )
    if reply is None:
        return 0
    with transaction.atomic():
        # The readers to tell are listed once per reply; later runs work through that list.
        if Comment.objects.filter(pk=comment_id, replies_notified_at__isnull=True).update(
            replies_notified_at=timezone.now()
        ):
            ReplyNotification.objects.bulk_create(
                [
                    ReplyNotification(reply=reply, subscription=subscription, address=address)
                    for address, subscription in _thread_subscriptions(reply).items()
                ],
                ignore_conflicts=True,
            )
    to_send = list(
        reply.notifications.filter(
            status=ReplyNotification.Status.PENDING, subscription__notify_replies=True
        ).select_related("subscription")
    )
    if not to_send:
        return 0
    sent = 0
    with mail.Mailer() as mailer:
        for notification in to_send:
            # Claimed one by one: two runs at the same moment never email the same reader.
            claimed = ReplyNotification.objects.filter(
                pk=notification.pk, status=ReplyNotification.Status.PENDING
            ).update(status=ReplyNotification.Status.SENDING)
            if not claimed:
                continue
            message = emails.reply_notification(reply=reply, subscription=notification.subscription)
            try:
                mailer.send(message)
            except mail.TransientError:
                ReplyNotification.objects.filter(pk=notification.pk).update(
                    status=ReplyNotification.Status.PENDING
                )
                raise  # the task tries again later, for the readers not reached yet
            except mail.PermanentError as error:
                # Refused for good (a bad address): asking again would be refused again.
                ReplyNotification.objects.filter(pk=notification.pk).update(
                    status=ReplyNotification.Status.FAILED
                )
                logger.warning("Reply notification %s refused: %s", notification.pk, error.reason)
                continue
            ReplyNotification.objects.filter(pk=notification.pk).update(
                status=ReplyNotification.Status.SENT, sent_at=timezone.now()
            )
            sent += 1
    return sent


def _thread_subscriptions(reply: Comment) -> dict[str, Comment]:
    """Return, by address, the earlier comments up the thread whose authors asked for replies."""
    subscriptions = {}
    ancestor = reply.parent
    while ancestor is not None:
        address = ancestor.author_email.lower()
        if (
            ancestor.notify_replies
            and ancestor.status == Status.APPROVED
            and address != reply.author_email.lower()
        ):
            subscriptions.setdefault(address, ancestor)
        ancestor = ancestor.parent
    return subscriptions


def notifications_stop(*, subscription: Comment) -> int:
    """Stop reply emails to this commenter's address for the conversation under that post."""
    return Comment.objects.filter(
        post_id=subscription.post_id,
        author_email__iexact=subscription.author_email,
        notify_replies=True,
    ).update(notify_replies=False)


def moderation_notice_send() -> int:
    """Email editors and post authors about newly waiting comments, at most once an interval.

    Return how many comments the emails listed.
    """
    now = timezone.now()
    interval = timedelta(minutes=settings.COMMENTS_MODERATION_EMAIL_INTERVAL)
    latest = ModerationEmail.objects.first()
    if latest is not None and latest.sent_at > now - interval:
        return 0
    # Claimed and committed before the mail server is reached: the row locks last as long as
    # the claim, not as long as an SMTP session.
    with transaction.atomic():
        # Locked and skipped: a second run at the same moment finds nothing left to announce.
        news = list(
            Comment.objects.waiting()
            .filter(moderators_notified_at__isnull=True)
            .select_related("post__author")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("created_at", "id")
        )
        if not news:
            return 0
        announced = [comment.pk for comment in news]
        Comment.objects.filter(pk__in=announced).update(moderators_notified_at=now)
        waiting_total = Comment.objects.waiting().count()
        editors = {user.email.lower() for user in moderators()}
        recipients = {address: news for address in editors}
        for comment in news:
            author = comment.post.author
            address = author.email.lower()
            if author.is_active and address and address not in editors:
                recipients.setdefault(address, []).append(comment)
        email_round = ModerationEmail.objects.create(
            comment_count=len(news), recipient_count=len(recipients)
        )
    messages = [
        emails.moderation_notice(to=address, comments=comments, waiting_total=waiting_total)
        for address, comments in recipients.items()
    ]
    try:
        if messages:
            with mail.Mailer() as mailer:
                for message in messages:
                    try:
                        mailer.send(message)
                    except mail.PermanentError as error:
                        # One editor's address is refused for good: the others are still told.
                        logger.warning("Moderation notice to %s refused: %s", message.to, error)
    except Exception:
        # Nothing counts as announced: the next run, a minute later, lists these comments again.
        with transaction.atomic():
            Comment.objects.filter(pk__in=announced, moderators_notified_at=now).update(
                moderators_notified_at=None
            )
            email_round.delete()
        raise
    return len(news)


def comments_purge_discarded() -> int:
    """Delete the blatant spam Akismet said to discard, once it is 30 days old."""
    _total, by_model = Comment.objects.discarded(older_than_days=DISCARDED_SPAM_KEPT_DAYS).delete()
    return by_model.get(Comment._meta.label, 0)


def comment_import(
    *,
    comment: Comment | None = None,
    post: Post,
    parent: Comment | None,
    author_name: str,
    author_email: str,
    author_url: str,
    ip_address: str | None,
    created_at,
    status: str,
    body: str,
    language: str,
) -> Comment:
    """Store (or update) a comment brought from another platform, already moderated there.

    No spam check and no notification: its readers were told on the old site. The caller
    recounts the posts' comments once (`post_comment_counts_refresh`).
    """
    comment = comment or Comment(post=post)
    comment.post = post
    comment.parent = parent
    comment.author_name = author_name
    comment.author_email = author_email
    comment.author_url = author_url
    comment.ip_address = ip_address
    comment.status = status
    comment.body = body
    comment.language = language
    comment.verdict = Verdict.SKIPPED
    # Stamped as done, so that neither the reply nor the moderators' notices go out for it.
    comment.replies_notified_at = comment.moderators_notified_at = timezone.now()
    comment.save()
    if created_at is not None:
        # `created_at` is filled on creation: the comment's own date is written afterwards.
        Comment.objects.filter(pk=comment.pk).update(created_at=created_at)
        comment.created_at = created_at
    return comment
