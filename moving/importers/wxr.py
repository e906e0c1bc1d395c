"""WordPress's export (WXR, "WordPress eXtended RSS", versions 1.0 to 1.2) read into `moving.records`.

Get it from the old site's Tools › Export › All content. The file is RSS 2.0 with the
`http://wordpress.org/export/1.x/` namespace: a channel (site title, address, language, authors,
categories and tags) and one `<item>` per post, page, attachment, menu entry, revision…

Bodies are rendered the way WordPress displays them: Gutenberg block comments dropped (their HTML
kept), `[caption]`, `[gallery]`, `[embed]`, `[audio]` and `[video]` shortcodes turned into HTML,
and, for classic (non-block) content, `wpautop` (blank lines → paragraphs, newlines → `<br />`).

Parsing goes through defusedxml, which refuses entity expansion and external entities.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from moving import records
from moving.importers import ImportRefused

if TYPE_CHECKING:  # the type only: every parse goes through defusedxml
    from xml.etree.ElementTree import Element  # nosec B405

WXR_NAMESPACE = re.compile(rb"https?://wordpress\.org/export/1\.[012]/")
_WP_NS = re.compile(r"^https?://wordpress\.org/export/1\.[012]/$")
_EXCERPT_NS = re.compile(r"^https?://wordpress\.org/export/1\.[012]/excerpt/$")
_NAMESPACES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://wellformedweb.org/CommentAPI/": "wfw",
}
_ZERO_DATE = "0000-00-00 00:00:00"

STATUSES = {
    "publish": "published",
    "future": "scheduled",
    "private": "private",
    "draft": "draft",
    "pending": "draft",
    "auto-draft": "draft",
}
COMMENT_STATUSES = {"1": "approved", "0": "pending", "spam": "spam", "trash": "trash"}
COMMENT_KINDS = {"pingback": "pingback", "trackback": "trackback"}


def detect(head: bytes) -> bool:
    """An RSS document carrying WordPress's export namespace (WXR 1.0, 1.1 or 1.2)."""
    return b"<rss" in head and WXR_NAMESPACE.search(head) is not None


def read(data: bytes, *, files: dict[str, bytes] | None = None) -> records.Export:
    root, decoder, mended = _parse(data)
    channel = _child(root, "channel")
    if root.tag != "rss" or channel is None:
        raise ImportRefused(_("This file is not a WordPress export: it has no RSS channel."))
    export = _Reader(channel, decoder).read()
    if mended:
        export.warnings.insert(
            0,
            records.Problem(
                what=_("the file"),
                reason=_(
                    "It was not well-formed XML (%(error)s): stray “&” signs, HTML entities or "
                    "control characters were repaired before reading it."
                )
                % {"error": mended},
            ),
        )
    return export


# Parsing ---------------------------------------------------------------------------------------


class _Decoder:
    """Texts as read: UTF-8 (NFC); for a file that is not UTF-8, each field decoded on its own,
    as UTF-8 when its bytes allow it, else as Windows-1252 with a warning."""

    def __init__(self, *, bytewise: bool):
        self.bytewise = bytewise
        self.fallbacks: set[str] = set()
        self.current = ""

    def __call__(self, text: str | None) -> str:
        if not text:
            return ""
        if self.bytewise:
            text = self._redecode(text)
        return unicodedata.normalize("NFC", text)

    def _redecode(self, text: str) -> str:
        # The file was parsed as Latin-1, so each character below 256 is one byte of the file;
        # characters above came from numeric character references and are kept as they are.
        runs = re.split(r"([\u0100-\U0010ffff]+)", text)
        try:
            return "".join(
                run if index % 2 else run.encode("latin-1").decode("utf-8")
                for index, run in enumerate(runs)
            )
        except UnicodeDecodeError:
            self.fallbacks.add(self.current)
            return "".join(
                run if index % 2 else _cp1252(run.encode("latin-1"))
                for index, run in enumerate(runs)
            )


def _cp1252(raw: bytes) -> str:
    # The five bytes Windows-1252 leaves undefined are read as Latin-1 (C1 controls), as browsers do.
    return "".join(
        raw[i : i + 1].decode("cp1252", errors="strict")
        if raw[i] not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
        else chr(raw[i])
        for i in range(len(raw))
    )


_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z][\w.-]*|#\d+|#x[0-9A-Fa-f]+);)")
_NAMED_ENTITY = re.compile(r"&([A-Za-z][\w.-]*);")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


def _parse(data: bytes) -> tuple[Element, _Decoder, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    declared = _DECLARED_ENCODING.match(data)
    declared_name = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    source: bytes | str = data
    decoder = _Decoder(bytewise=False)
    mended = ""
    if declared_name.replace("_", "-") in ("utf-8", "utf8"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            source = data.decode("latin-1")
            decoder = _Decoder(bytewise=True)
    try:
        root = _fromstring(source)
    except ParseError as error:
        # Exports written by plugins or edited by hand often carry bare "&" in URLs, HTML
        # entities (&nbsp;) or control characters: mend those, outside CDATA sections, and retry.
        text = source if isinstance(source, str) else _as_text(source, declared_name, decoder)
        try:
            root = _fromstring(_mend(text))
            mended = str(error)
        except ParseError:
            raise ImportRefused(
                _("This file is not well-formed XML (%(error)s), so it cannot be read.")
                % {"error": error}
            ) from error
    return _rename_namespaces(root), decoder, mended


def _as_text(data: bytes, encoding: str, decoder: _Decoder) -> str:
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        decoder.bytewise = True
        return data.decode("latin-1")


def _fromstring(source: bytes | str) -> Element:
    try:
        return DefusedET.fromstring(source, forbid_dtd=False)
    except DefusedXmlException as error:
        raise ImportRefused(
            _(
                "This file declares XML entities or refers to outside files (%(what)s). "
                "A WordPress export never does; it was refused to protect the server."
            )
            % {"what": type(error).__name__}
        ) from error


def _mend(text: str) -> str:
    parts = re.split(r"(<!\[CDATA\[.*?\]\]>)", text, flags=re.S)
    for index in range(0, len(parts), 2):
        part = _INVALID_XML_CHARS.sub("", parts[index])
        part = _NAMED_ENTITY.sub(_numeric_entity, part)
        parts[index] = _BARE_AMPERSAND.sub("&amp;", part)
    return "".join(parts)


def _numeric_entity(match: re.Match) -> str:
    name = match.group(1)
    if name in _XML_ENTITIES:
        return match.group(0)
    character = html.unescape(match.group(0))
    if character == match.group(0):
        return "&amp;" + match.group(0)[1:]
    return "".join(f"&#{ord(c)};" for c in character)


def _rename_namespaces(root: Element) -> Element:
    """`{http://wordpress.org/export/1.2/}post_id` → `wp:post_id`, whatever the WXR version."""
    prefixes: dict[str, str] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith("{"):
            continue
        uri, local = element.tag[1:].split("}", 1)
        if uri not in prefixes:
            if _WP_NS.match(uri):
                prefixes[uri] = "wp"
            elif _EXCERPT_NS.match(uri):
                prefixes[uri] = "excerpt"
            else:
                prefixes[uri] = _NAMESPACES.get(uri, uri)
        element.tag = f"{prefixes[uri]}:{local}"
    return root


def _child(element: Element, tag: str) -> Element | None:
    for child in element:
        if child.tag == tag:
            return child
    return None


def _children(element: Element, tag: str) -> list[Element]:
    return [child for child in element if child.tag == tag]


# Reading ---------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, channel: Element, decoder: _Decoder):
        self.channel = channel
        self.text_of = decoder
        self.decoder = decoder
        self.export = records.Export(platform="wxr")
        self.terms: dict[tuple[str, str], records.Term] = {}
        self.attachments: dict[str, records.Attachment] = {}
        self.attachment_parents: dict[str, list[str]] = {}
        self.post_ids: set[str] = set()
        self.warnings: dict[str, list[str]] = {}
        self.offset: timedelta | None = None

    def text(self, element: Element, tag: str) -> str:
        child = _child(element, tag)
        return self.text_of(child.text if child is not None else "").strip()

    def raw(self, element: Element, tag: str) -> str:
        """Like `text`, without stripping: bodies keep their newlines for wpautop."""
        child = _child(element, tag)
        return self.text_of(child.text if child is not None else "")

    def warn(self, what: str, reason: str) -> None:
        self.warnings.setdefault(what, [])
        if reason not in self.warnings[what]:
            self.warnings[what].append(reason)

    def read(self) -> records.Export:
        export = self.export
        channel = self.channel
        export.site_title = self.text(channel, "title")
        export.site_url = self.text(channel, "link") or self.text(channel, "wp:base_blog_url")
        export.language = _language(self.text(channel, "language"))
        items = _children(channel, "item")
        self.offset = self._blog_offset(items)
        self.decoder.current = _("the site")
        self._read_authors()
        self._read_terms()
        for item in items:
            if self.text(item, "wp:post_type") == "attachment":
                self.decoder.current = _("attachment %(id)s") % {
                    "id": self.text(item, "wp:post_id")
                }
                self._read_attachment(item)
        skipped: Counter[str] = Counter()
        for item in items:
            self.decoder.current = _("item %(id)s") % {"id": self.text(item, "wp:post_id")}
            kind = self.text(item, "wp:post_type") or "post"
            if kind == "attachment":
                continue
            if kind not in ("post", "page"):
                skipped[kind] += 1
                continue
            if self.text(item, "wp:status") == "trash":
                skipped["trash"] += 1
                continue
            self._read_post(item, kind)
        self._report_skipped(skipped)
        for what in sorted(self.decoder.fallbacks):
            self.warn(what, _("Text that was not valid UTF-8 was read as Windows-1252."))
        export.warnings.extend(
            records.Problem(what=what, reason=" ".join(reasons))
            for what, reasons in self.warnings.items()
        )
        return export

    # The channel ---------------------------------------------------------------------------

    def _blog_offset(self, items: list[Element]) -> timedelta | None:
        """The blog's UTC offset, which the export does not state: the most frequent difference
        between local and GMT dates of the items that have both."""
        offsets: Counter[timedelta] = Counter()
        for item in items:
            local = _naive(self.text(item, "wp:post_date"))
            gmt = _naive(self.text(item, "wp:post_date_gmt"))
            if local and gmt:
                offsets[_round_offset(local - gmt)] += 1
        return offsets.most_common(1)[0][0] if offsets else None

    def _read_authors(self) -> None:
        for author in _children(self.channel, "wp:author"):
            login = self.text(author, "wp:author_login")
            if not login:
                continue
            full_name = " ".join(
                part
                for part in (
                    self.text(author, "wp:author_first_name"),
                    self.text(author, "wp:author_last_name"),
                )
                if part
            )
            self.export.authors.append(
                records.Author(
                    source_id=login,
                    name=self.text(author, "wp:author_display_name") or full_name or login,
                    email=self.text(author, "wp:author_email"),
                )
            )

    def _read_terms(self) -> None:
        for element in _children(self.channel, "wp:category"):
            self._term(
                "category",
                term_id=self.text(element, "wp:term_id"),
                nicename=self.text(element, "wp:category_nicename"),
                name=self.text(element, "wp:cat_name"),
                description=self.text(element, "wp:category_description"),
            )
        for element in _children(self.channel, "wp:tag"):
            self._term(
                "tag",
                term_id=self.text(element, "wp:term_id"),
                nicename=self.text(element, "wp:tag_slug"),
                name=self.text(element, "wp:tag_name"),
                description=self.text(element, "wp:tag_description"),
            )

    def _term(
        self, kind: str, *, term_id: str = "", nicename: str, name: str, description: str = ""
    ) -> records.Term | None:
        slug = slugify(unquote(nicename or name), allow_unicode=True)
        if not slug:
            return None
        keys = [(kind, slug), (kind, name.casefold())]
        for key in keys:
            if key in self.terms:
                return self.terms[key]
        term = records.Term(
            # WordPress's term ids are shared by all taxonomies; a slug alone is not, so it is
            # prefixed with the kind (a category and a tag may share one).
            source_id=term_id or f"{kind}:{slug}",
            name=name or slug,
            slug=slug,
            kind=kind,
            description=description,
        )
        for key in keys:
            self.terms[key] = term
        self.export.terms.append(term)
        return term

    # Items -----------------------------------------------------------------------------------

    def _meta(self, item: Element) -> dict[str, str]:
        return {
            self.text(meta, "wp:meta_key"): self.text(meta, "wp:meta_value")
            for meta in _children(item, "wp:postmeta")
        }

    def _read_attachment(self, item: Element) -> None:
        source_id = self.text(item, "wp:post_id")
        url = self.text(item, "wp:attachment_url") or self.text(item, "guid")
        if not source_id or not url:
            return
        meta = self._meta(item)
        attachment = records.Attachment(
            source_id=source_id,
            url=url,
            title=self.text(item, "title"),
            alt_text=meta.get("_wp_attachment_image_alt", ""),
            # WordPress keeps an attachment's caption in its excerpt (its content is a description).
            caption=self.text(item, "excerpt:encoded"),
        )
        self.attachments[source_id] = attachment
        parent = self.text(item, "wp:post_parent")
        if parent and parent != "0":
            self.attachment_parents.setdefault(parent, []).append(source_id)
        self.export.attachments.append(attachment)

    def _read_post(self, item: Element, kind: str) -> None:
        source_id = self.text(item, "wp:post_id")
        what = (_("page %(id)s") if kind == "page" else _("post %(id)s")) % {"id": source_id}
        title = self.text(item, "title")
        meta = self._meta(item)
        wp_status = self.text(item, "wp:status")
        status = STATUSES.get(wp_status, "draft")
        if self.text(item, "wp:post_password"):
            status = "private"
            self.warn(what, _("It was password-protected: it is imported as private."))
        slug = slugify(unquote(self.text(item, "wp:post_name")).replace(".", "-"), True)
        terms: list[str] = []
        co_authors = set()
        for category in _children(item, "category"):
            domain = category.get("domain", "")
            if domain == "author":
                co_authors.add(category.get("nicename", ""))
            if domain not in ("category", "post_tag"):
                continue
            term = self._term(
                "category" if domain == "category" else "tag",
                nicename=self.text_of(category.get("nicename", "")),
                name=self.text_of(category.text).strip(),
            )
            if term and term.source_id not in terms:
                terms.append(term.source_id)
        if len(co_authors) > 1:
            self.warn(what, _("It had several authors; only its main author is kept."))
        body = render(
            self.raw(item, "content:encoded"),
            attachments=self.attachments,
            children=self.attachment_parents.get(source_id, []),
            warn=lambda reason: self.warn(what, reason),
        )
        thumbnail = self.attachments.get(meta.get("_thumbnail_id", ""))
        post = records.Post(
            source_id=source_id,
            title=title,
            body_html=body,
            kind=kind,
            slug=slug or slugify(title, allow_unicode=True),
            excerpt=_plain(self.text(item, "excerpt:encoded")),
            status=status,
            published_at=self._date(item, "wp:post_date"),
            updated_at=self._date(item, "wp:post_modified"),
            author_source_id=self.text(item, "dc:creator"),
            language=self.export.language,
            term_source_ids=terms,
            seo_title=meta.get("_yoast_wpseo_title", ""),
            seo_description=meta.get("_yoast_wpseo_metadesc", ""),
            featured_image_url=thumbnail.url if thumbnail else "",
            featured_image_alt=thumbnail.alt_text if thumbnail else "",
            old_urls=self._old_urls(item, kind, source_id),
            comments_open=self.text(item, "wp:comment_status") != "closed",
        )
        if post.published_at is None:
            post.published_at = _pub_date(self.text(item, "pubDate"))
        self.export.posts.append(post)
        self.post_ids.add(source_id)
        for comment in _children(item, "wp:comment"):
            self._read_comment(comment, source_id)

    def _date(self, item: Element, field: str) -> datetime | None:
        """`wp:post_date_gmt` is the instant; `wp:post_date` gives the blog's local time. The
        result carries the item's own offset when both are known (it follows summer time)."""
        local = _naive(self.text(item, field))
        gmt = _naive(self.text(item, f"{field}_gmt"))
        if gmt and local:
            return local.replace(tzinfo=timezone(_round_offset(local - gmt)))
        if gmt:
            return gmt.replace(tzinfo=UTC)
        if local:
            return local.replace(tzinfo=timezone(self.offset) if self.offset is not None else UTC)
        return None

    def _old_urls(self, item: Element, kind: str, source_id: str) -> list[str]:
        urls: list[str] = []

        def add(url: str) -> None:
            if url and url not in urls:
                urls.append(url)

        add(_path(self.text(item, "link")))
        home = urlsplit(self.export.site_url).path.rstrip("/") + "/"
        if source_id:
            add(f"{home}?{'page_id' if kind == 'page' else 'p'}={source_id}")
        guid = _path(self.text(item, "guid"))
        if re.search(r"\?(p|page_id)=\d+$", guid):
            add(guid)
        return urls

    def _read_comment(self, element: Element, post_source_id: str) -> None:
        source_id = self.text(element, "wp:comment_id")
        local = _naive(self.text(element, "wp:comment_date"))
        gmt = _naive(self.text(element, "wp:comment_date_gmt"))
        if gmt and local:
            created = local.replace(tzinfo=timezone(_round_offset(local - gmt)))
        elif gmt:
            created = gmt.replace(tzinfo=UTC)
        elif local:
            created = local.replace(tzinfo=timezone(self.offset or timedelta()))
        else:
            created = None
        parent = self.text(element, "wp:comment_parent")
        self.export.comments.append(
            records.Comment(
                source_id=source_id,
                post_source_id=post_source_id,
                body_html=wpautop(self.raw(element, "wp:comment_content")).strip(),
                author_name=self.text(element, "wp:comment_author"),
                author_email=self.text(element, "wp:comment_author_email"),
                author_url=self.text(element, "wp:comment_author_url"),
                author_ip=self.text(element, "wp:comment_author_IP"),
                created_at=created,
                status=COMMENT_STATUSES.get(self.text(element, "wp:comment_approved"), "pending"),
                kind=COMMENT_KINDS.get(self.text(element, "wp:comment_type"), "comment"),
                parent_source_id="" if parent in ("", "0") else parent,
            )
        )

    def _report_skipped(self, skipped: Counter[str]) -> None:
        reasons = {
            "trash": _("They were in WordPress's trash."),
            "revision": _("Earlier versions are not imported; the latest one is."),
            "nav_menu_item": _("Menus are not imported: set up the site's menu again."),
        }
        for kind, count in sorted(skipped.items()):
            what = (
                ngettext("%(count)d item in the trash", "%(count)d items in the trash", count)
                if kind == "trash"
                else ngettext(
                    "%(count)d item of type “%(type)s”", "%(count)d items of type “%(type)s”", count
                )
            ) % {"count": count, "type": kind}
            reason = reasons.get(
                kind, _("Chez Soi has no equivalent of this WordPress content type.")
            )
            self.export.skipped.append(records.Problem(what=what, reason=reason))


# Values --------------------------------------------------------------------------------------


def _language(code: str) -> str:
    """ "fr-FR" → "fr"."""
    return code.replace("_", "-").split("-")[0].lower()


def _naive(value: str) -> datetime | None:
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _pub_date(value: str) -> datetime | None:
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.year <= 1970 or moment.tzinfo is None:
        return None
    return moment


def _round_offset(difference: timedelta) -> timedelta:
    """Local minus GMT, to the quarter hour (the two dates may differ by a second), within ±18 h."""
    quarters = round(difference.total_seconds() / 900)
    return timedelta(seconds=max(-72, min(72, quarters)) * 900)


def _path(url: str) -> str:
    """`https://example.com/2019/05/radis/?x=1` → `/2019/05/radis/?x=1`."""
    if not url:
        return ""
    parts = urlsplit(url)
    path = parts.path or "/"
    if not path.startswith("/"):
        return ""
    return path + (f"?{parts.query}" if parts.query else "")


def _plain(excerpt_html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", excerpt_html)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


# Bodies --------------------------------------------------------------------------------------

_BLOCK_COMMENT = re.compile(r"<!--\s+/?wp:.*?-->", re.S)
_SHORTCODE = re.compile(
    r"\[(?P<name>caption|wp_caption|gallery|embed|audio|video|playlist)\b(?P<attrs>[^\]]*)\]"
    r"(?:(?P<inner>.*?)\[/(?P=name)\])?",
    re.S,
)
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))""")
_OTHER_SHORTCODE = re.compile(
    r"\[([a-z][\w-]*)(?:\s+[\w-]+=[^\]]*)?\][^\[]*\[/\1\]|\[([a-z][\w-]*)\s+[\w-]+=[^\]]*\]"
)
_BARE_URL_LINE = re.compile(r"^(\s*)(https?://[^\s<>\"']+)(\s*)$", re.M)
_MEDIA_EXTENSIONS = ("mp3", "m4a", "ogg", "wav", "wma", "mp4", "m4v", "webm", "ogv", "wmv", "flv")


def render(
    content: str,
    *,
    attachments: dict[str, records.Attachment] | None = None,
    children: list[str] | None = None,
    warn=lambda reason: None,
) -> str:
    """A WXR `content:encoded` as the old site displayed it."""
    attachments = attachments or {}
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    has_blocks = "<!-- wp:" in content
    content = _BLOCK_COMMENT.sub("", content)

    def shortcode(match: re.Match) -> str:
        name = match.group("name")
        attrs = _attributes(match.group("attrs"))
        inner = match.group("inner") or ""
        if name in ("caption", "wp_caption"):
            return _caption(attrs, inner)
        if name == "gallery":
            return _gallery(attrs, attachments, children or [], warn)
        url = _media_url(name, attrs, inner) or _positional_url(match.group("attrs"))
        if not url:
            warn(_("A [%(name)s] shortcode without an address was left as text.") % {"name": name})
            return match.group(0)
        return f"<p>{_link(url)}</p>"

    content = _SHORTCODE.sub(shortcode, content)
    others = sorted({m.group(1) or m.group(2) for m in _OTHER_SHORTCODE.finditer(content)})
    if others:
        warn(
            _("Shortcodes of plugins were left as text: %(names)s.")
            % {"names": ", ".join(f"[{name}]" for name in others)}
        )
    # A URL alone on its line was an oEmbed on the old site (a video, a tweet): a link here.
    content = _BARE_URL_LINE.sub(
        lambda m: f"{m.group(1)}{_link(m.group(2))}{m.group(3)}",
        content,
    )
    if not has_blocks:
        content = wpautop(content)
    return content.strip()


def _link(url: str) -> str:
    """A link showing its address; `url` may come from HTML already escaped (`&amp;`)."""
    url = html.escape(html.unescape(url))
    return f'<a href="{url}">{url}</a>'


def _attributes(text: str) -> dict[str, str]:
    return {
        m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in _ATTRIBUTE.finditer(text)
    }


def _caption(attrs: dict[str, str], inner: str) -> str:
    match = re.match(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", inner, re.S)
    if match:
        image, text = match.group(1), match.group(2).strip()
        if image.lstrip().startswith("<a") and not image.rstrip().endswith("</a>"):
            image += "</a>"  # a link left open would take the caption and the rest of the post
    else:
        image, text = inner.strip(), ""
    text = text or attrs.get("caption", "")
    classes = " ".join(
        c for c in ("wp-caption", attrs.get("align", "")) if re.fullmatch(r"[\w-]+", c)
    )
    caption = f"<figcaption>{text}</figcaption>" if text else ""
    return f'<figure class="{classes}">{image}{caption}</figure>'


def _gallery(attrs, attachments, children, warn) -> str:
    ids = attrs.get("ids") or attrs.get("include") or ""
    source_ids = [i.strip() for i in ids.split(",") if i.strip()] if ids else list(children)
    exclude = {i.strip() for i in attrs.get("exclude", "").split(",")}
    figures = []
    missing = 0
    for source_id in source_ids:
        if source_id in exclude:
            continue
        attachment = attachments.get(source_id)
        if attachment is None:
            missing += 1
            continue
        url = html.escape(attachment.url)
        alt = html.escape(attachment.alt_text)
        caption = (
            f"<figcaption>{html.escape(attachment.caption)}</figcaption>"
            if attachment.caption and attrs.get("link") != "none"
            else ""
        )
        image = f'<img src="{url}" alt="{alt}">'
        if attrs.get("link") != "none":
            image = f'<a href="{url}">{image}</a>'
        figures.append(f"<figure>{image}{caption}</figure>")
    if missing:
        warn(
            ngettext(
                "A gallery lists %(count)d image that is not in the export.",
                "A gallery lists %(count)d images that are not in the export.",
                missing,
            )
            % {"count": missing}
        )
    if not figures:
        return ""
    return f'<figure class="gallery">{"".join(figures)}</figure>'


def _positional_url(text: str) -> str:
    """`[audio https://example.com/a.mp3]`: WordPress.com accepts the address without a name."""
    match = re.match(r"\s*(https?://[^\s\]\"']+)", text)
    return match.group(1) if match else ""


def _media_url(name: str, attrs: dict[str, str], inner: str) -> str:
    inner = re.sub(r"<[^>]+>", "", inner).strip()
    if name == "embed":
        return inner if inner.startswith(("http://", "https://")) else ""
    for key in ("src", *_MEDIA_EXTENSIONS):
        if attrs.get(key, "").startswith(("http://", "https://", "/")):
            return attrs[key]
    return inner if inner.startswith(("http://", "https://")) else ""


# WordPress's wpautop (wp-includes/formatting.php), ported: blank lines make paragraphs, single
# newlines `<br />`, block-level tags are left alone.
_ALLBLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|"
    r"map|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|"
    r"header|footer|nav|figure|figcaption|details|menu|summary)"
)
_HTML_SPLIT = re.compile(r"(<!--.*?-->|<!\[CDATA\[.*?\]\]>|<[^>]*>)", re.S)


def wpautop(text: str, br: bool = True) -> str:
    if not text.strip():
        return ""
    text = text + "\n"
    pre_tags: dict[str, str] = {}
    if "<pre" in text:
        pieces = text.split("</pre>")
        last = pieces.pop()
        text = ""
        for index, piece in enumerate(pieces):
            start = piece.find("<pre")
            if start == -1:
                text += piece
                continue
            name = f"<pre wp-pre-tag-{index}></pre>"
            pre_tags[name] = piece[start:] + "</pre>"
            text += piece[:start] + name
        text += last
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = re.sub(r"(<" + _ALLBLOCKS + r"[\s/>])", r"\n\n\1", text)
    text = re.sub(r"(</" + _ALLBLOCKS + r">)", r"\1\n\n", text)
    text = re.sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        part.replace("\n", " <!-- wpnl --> ") if index % 2 else part
        for index, part in enumerate(_HTML_SPLIT.split(text))
    )
    if "<option" in text:
        text = re.sub(r"\s*<option", "<option", text)
        text = re.sub(r"</option>\s*", "</option>", text)
    if "</object>" in text:
        text = re.sub(r"(<object[^>]*>)\s*", r"\1", text)
        text = re.sub(r"\s*</object>", "</object>", text)
        text = re.sub(r"\s*(</?(?:param|embed)[^>]*>)\s*", r"\1", text)
    if "<source" in text or "<track" in text:
        text = re.sub(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", r"\1", text)
        text = re.sub(r"\s*([<\[]/(?:audio|video)[>\]])", r"\1", text)
        text = re.sub(r"\s*(<(?:source|track)[^>]*>)\s*", r"\1", text)
    if "<figcaption" in text:
        text = re.sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
        text = re.sub(r"</figcaption>\s*", "</figcaption>", text)
    text = re.sub(r"\n\n+", "\n\n", text)
    pieces = [piece for piece in re.split(r"\n\s*\n", text) if piece]
    text = "".join("<p>" + piece.strip("\n") + "</p>\n" for piece in pieces)
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = re.sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.I)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)", r"\1", text)
    text = re.sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    if br:
        text = re.sub(
            r"<(script|style|svg|math).*?</\1>",
            lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"),
            text,
            flags=re.S,
        )
        text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
        text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
        text = text.replace("<WPPreserveNewline />", "\n")
    text = re.sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*<br />", r"\1", text)
    text = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    for name, pre in pre_tags.items():
        text = text.replace(name, pre)
    if "<!-- wpnl -->" in text:
        text = text.replace(" <!-- wpnl --> ", "\n").replace("<!-- wpnl -->", "\n")
    return text
