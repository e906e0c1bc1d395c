"""Move out: the whole site in one zip, for another platform or another Chez Soi.

`site_export_write` writes into a file, streaming (rows by `.iterator()`, files copied in chunks):
- `CHEZ-SOI-EXPORT.txt`, first: what the zip holds, in words (importers recognise the zip by it);
- `wordpress.xml`: WXR 1.2, for WordPress's importer and Ghost's migrate tool (moving/wxr_writer.py);
- `subscribers.csv`: the columns of the subscribers admin's export, which its import reads back;
- `media/<storage name>`: the library's originals (renditions are made again on import);
- `chez-soi.json`: everything, versioned (`format`, `version`), for `moving.importers.chezsoi`;
- `manifest.json`, last: each member's size and SHA-256.
"""

import csv
import hashlib
import io
import json
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from blog.models import MediaItem, Page, Post, Tag
from comments.models import Comment
from core.urls import absolute_links, absolute_url
from moving.models import Redirect
from moving.wxr_writer import WxrIds, site_authors, wxr_write
from newsletter.importing import FORMULA_STARTS
from newsletter.models import Subscriber, SubscriberEvent

FORMAT = "chez-soi-export"
VERSION = 1
JSON_NAME = "chez-soi.json"
WXR_NAME = "wordpress.xml"
CSV_NAME = "subscribers.csv"
MANIFEST_NAME = "manifest.json"
README_NAME = "CHEZ-SOI-EXPORT.txt"
MEDIA_PREFIX = "media/"
# The subscribers admin's export (newsletter/admin/subscribers.py), which its import reads back.
CSV_HEADER = ["email", "language", "status", "signed_up", "confirmed", "left"]
CHUNK = 1024 * 1024

Progress = Callable[[int, int], None]


@dataclass
class _Member:
    size: int = 0
    sha256: str = ""


class _HashingWriter:
    """A zip member being written, counting and hashing what goes through."""

    def __init__(self, stream):
        self.stream, self.hash, self.size = stream, hashlib.sha256(), 0

    def write(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        self.hash.update(data)
        self.size += len(data)
        self.stream.write(data)

    def member(self) -> _Member:
        return _Member(self.size, self.hash.hexdigest())


class _Steps:
    def __init__(self, total: int, progress: Progress | None):
        self.done, self.total, self.progress = 0, total, progress

    def __call__(self) -> None:
        self.done += 1
        # Told every 50 steps: a cache write per row would cost more than the row.
        if self.progress and (self.done % 50 == 0 or self.done == self.total):
            self.progress(self.done, self.total)


def site_export_write(target, *, progress: Progress | None = None) -> dict:
    """Write the whole site as a zip into `target` (a path or a binary file); return its manifest.

    `progress(done, total)` is called as the work goes.
    """
    # One snapshot of the database for every part, so they agree with one another.
    with transaction.atomic(), zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        counts = {
            "media": MediaItem.objects.count(),
            "posts": Post.objects.count(),
            "pages": Page.objects.count(),
            "comments": Comment.objects.count(),
            "subscribers": Subscriber.objects.count(),
        }
        steps = _Steps(
            3 * counts["media"]
            + 2 * (counts["posts"] + counts["pages"])
            + counts["comments"]
            + 2 * counts["subscribers"],
            progress,
        )
        members: dict[str, _Member] = {}
        # First, so that an importer recognises the zip from the start of its list of names.
        with _member(archive, README_NAME, members) as out:
            out.write(_readme())
        ids = WxrIds(
            last_post=Post.objects.aggregate(last=Max("pk"))["last"] or 0,
            last_page=Page.objects.aggregate(last=Max("pk"))["last"] or 0,
        )
        with _member(archive, WXR_NAME, members) as out:
            wxr_write(out.write, ids=ids, step=steps)
        with _member(archive, CSV_NAME, members) as out:
            _write_csv(out.write, steps)
        media_hashes = _write_media(archive, members, steps)
        with _member(archive, JSON_NAME, members) as out:
            _write_json(out.write, media_hashes, steps)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": timezone.now().isoformat(),
            "site_url": settings.SITE_URL,
            "counts": counts,
            "files": {
                name: {"size": member.size, "sha256": member.sha256}
                for name, member in members.items()
            },
        }
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2, ensure_ascii=False))
    if progress:
        progress(steps.total, steps.total)
    return manifest


class _member:  # noqa: N801 (a context manager used like a function)
    """Open a zip member for streaming writes; record its size and hash when it is closed."""

    def __init__(self, archive: zipfile.ZipFile, name: str, members: dict):
        self.archive, self.name, self.members = archive, name, members

    def __enter__(self) -> _HashingWriter:
        self.stream = self.archive.open(self.name, "w", force_zip64=True)
        self.writer = _HashingWriter(self.stream)
        return self.writer

    def __exit__(self, *exc_info):
        self.stream.close()
        self.members[self.name] = self.writer.member()


def _write_media(archive: zipfile.ZipFile, members: dict, steps: _Steps) -> dict[str, str]:
    """Copy the library's originals; return each storage name's SHA-256."""
    hashes = {}
    for item in MediaItem.objects.order_by("pk").iterator(chunk_size=2000):
        name = item.file.name
        try:
            source = default_storage.open(name, "rb")
        except OSError:
            steps()
            continue  # a file gone missing: its metadata still goes in the JSON
        with source, _member(archive, MEDIA_PREFIX + name, members) as out:
            while chunk := source.read(CHUNK):
                out.write(chunk)
        hashes[name] = members[MEDIA_PREFIX + name].sha256
        steps()
    return hashes


def _readme() -> str:
    return _(
        "An export of %(site)s (%(url)s), made by Chez Soi on %(date)s.\n\n"
        "%(wxr)s: the posts, pages, tags and comments for WordPress (Tools > Import > WordPress) "
        "or Ghost's migrate tool.\n"
        "%(json)s: everything, subscribers' consent included; another Chez Soi imports this zip.\n"
        "%(csv)s: the subscribers, for a mailing list's import.\n"
        "media/: the images of the media library.\n"
        "%(manifest)s: each file's size and SHA-256.\n"
    ) % {
        "site": settings.SITE_NAME,
        "url": settings.SITE_URL,
        "date": timezone.now().date().isoformat(),
        "wxr": WXR_NAME,
        "json": JSON_NAME,
        "csv": CSV_NAME,
        "manifest": MANIFEST_NAME,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _write_json(write, media_hashes: dict[str, str], steps: _Steps) -> None:
    """Write the versioned JSON, one row at a time (docs/migration.md describes it)."""
    head = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "site": {
            "url": settings.SITE_URL,
            "name": settings.SITE_NAME,
            "language": settings.LANGUAGE_CODE,
            "languages": [code for code, _name in settings.LANGUAGES],
            "time_zone": settings.TIME_ZONE,
            "media_url": absolute_url(settings.MEDIA_URL)
            if settings.MEDIA_URL.startswith("/")
            else settings.MEDIA_URL,
        },
    }
    write(json.dumps(head, ensure_ascii=False)[:-1])
    sections = [
        ("authors", _authors(), False),
        ("tags", _tags(), False),
        ("media", _media(media_hashes), True),
        ("posts", _posts(), True),
        ("pages", _pages(), True),
        ("comments", _comments(), True),
        ("subscribers", _subscribers(), True),
        ("suppressions", _suppressions(), False),
        ("redirects", _redirects(), False),
        ("followers", iter(()), False),
    ]
    for key, rows, counted in sections:
        write(f', "{key}": [')
        for index, row in enumerate(rows):
            write(("\n" if index == 0 else ",\n") + json.dumps(row, ensure_ascii=False))
            if counted:
                steps()
        write("]")
    write("}\n")


def _authors():
    for user in site_authors():
        yield {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "email": user.email,
        }


def _tags():
    for tag in Tag.objects.order_by("pk").iterator(chunk_size=2000):
        yield {"id": tag.pk, "name": tag.name, "slug": tag.slug, "description": tag.description}


def _media(hashes: dict[str, str]):
    for item in MediaItem.objects.order_by("pk").iterator(chunk_size=2000):
        url = item.url
        yield {
            "id": item.pk,
            "file": MEDIA_PREFIX + item.file.name if item.file.name in hashes else None,
            "name": item.file.name,
            "url": absolute_url(url) if url.startswith("/") else url,
            "alt_text": item.alt_text,
            "caption": item.caption,
            "width": item.width,
            "height": item.height,
            "sha256": hashes.get(item.file.name),
            "uploaded_at": _iso(item.uploaded_at),
        }


def _writing(writing) -> dict:
    """Return what a post and a page both carry."""
    return {
        "id": writing.pk,
        "title": writing.title,
        "slug": writing.slug,
        "url": writing.get_canonical_url(),
        "status": writing.status,
        "created_at": _iso(writing.created_at),
        "updated_at": _iso(writing.updated_at),
        "author": writing.author_id,
        "language": writing.language,
        "body": writing.body,
        "body_html": absolute_links(writing.body_html),
        "seo_title": writing.seo_title,
        "seo_description": writing.seo_description,
    }


def _posts():
    posts = (
        Post.objects.select_related("cover")
        .prefetch_related("tags")
        .order_by("pk")
        .iterator(chunk_size=500)
    )
    for post in posts:
        yield {
            **_writing(post),
            "published_at": _iso(post.published_at),
            "went_live_at": _iso(post.went_live_at),
            "excerpt": post.excerpt,
            "tags": [tag.slug for tag in post.tags.all()],
            "cover": post.cover.file.name if post.cover else None,
            "comments_open": post.comments_open,
            "email_subscribers": post.email_subscribers,
        }


def _pages():
    for page in Page.objects.order_by("pk").iterator(chunk_size=500):
        yield {
            **_writing(page),
            "in_navigation": page.in_navigation,
            "navigation_order": page.navigation_order,
        }


def _comments():
    for comment in Comment.objects.order_by("pk").iterator(chunk_size=2000):
        yield {
            "id": comment.pk,
            "post": comment.post_id,
            "parent": comment.parent_id,
            "author_name": comment.author_name,
            "author_email": comment.author_email,
            "author_url": comment.author_url,
            "ip_address": comment.ip_address,
            "created_at": _iso(comment.created_at),
            "status": comment.status,
            "language": comment.language,
            "body": comment.body,
            "body_html": comment.body_html,
        }


def _event(event: SubscriberEvent) -> dict:
    return {
        "kind": event.kind,
        "source": event.source,
        "created_at": _iso(event.created_at),
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "consent_text": event.consent_text,
        "detail": event.detail,
    }


def _subscribers():
    subscribers = (
        Subscriber.objects.prefetch_related("events").order_by("pk").iterator(chunk_size=1000)
    )
    for subscriber in subscribers:
        yield {
            "id": subscriber.pk,
            "email": subscriber.email,
            "language": subscriber.language,
            "status": subscriber.status,
            "created_at": _iso(subscriber.created_at),
            "confirmed_at": _iso(subscriber.confirmed_at),
            "unsubscribed_at": _iso(subscriber.unsubscribed_at),
            "events": [_event(event) for event in subscriber.events.all()],
        }


def _suppressions():
    """Return the addresses never to write to again: bounced or complained."""
    suppressed = Subscriber.objects.filter(status=Subscriber.Status.SUPPRESSED)
    for subscriber in (
        suppressed.prefetch_related("events").order_by("pk").iterator(chunk_size=1000)
    ):
        reasons = [
            event.kind
            for event in subscriber.events.all()
            if event.kind in (SubscriberEvent.Kind.BOUNCE, SubscriberEvent.Kind.COMPLAINT)
        ]
        yield {
            "email": subscriber.email,
            "since": _iso(subscriber.unsubscribed_at),
            "reason": reasons[-1] if reasons else "",
        }


def _redirects():
    for redirect in Redirect.objects.order_by("pk").iterator(chunk_size=2000):
        yield {
            "old_path": redirect.old_path,
            "new_path": redirect.new_path,
            "hits": redirect.hits,
            "note": redirect.note,
            "created_at": _iso(redirect.created_at),
        }


def _csv_cell(value: str) -> str:
    # As the admin's export: a cell a spreadsheet would run as a formula gets a quote before it.
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _write_csv(write, steps: _Steps) -> None:
    line = io.StringIO()
    writer = csv.writer(line)

    def flush():
        write(line.getvalue())
        line.seek(0)
        line.truncate()

    writer.writerow(CSV_HEADER)
    flush()
    for subscriber in Subscriber.objects.order_by("pk").iterator(chunk_size=2000):
        row = [
            subscriber.email,
            subscriber.language,
            subscriber.status,
            _iso(subscriber.created_at) or "",
            _iso(subscriber.confirmed_at) or "",
            _iso(subscriber.unsubscribed_at) or "",
        ]
        writer.writerow([_csv_cell(cell) for cell in row])
        flush()
        steps()


# The admin's export: a task writes the zip, the page reads its progress from the cache ---

STATE_KEY = "moving:export"
# How long a finished export's state is shown, and how long a running one may take at most.
STATE_TIMEOUT = 24 * 60 * 60
EXPORT_NAME = re.compile(r"^chez-soi-export-\d{8}-\d{6}\.zip$")


def exports_dir() -> Path:
    """Return where the admin's exports are kept: beside the media, never served by it."""
    return Path(settings.MEDIA_ROOT).parent / "exports"


def exports_list() -> list[Path]:
    """Return the finished exports, newest first."""
    directory = exports_dir()
    if not directory.is_dir():
        return []
    names = (path for path in directory.iterdir() if EXPORT_NAME.match(path.name))
    return sorted(names, key=lambda path: path.name, reverse=True)


def export_state() -> dict | None:
    """Return the current or last export's state: "queued", "running", "done" or "failed"."""
    return cache.get(STATE_KEY)


def export_is_busy(state: dict | None) -> bool:
    """Return whether an export is queued or running. One queued, or last heard of, longer ago
    than a task may run was lost (a worker killed, a message dropped): it no longer counts."""
    from moving import tasks

    return bool(
        state
        and state["state"] in ("queued", "running")
        and time.time() - state.get("at", 0) < tasks.SITE_TIME_LIMIT
    )


def site_export_start(*, user) -> bool:
    """Queue an export for `user`; return False if one is already queued or running."""
    from moving import tasks

    if export_is_busy(export_state()):  # one at a time
        return False
    cache.set(
        STATE_KEY,
        {"state": "queued", "done": 0, "total": 0, "file": "", "at": time.time()},
        STATE_TIMEOUT,
    )
    tasks.site_export.delay_on_commit(user.pk)
    return True


def site_export_run(*, user_id: int) -> Path | None:
    """Write an export into `exports_dir()`, telling its progress through the cache."""
    directory = exports_dir()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"chez-soi-export-{timezone.now():%Y%m%d-%H%M%S}.zip"
    partial = directory / f".{name}.part"

    def progress(done: int, total: int) -> None:
        state = {"state": "running", "done": done, "total": total, "file": "", "at": time.time()}
        cache.set(STATE_KEY, state, STATE_TIMEOUT)

    progress(0, 0)
    try:
        site_export_write(partial, progress=progress)
    except BaseException:
        partial.unlink(missing_ok=True)
        cache.set(STATE_KEY, {"state": "failed", "done": 0, "total": 0, "file": ""}, STATE_TIMEOUT)
        raise
    # Renamed only once complete: the page never offers a half-written zip.
    partial.rename(directory / name)
    state = export_state() or {}
    cache.set(
        STATE_KEY,
        {"state": "done", "done": state.get("total", 0), "total": state.get("total", 0),
         "file": name, "user_id": user_id},
        STATE_TIMEOUT,
    )  # fmt: skip
    return directory / name
