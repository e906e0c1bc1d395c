"""Substack's export: a zip of `posts.csv`, one `posts/<post_id>.<slug>.html` per post, and the
member CSVs ("Total Email List": `email,active_subscription,expiry,email_disabled,…,created_at`;
"Subscribers": `email,expiry,email_disabled,prefer_digests,stripe_connected_customer_id,type`).

`read` takes the zip's bytes, or one of its files with the others in `files`, or a member CSV on
its own. Posts were at `/p/<slug>`; times are UTC. Paid-only posts are kept private (the new site
has no paywall), posts for free subscribers are published, each with a warning.
"""

import html
import io
import re
import unicodedata
import zipfile

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

POSTS_HEADER = {"post_id", "post_date", "is_published", "type", "title"}
MEMBERS_HEADER = {"email", "email_disabled"}
BODY_NAME = re.compile(r"(?:^|/)posts/(?P<post_id>(?P<number>\d+)\.(?P<slug>[^/]+))\.html$")
PAID_AUDIENCES = {"only_paid", "founding", "paid"}
FREE_AUDIENCES = {"only_free", "free"}
# What the unzipping below accepts; the framework's own limits come first.
MEMBER_LIMIT = 100 * 1024 * 1024


def detect(head: bytes) -> bool:
    if head.startswith(b"ZIP\n"):
        names = head.decode("utf-8", "replace").split("\n")[1:]
        has_posts = any(name == "posts.csv" or name.endswith("/posts.csv") for name in names)
        return has_posts and any(BODY_NAME.search(name) for name in names)
    header = set(header_of(head))
    return POSTS_HEADER <= header or MEMBERS_HEADER <= header


def unzip(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {}
        total = 0
        for info in archive.infolist():
            if info.is_dir() or not info.filename.endswith((".csv", ".html")):
                continue
            total += info.file_size
            if total > MEMBER_LIMIT:
                raise ImportRefused(gettext("This zip holds too much to be a Substack export."))
            members[info.filename] = archive.read(info)
        return members
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        raise ImportRefused(gettext("This zip file cannot be read.")) from error


def read(data: bytes, *, files: dict[str, bytes] | None = None) -> records.Export:
    export = records.Export(platform="substack")
    members = dict(files or {})
    if data.startswith(b"PK\x03\x04"):
        if not members:
            members = unzip(data)
    else:
        members[""] = data
    posts_csv = [content for content in members.values() if POSTS_HEADER <= set(header_of(content))]
    bodies = {}
    for name, content in members.items():
        match = BODY_NAME.search(name)
        if match:
            bodies[match["post_id"]] = (match, content)
    members_csv = [
        content for content in members.values() if MEMBERS_HEADER <= set(header_of(content))
    ]
    if not posts_csv and not members_csv:
        raise ImportRefused(
            gettext("Neither posts.csv nor a member list of a Substack export was found.")
        )
    for content in posts_csv[:1]:
        posts_read(content, bodies=bodies, export=export)
    for content in members_csv:
        members_read(content, export=export)
    return export


def unescape(value: str) -> str:
    """posts.csv writes some characters as HTML references ("&#x2019;")."""
    return unicodedata.normalize("NFC", html.unescape(value))


def posts_read(data: bytes, *, bodies: dict, export: records.Export) -> None:
    _header, rows = csv_read(data, warnings=export.warnings)
    for line, row in rows:
        post_id = row.get("post_id", "")
        number, _dot, slug = post_id.partition(".")
        what = gettext("post %(id)s") % {"id": post_id or line}
        if not number:
            export.skipped.append(records.Problem(what=what, reason=gettext("No post id.")))
            continue
        body = ""
        if post_id in bodies:
            match, content = bodies[post_id]
            slug = match["slug"]
            body = text_fix(
                content.decode("utf-8", "surrogateescape"), what=what, warnings=export.warnings
            )
        else:
            export.warnings.append(
                records.Problem(what=what, reason=gettext("Its HTML file is missing: no body."))
            )
        kind = row.get("type", "")
        podcast_url = row.get("podcast_url", "")
        if podcast_url:
            link = html.escape(podcast_url)
            body = (
                f'<p><a href="{link}">{html.escape(gettext("Listen to the episode"))}</a></p>\n'
                + body
            )
        status = "published" if yes(row.get("is_published", "")) else "draft"
        audience = row.get("audience", "").strip().lower()
        if status == "published" and audience in PAID_AUDIENCES:
            status = "private"
            export.warnings.append(
                records.Problem(
                    what=what,
                    reason=gettext(
                        "For paying subscribers only on Substack: imported as private; "
                        "publish it to make it public."
                    ),
                )
            )
        elif audience in FREE_AUDIENCES:
            export.warnings.append(
                records.Problem(
                    what=what,
                    reason=gettext(
                        "For subscribers only on Substack: imported for everyone to read."
                    ),
                )
            )
        published_at = utc_parse(row.get("post_date", "")) or utc_parse(
            row.get("email_sent_at", "")
        )
        export.posts.append(
            records.Post(
                source_id=number,
                title=unescape(row.get("title", "")),
                body_html=body,
                kind="page" if kind == "page" else "post",
                slug=slug,
                excerpt=unescape(row.get("subtitle", "")),
                status=status,
                published_at=published_at,
                old_urls=[f"/p/{slug}"] if slug and status != "draft" else [],
            )
        )


def members_read(data: bytes, *, export: records.Export) -> None:
    _header, rows = csv_read(data, warnings=export.warnings)
    known = {subscriber.email.lower(): subscriber for subscriber in export.subscribers}
    for line, row in rows:
        what = gettext("line %(number)d") % {"number": line}
        email = email_clean(row.get("email", ""))
        if not email:
            export.skipped.append(
                records.Problem(what=what, reason=gettext("No valid e-mail address."))
            )
            continue
        subscriber = records.Subscriber(
            email=email,
            status="unsubscribed" if yes(row.get("email_disabled", "")) else "subscribed",
            opted_in_at=utc_parse(row.get("created_at", "")),
        )
        earlier = known.get(email.lower())
        if earlier is None:
            known[email.lower()] = subscriber
            export.subscribers.append(subscriber)
            continue
        # The same reader in both member files: keep what each one knows.
        if subscriber.status == "unsubscribed":
            earlier.status = "unsubscribed"
        earlier.opted_in_at = earlier.opted_in_at or subscriber.opted_in_at
