import datetime
from functools import lru_cache
from html import escape

from django import template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateformat import format as format_date
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from comments.models import Comment, ShownComment

register = template.Library()


@register.simple_tag(takes_context=True)
def comment_thread(context, comments: list[ShownComment], post):
    """Render arranged comments (comments.threads.arrange) as nested lists.

    Written in Python rather than as a template loop: on a post with hundreds of comments a
    template costs ten times as much per comment, and this list is most of the page. Every value
    from a reader is escaped here; the body was sanitized by nh3 when the comment was saved.
    """
    page = _Page(
        post_url=escape(post.get_absolute_url()),
        post_author_id=post.author_id,
        offers_replies=bool(context.get("comment_form")),
        gravatar=context.get("comments_gravatar", False),
        date_format=formats.get_format("DATETIME_FORMAT"),
        language=get_language(),
        zone=timezone.get_current_timezone(),
        reply=escape(gettext("Reply")),
        reply_to=gettext("to %(name)s"),
        # The translation is ours; the name is escaped where it is put in.
        comment_by=gettext("Comment by <bdi>%(name)s</bdi>"),
        awaiting=escape(
            gettext(
                "Your comment is awaiting moderation. Only you can see it for now, on this browser."
            )
        ),
        author=escape(gettext("Author")),
        editable=context.get("editable_comment_ids") or (),
        edit=escape(gettext("Edit")),
        edit_what=escape(gettext("your comment")),
    )
    parts = []
    for comment in comments:
        if comment.opens_list:
            parts.append(
                '<ol class="comment-list">'
                if comment.level == 1
                else '<ol class="comment-replies">'
            )
        else:
            parts.append("</li>")
        parts.append(_comment(comment, page))
        parts.append("</li></ol>" * len(comment.closes_lists))
    return mark_safe("".join(parts))  # noqa: S308 - escaped above, piece by piece


class _Page:
    def __init__(self, **values):
        self.__dict__.update(values)


def _comment(comment: ShownComment, page: _Page) -> str:
    pk = comment.pk
    pending = comment.status == Comment.Status.PENDING
    by_post_author = bool(comment.user_id) and comment.user_id == page.post_author_id
    # Shown in <bdi> (below): a right-to-left override in a name must not reverse what follows.
    name = escape(comment.author_name)
    if comment.author_url:
        name = f'<a href="{escape(comment.author_url)}" rel="nofollow ugc noopener">{name}</a>'
    if page.gravatar:
        avatar = (
            f'<img class="avatar" src="{escape(comment.gravatar_url)}" alt="" width="36" '
            'height="36" loading="lazy" referrerpolicy="no-referrer">'
        )
    else:
        avatar = f'<span class="avatar" aria-hidden="true">{escape(comment.initials)}</span>'
    created_iso, created_text = _date_shown(
        comment.created_at, page.zone, page.date_format, page.language
    )
    classes = "comment" + (" comment-pending" if pending else "")
    classes += " comment-by-author" if by_post_author else ""
    badge = f' <span class="comment-badge">{page.author}</span>' if by_post_author else ""
    awaiting = f'<p class="comment-awaiting" role="note">{page.awaiting}</p>' if pending else ""
    heading = page.comment_by % {"name": escape(comment.author_name)}
    reply = ""
    if page.offers_replies and comment.can_reply:
        reply_to = escape(page.reply_to % {"name": comment.author_name})
        reply = (
            f'<p class="comment-reply"><a href="{page.post_url}?replytocom={pk}#respond" '
            f'rel="nofollow">{page.reply}<span class="visually-hidden"> {reply_to}</span></a></p>'
        )
    edit = ""
    if pk in page.editable:
        edit = (
            f'<p class="comment-edit"><a href="{escape(reverse("comments:edit", args=[pk]))}" '
            f'rel="nofollow">{page.edit}<span class="visually-hidden"> {page.edit_what}</span>'
            "</a></p>"
        )
    return (
        f'<li class="{classes}" id="comment-{pk}"><article aria-labelledby="comment-{pk}-author">'
        f'<h3 class="visually-hidden">{heading}</h3><header class="comment-meta">{avatar} '
        f'<span class="comment-author" id="comment-{pk}-author"><bdi>{name}</bdi></span>{badge} '
        f'<a class="comment-permalink" href="#comment-{pk}"><time datetime="{created_iso}">'
        f"{created_text}</time></a></header>{awaiting}"
        f'<div class="comment-body">{comment.body_html}</div>{reply}{edit}</article>'
    )


@lru_cache(maxsize=4096)
def _date_shown(
    created: datetime.datetime, zone: datetime.tzinfo, date_format: str, language: str
) -> tuple[str, str]:
    """Return a comment's time as ISO 8601 and as readers read it, both escaped."""
    # Formatting a date is most of a long thread's cost, and the same comments are shown again
    # and again: each process keeps the last few thousand. The language is part of the key
    # because month names are translated.
    local = created.astimezone(zone)
    # To the second, as the template's |html_datetime: HTML allows three decimals, not six.
    return escape(local.isoformat(timespec="seconds")), escape(format_date(local, date_format))
