"""The emails comments send, built (text and HTML) in their recipient's language."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from comments.models import Comment
from comments.tokens import stop_notifications_token


def reply_notification(*, reply: Comment, subscription: Comment) -> EmailMultiAlternatives:
    """Tell the author of `subscription`, who asked for it, that `reply` answers their thread."""
    with translation.override(subscription.language):
        stop_url = settings.SITE_URL + reverse(
            "comments:stop_notifications", args=[stop_notifications_token(subscription)]
        )
        context = {
            "reply": reply,
            "subscription": subscription,
            "post": reply.post,
            "reply_url": settings.SITE_URL + reply.get_absolute_url(),
            "stop_url": stop_url,
            "SITE_NAME": settings.SITE_NAME,
        }
        subject = gettext("New reply to your comment on “%(post)s”") % {"post": reply.post.title}
        message = _message(
            subject=subject,
            to=subscription.author_email,
            template="comments/email/reply_notification",
            context=context,
        )
    # Mail programs show their own one-click "unsubscribe" from these (RFC 2369, RFC 8058).
    message.extra_headers["List-Unsubscribe"] = f"<{stop_url}>"
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def moderation_notice(
    *, to: str, comments: list[Comment], waiting_total: int
) -> EmailMultiAlternatives:
    """Tell an editor or a post's author which comments wait for their decision."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "comments": comments,
            "waiting_total": waiting_total,
            "moderation_url": settings.SITE_URL
            + reverse("admin:comments_comment_changelist")
            + "?status=pending",
            "SITE_NAME": settings.SITE_NAME,
        }
        subject = ngettext(
            "%(count)s comment awaits moderation on %(site)s",
            "%(count)s comments await moderation on %(site)s",
            len(comments),
        ) % {"count": len(comments), "site": settings.SITE_NAME}
        return _message(
            subject=subject,
            to=to,
            template="comments/email/moderation_notice",
            context=context,
        )


def _message(*, subject: str, to: str, template: str, context: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        # One line: a line break in a post title would make Django refuse the whole message.
        subject=" ".join(subject.split()),
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message
