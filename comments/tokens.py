"""Signed values handed to readers: the stop-notifications link and the form's issue time."""

import time

from django.core import signing

from comments.models import Comment

STOP_NOTIFICATIONS_SALT = "comments.stop-notifications"
FORM_ISSUED_SALT = "comments.form-issued"


class InvalidToken(Exception):
    pass


def stop_notifications_token(comment: Comment) -> str:
    return signing.dumps({"comment": comment.pk}, salt=STOP_NOTIFICATIONS_SALT, compress=True)


def comment_from_stop_token(token: str) -> Comment:
    """Return the comment whose author asked for notifications, or raise InvalidToken."""
    try:
        payload = signing.loads(token, salt=STOP_NOTIFICATIONS_SALT)
        return Comment.objects.select_related("post").get(pk=int(payload["comment"]))
    except (signing.BadSignature, Comment.DoesNotExist, KeyError, TypeError, ValueError) as exc:
        raise InvalidToken from exc


def form_issued_token(post_id: int) -> str:
    return signing.dumps({"post": post_id, "at": time.time()}, salt=FORM_ISSUED_SALT)


def form_issued_post(token: str) -> str | None:
    """Return the post a form's signed time was issued for, whatever its age; None if not ours."""
    try:
        return str(int(signing.loads(token, salt=FORM_ISSUED_SALT)["post"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def form_age(token: str, *, post_id: int, max_age: float) -> float:
    """Return how many seconds ago the form for `post_id` was shown.

    Raise signing.SignatureExpired past `max_age`, signing.BadSignature if tampered with.
    """
    payload = signing.loads(token, salt=FORM_ISSUED_SALT, max_age=max_age)
    if not isinstance(payload, dict) or payload.get("post") != post_id:
        raise signing.BadSignature("form issued for another post")
    return time.time() - float(payload["at"])
