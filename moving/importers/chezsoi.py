"""Read a Chez Soi export (moving/export.py) back: another Chez Soi moving in.

The zip's `chez-soi.json` says everything; its images come from the zip itself, each an
`Attachment` whose `url` is `zip:<member name>` and whose `content` holds the file. Bodies and
covers point at the images by their address on the old site, the attachment's `source_id`.
"""

import io
import json
import zipfile
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from core.markdown import render_post_markdown
from core.urls import absolute_links
from moving import records
from moving.importers import ImportRefused

FORMAT = "chez-soi-export"
JSON_NAME = "chez-soi.json"
MANIFEST_NAME = "manifest.json"
README_NAME = "CHEZ-SOI-EXPORT.txt"
SUPPORTED_VERSIONS = (1,)
# The zip's members this reader opens, at most: the JSON and the library's originals.
MAX_MEMBER_BYTES = 200 * 1024 * 1024

POST_STATUSES = {"draft": "draft", "published": "published"}
COMMENT_STATUSES = {
    "approved": "approved",
    "pending": "pending",
    "spam": "spam",
    "removed": "trash",
}
SUBSCRIBER_STATUSES = {
    "confirmed": "subscribed",
    "pending": "pending",
    "unsubscribed": "unsubscribed",
    "suppressed": "cleaned",
}
LEAVING_KINDS = ("unsubscribe", "bounce", "complaint")


def detect(head: bytes) -> bool:
    """Say whether `head` is the names list of one of our zips."""
    if not head.startswith(b"ZIP\n"):
        return False
    names = head[4:].decode("utf-8", "replace").split("\n")
    # The list is cut at 64 KB: the note comes first, the JSON after the images.
    return README_NAME in names[:1] or {JSON_NAME, MANIFEST_NAME} <= set(names)


def read(data: bytes, *, files: dict[str, bytes] | None = None) -> records.Export:
    """Return what a Chez Soi export holds: `data` is the zip, or its JSON with `files` beside."""
    if files and JSON_NAME in files:
        data = files[JSON_NAME]  # unpacked by moving.detect, within its limits
    elif data.startswith(b"PK"):
        data, files = _unzipped(data)
    files = files or {}
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ImportRefused(
            _("The export’s data file cannot be read: %(error)s") % {"error": error}
        ) from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportRefused(_("This is not a Chez Soi export."))
    if document.get("version") not in SUPPORTED_VERSIONS:
        raise ImportRefused(
            _("This export’s version (%(version)s) is newer than this site: update it first.")
            % {"version": document.get("version")}
        )
    return _Reader(document, files).export()


def _unzipped(data: bytes) -> tuple[bytes, dict[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ImportRefused(_("The zip file is damaged.")) from error
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        if JSON_NAME not in infos:
            raise ImportRefused(_("This is not a Chez Soi export."))
        wanted = [JSON_NAME, *(name for name in infos if name.startswith("media/"))]
        members = {}
        for name in wanted:
            if infos[name].file_size > MAX_MEMBER_BYTES:
                raise ImportRefused(
                    _("The file %(name)s in the zip is too large.") % {"name": name}
                )
            with archive.open(name) as member:
                # Read one byte past the limit: the size the zip declares may lie (a zip bomb).
                content = member.read(MAX_MEMBER_BYTES + 1)
            if len(content) > MAX_MEMBER_BYTES:
                raise ImportRefused(
                    _("The file %(name)s in the zip is too large.") % {"name": name}
                )
            members[name] = content
    return members.pop(JSON_NAME), members


def _moment(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


class _Reader:
    def __init__(self, document: dict, files: dict[str, bytes]):
        self.document, self.files = document, files
        site = document.get("site") or {}
        self.site_url = (site.get("url") or "").rstrip("/")
        self.export_ = records.Export(
            platform="chezsoi",
            site_url=self.site_url,
            site_title=site.get("name") or "",
            language=site.get("language") or "",
        )
        # A library file's address on the old site, by its storage name.
        self.media_urls: dict[str, str] = {}

    def rows(self, key: str) -> list[dict]:
        rows = self.document.get(key) or []
        return [row for row in rows if isinstance(row, dict)]

    def export(self) -> records.Export:
        self.read_authors()
        self.read_tags()
        self.read_media()
        self.read_posts()
        self.read_pages()
        self.read_comments()
        self.read_subscribers()
        self.read_redirects()
        return self.export_

    def read_authors(self) -> None:
        self.export_.authors = [
            records.Author(
                source_id=str(row["id"]),
                name=row.get("name") or row.get("username") or "",
                email=row.get("email") or "",
            )
            for row in self.rows("authors")
        ]

    def read_tags(self) -> None:
        self.export_.terms = [
            records.Term(
                source_id=row["slug"],
                name=row.get("name") or row["slug"],
                slug=row["slug"],
                description=row.get("description") or "",
            )
            for row in self.rows("tags")
        ]

    def read_media(self) -> None:
        for row in self.rows("media"):
            name, member = row.get("name") or "", row.get("file") or ""
            url = row.get("url") or ""
            self.media_urls[name] = url
            content = self.files.get(member, b"") if member else b""
            if not content:
                self.export_.skipped.append(
                    records.Problem(
                        what=name or str(row.get("id")),
                        reason=_("The image is not in the export."),
                    )
                )
                continue
            self.export_.attachments.append(
                records.Attachment(
                    source_id=url,
                    url=f"zip:{member}",
                    title=name.rsplit("/", 1)[-1],
                    alt_text=row.get("alt_text") or "",
                    caption=row.get("caption") or "",
                    content=content,
                )
            )

    def body_html(self, row: dict) -> str:
        # From the Markdown, not the page's HTML: that one points at renditions the zip lacks.
        if row.get("body") is not None:
            html = render_post_markdown(row["body"])
        else:
            html = row.get("body_html") or ""
        return absolute_links(html, base_url=self.site_url)

    def old_urls(self, row: dict) -> list[str]:
        return [row["url"]] if row.get("url") else []

    def read_posts(self) -> None:
        for row in self.rows("posts"):
            published_at = _moment(row.get("published_at"))
            status = POST_STATUSES.get(row.get("status"), "draft")
            if status == "published" and published_at and published_at > timezone.now():
                status = "scheduled"
            cover = row.get("cover")
            self.export_.posts.append(
                records.Post(
                    source_id=f"post-{row['id']}",
                    title=row.get("title") or "",
                    body_html=self.body_html(row),
                    kind="post",
                    slug=row.get("slug") or "",
                    excerpt=row.get("excerpt") or "",
                    status=status,
                    published_at=published_at,
                    updated_at=_moment(row.get("updated_at")),
                    author_source_id=str(row.get("author") or ""),
                    language=row.get("language") or "",
                    term_source_ids=list(row.get("tags") or []),
                    seo_title=row.get("seo_title") or "",
                    seo_description=row.get("seo_description") or "",
                    featured_image_url=self.media_urls.get(cover, "") if cover else "",
                    featured_image_alt=self.cover_alt(cover),
                    old_urls=self.old_urls(row),
                    comments_open=bool(row.get("comments_open", True)),
                )
            )

    def cover_alt(self, name: str | None) -> str:
        for attachment in self.export_.attachments:
            if name and attachment.source_id == self.media_urls.get(name):
                return attachment.alt_text
        return ""

    def read_pages(self) -> None:
        for row in self.rows("pages"):
            self.export_.posts.append(
                records.Post(
                    source_id=f"page-{row['id']}",
                    title=row.get("title") or "",
                    body_html=self.body_html(row),
                    kind="page",
                    slug=row.get("slug") or "",
                    status=POST_STATUSES.get(row.get("status"), "draft"),
                    published_at=_moment(row.get("created_at")),
                    updated_at=_moment(row.get("updated_at")),
                    author_source_id=str(row.get("author") or ""),
                    language=row.get("language") or "",
                    seo_title=row.get("seo_title") or "",
                    seo_description=row.get("seo_description") or "",
                    old_urls=self.old_urls(row),
                    comments_open=False,
                )
            )

    def read_comments(self) -> None:
        self.export_.comments = [
            records.Comment(
                source_id=str(row["id"]),
                post_source_id=f"post-{row.get('post')}",
                body_html=row.get("body_html") or "",
                author_name=row.get("author_name") or "",
                author_email=row.get("author_email") or "",
                author_url=row.get("author_url") or "",
                author_ip=row.get("ip_address") or "",
                created_at=_moment(row.get("created_at")),
                status=COMMENT_STATUSES.get(row.get("status"), "pending"),
                parent_source_id=str(row["parent"]) if row.get("parent") else "",
            )
            for row in self.rows("comments")
        ]

    def read_subscribers(self) -> None:
        for row in self.rows("subscribers"):
            events = [event for event in row.get("events") or [] if isinstance(event, dict)]
            opted = _first(events, ("subscribe", "import"))
            confirmed = _first(events, ("confirm",))
            left = _last(events, LEAVING_KINDS)
            status = SUBSCRIBER_STATUSES.get(row.get("status"), "pending")
            self.export_.subscribers.append(
                records.Subscriber(
                    email=row.get("email") or "",
                    status=status,
                    source_id=str(row.get("id") or ""),
                    language=row.get("language") or "",
                    opted_in_at=_moment(opted.get("created_at")) or _moment(row.get("created_at")),
                    opt_in_ip=opted.get("ip_address") or "",
                    confirmed_at=_moment(row.get("confirmed_at"))
                    or _moment(confirmed.get("created_at")),
                    confirm_ip=confirmed.get("ip_address") or "",
                    left_at=_moment(row.get("unsubscribed_at"))
                    if status in ("unsubscribed", "cleaned")
                    else None,
                    left_reason=left.get("kind") or ""
                    if status in ("unsubscribed", "cleaned")
                    else "",
                    consent_wording=opted.get("consent_text") or "",
                    events=events,
                )
            )

    def read_redirects(self) -> None:
        # A redirect to a post or page follows it (its old_urls), so it keeps working if the
        # slug changes on the way in; the others are carried as they are.
        paths = {}
        for post in self.export_.posts:
            for url in post.old_urls:
                paths[_path(url, self.site_url)] = post
        for row in self.rows("redirects"):
            old_path, new_path = row.get("old_path") or "", row.get("new_path") or ""
            if not old_path:
                continue
            post = paths.get(new_path)
            if post is not None:
                post.old_urls.append(old_path)
            else:
                self.export_.redirects.append(
                    records.Redirect(
                        old_path=old_path, new_path=new_path, note=row.get("note") or ""
                    )
                )


def _path(url: str, site_url: str) -> str:
    return url.removeprefix(site_url) or "/"


def _first(events: list[dict], kinds: tuple) -> dict:
    return next((event for event in events if event.get("kind") in kinds), {})


def _last(events: list[dict], kinds: tuple) -> dict:
    return next((event for event in reversed(events) if event.get("kind") in kinds), {})
