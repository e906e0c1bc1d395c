"""Images of imported posts: downloaded within bounds from public addresses, stored once, and
the bodies pointed at the library. A local HTTP server plays the old site."""

import io
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from unittest import mock

import pytest
from django.utils import translation
from PIL import Image

from blog.models import MediaItem
from moving.media import MediaFetchFailed, html_media_rewrite, media_fetch, media_import
from moving.models import ImportedObject, ImportRun

MAKE = 0x010F


def png_bytes(color="red") -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(output, format="PNG")
    return output.getvalue()


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "Appareil indiscret"
    output = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(output, format="JPEG", exif=exif)
    return output.getvalue()


class OldSite(ThreadingHTTPServer):
    """The old site's image host: records every request, answers from `routes`."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), OldSiteHandler)
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        self.release = threading.Event()
        self.routes = {
            "/photo.png": (200, {"Content-Type": "image/png"}, png_bytes()),
            "/other.png": (200, {"Content-Type": "image/png"}, png_bytes("blue")),
            "/exif.jpg": (200, {"Content-Type": "image/jpeg"}, jpeg_with_exif()),
            "/wp-content/uploads/2019/05/radis.png": (
                200,
                {"Content-Type": "image/png"},
                png_bytes("purple"),
            ),
            "/not-an-image.jpg": (200, {"Content-Type": "image/jpeg"}, b"Hello, I am text.\n"),
            "/moved.png": (301, {"Location": "/photo.png"}, b""),
            "/to-private.png": (302, {"Location": "http://10.0.0.1/photo.png"}, b""),
            "/to-metadata.png": (302, {"Location": "http://169.254.169.254/latest/"}, b""),
            "/loop.png": (302, {"Location": "/loop.png"}, b""),
            "/big.png": (200, {"Content-Type": "image/png"}, b"\x89PNG" + b"0" * (1024 * 1024)),
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def paths(self) -> list[str]:
        return [path for path, _host in self.requests]


class OldSiteHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        server.requests.append((self.path, self.headers.get("Host", "")))
        if self.path == "/slow.png":
            # A byte at a time, each well within the time limit, until the test is over (5 s at
            # most): only the limit on the whole download ends it.
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _byte in range(100):
                self.wfile.write(b"\x89")
                self.wfile.flush()
                if server.release.wait(0.05):
                    break
            return
        if self.path == "/big-unannounced.png":
            # No Content-Length: only counting what arrives stops it.
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Connection", "close")
            self.end_headers()
            for _chunk in range(20):
                self.wfile.write(b"0" * 64 * 1024)
            return
        status, headers, body = server.routes.get(self.path, (404, {}, b"Not found"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def old_site():
    server = OldSite()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MOVING_MEDIA_TIMEOUT = 5
    return settings.MEDIA_ROOT


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def no_loopback(settings):
    settings.MOVING_ALLOW_LOOPBACK = False


def fetch(url: str) -> tuple[bytes, str]:
    return media_fetch(url, max_bytes=1024 * 1024, timeout=5)


# Downloading ---------------------------------------------------------------------------------


def test_fetch_returns_the_file_and_its_type(old_site):
    assert fetch(old_site.url + "/photo.png") == (png_bytes(), "image/png")


def test_fetch_follows_a_redirect(old_site):
    assert fetch(old_site.url + "/moved.png")[0] == png_bytes()
    assert old_site.paths() == ["/moved.png", "/photo.png"]


def test_fetch_follows_three_redirects_at_most(old_site, english):
    with pytest.raises(MediaFetchFailed, match="more than 3 redirects"):
        fetch(old_site.url + "/loop.png")
    assert len(old_site.requests) == 4


def test_fetch_says_what_the_server_answered(old_site, english):
    with pytest.raises(MediaFetchFailed, match="the server answered 404 Not Found"):
        fetch(old_site.url + "/gone.png")


def test_fetch_stops_at_the_time_limit(old_site, english):
    with pytest.raises(MediaFetchFailed, match="no complete answer within 0.3 seconds"):
        media_fetch(old_site.url + "/slow.png", max_bytes=1024 * 1024, timeout=0.3)


@pytest.mark.parametrize("path", ["/big.png", "/big-unannounced.png"])
def test_fetch_stops_past_the_size_limit(old_site, english, path):
    with pytest.raises(MediaFetchFailed, match="larger than 1 MB"):
        fetch(old_site.url + path)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/photo.png",
        "http://192.168.1.20/photo.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00::1]/photo.png",
        "http://0.0.0.0/photo.png",
        "http://224.0.0.1/photo.png",
        "http://100.64.0.1/photo.png",
        "http://[::ffff:10.0.0.1]/photo.png",
    ],
)
def test_fetch_refuses_private_addresses_even_when_loopback_is_allowed(url, english):
    with (
        mock.patch("socket.create_connection") as connect,
        pytest.raises(MediaFetchFailed, match="private or local address"),
    ):
        fetch(url)
    connect.assert_not_called()


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "127.1.2.3"]
)
def test_fetch_refuses_loopback_in_production(old_site, no_loopback, english, address):
    port = old_site.server_address[1]
    with pytest.raises(MediaFetchFailed, match="private or local address"):
        fetch(f"http://{address}:{port}/photo.png")
    assert old_site.requests == []


def test_fetch_refuses_a_host_name_resolving_to_a_private_address(english):
    private = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80))]
    with (
        mock.patch("socket.getaddrinfo", return_value=private),
        mock.patch("socket.create_connection") as connect,
        pytest.raises(MediaFetchFailed, match="images.example.org is a private or local address"),
    ):
        fetch("http://images.example.org/photo.png")
    connect.assert_not_called()


@pytest.mark.parametrize("path", ["/to-private.png", "/to-metadata.png"])
def test_fetch_refuses_a_redirect_to_a_private_address(old_site, english, path):
    with (
        pytest.raises(MediaFetchFailed, match="private or local address"),
    ):
        fetch(old_site.url + path)
    assert old_site.paths() == [path]


def test_fetch_connects_to_the_address_it_checked_with_the_host_name_kept(old_site):
    # Resolved once, checked, and connected to: a second lookup (DNS rebinding) is never made.
    port = old_site.server_address[1]
    lookups = []

    def resolve(host, *args, **kwargs):
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    with mock.patch("socket.getaddrinfo", side_effect=resolve):
        data, _content_type = fetch(f"http://images.example.org:{port}/photo.png")
    assert data == png_bytes()
    # The connection itself only "resolves" the address literal it was given.
    assert lookups.count("images.example.org") == 1
    assert set(lookups) == {"images.example.org", "127.0.0.1"}
    assert old_site.requests == [("/photo.png", f"images.example.org:{port}")]


@pytest.mark.parametrize("url", ["ftp://example.org/a.png", "file:///etc/passwd", "/a.png"])
def test_fetch_takes_http_and_https_only(url, english):
    with pytest.raises(MediaFetchFailed, match="only http and https"):
        fetch(url)


# Importing ---------------------------------------------------------------------------------


def new_run() -> ImportRun:
    run = ImportRun(file_name="potager.xml", format="wxr")
    run.save()
    return run


@pytest.fixture
def run(db):
    return new_run()


@pytest.fixture
def failures():
    return []


def bring(url, run, failures, **options):
    return media_import(url, run=run, on_failure=failures.append, **options)


def test_import_stores_the_image_and_remembers_its_address(old_site, run, failures):
    item = bring(old_site.url + "/photo.png", run, failures, alt_text="Des radis")
    assert item.alt_text == "Des radis"
    assert item.url.startswith("/media/library/")
    assert (item.width, item.height) == (40, 30)
    record = ImportedObject.objects.get(kind="media")
    assert (record.platform, record.source_url, record.target, record.run) == (
        "wxr",
        old_site.url + "/photo.png",
        item,
        run,
    )
    assert failures == []


def test_import_strips_the_photo_metadata(old_site, run, failures):
    item = bring(old_site.url + "/exif.jpg", run, failures)
    with item.file.open("rb") as stored:
        assert not Image.open(stored).getexif()


def test_import_reuses_what_an_earlier_run_brought(old_site, run, failures):
    first = bring(old_site.url + "/photo.png", run, failures)
    again = new_run()
    assert bring(old_site.url + "/photo.png", again, failures) == first
    assert bring(old_site.url + "/photo.png", None, failures) == first
    assert old_site.paths() == ["/photo.png"]
    assert MediaItem.objects.count() == 1


def test_import_unwraps_resize_addresses_to_one_original(old_site, run, failures):
    base = old_site.url + "/wp-content/uploads/2019/05/"
    small = bring(base + "radis-150x150.png", run, failures)
    assert bring(base + "radis-1024x683.png", run, failures) == small
    assert bring(base + "radis.png", run, failures) == small
    assert old_site.paths() == ["/wp-content/uploads/2019/05/radis.png"]


def test_import_fetches_again_an_image_deleted_from_the_library(old_site, run, failures):
    bring(old_site.url + "/photo.png", run, failures).delete()
    assert bring(old_site.url + "/photo.png", run, failures) is not None
    assert old_site.paths() == ["/photo.png", "/photo.png"]
    assert ImportedObject.objects.count() == 1


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/gone.png", "not downloaded, its old address is kept: the server answered 404 Not Found"),
        (
            "/not-an-image.jpg",
            "refused by the media library, its old address is kept: This file is not an image "
            "the library accepts: JPEG, PNG, WebP or GIF",
        ),
        ("/to-private.png", "not downloaded, its old address is kept: 10.0.0.1 is a private"),
    ],
)
def test_import_failure_is_reported_and_returns_none(
    old_site, run, failures, english, path, reason
):
    assert bring(old_site.url + path, run, failures) is None
    assert len(failures) == 1
    assert failures[0].startswith(f"{old_site.url}{path}: {reason}")
    assert MediaItem.objects.count() == 0
    assert not ImportedObject.objects.exists()


def test_import_failure_goes_to_the_run_report_without_a_callback(old_site, run, english):
    assert media_import(old_site.url + "/gone.png", run=run) is None
    assert run.report["failures"] == [
        {
            "what": "media",
            "reason": f"{old_site.url}/gone.png: not downloaded, its old address is kept: "
            "the server answered 404 Not Found.",
        }
    ]


def test_import_tries_a_failed_address_once_per_run(old_site, run, failures):
    assert bring(old_site.url + "/gone.png", run, failures) is None
    assert bring(old_site.url + "/gone.png", run, failures) is None
    assert old_site.paths() == ["/gone.png"]
    assert len(failures) == 2  # each post that shows it says so


def test_import_stops_at_the_count_limit(old_site, run, failures, settings, english):
    settings.MOVING_MEDIA_MAX_COUNT = 1
    assert bring(old_site.url + "/photo.png", run, failures) is not None
    assert bring(old_site.url + "/other.png", run, failures) is None
    assert old_site.paths() == ["/photo.png"]
    assert "this import already brought 1 files, the most allowed" in failures[0]
    # Already brought: still found, the limit is on downloads.
    assert bring(old_site.url + "/photo.png", run, failures) is not None
    # Another run has its own count.
    other = new_run()
    assert bring(old_site.url + "/other.png", other, failures) is not None


def test_import_keeps_attachments_at_their_old_address(old_site, run, failures, english):
    assert bring(old_site.url + "/programme.pdf", run, failures) is None
    assert failures == [
        f"{old_site.url}/programme.pdf: kept at its old address: "
        "the media library only takes images."
    ]
    assert old_site.requests == []


def test_a_dry_run_downloads_nothing(old_site, run, failures):
    run.dry_run = True
    assert bring(old_site.url + "/photo.png", run, failures) is None
    assert old_site.requests == []
    assert failures == []


# Rewriting bodies --------------------------------------------------------------------------


def library(**items):
    """Return a `fetch` that knows the given addresses, and the list of addresses it was asked."""
    asked = []

    def fetch(url):
        asked.append(url)
        path = items.get(url)
        return SimpleNamespace(url=path) if path else None

    return fetch, asked


def test_rewrite_points_img_at_the_library_and_keeps_the_rest_as_it_was():
    fetch, _asked = library(**{"https://old.example/a.jpg": "/media/library/a.jpg"})
    body = (
        '<p class="intro">Du <em>jardin</em> :</p>\n\n'
        "<p>\n  <IMG alt='Des radis' src=\"https://old.example/a.jpg\" width=300>\n</p>"
    )
    assert html_media_rewrite(body, fetch) == (
        '<p class="intro">Du <em>jardin</em> :</p>\n\n'
        '<p>\n  <img alt="Des radis" src="/media/library/a.jpg" width="300">\n</p>'
    )


def test_rewrite_takes_the_widest_srcset_candidate_and_drops_the_srcset():
    fetch, asked = library(**{"https://old.example/a-1024x683.jpg": "/media/library/a.jpg"})
    body = (
        '<img src="https://old.example/a-300x200.jpg" '
        'srcset="https://old.example/a-300x200.jpg 300w, https://old.example/a-1024x683.jpg 1024w, '
        'https://old.example/a-768x512.jpg 768w" sizes="(max-width: 300px) 100vw, 300px" />'
    )
    assert html_media_rewrite(body, fetch) == '<img src="/media/library/a.jpg"/>'
    assert asked == ["https://old.example/a-1024x683.jpg"]


def test_rewrite_falls_back_to_src_when_the_widest_candidate_fails():
    fetch, asked = library(**{"https://old.example/a.jpg": "/media/library/a.jpg"})
    body = '<img src="https://old.example/a.jpg" srcset="https://old.example/b.jpg 2x">'
    assert html_media_rewrite(body, fetch) == '<img src="/media/library/a.jpg">'
    assert asked == ["https://old.example/b.jpg", "https://old.example/a.jpg"]


def test_rewrite_reads_substack_srcsets_with_commas_in_their_addresses():
    wide = "https://substackcdn.com/image/fetch/w_1456,c_limit,f_webp/https%3A%2F%2Fs3%2Fa.jpeg"
    narrow = "https://substackcdn.com/image/fetch/w_424,c_limit,f_webp/https%3A%2F%2Fs3%2Fa.jpeg"
    fetch, asked = library(**{wide: "/media/library/a.jpg"})
    body = f'<img src="{narrow}" srcset="{narrow} 424w, {wide} 1456w">'
    assert html_media_rewrite(body, fetch) == '<img src="/media/library/a.jpg">'
    assert asked == [wide]


def test_rewrite_points_gallery_links_at_the_full_image():
    fetch, _asked = library(
        **{
            "https://old.example/wp-content/uploads/a.jpg": "/media/library/a.jpg",
            "https://old.example/wp-content/uploads/a-150x150.jpg": "/media/library/a.jpg",
        }
    )
    body = (
        '<figure class="gallery"><a href="https://old.example/wp-content/uploads/a.jpg">'
        '<img src="https://old.example/wp-content/uploads/a-150x150.jpg" alt=""></a></figure>'
    )
    assert html_media_rewrite(body, fetch) == (
        '<figure class="gallery"><a href="/media/library/a.jpg">'
        '<img src="/media/library/a.jpg" alt=""></a></figure>'
    )


def test_rewrite_leaves_links_to_pages_and_documents_alone():
    fetch, asked = library()
    body = (
        '<a href="https://old.example/2019/05/radis.html">radis</a> '
        '<a href="https://old.example/programme.pdf">programme</a> <a name="x">ancre</a>'
    )
    assert html_media_rewrite(body, fetch) == body
    # The document is asked for, for the report to list it.
    assert asked == ["https://old.example/programme.pdf"]


def test_rewrite_points_blogger_links_without_extension_at_the_library():
    url = "https://blogger.googleusercontent.com/img/a/AVvXsEgX3k9Q=s1600"
    fetch, _asked = library(**{url: "/media/library/a.jpg"})
    assert html_media_rewrite(f'<a href="{url}">x</a>', fetch) == (
        '<a href="/media/library/a.jpg">x</a>'
    )


def test_rewrite_points_picture_sources_at_the_library():
    fetch, _asked = library(
        **{
            "https://old.example/a.webp": "/media/library/a.jpg",
            "https://old.example/a.jpg": "/media/library/a.jpg",
        }
    )
    body = (
        '<picture><source type="image/webp" srcset="https://old.example/a.webp 1x">'
        '<img src="https://old.example/a.jpg" alt="a"></picture>'
    )
    assert html_media_rewrite(body, fetch) == (
        '<picture><source srcset="/media/library/a.jpg">'
        '<img src="/media/library/a.jpg" alt="a"></picture>'
    )


def test_rewrite_leaves_what_failed_byte_for_byte():
    fetch, asked = library(**{"https://old.example/b.jpg": "/media/library/b.jpg"})
    body = (
        "<p><img  src='https://old.example/a.jpg?x=1&amp;y=2'  srcset='https://old.example/a.jpg 1x'"
        ' data-id=3></p>\n<p><img src="https://old.example/b.jpg"></p>'
    )
    assert html_media_rewrite(body, fetch) == (
        "<p><img  src='https://old.example/a.jpg?x=1&amp;y=2'  srcset='https://old.example/a.jpg 1x'"
        ' data-id=3></p>\n<p><img src="/media/library/b.jpg"></p>'
    )
    # The address as the browser reads it, entities decoded.
    assert asked[1] == "https://old.example/a.jpg?x=1&y=2"


def test_rewrite_never_fetches_embedded_images():
    fetch, asked = library()
    body = '<img src="data:image/png;base64,iVBORw0KGgo=" alt="">'
    assert html_media_rewrite(body, fetch) == body
    assert asked == []


def test_rewrite_brings_a_post_images_home(old_site, run, failures):
    body = (
        f'<p><a href="{old_site.url}/photo.png"><img src="{old_site.url}/photo.png"></a></p>\n'
        f'<p><img src="{old_site.url}/gone.png" alt="perdue"></p>'
        f'<p><a href="{old_site.url}/programme.pdf">Le programme</a></p>'
    )
    rewritten = html_media_rewrite(body, lambda url: bring(url, run, failures))
    item = MediaItem.objects.get()
    assert rewritten == (
        f'<p><a href="{item.url}"><img src="{item.url}"></a></p>\n'
        f'<p><img src="{old_site.url}/gone.png" alt="perdue"></p>'
        f'<p><a href="{old_site.url}/programme.pdf">Le programme</a></p>'
    )
    assert old_site.paths() == ["/photo.png", "/gone.png"]
    assert [failure.split("\u00a0: ", 1)[0] for failure in failures] == [
        f"{old_site.url}/gone.png",
        f"{old_site.url}/programme.pdf",
    ]


def test_import_failure_is_reported_in_the_reader_language(old_site, run, failures):
    with translation.override("fr"):
        bring(old_site.url + "/gone.png", run, failures)
    assert failures == [
        f"{old_site.url}/gone.png\u00a0: non téléchargé, l’ancienne adresse est gardée\u00a0: "
        "le serveur a répondu 404 Not Found."
    ]


# The whole way: an export read, written, and its post shown -----------------------------------


@pytest.mark.django_db
def test_an_imported_post_shows_its_images_from_the_library(old_site, client, settings):
    from blog.models import Post
    from moving import services
    from moving.importers import wxr
    from tests.blog.factories import SuperuserFactory
    from tests.moving.test_importer_wxr import item, wxr_document

    settings.MOVING_ALLOW_LOOPBACK = True
    body = (
        '<p>Les radis :</p>\n<img src="https://potager.example/wp-content/uploads/2019/05/radis.png"'
        ' alt="Des radis">\n<p>Et encore <img src="/photo.png" alt="Un champ"></p>'
    )
    data = wxr_document(item("12", content=body)).replace(
        b"https://potager.example", old_site.url.encode()
    )
    run = ImportRun.objects.create(file_name="potager.xml", created_by=SuperuserFactory())
    report = services.export_write(export=wxr.read(data), run=run)

    assert report["failures"] == [] and report["counts"]["media"] == 2
    assert sorted(old_site.paths()) == ["/photo.png", "/wp-content/uploads/2019/05/radis.png"]
    post = Post.objects.get()
    page = client.get(post.get_canonical_path()).content.decode()
    images = dict((alt, src) for src, alt in _img_sources(page) if alt in ("Des radis", "Un champ"))
    assert set(images) == {"Des radis", "Un champ"}
    assert all(src.startswith("/media/library/") for src in images.values()), images
    assert old_site.url not in page
    assert set(post.media.all()) == set(MediaItem.objects.all())


def _img_sources(page: str) -> list[tuple[str, str]]:
    """Return the (src, alt) of every <img> of a page."""
    from html.parser import HTMLParser

    found = []

    class Images(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "img":
                values = dict(attrs)
                found.append((values.get("src") or "", values.get("alt") or ""))

    Images().feed(page)
    return found
