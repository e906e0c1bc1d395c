"""The address of an image's original, behind the resize addresses of the platforms' CDNs.

Blogger, Overblog, Substack, WordPress and Ghost show images through addresses that ask for a
smaller copy (`…/s1600/photo.jpg`, `resize.over-blog.com/300x200.jpg?…`,
`substackcdn.com/image/fetch/w_1456,…/<original>`, `photo-300x200.jpg`, `/size/w600/`). An import
fetches the original once, and every copy of it in the posts points at that one library item.
"""

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

# Blogger's and Google's image hosts: `1.bp.blogspot.com`, `blogger.googleusercontent.com`,
# `lh3.googleusercontent.com`, `lh3.ggpht.com`.
GOOGLE_IMAGE_HOSTS = re.compile(r"(^|\.)(bp\.blogspot\.com|googleusercontent\.com|ggpht\.com)$")
# A path segment of size options: `s1600`, `s72-c`, `w640-h480`, `s1600-h`, `w400-h300-p-k-no-nu`.
GOOGLE_SIZE_SEGMENT = re.compile(r"^[swh]\d+(-[a-z0-9]+)*$")
# The same options after `=` at the end of the last segment: `AVvXsEg…=s1600`, `…=w640-h480-c`.
GOOGLE_SIZE_SUFFIX = re.compile(r"=([a-z]+\d*)(-[a-z]+\d*)*$")
# Overblog's resizer: `resize.over-blog.com/400x260.jpg?<original>`, `…/170x170-ct.jpg?<original>`.
OVERBLOG_RESIZER = re.compile(r"^/\d+x\d+(-[a-z0-9]+)*(\.[a-z]+)?$", re.IGNORECASE)
# Older Overblog hosts put the size first in the path: `img.over-blog.com/300x225/0/23/photo.jpg`,
# `a398.idata.over-blog.com/300x225/…`, `img.over-blog-kiwi.com/300x300-ct/…`.
OVERBLOG_HOSTS = re.compile(r"(^|\.)(over-blog\.com|over-blog-kiwi\.com)$")
OVERBLOG_SIZE_SEGMENT = re.compile(r"^/\d+x\d+(-[a-z0-9]+)*(?=/)", re.IGNORECASE)
SUBSTACK_FETCH = "/image/fetch/"
# WordPress's intermediate sizes: `photo-300x200.jpg` beside `photo.jpg`.
WORDPRESS_SIZE = re.compile(r"-\d+x\d+(?=\.[A-Za-z0-9]+$)")
# WordPress.com and Jetpack resize through the query string: `photo.jpg?w=300&h=200`.
WORDPRESS_RESIZE_PARAMETERS = {"w", "h", "resize", "fit", "crop", "zoom", "quality", "ssl", "strip"}
# Jetpack's image CDN: `i0.wp.com/example.org/wp-content/uploads/photo.jpg?w=640`.
JETPACK_HOSTS = re.compile(r"^i\d\.wp\.com$")
# Ghost's renditions: `/content/images/size/w600/2023/01/photo.jpg`, also `…/size/w600/format/webp/…`.
GHOST_SIZE = re.compile(r"/content/images/size/[^/]+/(format/[^/]+/)?")
# Nested wrappers (Substack fetching from another CDN) are unwrapped this many times at most.
MAX_UNWRAPS = 5


def original_url(url: str) -> str:
    """Return the address of the image's original when `url` asks a CDN for a resized copy."""
    for _attempt in range(MAX_UNWRAPS):
        unwrapped = _unwrapped_once(url)
        if unwrapped == url:
            break
        url = unwrapped
    return url


def _unwrapped_once(url: str) -> str:
    if "/content/images/size/" in url:
        # Ghost's, on any host, even before its export's `__GHOST_URL__` is replaced.
        return GHOST_SIZE.sub("/content/images/", url, count=1)
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return url
    if host == "substackcdn.com" and parts.path.startswith(SUBSTACK_FETCH):
        return _substack_original(url, parts)
    if host.startswith("resize") and OVERBLOG_HOSTS.search(host):
        return _overblog_resizer_original(url, parts)
    if OVERBLOG_HOSTS.search(host):
        return urlunsplit(parts._replace(path=OVERBLOG_SIZE_SEGMENT.sub("", parts.path, count=1)))
    if GOOGLE_IMAGE_HOSTS.search(host):
        return _google_original(parts)
    if JETPACK_HOSTS.match(host):
        return _jetpack_original(parts)
    if "/wp-content/uploads/" in parts.path:
        return urlunsplit(
            parts._replace(
                path=WORDPRESS_SIZE.sub("", parts.path),
                query=_without_resize_parameters(parts.query),
            )
        )
    if host.endswith(".files.wordpress.com"):
        return urlunsplit(parts._replace(query=_without_resize_parameters(parts.query)))
    return url


def _substack_original(url: str, parts) -> str:
    # What follows the transforms (`w_1456,c_limit,f_webp,q_auto:good/`) is the original,
    # percent-encoded (`https%3A%2F%2F…`) or, in older posts, as is. The raw text is used:
    # urlsplit would have cut the original's own query string off.
    rest = url.split(SUBSTACK_FETCH, 1)[1]
    match = re.search(r"https?(:|%3A)", rest, re.IGNORECASE)
    if match is None:
        return url
    inner = rest[match.start() :]
    if inner[: len("https%3a")].lower().startswith(("http%3a", "https%3a")):
        inner = unquote(inner)
    # Some proxies fold the original's `//` into one slash.
    inner = re.sub(r"^(https?):/(?!/)", r"\1://", inner)
    return inner


def _overblog_resizer_original(url: str, parts) -> str:
    if not OVERBLOG_RESIZER.match(parts.path):
        return url
    query = url.split("?", 1)[1] if "?" in url else ""
    if query.startswith("url="):
        query = unquote(query[len("url=") :])
    elif query[: len("https%3a")].lower().startswith(("http%3a", "https%3a")):
        query = unquote(query)
    if not re.match(r"^(https?:)?//", query, re.IGNORECASE):
        return url
    return "https:" + query if query.startswith("//") else query


def _google_original(parts) -> str:
    segments = parts.path.split("/")
    # The size is the folder before the file name (`…/s1600/photo.jpg`) or, on newer addresses
    # without a file name, a suffix of the last segment (`…/AVvXsEg…=s1600`).
    if len(segments) >= 3 and GOOGLE_SIZE_SEGMENT.match(segments[-2]):
        segments[-2] = "s0"
        return urlunsplit(parts._replace(path="/".join(segments)))
    if GOOGLE_SIZE_SUFFIX.search(segments[-1]):
        segments[-1] = GOOGLE_SIZE_SUFFIX.sub("=s0", segments[-1])
        return urlunsplit(parts._replace(path="/".join(segments)))
    return urlunsplit(parts)


def _jetpack_original(parts) -> str:
    path = parts.path.lstrip("/")
    if "/" not in path:
        return urlunsplit(parts)
    query = _without_resize_parameters(parts.query)
    return "https://" + path + ("?" + query if query else "")


def _without_resize_parameters(query: str) -> str:
    parameters = parse_qsl(query, keep_blank_values=True)
    kept = [(name, value) for name, value in parameters if name not in WORDPRESS_RESIZE_PARAMETERS]
    # Left as it was when there is nothing to remove: its encoding may matter to the server.
    return query if len(kept) == len(parameters) else urlencode(kept)
