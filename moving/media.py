"""Images of imported posts brought into the media library, and the posts pointed at them.

`media_fetch` downloads one file of the old site within bounds (size, time, redirects) and only
from public addresses; `media_import` stores an image in the library once per source address
(a re-run finds it again) and notes in the run's report what could not be brought;
`html_media_rewrite` points a body's images, their `srcset` and links to them at the library.
A failure is never fatal: the post keeps the old address, and the report says why.
"""

import hashlib
import html
import ipaddress
import posixpath
import re
import socket
import ssl
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import client
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from blog.media import media_item_upload
from blog.models import MediaItem
from moving.cdn import original_url
from moving.models import ImportedObject, ImportRun

MEGABYTE = 1024 * 1024
MAX_REDIRECTS = 3
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024
USER_AGENT = "ChezSoi-import/1.0 (moving a blog home)"
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".webp"}
# Files posts link to that the library, which only takes images, cannot hold.
ATTACHMENT_EXTENSIONS = {
    ".pdf", ".doc", ".docx", ".odt", ".xls", ".xlsx", ".ods", ".ppt", ".pptx", ".odp", ".zip",
    ".mp3", ".m4a", ".ogg", ".wav", ".mp4", ".mov", ".webm", ".avi", ".txt", ".rtf", ".epub",
    ".svg", ".tif", ".tiff", ".bmp", ".heic",
}  # fmt: skip
ATTACHMENT_TYPES = ("application/pdf", "application/zip", "application/msword",
                    "application/vnd.", "audio/", "video/", "image/svg")  # fmt: skip
# Addresses whose path names no file but that serve images (Blogger's newer `…/AVvXsE…=s1600`).
IMAGE_HOSTS = re.compile(r"(^|\.)(bp\.blogspot\.com|googleusercontent\.com|ggpht\.com)$")
# ImportedObject.source_id holds 500 characters: longer addresses are remembered by their hash.
SOURCE_ID_LENGTH = 500


class MediaFetchFailed(Exception):
    """The file could not be downloaded: `reason` says why, in the reader's language."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# Downloading -------------------------------------------------------------------------------


def media_fetch(url: str, *, max_bytes: int, timeout: float) -> tuple[bytes, str]:
    """Return the file at `url` and its content type, fetched from a public address only."""
    deadline = time.monotonic() + timeout
    try:
        for _redirect in range(MAX_REDIRECTS + 1):
            parts = _checked_parts(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            address = _public_address(parts.hostname, port)
            connection = _connection(parts, port, address, _remaining(deadline))
            try:
                response, sock = _response(connection, parts, deadline)
                location = response.getheader("Location", "").strip()
                if response.status in REDIRECT_STATUSES and location:
                    url = urljoin(url, location)  # checked again at the top of the loop
                    continue
                if response.status != 200:
                    raise MediaFetchFailed(
                        _("the server answered %(status)d %(reason)s")
                        % {"status": response.status, "reason": response.reason}
                    )
                data = _body(sock, response, max_bytes, deadline)
                content_type = response.getheader("Content-Type", "").split(";")[0]
                return data, content_type.strip().lower()
            finally:
                connection.close()
    except TimeoutError:
        raise MediaFetchFailed(_timed_out(timeout)) from None
    except (OSError, client.HTTPException) as error:
        raise MediaFetchFailed(_("the connection failed (%(error)s)") % {"error": error}) from None
    raise MediaFetchFailed(_("more than %(count)d redirects") % {"count": MAX_REDIRECTS})


def _checked_parts(url: str):
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a port out of range
    except ValueError:
        raise MediaFetchFailed(_("the address is not valid")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MediaFetchFailed(_("only http and https addresses are downloaded"))
    return parts


def _public_address(host: str, port: int) -> str:
    """Return the address to connect to, refusing a host any of whose addresses is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise MediaFetchFailed(_("the host name %(host)s is unknown") % {"host": host}) from None
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        if not _is_allowed(ipaddress.ip_address(address.split("%", 1)[0])):
            raise MediaFetchFailed(
                _("%(host)s is a private or local address, which imports do not fetch")
                % {"host": host}
            )
    # The address checked is the one connected to: a second lookup could answer another one.
    return addresses[0]


def _is_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return settings.MOVING_ALLOW_LOOPBACK
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


class _PinnedHTTPConnection(client.HTTPConnection):
    """An HTTP connection to an address already checked, sending the host's name as Host."""

    def __init__(self, host, port, *, address, **options):
        super().__init__(host, port, **options)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(client.HTTPSConnection):
    """The same over TLS, the certificate checked against the host's name (SNI too)."""

    def __init__(self, host, port, *, address, **options):
        super().__init__(host, port, context=ssl.create_default_context(), **options)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _connection(parts, port: int, address: str, timeout: float) -> client.HTTPConnection:
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    # The port is passed apart: from "::1" alone, http.client would read a port of 1.
    return connection_class(parts.hostname, port, address=address, timeout=timeout)


def _response(connection, parts, deadline: float) -> tuple[client.HTTPResponse, socket.socket]:
    """Send the request; return the response and its socket (the connection may let go of it)."""
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    headers = {"User-Agent": USER_AGENT, "Accept": "image/*,*/*;q=0.5"}
    # No Accept-Encoding: the answer comes as stored, and its size is the size checked.
    connection.request("GET", path, headers=headers)
    sock = connection.sock
    sock.settimeout(_remaining(deadline))
    return connection.getresponse(), sock


def _body(sock: socket.socket, response, max_bytes: int, deadline: float) -> bytes:
    too_large = MediaFetchFailed(
        _("the file is larger than %(size)d MB") % {"size": max(1, max_bytes // MEGABYTE)}
    )
    length = response.getheader("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise too_large
    chunks, received = [], 0
    while True:
        # Every read gets what is left of the whole download's time: a server sending a byte a
        # second cannot hold the import for longer.
        sock.settimeout(_remaining(deadline))
        chunk = response.read1(CHUNK)
        if not chunk:
            return b"".join(chunks)
        received += len(chunk)
        if received > max_bytes:
            raise too_large
        chunks.append(chunk)


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    return remaining


def _timed_out(timeout: float) -> str:
    return _("no complete answer within %(seconds)s seconds") % {"seconds": f"{timeout:g}"}


# Importing ---------------------------------------------------------------------------------


@dataclass
class _RunMedia:
    """What one run downloaded so far, and the addresses that failed (not tried twice)."""

    downloads: int = 0
    failed: dict[str, str] = field(default_factory=dict)


# Per run object, for the run's lifetime in this process.
_runs: "weakref.WeakKeyDictionary[ImportRun, _RunMedia]" = weakref.WeakKeyDictionary()


def media_import(
    url: str,
    *,
    alt_text: str = "",
    caption: str = "",
    run: ImportRun | None = None,
    on_failure: Callable[[str], None] | None = None,
) -> MediaItem | None:
    """Return the library item made from the image at `url`, brought in once; None when it
    could not be, the reason given to `on_failure`, else added to the run's report."""
    source_url = original_url(url.strip())
    if source_url.startswith("//"):
        source_url = "https:" + source_url
    known = _imported(source_url)
    if known is not None:
        return known
    state = _run_media(run)
    reason = state.failed.get(source_url)
    if reason is None:
        reason = _not_fetched_reason(source_url, run, state)
    if reason is None:
        state.downloads += 1
        item_or_reason = _downloaded_item(source_url, alt_text=alt_text, caption=caption, run=run)
        if isinstance(item_or_reason, MediaItem):
            _remember(source_url, item_or_reason, run)
            return item_or_reason
        reason = item_or_reason
    state.failed[source_url] = reason
    if reason:
        sentence = _("%(url)s: %(reason)s.") % {"url": url, "reason": reason}
        if on_failure is not None:
            on_failure(sentence)
        elif run is not None:
            run.report.setdefault("failures", []).append({"what": _("media"), "reason": sentence})
    return None


def media_import_content(
    source_url: str,
    content: bytes,
    *,
    alt_text: str = "",
    caption: str = "",
    run: ImportRun | None = None,
    on_failure: Callable[[str], None] | None = None,
) -> MediaItem | None:
    """Return the library item made from `content`, the file an export carried for `source_url`
    (a Chez Soi zip): stored once, as `media_import` stores what it downloads."""
    known = _imported(source_url)
    if known is not None:
        return known
    if run is not None and run.dry_run:
        return None
    upload = SimpleUploadedFile(_file_name(source_url), content)
    try:
        item = media_item_upload(
            file=upload,
            uploaded_by=run.created_by if run is not None else None,
            alt_text=alt_text[: MediaItem._meta.get_field("alt_text").max_length],
            caption=caption[: MediaItem._meta.get_field("caption").max_length],
        )
    except ValidationError as refusal:
        reason = _("refused by the media library, its old address is kept: %(reason)s") % {
            "reason": " ".join(refusal.messages).rstrip(".")
        }
        sentence = _("%(url)s: %(reason)s.") % {"url": source_url, "reason": reason}
        if on_failure is not None:
            on_failure(sentence)
        return None
    _remember(source_url, item, run)
    return item


def _run_media(run: ImportRun | None) -> _RunMedia:
    if run is None or run.pk is None:
        return _RunMedia()
    return _runs.setdefault(run, _RunMedia())


def _not_fetched_reason(source_url: str, run: ImportRun | None, state: _RunMedia) -> str | None:
    """Say why the address is not downloaded ("" for no report line), or None to download it."""
    if run is not None and run.dry_run:
        return ""  # a dry run writes nothing, images included
    if _is_attachment(source_url):
        return _kept_attachment_reason()
    if run is not None and state.downloads >= settings.MOVING_MEDIA_MAX_COUNT:
        return _(
            "not downloaded, its old address is kept: this import already brought %(count)d "
            "files, the most allowed (MOVING_MEDIA_MAX_COUNT)"
        ) % {"count": settings.MOVING_MEDIA_MAX_COUNT}
    return None


def _kept_attachment_reason() -> str:
    return _("kept at its old address: the media library only takes images")


def _downloaded_item(source_url: str, *, alt_text: str, caption: str, run) -> MediaItem | str:
    """Return the item stored from `source_url`, or why it could not be."""
    try:
        data, content_type = media_fetch(
            source_url,
            max_bytes=settings.MOVING_MEDIA_MAX_MB * MEGABYTE,
            timeout=settings.MOVING_MEDIA_TIMEOUT,
        )
    except MediaFetchFailed as failure:
        return _("not downloaded, its old address is kept: %(reason)s") % {"reason": failure.reason}
    if content_type.startswith(ATTACHMENT_TYPES):
        return _kept_attachment_reason()
    upload = SimpleUploadedFile(_file_name(source_url), data, content_type=content_type)
    try:
        return media_item_upload(
            file=upload,
            uploaded_by=run.created_by if run is not None else None,
            alt_text=alt_text[: MediaItem._meta.get_field("alt_text").max_length],
            caption=caption[: MediaItem._meta.get_field("caption").max_length],
        )
    except ValidationError as refusal:
        return _("refused by the media library, its old address is kept: %(reason)s") % {
            "reason": " ".join(refusal.messages).rstrip(".")
        }


def _file_name(source_url: str) -> str:
    name = posixpath.basename(unquote(urlsplit(source_url).path)).split("=", 1)[0]
    # The library keeps the stem (its extension comes from the image's real format).
    name = re.sub(r"[^\w.-]+", "-", name).strip(".-")[:100]
    return name or "image"


def _is_attachment(source_url: str) -> bool:
    extension = posixpath.splitext(urlsplit(source_url).path)[1].lower()
    return extension in ATTACHMENT_EXTENSIONS


def _source_id(source_url: str) -> str:
    if len(source_url) <= SOURCE_ID_LENGTH:
        return source_url
    return "sha256:" + hashlib.sha256(source_url.encode()).hexdigest()


def _imported(source_url: str) -> MediaItem | None:
    """Return the item an earlier import made from `source_url`, from whichever platform."""
    record = (
        ImportedObject.objects.filter(
            kind=ImportedObject.Kind.MEDIA,
            source_id=_source_id(source_url),
            content_type=ContentType.objects.get_for_model(MediaItem),
        )
        .order_by("pk")
        .first()
    )
    if record is None:
        return None
    # None when the item was deleted from the library since: it is fetched again.
    return MediaItem.objects.filter(pk=record.object_id).first()


def _remember(source_url: str, item: MediaItem, run: ImportRun | None) -> None:
    ImportedObject.objects.update_or_create(
        platform=(run.format if run is not None else "") or "web",
        kind=ImportedObject.Kind.MEDIA,
        source_id=_source_id(source_url),
        defaults={
            "source_url": source_url[:2000],
            "content_type": ContentType.objects.get_for_model(MediaItem),
            "object_id": item.pk,
            "run": run,
        },
    )


# Rewriting bodies --------------------------------------------------------------------------


def html_media_rewrite(html_text: str, fetch: Callable[[str], MediaItem | None]) -> str:
    """Return the body with its images, their srcset and links to images pointing at the items
    `fetch` returns; what `fetch` could not bring keeps its old address."""
    parser = _MediaTags()
    parser.feed(html_text)
    parser.close()
    if not parser.tags:
        return html_text
    line_starts = [0]
    for line in html_text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    pieces, position = [], 0
    for (line, column), raw, tag, attributes in parser.tags:
        start = line_starts[line - 1] + column
        if html_text[start : start + len(raw)] != raw:
            continue  # not where the parser said: left as it was rather than guessed
        rewritten = _rewritten_tag(tag, attributes, raw, fetch)
        if rewritten is None:
            continue
        pieces += [html_text[position:start], rewritten]
        position = start + len(raw)
    pieces.append(html_text[position:])
    return "".join(pieces)


class _MediaTags(HTMLParser):
    """Collect the start tags that may point at images, with their place and raw text."""

    TAGS = {"img", "source", "a"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        if tag in self.TAGS:
            self.tags.append((self.getpos(), self.get_starttag_text(), tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def _rewritten_tag(tag: str, attributes, raw: str, fetch) -> str | None:
    """Return the tag pointing at the library, or None to leave it as it was."""
    values = dict(attributes)
    if tag == "a":
        href = (values.get("href") or "").strip()
        # A document is asked for too: `fetch` reports it as kept at its old address.
        if not (_looks_like_image(href) or _is_attachment(href)):
            return None
        item = _fetched(href, fetch)
        return None if item is None else _tag(tag, attributes, raw, {"href": item.url})
    candidates = _srcset_urls(values.get("srcset") or "")
    if tag == "img":
        candidates.append((values.get("src") or "").strip())
    for candidate in candidates:
        item = _fetched(candidate, fetch)
        if item is not None:
            break
    else:
        return None
    if tag == "img":
        # The library's renditions replace the old site's sizes (blog/media.py makes them).
        changes = {"src": item.url, "srcset": None, "sizes": None}
    else:
        # `<source>` in `<picture>`: the old type (often WebP) may not be the item's.
        changes = {"srcset": item.url, "sizes": None, "type": None}
    return _tag(tag, attributes, raw, changes)


def _fetched(url: str, fetch) -> MediaItem | None:
    if not url or url.startswith(("data:", "#", "mailto:", "javascript:")):
        return None
    return fetch(url)


def _srcset_urls(srcset: str) -> list[str]:
    """Return the candidates' addresses, the widest first (by their `w` or `x` descriptor)."""
    candidates = []
    # Commas inside an address (`…/w_1456,c_limit/…`) are kept: a candidate ends at a comma
    # followed by a space or at the end.
    for order, candidate in enumerate(re.split(r",\s+|,$", srcset.strip())):
        pieces = candidate.split()
        if not pieces:
            continue
        descriptor = pieces[1] if len(pieces) > 1 else "1x"
        try:
            size = float(descriptor[:-1]) * (1 if descriptor.endswith("w") else 10_000)
        except ValueError:
            size = 0
        candidates.append((-size, order, pieces[0].rstrip(",")))
    return [url for _size, _order, url in sorted(candidates)]


def _looks_like_image(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    extension = posixpath.splitext(parts.path)[1].lower()
    return extension in IMAGE_EXTENSIONS or bool(IMAGE_HOSTS.search(parts.hostname or ""))


def _tag(tag: str, attributes, raw: str, changes: dict[str, str | None]) -> str:
    """Return the start tag with `changes` made (None removes an attribute), else as it was."""
    written = []
    for name, value in attributes:
        if name in changes:
            value = changes[name]
            if value is None:
                continue
        written.append(name if value is None else f'{name}="{html.escape(value)}"')
    closing = "/>" if raw.rstrip().endswith("/>") else ">"
    return f"<{tag}{''.join(' ' + attribute for attribute in written)}{closing}"
