"""Write the site's posts, pages, tags, comments and images as WordPress's WXR 1.2.

WordPress's importer and Ghost's migrate tool read this RSS 2.0 dialect. It is written item by
item into a stream (`wxr_write`), so a large site never sits in memory. Texts go in CDATA
sections, with the characters XML forbids taken out (core.text.xml_safe); bodies are the pages'
own HTML, with their addresses made absolute (core.urls.absolute_links).
"""

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from itertools import groupby

# Escaping for the XML we write; nothing is parsed with it.
from xml.sax.saxutils import escape, quoteattr  # nosec B406

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from blog.models import MediaItem, Page, Post, Tag
from comments.models import Comment
from core.text import xml_safe
from core.urls import absolute_links, absolute_url

NAMESPACES = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": "http://wordpress.org/export/1.2/",
}
# WordPress's comment_approved values.
COMMENT_APPROVED = {
    Comment.Status.APPROVED: "1",
    Comment.Status.PENDING: "0",
    Comment.Status.SPAM: "spam",
    Comment.Status.REMOVED: "trash",
}


class WxrIds:
    """WordPress numbers posts, pages and attachments in one sequence: ours are three tables."""

    def __init__(self, *, last_post: int, last_page: int):
        self.last_post, self.last_page = last_post, last_page

    def post(self, pk: int) -> int:
        return pk

    def page(self, pk: int) -> int:
        return self.last_post + pk

    def media(self, pk: int) -> int:
        return self.last_post + self.last_page + pk


def _cdata(text: str) -> str:
    # "]]>" would close the section: split it across two sections.
    return "<![CDATA[" + xml_safe(str(text)).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _text(value) -> str:
    return escape(xml_safe(str(value)))


def _element(tag: str, value="", *, cdata: bool = False) -> str:
    inner = _cdata(value) if cdata else _text(value)
    return f"<{tag}>{inner}</{tag}>"


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _gmt(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _html(html: str) -> str:
    return absolute_links(html)


def post_status(post: Post, now: datetime) -> str:
    """Return WordPress's name of the post's state: publish, future or draft."""
    if post.status != Post.Status.PUBLISHED:
        return "draft"
    return "future" if post.published_at > now else "publish"


def wxr_write(write: Callable[[str], object], *, ids: WxrIds, step: Callable[[], None]) -> None:
    """Write the whole site as WXR through `write`, calling `step` after each item."""
    now = timezone.now()
    write(_header())
    for user in site_authors():
        write(_author(user))
    for tag in Tag.objects.order_by("pk").iterator(chunk_size=2000):
        write(_tag(tag))
    for item in MediaItem.objects.order_by("pk").iterator(chunk_size=2000):
        write(_attachment(item, ids))
        step()
    comments_by_post = groupby(
        Comment.objects.order_by("post_id", "created_at", "pk").iterator(chunk_size=2000),
        key=lambda comment: comment.post_id,
    )
    for post, comments in _with_comments(
        Post.objects.select_related("author", "cover")
        .prefetch_related("tags")
        .order_by("pk")
        .iterator(chunk_size=500),
        comments_by_post,
    ):
        write(_post(post, comments, ids, now))
        step()
    for page in Page.objects.select_related("author").order_by("pk").iterator(chunk_size=500):
        write(_page(page, ids))
        step()
    write("</channel>\n</rss>\n")


def _with_comments(posts: Iterable[Post], groups: Iterator) -> Iterator[tuple[Post, list]]:
    """Pair each post with its comments: both come ordered by post, merged as they stream."""
    pending = next(groups, None)
    for post in posts:
        while pending is not None and pending[0] < post.pk:
            pending = next(groups, None)
        if pending is not None and pending[0] == post.pk:
            yield post, list(pending[1])
            pending = next(groups, None)
        else:
            yield post, []


def _header() -> str:
    namespaces = " ".join(f"xmlns:{prefix}={quoteattr(uri)}" for prefix, uri in NAMESPACES.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<rss version="2.0" {namespaces}>\n<channel>\n'
        + _element("title", settings.SITE_NAME)
        + _element("link", settings.SITE_URL)
        + _element("description", "")
        + _element("pubDate", format_datetime(timezone.now()))
        + _element("language", settings.LANGUAGE_CODE)
        + _element("wp:wxr_version", "1.2")
        + _element("wp:base_site_url", settings.SITE_URL)
        + _element("wp:base_blog_url", settings.SITE_URL)
        + _element("generator", "Chez Soi")
        + "\n"
    )


def site_authors():
    """Return the users who wrote a post or a page."""
    user_model = get_user_model()
    writers = set(Post.objects.values_list("author_id", flat=True))
    writers |= set(Page.objects.values_list("author_id", flat=True))
    return user_model.objects.filter(pk__in=writers).order_by("pk")


def _author(user) -> str:
    return (
        "<wp:author>"
        + _element("wp:author_id", user.pk)
        + _element("wp:author_login", user.get_username(), cdata=True)
        + _element("wp:author_email", user.email, cdata=True)
        + _element(
            "wp:author_display_name", user.get_full_name() or user.get_username(), cdata=True
        )
        + _element("wp:author_first_name", getattr(user, "first_name", ""), cdata=True)
        + _element("wp:author_last_name", getattr(user, "last_name", ""), cdata=True)
        + "</wp:author>\n"
    )


def _tag(tag: Tag) -> str:
    return (
        "<wp:tag>"
        + _element("wp:term_id", tag.pk)
        + _element("wp:tag_slug", tag.slug, cdata=True)
        + _element("wp:tag_name", tag.name, cdata=True)
        + _element("wp:tag_description", tag.description, cdata=True)
        + "</wp:tag>\n"
    )


def _meta(key: str, value) -> str:
    return (
        "<wp:postmeta>"
        + _element("wp:meta_key", key, cdata=True)
        + _element("wp:meta_value", value, cdata=True)
        + "</wp:postmeta>"
    )


def _item_head(*, title, link, published, author, wp_id, guid) -> str:
    return (
        "<item>"
        + _element("title", title)
        + _element("link", link)
        + _element("pubDate", format_datetime(published) if published else "")
        + _element("dc:creator", author.get_username() if author else "", cdata=True)
        + f'<guid isPermaLink="false">{_text(guid)}</guid>'
        + _element("description", "")
        + _element("wp:post_id", wp_id)
    )


def _attachment(item: MediaItem, ids: WxrIds) -> str:
    url = absolute_url(item.url) if item.url.startswith("/") else item.url
    return (
        _item_head(
            title=str(item),
            link=url,
            published=item.uploaded_at,
            author=None,
            wp_id=ids.media(item.pk),
            guid=url,
        )
        + _element("content:encoded", item.caption, cdata=True)
        + _element("excerpt:encoded", item.caption, cdata=True)
        + _element("wp:post_date", _local(item.uploaded_at), cdata=True)
        + _element("wp:post_date_gmt", _gmt(item.uploaded_at), cdata=True)
        + _element("wp:post_name", item.file.name.rsplit("/", 1)[-1].rsplit(".", 1)[0], cdata=True)
        + _element("wp:status", "inherit", cdata=True)
        + _element("wp:post_parent", 0)
        + _element("wp:post_type", "attachment", cdata=True)
        + _element("wp:attachment_url", url, cdata=True)
        + _meta("_wp_attached_file", item.file.name)
        + _meta("_wp_attachment_image_alt", item.alt_text)
        + "</item>\n"
    )


def _post(post: Post, comments: list[Comment], ids: WxrIds, now: datetime) -> str:
    parts = [
        _item_head(
            title=post.title,
            link=post.get_canonical_url(),
            published=post.published_at,
            author=post.author,
            wp_id=ids.post(post.pk),
            guid=f"{settings.SITE_URL}/?p={ids.post(post.pk)}",
        ),
        _element("content:encoded", _html(post.body_html), cdata=True),
        _element("excerpt:encoded", post.excerpt, cdata=True),
        _element("wp:post_date", _local(post.published_at), cdata=True),
        _element("wp:post_date_gmt", _gmt(post.published_at), cdata=True),
        _element("wp:post_modified", _local(post.updated_at), cdata=True),
        _element("wp:post_modified_gmt", _gmt(post.updated_at), cdata=True),
        _element("wp:comment_status", "open" if post.comments_open else "closed", cdata=True),
        _element("wp:ping_status", "closed", cdata=True),
        _element("wp:post_name", post.slug, cdata=True),
        _element("wp:status", post_status(post, now), cdata=True),
        _element("wp:post_parent", 0),
        _element("wp:menu_order", 0),
        _element("wp:post_type", "post", cdata=True),
        _element("wp:post_password", "", cdata=True),
        _element("wp:is_sticky", 0),
    ]
    parts += [
        f'<category domain="post_tag" nicename={quoteattr(xml_safe(tag.slug))}>'
        f"{_cdata(tag.name)}</category>"
        for tag in post.tags.all()
    ]
    if post.cover_id:
        parts.append(_meta("_thumbnail_id", ids.media(post.cover_id)))
    parts += _seo_meta(post)
    parts += [_comment(comment) for comment in comments]
    return "".join(parts) + "</item>\n"


def _page(page: Page, ids: WxrIds) -> str:
    parts = [
        _item_head(
            title=page.title,
            link=page.get_canonical_url(),
            published=page.created_at,
            author=page.author,
            wp_id=ids.page(page.pk),
            guid=f"{settings.SITE_URL}/?page_id={ids.page(page.pk)}",
        ),
        _element("content:encoded", _html(page.body_html), cdata=True),
        _element("excerpt:encoded", "", cdata=True),
        _element("wp:post_date", _local(page.created_at), cdata=True),
        _element("wp:post_date_gmt", _gmt(page.created_at), cdata=True),
        _element("wp:post_modified", _local(page.updated_at), cdata=True),
        _element("wp:post_modified_gmt", _gmt(page.updated_at), cdata=True),
        _element("wp:comment_status", "closed", cdata=True),
        _element("wp:ping_status", "closed", cdata=True),
        _element("wp:post_name", page.slug, cdata=True),
        _element("wp:status", "publish" if page.is_live else "draft", cdata=True),
        _element("wp:post_parent", 0),
        _element("wp:menu_order", page.navigation_order),
        _element("wp:post_type", "page", cdata=True),
        _element("wp:post_password", "", cdata=True),
        _element("wp:is_sticky", 0),
        *_seo_meta(page),
    ]
    return "".join(parts) + "</item>\n"


def _seo_meta(writing) -> list[str]:
    # Yoast's keys: the fields WordPress sites keep them in, and our importers read.
    meta = []
    if writing.seo_title:
        meta.append(_meta("_yoast_wpseo_title", writing.seo_title))
    if writing.seo_description:
        meta.append(_meta("_yoast_wpseo_metadesc", writing.seo_description))
    return meta


def _comment(comment: Comment) -> str:
    return (
        "<wp:comment>"
        + _element("wp:comment_id", comment.pk)
        + _element("wp:comment_author", comment.author_name, cdata=True)
        + _element("wp:comment_author_email", comment.author_email, cdata=True)
        + _element("wp:comment_author_url", comment.author_url, cdata=True)
        + _element("wp:comment_author_IP", comment.ip_address or "", cdata=True)
        + _element("wp:comment_date", _local(comment.created_at), cdata=True)
        + _element("wp:comment_date_gmt", _gmt(comment.created_at), cdata=True)
        + _element("wp:comment_content", comment.body_html, cdata=True)
        + _element("wp:comment_approved", COMMENT_APPROVED.get(comment.status, "0"), cdata=True)
        + _element("wp:comment_type", "comment", cdata=True)
        + _element("wp:comment_parent", comment.parent_id or 0)
        + _element("wp:comment_user_id", comment.user_id or 0)
        + "</wp:comment>"
    )
