"""Write what an importer read (`moving.records.Export`) into the site, and say what was done.

Every object made remembers where it came from (`ImportedObject`: platform, kind, source id), so
that running the same import again updates what it made instead of duplicating it.
"""

import html as html_module
import ipaddress
import logging
import os
import re
import tempfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import nh3
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from blog.models import RESERVED_SLUGS, Page, Post, Tag, slug_check_free
from comments.services import comment_import, post_comment_counts_refresh
from core.markdown import POST_ATTRIBUTES, POST_TAGS, URL_SCHEMES, plain_text
from moving import records
from moving.importers import ImportRefused
from moving.models import ImportedObject, ImportRun, Redirect
from newsletter.services.subscribers import subscriber_import_record

logger = logging.getLogger(__name__)

Kind = ImportedObject.Kind
COUNTED = (
    "posts", "pages", "drafts", "tags", "categories", "comments", "pingbacks", "media",
    "subscribers", "redirects",
)  # fmt: skip
BLOCK_TAG = re.compile(
    r"<(?:p|div|h[1-6]|ul|ol|blockquote|pre|table|figure|hr|dl|picture)\b", re.IGNORECASE
)
HREF = re.compile(r'(<a\s[^>]*?href=")([^"]*)(")', re.IGNORECASE)
COMMENT_STATUSES = {
    "approved": "approved",
    "pending": "pending",
    "spam": "spam",
    "trash": "removed",
}


class _RolledBack(Exception):
    """Raised at the end of a dry run, to undo everything it wrote."""


# The media library seam: moving/media.py downloads and stores images. Tests replace these two.
def media_fetch(url: str, *, alt_text: str, run: ImportRun, on_failure: Callable[[str], None]):
    """Return the library item made from the image at `url`, or None (the reason to `on_failure`)."""
    from moving import media

    return media.media_import(url, alt_text=alt_text, run=run, on_failure=on_failure)


def media_store(
    attachment: records.Attachment, *, run: ImportRun, on_failure: Callable[[str], None]
):
    """Return the library item made from a file the export carries, or None (why to `on_failure`)."""
    from moving import media

    return media.media_import_content(
        attachment.source_id,
        attachment.content,
        alt_text=attachment.alt_text,
        caption=attachment.caption,
        run=run,
        on_failure=on_failure,
    )


def media_rewrite(html: str, fetch: Callable) -> str:
    """Return `html` with its images downloaded through `fetch` and pointing at the library."""
    from moving import media

    return media.html_media_rewrite(html, fetch)


def media_available() -> bool:
    try:
        from moving import media  # noqa: F401
    except ImportError:
        return False
    return True


def export_write(*, export: records.Export, run: ImportRun, dry_run: bool = False) -> dict:
    """Write `export` into the site and return the report; a dry run writes nothing."""
    writer = _Writer(export=export, run=run, dry_run=dry_run)
    if not dry_run:
        writer.write()
        return writer.report
    try:
        with transaction.atomic():
            writer.write()
            raise _RolledBack
    except _RolledBack:
        pass
    return writer.report


def html_for_body(source: str) -> str:
    """Return a post's HTML sanitized as posts are, in paragraphs when it had no block tags."""
    cleaned = nh3.clean(
        source, tags=POST_TAGS, attributes=POST_ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=None
    ).strip()
    if cleaned and not BLOCK_TAG.search(cleaned):
        cleaned = _in_paragraphs(cleaned)
    elif cleaned:
        cleaned = _loose_text_in_paragraphs(cleaned)
    # Markdown leaves HTML blocks as they are when each one starts a line after a blank line.
    return re.sub(r">\s*\n?\s*<(?=(?:p|div|h[1-6]|ul|ol|blockquote|pre|table|figure|hr|dl)\b)",
                  ">\n\n<", cleaned)  # fmt: skip


def _in_paragraphs(text: str) -> str:
    """Put text without block tags in paragraphs (blank lines), keeping its line breaks."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    return "\n\n".join(
        "<p>" + paragraph.strip().replace("\n", "<br>\n") + "</p>"
        for paragraph in paragraphs
        if paragraph.strip()
    )


MARKDOWN_BLOCK = re.compile(r"<(/?)(p|div|h[1-6]|ul|ol|blockquote|pre|table|figure|hr|dl)\b", re.I)
VOID_TAG = re.compile(r"<(?:br|img|hr|source|wbr)\b", re.I)


def _loose_text_in_paragraphs(html: str) -> str:
    """Put in paragraphs the text left between blocks (Blogger's "text<br><ul>…"): Markdown would
    read it as Markdown, curling its quotes and taking its `*` and `_` as emphasis."""
    out: list[str] = []
    run: list[str] = []  # the loose text and inline elements since the last block
    depth = 0  # elements open, nh3's output being well formed

    def flush():
        loose = "".join(run)
        run.clear()
        has_block = MARKDOWN_BLOCK.search(loose)  # inside an inline element: left as it is
        out.append(_in_paragraphs(loose) if loose.strip() and not has_block else loose)

    for piece in re.split(r"(<[^>]*>)", html):
        tag = re.match(r"<(/?)[a-zA-Z]", piece)
        block = MARKDOWN_BLOCK.match(piece)
        if depth == 0 and block and not block.group(1):
            flush()
        (out if run == [] and (depth or block) else run).append(piece)
        if tag and not VOID_TAG.match(piece) and not piece.endswith("/>"):
            depth += -1 if tag.group(1) else 1
    flush()
    return "".join(out)


class _CommentText(HTMLParser):
    """Turn a comment's HTML into the Markdown that comments are written in."""

    MARKS = {"em": "*", "i": "*", "strong": "**", "b": "**", "code": "`"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "div", "blockquote"):
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("  \n")
        elif tag in self.MARKS:
            self.parts.append(self.MARKS[tag])
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")
            self.parts.append("[")

    def handle_endtag(self, tag):
        if tag in ("p", "div", "blockquote"):
            self.parts.append("\n\n")
        elif tag in self.MARKS:
            self.parts.append(self.MARKS[tag])
        elif tag == "a" and self.links:
            href = self.links.pop()
            self.parts.append(f"]({href})" if href.startswith(("http://", "https://")) else "]")

    def handle_data(self, data):
        self.parts.append(data)

    def text(self) -> str:
        return re.sub(r"\n{3,}", "\n\n", "".join(self.parts)).strip()


def comment_text_of(html: str) -> str:
    parser = _CommentText()
    parser.feed(html)
    parser.close()
    return parser.text()


# Letters `slugify` drops, as the admin's slug field (Django's URLify) writes them.
TRANSLITERATION = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфхцыэ", "abvgdezijklmnoprstufhcye", strict=True)),
        **dict(zip("АБВГДЕЗИЙКЛМНОПРСТУФХЦЫЭ", "ABVGDEZIJKLMNOPRSTUFHCYE", strict=True)),
        "ё": "yo", "ж": "zh", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ь": "", "ю": "yu",
        "я": "ya", "Ё": "Yo", "Ж": "Zh", "Ч": "Ch", "Ш": "Sh", "Щ": "Sch", "Ъ": "", "Ь": "",
        "Ю": "Yu", "Я": "Ya", "є": "ye", "і": "i", "ї": "yi", "ґ": "g", "Є": "Ye", "І": "I",
        "Ї": "Yi", "Ґ": "G",
        **dict(zip("αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώ", "abgdezh8iklmnxoprsstyfxpwaehioyw",
                   strict=True)),
        **dict(zip("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩΆΈΉΊΌΎΏ", "ABGDEZH8IKLMNXOPRSTYFXPWAEHIOYW",
                   strict=True)),
        "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l",
        "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th",
    }
)  # fmt: skip


def _usable_slug(text: str) -> str:
    slug = slugify(text.translate(TRANSLITERATION))[:200].strip("-")
    return "" if not slug or slug.isdigit() or slug in RESERVED_SLUGS else slug


def slug_wanted(record: records.Post) -> str:
    """Return the address a post would like: its old slug, else its title in Latin letters; never
    one of the site's own addresses nor all digits (Blogger gives "30" to a Cyrillic title)."""
    return (
        _usable_slug(record.slug)
        or _usable_slug(record.title)
        or slugify(f"{record.kind}-{record.slug or record.source_id}")[:200]
    )


def _term_paths(platform: str, term: records.Term) -> list[str]:
    """Return the addresses a category, tag or label had on the old platform."""
    slug = term.slug or slugify(term.name)
    if platform == "wxr":
        return [f"/category/{slug}/"] if term.kind == "category" else [f"/tag/{slug}/"]
    if platform == "blogger":
        return [f"/search/label/{quote(term.name)}"]
    if platform in ("ghost", "overblog"):
        return [f"/tag/{slug}/"]
    return []


def _path_of(url: str) -> str:
    """Return the path and query string of an address of the old site ("/?p=12")."""
    parts = urlsplit(url.strip())
    # Kept decoded, as Django gives `request.path` ("/café/" rather than "/caf%C3%A9/").
    path = unquote(parts.path) or "/"
    if not path.startswith("/"):
        path = "/" + path
    return f"{path}?{parts.query}" if parts.query else path


def _ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


class _Writer:
    def __init__(self, *, export: records.Export, run: ImportRun, dry_run: bool):
        self.export = export
        self.run = run
        self.platform = export.platform
        self.dry_run = dry_run
        self.report = {
            "platform": export.platform,
            "dry_run": dry_run,
            "counts": dict.fromkeys(COUNTED, 0),
            "skipped": [{"what": p.what, "reason": p.reason} for p in export.skipped],
            "failures": [],
            "warnings": [{"what": p.what, "reason": p.reason} for p in export.warnings],
        }
        self.users: dict[str, object] = {}
        self.tags: dict[str, Tag] = {}
        self.posts: dict[str, Post | Page] = {}
        self.media_urls: set[str] = set()
        # Images the export carries itself (a Chez Soi zip), by the address bodies and covers use.
        self.carried = {item.source_id: item for item in export.attachments if item.content}
        self.fallback_author = None
        self.with_media = media_available()
        self.every = settings.MOVING_PROGRESS_EVERY
        self.run.progress_total = (
            len(export.authors) + len(export.terms) + len(export.posts)
            + len(export.comments) + len(export.subscribers)
        )  # fmt: skip
        self.run.progress_done = 0

    # Bookkeeping ---

    def skip(self, what: str, reason: str) -> None:
        self.report["skipped"].append({"what": what, "reason": reason})

    def warn(self, what: str, reason: str) -> None:
        self.report["warnings"].append({"what": what, "reason": reason})

    def fail(self, what: str, reason: str) -> None:
        # An image shown twice in a post (its src and its srcset) fails once in the report.
        failure = {"what": what, "reason": reason}
        if failure not in self.report["failures"]:
            self.report["failures"].append(failure)

    def count(self, kind: str) -> None:
        self.report["counts"][kind] += 1

    def step(self) -> None:
        self.run.progress_done += 1
        if self.run.progress_done % self.every == 0:
            self._save_progress()

    def _save_progress(self) -> None:
        ImportRun.objects.filter(pk=self.run.pk).update(
            progress_done=self.run.progress_done, progress_total=self.run.progress_total
        )

    def imported(self, kind: str, source_id: str):
        """Return the object an earlier run made from this record, or None."""
        link = (
            ImportedObject.objects.filter(platform=self.platform, kind=kind, source_id=source_id)
            .select_related("content_type")
            .first()
        )
        if link is None:
            return None
        try:
            return link.content_type.get_object_for_this_type(pk=link.object_id)
        except link.content_type.model_class().DoesNotExist:  # deleted since: made again
            return None

    def remember(self, kind: str, source_id: str, target, source_url: str = "") -> None:
        ImportedObject.objects.update_or_create(
            platform=self.platform,
            kind=kind,
            source_id=source_id,
            defaults={
                "content_type": ContentType.objects.get_for_model(target),
                "object_id": target.pk,
                "source_url": source_url[:2000],
                "run": self.run if self.run.pk else None,
            },
        )

    def batches(self, items: list) -> list[list]:
        """Split `items` in batches, each written in its own transaction, so progress shows."""
        return [items[start : start + self.every] for start in range(0, len(items), self.every)]

    # The run ---

    def write(self) -> None:
        if not self.with_media and self.export.posts:
            self.warn(_("media"), _("Images were not imported: the media importer is missing."))
        with transaction.atomic():
            for author in self.export.authors:
                self.write_author(author)
                self.step()
        with transaction.atomic():
            for term in self.export.terms:
                self.write_term(term)
                self.step()
        for batch in self.batches(self.export.posts):
            with transaction.atomic():
                for post in batch:
                    self.write_post(post)
                    self.step()
            self._save_progress()
        with transaction.atomic():
            self.write_comments()
        for batch in self.batches(self.export.subscribers):
            with transaction.atomic():
                for subscriber in batch:
                    self.write_subscriber(subscriber)
                    self.step()
            self._save_progress()
        with transaction.atomic():
            self.write_redirects_and_links()
        self.report["counts"]["media"] = len(self.media_urls)
        self._save_progress()

    # Authors ---

    def write_author(self, author: records.Author) -> None:
        User = get_user_model()
        user = self.imported(Kind.AUTHOR, author.source_id)
        email = author.email.strip().lower()
        if user is None and email:
            user = User.objects.filter(email__iexact=email).first()
        if user is None:
            # A staff account in no group and with no password: the owner decides what it may do.
            user = User(
                username=self._free_username(email or author.name or author.source_id),
                email=email,
                first_name=author.name[:150],
                is_staff=True,
            )
            user.set_unusable_password()
            user.save()
        self.remember(Kind.AUTHOR, author.source_id, user)
        self.users[author.source_id] = user

    def _free_username(self, wanted: str) -> str:
        User = get_user_model()
        base = (re.sub(r"[^\w.@+-]", "", wanted) or "author")[:140]
        username, n = base, 1
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{base}-{n}"
        return username

    def default_author(self):
        if self.run.created_by_id:
            return self.run.created_by
        if self.fallback_author is not None:
            return self.fallback_author
        User = get_user_model()
        user = User.objects.filter(is_superuser=True).order_by("pk").first()
        if user is None:
            user = next(iter(self.users.values()), None)
        if user is None:
            user = User(username=self._free_username("imported"), is_staff=True)
            user.set_unusable_password()
            user.save()
        self.fallback_author = user
        return user

    # Tags ---

    def write_term(self, term: records.Term) -> None:
        tag = self.imported(Kind.TAG, term.source_id)
        name = term.name.strip()[:60]
        if not name:
            self.skip(term.source_id, _("A tag without a name."))
            return
        slug = slugify(term.slug or name)[:60] or slugify(term.source_id)[:60] or "tag"
        if tag is None:
            tag = (
                Tag.objects.filter(slug=slug).first()
                or Tag.objects.filter(name__iexact=name).first()
            )
        if tag is None:
            tag = Tag.objects.create(
                name=name, slug=self._free_slug(slug, Tag, 60), description=term.description
            )
        elif term.description and not tag.description:
            tag.description = term.description
            tag.save(update_fields=["description"])
        self.remember(Kind.TAG, term.source_id, tag)
        self.tags[term.source_id] = tag
        self.count("categories" if term.kind == "category" else "tags")

    @staticmethod
    def _free_slug(slug: str, model, length: int, *, exclude=None) -> str:
        def taken(candidate):
            if model is Tag:
                return Tag.objects.filter(slug=candidate).exists()
            posts, pages = Post.objects.all(), Page.objects.all()
            if exclude is not None:
                posts = posts.exclude(pk=exclude.pk) if isinstance(exclude, Post) else posts
                pages = pages.exclude(pk=exclude.pk) if isinstance(exclude, Page) else pages
            # The rules of the editors' forms: the site's own addresses, a year (all digits),
            # and the other posts' and pages' addresses are refused.
            try:
                for queryset in (posts, pages):
                    slug_check_free(candidate, taken_by=queryset, message="%(title)s")
            except ValidationError:
                return True
            return False

        candidate, n = slug, 1
        while taken(candidate):
            n += 1
            suffix = f"-{n}"
            candidate = slug[: length - len(suffix)] + suffix
        return candidate

    # Posts and pages ---

    def absolute(self, url: str, what: str) -> str | None:
        """Return `url` made absolute with the old site's address, or None (said in the report)
        when it is relative and that address is unknown."""
        url = url.strip()
        if url in self.carried or url.startswith("//") or urlsplit(url).scheme:
            return url
        if not self.export.site_url:
            self.fail(
                what,
                _("%(url)s: kept as it is: a relative address, and the export does not give the "
                  "old site’s address to find it.") % {"url": url},
            )  # fmt: skip
            return None
        # The site's address is a folder: "wp-content/…" is under it, "/content/…" at its root.
        return urljoin(self.export.site_url.rstrip("/") + "/", url)

    def fetcher(self, what: str) -> Callable:
        def fetch(url: str, alt_text: str = ""):
            url = self.absolute(url, what)
            if url is None:
                return None
            carried = self.carried.get(url)
            if carried is not None:
                item = media_store(
                    carried, run=self.run, on_failure=lambda why: self.fail(what, why)
                )
            else:
                item = media_fetch(
                    url,
                    alt_text=alt_text,
                    run=self.run,
                    on_failure=lambda why: self.fail(what, why),
                )
            if item is not None:
                self.media_urls.add(url)
            return item

        return fetch

    def write_post(self, record: records.Post) -> None:
        what = _("%(kind)s “%(title)s”") % {
            "kind": record.kind,
            "title": record.title or record.source_id,
        }
        is_page = record.kind == "page"
        model, kind = (Page, Kind.PAGE) if is_page else (Post, Kind.POST)
        writing = self.imported(kind, record.source_id)
        if writing is None:
            writing = model()
        body = html_for_body(record.body_html)
        if self.with_media and body:
            body = media_rewrite(body, self.fetcher(what))
        writing.title = (record.title.strip() or _("Untitled"))[:200]
        writing.body = body
        writing.author = self.users.get(record.author_source_id) or (
            writing.author if writing.pk else self.default_author()
        )
        writing.language = self._language(record.language)
        writing.seo_title = record.seo_title.strip()[:70]
        writing.seo_description = record.seo_description.strip()[:160]
        published = record.status in ("published", "scheduled")
        writing.status = model.Status.PUBLISHED if published else model.Status.DRAFT
        if record.status == "private":
            self.warn(what, _("A private post on the old site: imported as a draft."))
        if not writing.pk:
            wanted = slug_wanted(record)
            writing.slug = self._free_slug(wanted, model, 200)
            if writing.slug != wanted:
                self.warn(what, _("The address “%(slug)s” was taken: “%(new)s” is used.")
                          % {"slug": wanted, "new": writing.slug})  # fmt: skip
        if not is_page:
            writing.excerpt = plain_text(record.excerpt)
            writing.published_at = record.published_at or record.updated_at or timezone.now()
            writing.comments_open = record.comments_open
            # Imported, not written here: never announced to subscribers as new.
            writing.email_subscribers = False
            if published and writing.went_live_at is None:
                writing.went_live_at = writing.published_at
            if record.featured_image_url:
                if self.with_media:
                    writing.cover = self.fetcher(what)(
                        record.featured_image_url, record.featured_image_alt
                    )
        elif record.featured_image_url:
            self.warn(what, _("Pages have no cover image: the featured image was left out."))
        writing.save()
        if not is_page:
            writing.tags.set(
                [self.tags[term] for term in record.term_source_ids if term in self.tags]
            )
        source_url = next((url for url in record.old_urls if "://" in url), "")
        self.remember(kind, record.source_id, writing, source_url)
        self.posts[record.source_id] = writing
        self.count("pages" if is_page else "posts" if published else "drafts")

    def _language(self, language: str) -> str:
        known = dict(settings.LANGUAGES)
        for candidate in (language, self.export.language):
            short = (candidate or "").lower()[:2]
            if short in known:
                return short
        return settings.LANGUAGE_CODE

    # Comments ---

    def write_comments(self) -> None:
        records_by_id = {comment.source_id: comment for comment in self.export.comments}
        written: dict[str, object] = {}
        touched: set[int] = set()

        def write(record: records.Comment, seen: tuple = ()):
            if record.source_id in written:
                return written[record.source_id]
            written[record.source_id] = None
            self.step()
            what = _("comment %(id)s") % {"id": record.source_id}
            post = self.posts.get(record.post_source_id) or self.imported(
                Kind.POST, record.post_source_id
            )
            if not isinstance(post, Post):
                self.skip(what, _("Its post was not imported."))
                return None
            pingback = record.kind in ("pingback", "trackback")
            if pingback and not self.run.keep_pingbacks:
                self.skip(what, _("Pingbacks and trackbacks were left out (--pingbacks drop)."))
                return None
            parent = None
            if record.parent_source_id:
                parent_record = records_by_id.get(record.parent_source_id)
                if parent_record is not None and record.source_id not in seen:
                    parent = write(parent_record, (*seen, record.source_id))
                if parent is None:
                    parent = self.imported(Kind.COMMENT, record.parent_source_id)
                if parent is None:
                    self.warn(
                        what, _("Its parent comment is missing: shown as a comment on the post.")
                    )
            body = comment_text_of(record.body_html)
            if pingback:
                with translation.override(post.language):
                    note = _("Pingback") if record.kind == "pingback" else _("Trackback")
                body = f"*{note}*\n\n{body}"
            comment = comment_import(
                comment=self.imported(Kind.COMMENT, record.source_id),
                post=post,
                parent=parent if parent is not None and parent.post_id == post.pk else None,
                author_name=record.author_name.strip()[:80] or "?",
                author_email=record.author_email.strip()[:254],
                author_url=record.author_url.strip() if len(record.author_url) <= 200 else "",
                ip_address=_ip_or_none(record.author_ip),
                created_at=record.created_at,
                status=COMMENT_STATUSES.get(record.status, "pending"),
                body=body or "…",
                language=post.language,
            )
            self.remember(Kind.COMMENT, record.source_id, comment)
            touched.add(post.pk)
            self.count("pingbacks" if pingback else "comments")
            written[record.source_id] = comment
            return comment

        for record in self.export.comments:
            write(record)
        if touched:
            post_comment_counts_refresh(posts=Post.objects.filter(pk__in=touched))

    # Subscribers ---

    def write_subscriber(self, record: records.Subscriber) -> None:
        subscriber, outcome = subscriber_import_record(
            email=record.email,
            status=record.status,
            platform=self.platform,
            language=self._language(record.language) if record.language else "",
            opted_in_at=record.opted_in_at,
            opt_in_ip=_ip_or_none(record.opt_in_ip) or "",
            confirmed_at=record.confirmed_at,
            confirm_ip=_ip_or_none(record.confirm_ip) or "",
            left_at=record.left_at,
            left_reason=record.left_reason,
            consent_wording=record.consent_wording,
        )
        if subscriber is None:
            self.skip(record.email, outcome)
            return
        self.remember(Kind.SUBSCRIBER, record.source_id or subscriber.email, subscriber)
        self.count("subscribers")

    # Redirects and links ---

    def write_redirects_and_links(self) -> None:
        old_hosts = {urlsplit(self.export.site_url).netloc.lower()} - {""}
        new_paths: dict[str, str] = {}
        for record in self.export.posts:
            writing = self.posts.get(record.source_id)
            if writing is None:
                continue
            new_path = writing.get_canonical_path()
            for url in record.old_urls:
                if "://" in url:
                    old_hosts.add(urlsplit(url).netloc.lower())
                old_path = _path_of(url)
                new_paths[old_path] = new_path
                if old_path in ("/", new_path):
                    continue
                Redirect.objects.update_or_create(
                    old_path=old_path[:1000],
                    defaults={"new_path": new_path, "note": f"{self.platform} {record.source_id}"},
                )
                self.count("redirects")
        # The old site's pages of a category, a tag or a label, now a tag's page.
        for term in self.export.terms:
            tag = self.tags.get(term.source_id)
            if tag is None:
                continue
            with translation.override(settings.LANGUAGE_CODE):
                tag_path = tag.get_absolute_url()
            for old_path in _term_paths(self.platform, term):
                if old_path == tag_path:
                    continue
                Redirect.objects.update_or_create(
                    old_path=old_path[:1000],
                    defaults={"new_path": tag_path, "note": f"{self.platform} {term.kind}"},
                )
                self.count("redirects")
        for redirect in self.export.redirects:
            Redirect.objects.update_or_create(
                old_path=redirect.old_path[:1000],
                defaults={
                    "new_path": redirect.new_path[:1000],
                    "note": redirect.note or self.platform,
                },
            )
            self.count("redirects")

        def new_href(match):
            href = html_module.unescape(match.group(2))
            parts = urlsplit(href)
            if parts.netloc and parts.netloc.lower() not in old_hosts:
                return match.group(0)
            if not parts.netloc and not href.startswith("/"):
                return match.group(0)
            path = _path_of(href.split("#")[0])
            target = (
                new_paths.get(path)
                or new_paths.get(path.rstrip("/") or "/")
                or new_paths.get(path + "/")
            )
            if target is None or path == "/":
                return match.group(0)
            fragment = f"#{parts.fragment}" if parts.fragment else ""
            return f"{match.group(1)}{target}{fragment}{match.group(3)}"

        for writing in self.posts.values():
            body = HREF.sub(new_href, writing.body)
            if body != writing.body:
                writing.body = body
                # Only the body: the comments written since recounted `comment_count`.
                derived = ["summary"] if isinstance(writing, Post) else []
                writing.save(update_fields=["body", "body_html", "word_count", *derived])


def import_run_start(
    *, uploaded, created_by, format_name: str, dry_run: bool, keep_pingbacks: bool
) -> ImportRun:
    """Store an uploaded export and queue its import; return the run."""
    from moving import tasks

    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    handle, path = tempfile.mkstemp(dir=folder, suffix=Path(uploaded.name).suffix[:10])
    with os.fdopen(handle, "wb") as stored:
        for chunk in uploaded.chunks():
            stored.write(chunk)
    run = ImportRun.objects.create(
        file_name=uploaded.name[:255],
        file_path=path,
        format="" if format_name == "auto" else format_name,
        dry_run=dry_run,
        keep_pingbacks=keep_pingbacks,
        created_by=created_by,
    )
    tasks.site_import.delay_on_commit(run.pk)
    return run


def import_run_execute(*, run_id: int, delete_file: bool = True) -> ImportRun | None:
    """Import the file of a queued run and keep its report; a run already started is left alone."""
    from moving import detect

    if not ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED).update(
        status=ImportRun.Status.RUNNING
    ):
        return None
    run = ImportRun.objects.get(pk=run_id)
    try:
        opened = detect.file_open(detect.file_read(run.file_path))
        if not run.format:
            run.format = detect.format_of(opened.head, run.file_name)
        module = detect.importer(run.format)
        if module is None:
            raise ImportRefused(
                _("The %(format)s importer is not installed.") % {"format": run.format}
            )
        export = module.read(opened.data, files=opened.files)
        run.report = export_write(export=export, run=run, dry_run=run.dry_run)
        run.status = ImportRun.Status.DONE
    except ImportRefused as refusal:
        run.report = {"error": str(refusal)}
        run.status = ImportRun.Status.FAILED
    except Exception:
        logger.exception("Import run %s failed", run_id)
        run.report = {"error": _("The import stopped on an unexpected error; the log says more.")}
        run.status = ImportRun.Status.FAILED
    finally:
        if delete_file and run.file_path:
            Path(run.file_path).unlink(missing_ok=True)
            run.file_path = ""
    if run.status == ImportRun.Status.DONE:
        run.progress_done = run.progress_total
    run.finished_at = timezone.now()
    run.save()
    return run
