"""The site's comment policy: when comments are open, where a reply goes, what Akismet's ham
earns, how long authors may change their words."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from blog.models import Post
from comments.models import Comment

TRUST_RETURNING = "trust_returning"
HOLD_ALL = "hold_all"


def comments_open(post) -> bool:
    """Return whether readers may comment on `post` now."""
    if not post.comments_open or not post.is_live:
        return False
    days = settings.COMMENTS_CLOSE_AFTER_DAYS
    return not days or timezone.now() < post.published_at + timedelta(days=days)


def comments_close_at(post):
    """Return when comments on `post` close by themselves, or None if they never do."""
    days = settings.COMMENTS_CLOSE_AFTER_DAYS
    return post.published_at + timedelta(days=days) if days and post.comments_open else None


def next_closing_at():
    """Return when the next post's comments close by themselves, or None."""
    days = settings.COMMENTS_CLOSE_AFTER_DAYS
    if not days:
        return None
    first_open = (
        Post.objects.published()
        .filter(comments_open=True, published_at__gt=timezone.now() - timedelta(days=days))
        .aggregate(at=Min("published_at"))
        .get("at")
    )
    return first_open + timedelta(days=days) if first_open else None


def can_reply_to(comment: Comment) -> bool:
    return comment.depth < settings.COMMENTS_MAX_DEPTH


def reply_parent(parent: Comment | None) -> Comment | None:
    """Return where a reply to `parent` is filed: deeper than the threads go, beside it instead."""
    while parent is not None and not can_reply_to(parent):
        parent = parent.parent
    return parent


def is_moderator(user) -> bool:
    return bool(user and user.is_active and user.has_perm("comments.change_comment"))


def publishes_ham(comment: Comment) -> bool:
    """Return whether a comment Akismet found clean goes live without an editor."""
    if comment.user_id and is_moderator(comment.user):
        return True
    if settings.COMMENTS_MODERATION != TRUST_RETURNING:
        return False
    return (
        Comment.objects.from_trusted_address(comment.author_email).exclude(pk=comment.pk).exists()
    )


def author_may_change(comment) -> bool:
    """Return whether a comment's author may still edit or delete it: within the time allowed
    after posting, and neither filed as spam nor removed."""
    if comment.status not in (Comment.Status.PENDING, Comment.Status.APPROVED):
        return False
    return timezone.now() < author_changes_until(comment.created_at)


def author_changes_until(created_at):
    """Return until when the author of a comment posted at `created_at` may change it."""
    return created_at + timedelta(minutes=settings.COMMENT_EDIT_MINUTES)
