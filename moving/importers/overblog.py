"""Overblog's export: its own XML (not WXR), `posts/post` and `pages/page`.

No real Overblog export is public; the element names are those read by the only public reader
(ixelia-fr/overblog-to-wordpress): `title`, `content`, `slug`, `status`, `published_at`,
`modified_at`, `created_at`, comma-separated `tags`, and `comments/comment` (`author_name`,
`author_email`, `author_url`, `content`, `published_at`) with replies in `replies/comment`. The
root element, the date format and the status values are not attested, so this reader is lenient:
any root, `post`/`page` elements wherever they are, several date formats, several status words,
and every field it does not know is named once in the report's warnings.

Choices, said in the report and the docs:
- Times without a zone ("2015-03-02 10:15:00", or ISO without an offset) are taken as
  Europe/Paris (Overblog is a French platform); Unix timestamps are shown in Europe/Paris too.
- Old addresses: a `url`/`link`/`permalink` field gives its path; a `slug` that is already a
  path (`2015/03/x.html`, `article-123.html`, `pages/x.html`, as Overblog's own slugs are)
  gives `/<slug>`; a bare slug or an id gives `/article-<slug or id>.html`, Overblog's old form.
- An unknown status is imported as a draft (never publish by guess) with a warning.
"""

import email.utils
import hashlib
import re
from datetime import UTC, datetime
from pathlib import PurePosixPath
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from moving import records
from moving.importers import ImportRefused
from moving.importers.blogger import (
    child,
    children,
    clean,
    local_name,
    slug_of,
    xml_parse,
)

PARIS = ZoneInfo("Europe/Paris")

POST_FIELDS = {
    "id",
    "title",
    "content",
    "slug",
    "status",
    "published_at",
    "modified_at",
    "created_at",
    "tags",
    "comments",
    "url",
    "link",
    "permalink",
    "author",
    "author_name",
    "excerpt",
    "summary",
    "chapo",
    "description",
    "categories",
    "category",
    "image",
    "cover",
    "thumbnail",
    "featured_image",
}
COMMENT_FIELDS = {
    "id",
    "author_name",
    "author_email",
    "author_url",
    "author_ip",
    "ip",
    "content",
    "published_at",
    "created_at",
    "status",
    "replies",
}
STATUSES = {
    "published": "published",
    "publish": "published",
    "online": "published",
    "live": "published",
    "public": "published",
    "visible": "published",
    "en ligne": "published",
    "publié": "published",
    "1": "published",
    "draft": "draft",
    "brouillon": "draft",
    "offline": "draft",
    "unpublished": "draft",
    "hidden": "draft",
    "0": "draft",
    "private": "private",
    "privé": "private",
    "scheduled": "scheduled",
    "future": "scheduled",
    "planned": "scheduled",
    "programmed": "scheduled",
    "programmé": "scheduled",
}
TRASHED = {"trash", "trashed", "deleted", "corbeille", "supprimé", "removed"}
COMMENT_STATUSES = {
    "approved": "approved",
    "published": "approved",
    "valid": "approved",
    "validated": "approved",
    "online": "approved",
    "1": "approved",
    "pending": "pending",
    "waiting": "pending",
    "moderation": "pending",
    "0": "pending",
    "spam": "spam",
    "trash": "trash",
    "deleted": "trash",
}
_BLOCK = re.compile(r"<(p|div|br|ul|ol|table|h[1-6]|blockquote|pre|figure)\b", re.I)


def detect(head: bytes) -> bool:
    """An XML file holding `<post>`/`<page>` elements with `<title>`/`<content>`, that is
    neither RSS/WXR nor Atom (whatever its root is called)."""
    start = head.lstrip()[:1]
    if start != b"<" or b"<rss" in head or b"<feed" in head:
        return False
    has_items = re.search(rb"<(posts|pages)[\s>]", head) or re.search(rb"<(post|page)[\s>]", head)
    return bool(has_items and b"<title" in head and b"<content" in head)


def read(data: bytes, *, files: dict[str, bytes] | None = None) -> records.Export:
    export = records.Export(platform="overblog")
    root = xml_parse(data, export.warnings, recover_any=True)
    reader = _Reader(export)
    found = False
    for element in root.iter():
        kind = local_name(element)
        if kind in ("post", "page") and child(element, "title") is not None:
            found = True
            reader.post(element, kind)
    if not found:
        raise ImportRefused(_("This is not an Overblog export: it holds no post and no page."))
    return export


def parse_date(value: str) -> datetime | None:
    """ISO 8601 (with or without a zone), "YYYY-MM-DD HH:MM:SS", "DD/MM/YYYY HH:MM",
    RFC 2822 or a Unix timestamp; times without a zone are Paris time."""
    value = value.strip()
    if not value:
        return None
    if re.fullmatch(r"\d{9,13}", value):
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        return datetime.fromtimestamp(seconds, tz=UTC).astimezone(PARIS)
    moment = None
    try:
        moment = datetime.fromisoformat(value.replace("/", "-") if value[:4].isdigit() else value)
    except ValueError:
        french = re.fullmatch(
            r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", value
        )
        if french:
            day, month, year, hour, minute, second = (int(part or 0) for part in french.groups())
            try:
                moment = datetime(year, month, day, hour, minute, second)
            except ValueError:
                return None
        else:
            try:
                moment = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment


def _paragraphs(text: str) -> str:
    """Plain text with line breaks (as comments often are) turned into paragraphs."""
    text = text.strip().replace("\r\n", "\n")
    if not text or _BLOCK.search(text):
        return text
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    if len(blocks) == 1 and "\n" not in blocks[0]:
        return blocks[0]
    return "".join("<p>" + block.replace("\n", "<br />\n") + "</p>\n" for block in blocks).strip()


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


class _Reader:
    def __init__(self, export: records.Export):
        self.export = export
        self.unknown: set[str] = set()
        self.bad_dates: set[str] = set()
        self.bad_statuses: set[str] = set()
        self.terms: dict[tuple[str, str], records.Term] = {}
        self.authors: dict[str, records.Author] = {}
        self.source_ids: set[str] = set()

    def text(self, element, name: str) -> str:
        found = child(element, name)
        return clean("".join(found.itertext())) if found is not None else ""

    def warn_unknown(self, element, known: set[str], where: str) -> None:
        for field in element:
            name = local_name(field)
            if name and name not in known and (where, name) not in self.unknown:
                self.unknown.add((where, name))
                self.export.warnings.append(
                    records.Problem(
                        what=f"<{name}>",
                        reason=_("A field of %(where)s that this importer does not read.")
                        % {"where": where},
                    )
                )

    def date(self, element, *names: str) -> datetime | None:
        for name in names:
            value = self.text(element, name)
            if not value:
                continue
            moment = parse_date(value)
            if moment is None and value not in self.bad_dates:
                self.bad_dates.add(value)
                self.export.warnings.append(
                    records.Problem(
                        what=f"<{name}>{value}</{name}>",
                        reason=_("A date in a format this importer does not know: left empty."),
                    )
                )
            if moment is not None:
                return moment
        return None

    def term_ids(self, element, name: str, kind: str) -> list[str]:
        ids = []
        for field in children(element, name):
            for label in "".join(field.itertext()).split(","):
                label = clean(label)
                if not label:
                    continue
                key = (kind, label.lower())
                if key not in self.terms:
                    self.terms[key] = records.Term(
                        source_id=label if kind == "tag" else f"category:{label}",
                        name=label,
                        slug=slug_of(label),
                        kind=kind,
                    )
                    self.export.terms.append(self.terms[key])
                if self.terms[key].source_id not in ids:
                    ids.append(self.terms[key].source_id)
        return ids

    def old_urls_and_slug(self, element, title: str, own_id: str) -> tuple[list[str], str]:
        paths = []
        for name in ("url", "link", "permalink"):
            value = self.text(element, name)
            if value:
                address = urlsplit(value)
                paths.append(address.path + ("?" + address.query if address.query else ""))
        raw_slug = self.text(element, "slug").strip()
        if raw_slug and ("/" in raw_slug or raw_slug.endswith(".html")):
            paths.append("/" + urlsplit(raw_slug).path.lstrip("/"))
        elif not paths and (raw_slug or own_id):
            paths.append(f"/article-{raw_slug or own_id}.html")
        old_urls = []
        for path in paths:
            if path.strip("/") and path not in old_urls:
                old_urls.append(path)
        name = PurePosixPath(urlsplit(raw_slug).path).name if raw_slug else ""
        name = name.removesuffix(".html").removesuffix(".htm")
        if not name or re.fullmatch(r"article-\d+", name):
            name = slug_of(title)  # Overblog's numbered addresses say nothing: the title does
        return old_urls, name

    def post(self, element, kind: str) -> None:
        where = _("a page") if kind == "page" else _("a post")
        self.warn_unknown(element, POST_FIELDS, where)
        title = self.text(element, "title")
        own_id = self.text(element, "id")
        old_urls, slug = self.old_urls_and_slug(element, title, own_id)
        created_at = self.date(element, "created_at")
        published_at = self.date(element, "published_at") or created_at
        source_id = (
            own_id or self.text(element, "slug") or _short_hash(kind, title, str(created_at))
        )
        if source_id in self.source_ids:
            source_id = f"{source_id}#{_short_hash(kind, title, str(created_at))}"
        self.source_ids.add(source_id)

        status_word = self.text(element, "status").lower()
        if status_word in TRASHED:
            self.export.skipped.append(
                records.Problem(what=title or source_id, reason=_("Deleted on Overblog."))
            )
            return
        status = STATUSES.get(status_word, "published" if not status_word else "")
        if not status:
            status = "draft"
            if status_word not in self.bad_statuses:
                self.bad_statuses.add(status_word)
                self.export.warnings.append(
                    records.Problem(
                        what=f"<status>{status_word}</status>",
                        reason=_("An unknown status: those posts were imported as drafts."),
                    )
                )

        author_name = self.text(element, "author") or self.text(element, "author_name")
        if author_name and author_name not in self.authors:
            self.authors[author_name] = records.Author(source_id=author_name, name=author_name)
            self.export.authors.append(self.authors[author_name])
        image = next(
            (
                self.text(element, name)
                for name in ("featured_image", "image", "cover", "thumbnail")
                if self.text(element, name)
            ),
            "",
        )
        excerpt = next(
            (
                self.text(element, name)
                for name in ("excerpt", "summary", "chapo", "description")
                if self.text(element, name)
            ),
            "",
        )
        body = (
            "".join(child(element, "content").itertext())
            if child(element, "content") is not None
            else ""
        )
        self.export.posts.append(
            records.Post(
                source_id=source_id,
                title=title,
                body_html=_paragraphs(clean(body)),
                kind=kind,
                slug=slug,
                excerpt=excerpt,
                status=status,
                published_at=published_at,
                updated_at=self.date(element, "modified_at", "updated_at"),
                author_source_id=author_name,
                term_source_ids=self.term_ids(element, "tags", "tag")
                + self.term_ids(element, "categories", "category")
                + self.term_ids(element, "category", "category"),
                featured_image_url=image,
                old_urls=old_urls,
            )
        )
        for comments in children(element, "comments"):
            for comment in children(comments, "comment"):
                self.comment(comment, source_id, "")

    def comment(self, element, post_source_id: str, parent_source_id: str) -> None:
        self.warn_unknown(element, COMMENT_FIELDS, _("a comment"))
        author_name = self.text(element, "author_name")
        created_at = self.date(element, "published_at", "created_at")
        body = self.text(element, "content")
        source_id = self.text(element, "id") or "comment-" + _short_hash(
            post_source_id, parent_source_id, author_name, str(created_at), body
        )
        status = COMMENT_STATUSES.get(self.text(element, "status").lower(), "approved")
        self.export.comments.append(
            records.Comment(
                source_id=source_id,
                post_source_id=post_source_id,
                body_html=_paragraphs(body),
                author_name=author_name,
                author_email=self.text(element, "author_email"),
                author_url=self.text(element, "author_url"),
                author_ip=self.text(element, "author_ip") or self.text(element, "ip"),
                created_at=created_at,
                status=status,
                parent_source_id=parent_source_id,
            )
        )
        for replies in children(element, "replies"):
            for reply in children(replies, "comment"):
                self.comment(reply, post_source_id, source_id)
