"""Blogger's export: the classic Atom backup and the newer Google Takeout `feed.atom`.

Classic ("Back up content" until about 2023): every entry says what it is with
`<category scheme="http://schemas.google.com/g/2005#kind" term="…/blogger/2008/kind#post">`
(post, comment, page, settings, template); labels are the other categories; comments point at
their post with `thr:in-reply-to` and at the comment they answer with `<link rel="related">`;
drafts carry `<app:control><app:draft>yes`. Some real files use the `app:` prefix without ever
declaring it: those are read again with lxml's recovery (entities still off) and a warning.

Takeout (`xmlns:blogger="http://schemas.google.com/blogger/2018"`): `blogger:type` POST, COMMENT
or PAGE, `blogger:status` LIVE, DRAFT, SCHEDULED, SOFT_TRASHED…, `blogger:parent` (a comment's
post), `blogger:inReplyTo` (the comment it answers) and `blogger:filename` (`/2021/06/x.html`).

Elements are matched by their local name, so that a recovered prefix (`app:draft`) or a
namespace that moved between the formats reads the same.
"""

import codecs
import html
import re
import unicodedata
from datetime import datetime
from pathlib import PurePosixPath
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException
from django.conf import settings
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from moving import records
from moving.importers import ImportRefused

KIND_PREFIX = "http://schemas.google.com/blogger/2008/kind#"
KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
NO_REPLY = "noreply@blogger.com"
# expat's "unbound prefix": the one malformation of real Blogger files that is worth recovering.
EXPAT_UNBOUND_PREFIX = 27
# libxml2's errors that mean the file stops in the middle: recovering would import half of it.
CUT_SHORT = {
    "ERR_TAG_NOT_FINISHED",
    "ERR_CDATA_NOT_FINISHED",
    "ERR_COMMENT_NOT_FINISHED",
    "ERR_LTSLASH_REQUIRED",
    "ERR_STRING_NOT_CLOSED",
}


def detect(head: bytes) -> bool:
    """An Atom feed written by Blogger, in either format."""
    if b"<feed" not in head:
        return False
    return (
        b"schemas.google.com/blogger/2008/kind#" in head
        or b"schemas.google.com/blogger/2018" in head
        or b"tag:blogger.com,1999:blog-" in head
    )


# XML, text and time helpers (the Overblog importer uses them too) -----------------------------


def _cp1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("moving_cp1252", _cp1252_fallback)

_ENCODING_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)""")


def utf8_repair(data: bytes, warnings: list[records.Problem]) -> bytes:
    """Bytes that are UTF-8: where a file said UTF-8 (or nothing) but a few bytes are not,
    read those as Windows-1252 (what older tools wrote) and say so, rather than mojibake."""
    declared = _ENCODING_DECLARED.match(data[:200])
    if declared and declared.group(1).lower().replace(b"_", b"-") not in {b"utf-8", b"utf8"}:
        return data  # another declared charset: the XML parser decodes it
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        warnings.append(
            records.Problem(
                what=_("byte %(position)d") % {"position": error.start},
                reason=_(
                    "The file is not entirely UTF-8: the characters that are not were read as "
                    "Windows-1252 (check accents in the imported texts)."
                ),
            )
        )
        return data.decode("utf-8", errors="moving_cp1252").encode("utf-8")
    return data


def xml_parse(data: bytes, warnings: list[records.Problem], *, recover_any: bool = False):
    """The root element, parsed with entities and external references refused.

    Well-formed files go through defusedxml. A file that is not is read again by lxml with
    recovery (never resolving entities, never touching the network): only for an undeclared
    namespace prefix, or for any error when `recover_any`, and never when the file was cut
    short. Each recovery adds a warning."""
    data = utf8_repair(data, warnings)
    try:
        return SafeElementTree.fromstring(data, forbid_dtd=False)
    except DefusedXmlException as error:
        raise ImportRefused(
            _(
                "The file declares XML entities or external references (%(what)s): they are "
                "refused, as they can expand into gigabytes or read other files."
            )
            % {"what": type(error).__name__}
        ) from error
    except SafeElementTree.ParseError as error:
        if not recover_any and getattr(error, "code", None) != EXPAT_UNBOUND_PREFIX:
            raise ImportRefused(
                _("The file is not well-formed XML: %(error)s.") % {"error": error}
            ) from error
        first_error = error
    return _xml_recover(data, warnings, first_error)


def _xml_recover(data: bytes, warnings: list[records.Problem], first_error: Exception):
    from lxml import etree

    parser = etree.XMLParser(
        recover=True,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        root, first_error = None, error
    if root is None:
        raise ImportRefused(
            _("The file is not well-formed XML: %(error)s.") % {"error": first_error}
        )
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _entity in dtd.iterentities()):
        raise ImportRefused(
            _(
                "The file declares XML entities or external references (%(what)s): they are "
                "refused, as they can expand into gigabytes or read other files."
            )
            % {"what": "ENTITY"}
        )
    if not data.rstrip().endswith(b">") or any(
        entry.type_name in CUT_SHORT or "Premature end" in entry.message
        for entry in parser.error_log
    ):
        raise ImportRefused(
            _("The file is cut short (%(error)s): export it again.")
            % {"error": parser.error_log[-1].message.strip()}
        )
    warnings.append(
        records.Problem(
            what=_("line %(line)d") % {"line": getattr(first_error, "position", (0,))[0]},
            reason=_(
                "The file is not well-formed XML (%(error)s); it was read in recovery mode, "
                "which may have lost what was around that place."
            )
            % {"error": str(first_error)},
        )
    )
    return root


def local_name(element) -> str:
    """`draft` for `{ns}draft`, `app:draft` (a recovered undeclared prefix) or `draft`."""
    tag = element.tag
    if not isinstance(tag, str):  # lxml's comments, processing instructions, entity references
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def children(element, name: str) -> list:
    return [child for child in element if local_name(child) == name]


def child(element, name: str):
    for found in element:
        if local_name(found) == name:
            return found
    return None


def clean(value: str | None) -> str:
    """Stripped, NFC text."""
    return unicodedata.normalize("NFC", (value or "").strip())


def child_text(element, name: str) -> str:
    found = child(element, name) if element is not None else None
    return clean("".join(found.itertext())) if found is not None else ""


_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяієїґ",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya i ye yi g".split(),
        strict=True,
    )
)
_CYRILLIC.update({"ъ": "", "ь": ""})


def slug_of(text: str) -> str:
    """An ASCII slug (our addresses take ASCII slugs): accents dropped, Cyrillic transliterated."""
    lowered = text.lower()
    spelled = "".join(_CYRILLIC.get(char, char) for char in lowered)
    return slugify(spelled)[:60].strip("-")


def language_of(code: str) -> str:
    """A post's language if the site has it ("fr", "en"), else ""."""
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in dict(settings.LANGUAGES) else ""


def iso_datetime(value: str, zone: ZoneInfo | None = None) -> datetime | None:
    """An ISO 8601 time with its own offset kept; one without takes `zone` (UTC if None)."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or ZoneInfo("UTC"))
    return moment


# Reading -----------------------------------------------------------------------------------


def read(data: bytes, *, files: dict[str, bytes] | None = None) -> records.Export:
    export = records.Export(platform="blogger")
    root = xml_parse(data, export.warnings)
    if local_name(root) != "feed":
        raise ImportRefused(_("This is not a Blogger export: it is not an Atom feed."))
    export.site_title = child_text(root, "title")
    for link in children(root, "link"):
        if link.get("rel") == "alternate" and link.get("type", "text/html") == "text/html":
            export.site_url = clean(link.get("href")).rstrip("/")

    entries = children(root, "entry")
    blog_settings = {}
    for entry in entries:
        if _kind(entry) == "settings":
            name = child_text(entry, "id").rsplit(".settings.", 1)[-1]
            blog_settings[name] = child_text(entry, "content")
    export.language = blog_settings.get("BLOG_LOCALE", "").lower().replace("_", "-").split("-")[0]
    try:
        zone = ZoneInfo(blog_settings.get("BLOG_TIME_ZONE") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    exported_at = iso_datetime(child_text(root, "updated"), zone)
    converts_line_breaks = blog_settings.get("BLOG_CONVERT_LINE_BREAKS") == "true"

    reader = _Reader(export, zone, exported_at, converts_line_breaks)
    other_kinds: dict[str, int] = {}
    comment_entries = []
    for entry in entries:
        kind = _kind(entry)
        if kind in ("post", "page"):
            reader.post(entry, kind)
        elif kind == "comment":
            comment_entries.append(entry)
        else:
            other_kinds[kind or "?"] = other_kinds.get(kind or "?", 0) + 1
    for entry in comment_entries:
        reader.comment(entry)
    reader.thread()
    for kind, count in sorted(other_kinds.items()):
        export.skipped.append(
            records.Problem(
                what=ngettext("%(count)d %(kind)s entry", "%(count)d %(kind)s entries", count)
                % {"count": count, "kind": kind},
                reason=_("Blogger's settings, template and layout are not imported."),
            )
        )
    return export


def _kind(entry) -> str:
    """post, comment, page, settings, template… from either format."""
    typed = child(entry, "type")
    if typed is not None and typed.text:
        return clean(typed.text).lower()
    for category in children(entry, "category"):
        term = category.get("term") or ""
        if term.startswith(KIND_PREFIX):
            return term[len(KIND_PREFIX) :]
    entry_id = child_text(entry, "id")
    if ".settings." in entry_id:
        return "settings"
    if entry_id.endswith(".layout"):
        return "template"
    return ""


def _number(identifier: str) -> str:
    """The last run of digits: Blogger's own id in a tag id, a feed address or a `#c` anchor."""
    numbers = re.findall(r"\d+", identifier)
    return numbers[-1] if numbers else ""


class _Reader:
    def __init__(self, export, zone, exported_at, converts_line_breaks):
        self.export = export
        self.zone = zone
        self.exported_at = exported_at
        self.converts_line_breaks = converts_line_breaks
        self.posts_by_number: dict[str, str] = {}
        self.comments_by_number: dict[str, records.Comment] = {}
        self.parents: dict[str, str] = {}  # comment source id -> the number of its parent
        self.authors: dict[str, records.Author] = {}
        self.terms: dict[str, records.Term] = {}

    def body(self, entry) -> str:
        content = child(entry, "content")
        if content is None:
            return ""
        text = unicodedata.normalize("NFC", "".join(content.itertext()))
        if (content.get("type") or "html") == "text":
            text = html.escape(text)
        if (
            self.converts_line_breaks
            and "\n" in text.strip()
            and not re.search(r"<(br|p|div)\b", text, re.I)
        ):
            text = text.strip().replace("\r\n", "\n").replace("\n", "<br />\n")
        return text.strip()

    def date(self, entry, name: str) -> datetime | None:
        return iso_datetime(child_text(entry, name), self.zone)

    def author(self, entry) -> records.Author | None:
        found = child(entry, "author")
        if found is None:
            return None
        name = child_text(found, "name")
        uri = child_text(found, "uri")
        email = child_text(found, "email")
        if email.lower() == NO_REPLY:
            email = ""
        return records.Author(source_id=uri or name, name=name, email=email)

    def old_paths(self, entry) -> list[str]:
        paths = []
        for link in children(entry, "link"):
            if link.get("rel") == "alternate":
                paths.append(urlsplit(clean(link.get("href"))).path)
        filename = child_text(entry, "filename")
        if filename:
            paths.append(urlsplit(filename).path)
        old_urls = []
        for path in paths:
            if path and path != "/":
                path = "/" + path.lstrip("/")
                for address in (path, path + "?m=1"):
                    if address not in old_urls:
                        old_urls.append(address)
        return old_urls

    def post(self, entry, kind: str) -> None:
        source_id = child_text(entry, "id")
        status_text = child_text(entry, "status").upper()
        title = child_text(entry, "title")
        if status_text in {"SOFT_TRASHED", "TRASHED", "DELETED", "PURGED"}:
            self.export.skipped.append(
                records.Problem(
                    what=title or source_id,
                    reason=_("In Blogger's trash: not imported (nor its comments)."),
                )
            )
            return
        control = child(entry, "control")
        is_draft = child_text(control, "draft").lower() == "yes" if control is not None else False
        published_at = self.date(entry, "published")
        if is_draft or status_text == "DRAFT":
            status = "draft"
        elif status_text == "SCHEDULED" or (
            not status_text
            and published_at
            and self.exported_at
            and published_at > self.exported_at
        ):
            status = "scheduled"
        else:
            status = "published"
        old_urls = self.old_paths(entry)
        slug = PurePosixPath(old_urls[0]).name.removesuffix(".html") if old_urls else ""

        author = self.author(entry)
        if author is not None:
            # The same person, once with a profile address and once without (drafts in Takeout).
            known = self.authors.get(author.source_id) or next(
                (other for other in self.export.authors if other.name == author.name), None
            )
            if known is None:
                self.authors[author.source_id] = author
                self.export.authors.append(author)
            else:
                author = known

        term_ids = []
        for category in children(entry, "category"):
            scheme = category.get("scheme") or ""
            label = clean(category.get("term"))
            if scheme == KIND_SCHEME or label.startswith(KIND_PREFIX) or not label:
                continue
            if label not in self.terms:
                self.terms[label] = records.Term(source_id=label, name=label, slug=slug_of(label))
                self.export.terms.append(self.terms[label])
            if label not in term_ids:
                term_ids.append(label)

        thumbnail = child(entry, "thumbnail")
        language = language_of(self.export.language) if self.export.language else ""
        self.export.posts.append(
            records.Post(
                source_id=source_id,
                title=title,
                body_html=self.body(entry),
                kind="page" if kind == "page" else "post",
                slug=slug,
                status=status,
                published_at=published_at,
                updated_at=self.date(entry, "updated"),
                author_source_id=author.source_id if author else "",
                language=language,
                term_source_ids=term_ids,
                featured_image_url=clean(thumbnail.get("url")) if thumbnail is not None else "",
                old_urls=old_urls,
            )
        )
        self.posts_by_number[_number(source_id)] = source_id

    def comment(self, entry) -> None:
        source_id = child_text(entry, "id")
        reply_to = child(entry, "in-reply-to")
        post_ref = reply_to.get("ref", "") if reply_to is not None else child_text(entry, "parent")
        post_source_id = self.posts_by_number.get(_number(post_ref))
        if not post_source_id:
            self.export.skipped.append(
                records.Problem(
                    what=_("comment %(id)s") % {"id": _number(source_id)},
                    reason=_("Its post is not in the file (deleted or in the trash)."),
                )
            )
            return
        parent_number = child_text(entry, "inReplyTo")
        for link in children(entry, "link"):
            if link.get("rel") == "related":
                parent_number = link.get("href") or ""
        author = self.author(entry)
        status = {
            "": "approved",
            "LIVE": "approved",
            "PENDING": "pending",
            "DRAFT": "pending",
            "SPAM": "spam",
        }.get(child_text(entry, "status").upper(), "trash")
        comment = records.Comment(
            source_id=source_id,
            post_source_id=post_source_id,
            body_html=self.body(entry),
            author_name=author.name if author else "",
            author_email=author.email if author else "",
            author_url=child_text(child(entry, "author"), "uri"),
            created_at=self.date(entry, "published"),
            status=status,
        )
        self.export.comments.append(comment)
        self.comments_by_number[_number(source_id)] = comment
        if _number(parent_number):
            self.parents[source_id] = _number(parent_number)

    def thread(self) -> None:
        """Link each reply to the comment it answers, once all are known (any order in the file)."""
        for comment in self.export.comments:
            number = self.parents.get(comment.source_id)
            parent = self.comments_by_number.get(number) if number else None
            if parent is not None and parent is not comment:
                comment.parent_source_id = parent.source_id
