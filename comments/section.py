"""The comments section of a post page, and the cookies that show commenters their own comments:
the pending ones, and those they may still edit.

Both are signed cookies, not the session: the page cache serves every reader without them, and
skips the browsers carrying them, whose pages are rendered for them alone.
"""

from django.conf import settings
from django.utils import timezone

from comments import moderation, spam, threads
from comments.forms import CommentForm
from comments.models import Comment

PENDING_COOKIE_SALT = "comments.pending"
PENDING_COOKIE_MAX_AGE = 7 * 24 * 60 * 60
PENDING_COOKIE_MAX_IDS = 20
EDIT_COOKIE = "chezsoi_edit"
EDIT_COOKIE_SALT = "comments.edit"
EDIT_COOKIE_MAX_IDS = 20


def post_comments_context(request, post, *, form: CommentForm | None = None, is_preview=False):
    """Return the post page's comments section: the thread, the form, and whether it is open."""
    own_pending = own_pending_ids(request)
    shown = Comment.objects.visible_on_post(post, own_pending_ids=own_pending).shown_on_page()
    own_editable = own_editable_ids(request)
    now = timezone.now()
    editable = frozenset(
        comment.pk
        for comment in shown
        if comment.pk in own_editable and now < moderation.author_changes_until(comment.created_at)
    )
    thread = threads.arrange(shown, max_depth=settings.COMMENTS_MAX_DEPTH)
    is_open = moderation.comments_open(post) and not is_preview
    needs_login = settings.COMMENTS_REQUIRE_LOGIN and not request.user.is_authenticated
    replying_to = None
    if form is not None:
        replying_to = form.parent_comment
    elif is_open and not needs_login:
        replying_to = _reply_target(request, thread)
        form = CommentForm(
            post=post,
            user=request.user,
            initial={"parent": replying_to.pk} if replying_to else {},
        )
    return {
        "comments": thread,
        "comment_count": sum(1 for comment in shown if comment.status == Comment.Status.APPROVED),
        "comment_form": form,
        "comments_open": is_open,
        "comments_close_at": moderation.comments_close_at(post),
        "comments_need_login": needs_login,
        "comments_gravatar": settings.COMMENTS_GRAVATAR,
        "comments_akismet": spam.is_enabled(),
        "replying_to": replying_to,
        "editable_comment_ids": editable,
    }


def _reply_target(request, thread):
    try:
        wanted = int(request.GET.get("replytocom", ""))
    except ValueError:
        return None
    return next((c for c in thread if c.pk == wanted and c.can_reply), None)


def own_pending_ids(request) -> list[int]:
    """Return the ids of the comments this browser sent that were pending when it sent them."""
    value = request.get_signed_cookie(
        settings.COMMENTS_PENDING_COOKIE,
        default="",
        salt=PENDING_COOKIE_SALT,
        max_age=PENDING_COOKIE_MAX_AGE,
    )
    return [int(part) for part in value.split(",") if part.isdigit()]


def remember_pending(request, response, comment_id: int) -> None:
    # A signed cookie, not the session: a page cache can serve everyone else and skip this browser.
    ids = [pk for pk in own_pending_ids(request) if pk != comment_id]
    ids = [*ids, comment_id][-PENDING_COOKIE_MAX_IDS:]
    response.set_signed_cookie(
        settings.COMMENTS_PENDING_COOKIE,
        ",".join(str(pk) for pk in ids),
        salt=PENDING_COOKIE_SALT,
        max_age=PENDING_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def own_editable_ids(request) -> list[int]:
    """Return the ids of the comments this browser posted within the time allowed to edit them."""
    max_age = settings.COMMENT_EDIT_MINUTES * 60
    if not max_age:
        return []
    value = request.get_signed_cookie(
        EDIT_COOKIE, default="", salt=EDIT_COOKIE_SALT, max_age=max_age
    )
    return [int(part) for part in value.split(",") if part.isdigit()]


def remember_editable(request, response, comment_id: int) -> None:
    """Let this browser, and no other, edit or delete the comment it has just posted."""
    max_age = settings.COMMENT_EDIT_MINUTES * 60
    if not max_age:
        return
    # Signed again at each comment: an older comment's time runs from its own date (the
    # policy's check), whatever the cookie's age.
    ids = [pk for pk in own_editable_ids(request) if pk != comment_id]
    ids = [*ids, comment_id][-EDIT_COOKIE_MAX_IDS:]
    response.set_signed_cookie(
        EDIT_COOKIE,
        ",".join(str(pk) for pk in ids),
        salt=EDIT_COOKIE_SALT,
        max_age=max_age,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def may_change(request, comment: Comment) -> bool:
    """Return whether this browser posted `comment` and its author may still change it."""
    return comment.pk in own_editable_ids(request) and moderation.author_may_change(comment)
