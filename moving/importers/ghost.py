"""Ghost's JSON export (Settings → Advanced → Import/Export), versions 1 to 6, and Ghost's members
CSV (Members → Export).

Bodies are the `html` Ghost rendered; a post without it is rendered here from its `lexical` or
`mobiledoc` source (the usual cards only), with a warning. Times are UTC in the file and given in
the site's time zone. Images are at `__GHOST_URL__/content/images/…`: the export does not hold the
site's address, so they become `/content/images/…` with one warning unless a `url` setting names
it. Posts were at `/<slug>/` (Ghost's default permalink, pages too).

Choices: posts for members are published (anyone may subscribe here), posts for paying members
are kept private and e-mail-only posts ("sent") are private with no old address, each with a
warning; internal tags (`#…`) are left out.
"""

import html
import json
import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import markdown
from django.utils.translation import gettext

from moving import records
from moving.importers import ImportRefused
from moving.importers._csvfile import (
    csv_read,
    email_clean,
    header_of,
    text_fix,
    utc_parse,
    yes,
)

GHOST_URL = "__GHOST_URL__"
MEMBERS_CSV_HEADER = {"email", "subscribed_to_emails"}
STATUSES = {"published": "published", "draft": "draft", "scheduled": "scheduled"}


def detect(head: bytes) -> bool:
    if head.startswith(b"ZIP\n"):
        return False
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"{"):
        return (
            b'"meta"' in head
            and b'"exported_on"' in head
            and b'"version"' in head
            and (b'"db"' in head or b'"data"' in head)
        )
    header = set(header_of(head))
    return MEMBERS_CSV_HEADER <= header


def read(data: bytes, *, files: dict[str, bytes] | None = None) -> records.Export:
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return members_csv_read(data)
    export = records.Export(platform="ghost")
    try:
        document = json.loads(data.decode("utf-8", "surrogateescape").lstrip("\ufeff"))
    except (ValueError, RecursionError) as error:
        raise ImportRefused(gettext("This is not a readable Ghost export (JSON).")) from error
    if isinstance(document, dict) and isinstance(document.get("db"), list) and document["db"]:
        document = document["db"][0]
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise ImportRefused(gettext("This JSON file is not a Ghost export."))
    tables = {key: value for key, value in document["data"].items() if isinstance(value, list)}
    Reader(tables, export).read()
    return export


def table(tables: dict, name: str) -> list[dict]:
    return [row for row in tables.get(name, []) if isinstance(row, dict)]


class Reader:
    def __init__(self, tables: dict, export: records.Export):
        self.tables = tables
        self.export = export
        self.settings = {
            row.get("key"): row.get("value") for row in table(tables, "settings") if row.get("key")
        }
        self.zone = ZoneInfo("UTC")
        self.unresolved_urls = 0

    def text(self, value, *, what: str) -> str:
        if value is None:
            return ""
        return text_fix(str(value), what=what, warnings=self.export.warnings).strip()

    def time(self, value) -> datetime | None:
        parsed = utc_parse(str(value)) if value else None
        return parsed.astimezone(self.zone) if parsed else None

    def url(self, value: str) -> str:
        """Ghost's placeholder for its own address → the site URL, or a path when unknown."""
        if GHOST_URL not in value:
            return value
        if not self.export.site_url:
            self.unresolved_urls += value.count(GHOST_URL)
        return value.replace(GHOST_URL, self.export.site_url)

    def read(self) -> None:
        export = self.export
        settings_what = gettext("settings")
        export.site_title = self.text(self.settings.get("title"), what=settings_what)
        export.site_url = self.text(self.settings.get("url"), what=settings_what).rstrip("/")
        export.language = language_of(self.settings.get("locale") or self.settings.get("lang"))
        zone = self.settings.get("timezone") or self.settings.get("active_timezone")
        if zone:
            try:
                self.zone = ZoneInfo(str(zone))
            except (ZoneInfoNotFoundError, ValueError):
                export.warnings.append(
                    records.Problem(
                        what=settings_what,
                        reason=gettext("Unknown time zone “%(zone)s”: times are given in UTC.")
                        % {"zone": zone},
                    )
                )
        self.authors_read()
        self.terms_read()
        self.posts_read()
        self.members_read()
        if self.unresolved_urls:
            export.warnings.append(
                records.Problem(
                    what=settings_what,
                    reason=gettext(
                        "The export does not say the old site’s address: %(count)d links and "
                        "images to it were left as paths (/content/images/…)."
                    )
                    % {"count": self.unresolved_urls},
                )
            )

    def authors_read(self) -> None:
        for user in table(self.tables, "users"):
            what = gettext("author %(id)s") % {"id": user.get("id")}
            self.export.authors.append(
                records.Author(
                    source_id=str(user.get("id", "")),
                    name=self.text(user.get("name"), what=what) or str(user.get("slug") or ""),
                    email=self.text(user.get("email"), what=what),
                )
            )

    def terms_read(self) -> None:
        self.internal_tags = set()
        for tag in table(self.tables, "tags"):
            what = gettext("tag %(id)s") % {"id": tag.get("id")}
            name = self.text(tag.get("name"), what=what)
            if name.startswith("#") or tag.get("visibility") == "internal":
                self.internal_tags.add(str(tag.get("id")))
                continue
            self.export.terms.append(
                records.Term(
                    source_id=str(tag.get("id", "")),
                    name=name,
                    slug=str(tag.get("slug") or ""),
                    description=self.text(tag.get("description"), what=what),
                )
            )

    def posts_read(self) -> None:
        export = self.export
        links = {"tags": {}, "authors": {}}
        for relation, column, key in (
            ("posts_tags", "tag_id", "tags"),
            ("posts_authors", "author_id", "authors"),
        ):
            rows = sorted(table(self.tables, relation), key=lambda row: row.get("sort_order") or 0)
            for row in rows:
                links[key].setdefault(str(row.get("post_id")), []).append(str(row.get(column)))
        metas = {str(row.get("post_id")): row for row in table(self.tables, "posts_meta")}
        permalink = str(self.settings.get("permalinks") or "/:slug/")
        for post in table(self.tables, "posts"):
            source_id = str(post.get("id", ""))
            kind = "page" if post.get("type") == "page" or post.get("page") in (1, True) else "post"
            what = (gettext("page %(id)s") if kind == "page" else gettext("post %(id)s")) % {
                "id": post.get("slug") or source_id
            }
            meta = {**post, **{k: v for k, v in metas.get(source_id, {}).items() if v}}
            status = STATUSES.get(str(post.get("status")), "")
            slug = str(post.get("slug") or "")
            email_only = post.get("status") == "sent" or meta.get("email_only") in (1, True)
            if email_only:
                status = "private"
                export.warnings.append(
                    records.Problem(
                        what=what,
                        reason=gettext(
                            "Sent by e-mail only, never on the old site: imported as private."
                        ),
                    )
                )
            elif not status:
                export.warnings.append(
                    records.Problem(
                        what=what,
                        reason=gettext("Unknown status “%(status)s”: imported as a draft.")
                        % {"status": post.get("status")},
                    )
                )
                status = "draft"
            visibility = str(post.get("visibility") or "public")
            if visibility in {"paid", "tiers"} and status == "published":
                status = "private"
                export.warnings.append(
                    records.Problem(
                        what=what,
                        reason=gettext(
                            "For paying members only on Ghost: imported as private; publish it to "
                            "make it public."
                        ),
                    )
                )
            elif visibility == "members":
                export.warnings.append(
                    records.Problem(
                        what=what,
                        reason=gettext("For members only on Ghost: imported for everyone to read."),
                    )
                )
            published_at = self.time(post.get("published_at"))
            old_urls = []
            if status in {"published", "private"} and not email_only and slug:
                old_urls.append(
                    permalink_path(
                        permalink if kind == "post" else "/:slug/",
                        slug=slug,
                        published_at=published_at,
                    )
                )
            author_ids = links["authors"].get(source_id) or [str(post.get("author_id") or "")]
            export.posts.append(
                records.Post(
                    source_id=source_id,
                    title=self.text(post.get("title"), what=what),
                    body_html=self.url(self.body(post, what=what)),
                    kind=kind,
                    slug=slug,
                    excerpt=self.text(post.get("custom_excerpt"), what=what),
                    status=status,
                    published_at=published_at,
                    updated_at=self.time(post.get("updated_at")),
                    author_source_id=author_ids[0] if author_ids[0] != "None" else "",
                    language=language_of(post.get("locale")) or export.language,
                    term_source_ids=[
                        tag
                        for tag in links["tags"].get(source_id, [])
                        if tag not in self.internal_tags
                    ],
                    seo_title=self.text(meta.get("meta_title"), what=what),
                    seo_description=self.text(meta.get("meta_description"), what=what),
                    featured_image_url=self.url(self.text(post.get("feature_image"), what=what)),
                    featured_image_alt=self.text(meta.get("feature_image_alt"), what=what),
                    old_urls=old_urls,
                )
            )

    def body(self, post: dict, *, what: str) -> str:
        if post.get("html"):
            return self.text(post["html"], what=what)
        for source, render in (("lexical", lexical_render), ("mobiledoc", mobiledoc_render)):
            if not post.get(source):
                continue
            try:
                rendered = render(json.loads(post[source]))
            except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
                continue
            self.export.warnings.append(
                records.Problem(
                    what=what,
                    reason=gettext(
                        "No HTML in the export: the body was rendered from Ghost’s %(source)s "
                        "source (the usual cards only); check it."
                    )
                    % {"source": source},
                )
            )
            return self.text(rendered, what=what)
        plaintext = self.text(post.get("plaintext"), what=what)
        if plaintext:
            self.export.warnings.append(
                records.Problem(
                    what=what,
                    reason=gettext(
                        "No HTML in the export: the body was taken from its plain text."
                    ),
                )
            )
            return "".join(
                f"<p>{html.escape(part.strip())}</p>" for part in plaintext.split("\n\n") if part
            )
        return ""

    def members_read(self) -> None:
        members = table(self.tables, "members")
        if not members:
            return
        subscribed_ids = {
            str(row.get("member_id")) for row in table(self.tables, "members_newsletters")
        }
        has_newsletters = "members_newsletters" in self.tables
        for member in members:
            what = gettext("member %(id)s") % {"id": member.get("id")}
            email = email_clean(str(member.get("email") or ""))
            if not email:
                self.export.skipped.append(
                    records.Problem(what=what, reason=gettext("No valid e-mail address."))
                )
                continue
            if "subscribed" in member:
                subscribed = member["subscribed"] in (1, True, "true")
            elif has_newsletters:
                subscribed = str(member.get("id")) in subscribed_ids
            else:
                subscribed = True
            if member.get("email_disabled") in (1, True):
                subscribed = False
            self.export.subscribers.append(
                records.Subscriber(
                    email=email,
                    status="subscribed" if subscribed else "unsubscribed",
                    source_id=str(member.get("id") or ""),
                    name=self.text(member.get("name"), what=what),
                    opted_in_at=self.time(member.get("created_at")),
                )
            )


def members_csv_read(data: bytes) -> records.Export:
    """Ghost's members CSV: `id,email,name,note,subscribed_to_emails,…,created_at,…`."""
    export = records.Export(platform="ghost")
    header, rows = csv_read(data, warnings=export.warnings)
    if "email" not in header:
        raise ImportRefused(gettext("This CSV file has no “email” column."))
    for line, row in rows:
        what = gettext("line %(number)d") % {"number": line}
        email = email_clean(row.get("email", ""))
        if not email:
            export.skipped.append(
                records.Problem(what=what, reason=gettext("No valid e-mail address."))
            )
            continue
        if row.get("deleted_at"):
            export.skipped.append(
                records.Problem(what=what, reason=gettext("Deleted member: left out."))
            )
            continue
        subscribed = yes(row.get("subscribed_to_emails", "true"))
        export.subscribers.append(
            records.Subscriber(
                email=email,
                status="subscribed" if subscribed else "unsubscribed",
                source_id=row.get("id", ""),
                name=row.get("name", ""),
                opted_in_at=utc_parse(row.get("created_at", "")),
            )
        )
    return export


def language_of(locale) -> str:
    """A Ghost locale ("fr", "en-GB", "pt_BR") → its language ("fr", "en", "pt")."""
    if not locale:
        return ""
    return str(locale).replace("_", "-").split("-")[0].strip().lower()[:8]


def permalink_path(pattern: str, *, slug: str, published_at: datetime | None) -> str:
    """Ghost's permalink setting ("/:slug/", "/:year/:month/:day/:slug/") for one post."""
    path = pattern.replace(":slug", slug)
    if published_at:
        path = (
            path.replace(":year", f"{published_at.year:04d}")
            .replace(":month", f"{published_at.month:02d}")
            .replace(":day", f"{published_at.day:02d}")
        )
    if ":" in path:  # an unknown placeholder: Ghost's default instead
        path = f"/{slug}/"
    return unicodedata.normalize("NFC", path)


# Rendering Ghost's editor sources, for posts exported without HTML ---------------------------

LEXICAL_FORMATS = (
    (16, "code"), (1, "strong"), (2, "em"), (4, "s"), (8, "u"), (32, "sub"), (64, "sup"),
)  # fmt: skip


def lexical_render(document: dict) -> str:
    return "".join(lexical_node(child) for child in document["root"].get("children", []))


def lexical_children(node: dict) -> str:
    return "".join(lexical_node(child) for child in node.get("children", []))


def lexical_node(node: dict) -> str:
    kind = node.get("type")
    if kind in {"text", "extended-text"}:
        text = html.escape(node.get("text", ""))
        for bit, tag in LEXICAL_FORMATS:
            if node.get("format", 0) & bit:
                text = f"<{tag}>{text}</{tag}>"
        return text
    if kind == "linebreak":
        return "<br>"
    if kind in {"link", "autolink"}:
        return f'<a href="{html.escape(node.get("url", ""))}">{lexical_children(node)}</a>'
    if kind == "paragraph":
        return f"<p>{lexical_children(node)}</p>"
    if kind in {"heading", "extended-heading"}:
        tag = node.get("tag", "h2") if re.fullmatch(r"h[1-6]", node.get("tag", "")) else "h2"
        return f"<{tag}>{lexical_children(node)}</{tag}>"
    if kind in {"quote", "extended-quote", "aside"}:
        return f"<blockquote>{lexical_children(node)}</blockquote>"
    if kind == "list":
        tag = "ol" if node.get("listType") == "number" else "ul"
        return f"<{tag}>{lexical_children(node)}</{tag}>"
    if kind == "listitem":
        return f"<li>{lexical_children(node)}</li>"
    if kind == "horizontalrule":
        return "<hr>"
    if kind == "markdown":
        return markdown.markdown(node.get("markdown", ""), extensions=["extra", "sane_lists"])
    if kind in {"html", "embed"}:
        return node.get("html", "")
    if kind == "codeblock":
        return f"<pre><code>{html.escape(node.get('code', ''))}</code></pre>"
    if kind == "image":
        return figure(node.get("src", ""), node.get("alt", ""), node.get("caption", ""))
    if kind == "bookmark":
        url = html.escape(node.get("url", ""))
        title = html.escape((node.get("metadata") or {}).get("title") or node.get("url", ""))
        return f'<p><a href="{url}">{title}</a></p>'
    if kind == "callout":
        return f"<blockquote>{node.get('calloutText', '')}</blockquote>"
    return lexical_children(node)


def figure(src: str, alt: str, caption: str) -> str:
    image = f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">'
    if caption:
        return f"<figure>{image}<figcaption>{caption}</figcaption></figure>"
    return f"<figure>{image}</figure>"


def mobiledoc_render(document: dict) -> str:
    markups = document.get("markups", [])
    atoms = document.get("atoms", [])
    cards = document.get("cards", [])

    def markers_render(markers: list) -> str:
        out, open_tags = [], []
        for marker in markers:
            kind, opened, closed, value = marker[:4]
            for index in opened:
                tag, *attributes = markups[index]
                pairs = attributes[0] if attributes else []
                attrs = "".join(
                    f' {html.escape(name)}="{html.escape(str(val))}"'
                    for name, val in zip(pairs[::2], pairs[1::2], strict=False)
                    if name in {"href", "title"}
                )
                out.append(f"<{tag}{attrs}>")
                open_tags.append(tag)
            out.append(html.escape(value if kind == 0 else str(atoms[value][1])))
            for _ in range(closed):
                out.append(f"</{open_tags.pop()}>")
        out.extend(f"</{tag}>" for tag in reversed(open_tags))
        return "".join(out)

    parts = []
    for section in document.get("sections", []):
        if section[0] == 1:
            tag = section[1].lower()
            parts.append(f"<{tag}>{markers_render(section[2])}</{tag}>")
        elif section[0] == 3:
            tag = section[1].lower()
            items = "".join(f"<li>{markers_render(item)}</li>" for item in section[2])
            parts.append(f"<{tag}>{items}</{tag}>")
        elif section[0] == 2:
            parts.append(figure(section[1], "", ""))
        elif section[0] == 10:
            name, payload = cards[section[1]]
            if name in {"markdown", "card-markdown"}:
                text = payload.get("markdown", "")
                parts.append(markdown.markdown(text, extensions=["extra", "sane_lists"]))
            elif name in {"html", "embed"}:
                parts.append(payload.get("html", ""))
            elif name == "image":
                parts.append(
                    figure(
                        payload.get("src", ""), payload.get("alt", ""), payload.get("caption", "")
                    )
                )
            elif name == "hr":
                parts.append("<hr>")
            elif name == "code":
                parts.append(f"<pre><code>{html.escape(payload.get('code', ''))}</code></pre>")
    return "".join(parts)
