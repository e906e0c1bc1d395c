"""Every sample export of ../shared/samples, end to end: detected, read, written, written again
(nothing new), and its posts' pages shown. Skipped when the samples are not there."""

import difflib
import html
import io
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import translation

from blog.models import MediaItem, Page, Post, Tag
from comments.models import Comment
from core.markdown import URL_SCHEMES
from moving import detect, media, services
from moving.models import ImportedObject, ImportRun, Redirect
from newsletter.models import Subscriber
from tests.blog.factories import SuperuserFactory

pytestmark = pytest.mark.django_db

SAMPLES = Path(settings.BASE_DIR).parent / "shared" / "samples"
UNREACHABLE = "no network in the tests"


def sample_names() -> list[str]:
    if not SAMPLES.is_dir():
        return ["(absent)"]
    names = [
        str(path.relative_to(SAMPLES))
        for path in sorted(SAMPLES.rglob("*"))
        if path.is_file()
        and path.name != "README.md"
        and path.relative_to(SAMPLES).parts[0] != "substack"
    ]
    return [*names, "substack"]  # a folder, zipped as Substack gives it


def sample_bytes(name: str) -> bytes:
    path = SAMPLES / name
    if path.is_file():
        return path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in sorted(path.rglob("*")):
            if member.is_file():
                archive.writestr(str(member.relative_to(path)), member.read_bytes())
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def offline(monkeypatch, settings, tmp_path):
    """No internet here: every download fails at once, as an unreachable host would."""
    settings.MEDIA_ROOT = tmp_path
    settings.MOVING_ALLOW_LOOPBACK = False

    def unreachable(url, **options):
        raise media.MediaFetchFailed(UNREACHABLE)

    monkeypatch.setattr(media, "media_fetch", unreachable)
    with translation.override("en"):
        yield


def tables() -> dict[str, int]:
    models = (Post, Page, Tag, Comment, Subscriber, Redirect, MediaItem, ImportedObject)
    return {model.__name__: model.objects.count() for model in models}


def imported(name: str, owner) -> tuple[str, object, dict]:
    opened = detect.file_open(sample_bytes(name))
    format_name = detect.format_of(opened.head, name)
    export = detect.importer(format_name).read(opened.data, files=opened.files)
    run = ImportRun.objects.create(file_name=name, format=format_name, created_by=owner)
    return format_name, export, services.export_write(export=export, run=run)


def moved(export) -> bool:
    """Say whether a post of `export` had an address other than its new one."""
    for record in export.posts:
        link = ImportedObject.objects.get(
            platform=export.platform, kind=record.kind, source_id=record.source_id
        )
        new_path = link.target.get_canonical_path()
        if any(services._path_of(url) not in ("/", new_path) for url in record.old_urls):
            return True
    return False


# A failure of a sample's import may only be an image or a file left at its old address.
FAILURES_ALLOWED = (
    UNREACHABLE,
    "kept at its old address: the media library only takes images",
    "a relative address, and the export does not give the old site",
)


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_is_imported_end_to_end(name, client):
    if not SAMPLES.is_dir():
        pytest.skip(f"{SAMPLES} is absent: the shared samples are not here")
    owner = SuperuserFactory()

    format_name, export, report = imported(name, owner)

    assert format_name == Path(name).parts[0]
    counts = report["counts"]
    writings = [post for post in export.posts if post.kind == "post"]
    assert counts["posts"] + counts["drafts"] == len(writings), report
    assert counts["pages"] == len(export.posts) - len(writings)
    if export.posts:
        assert counts["posts"] + counts["pages"] > 0
    if any(comment.kind == "comment" for comment in export.comments):
        assert counts["comments"] > 0
    if export.terms:
        assert counts["tags"] + counts["categories"] > 0
    if export.subscribers:
        assert counts["subscribers"] > 0
    if moved(export):
        assert counts["redirects"] > 0
    unexpected = [
        failure
        for failure in report["failures"]
        if not any(allowed in failure["reason"] for allowed in FAILURES_ALLOWED)
    ]
    assert unexpected == []

    before = tables()
    imported(name, owner)
    assert tables() == before  # a second run makes nothing new

    for writing in [*Post.objects.all(), *Page.objects.all()]:
        live = writing.is_live if isinstance(writing, Post) else writing.status == "published"
        if live:
            response = client.get(writing.get_canonical_path())
            assert response.status_code == 200, (writing.slug, writing.get_canonical_path())


def test_the_three_mailchimp_files_keep_each_address_status():
    if not (SAMPLES / "mailchimp").is_dir():
        pytest.skip(f"{SAMPLES / 'mailchimp'} is absent: the shared samples are not here")
    owner = SuperuserFactory()
    for name in ("subscribed.csv", "unsubscribed.csv", "cleaned.csv"):
        format_name, _export, report = imported(f"mailchimp/{name}", owner)
        assert format_name == "mailchimp" and report["counts"]["subscribers"] == 5, report

    statuses = {}
    for subscriber in Subscriber.objects.all():
        statuses.setdefault(subscriber.email[0], set()).add(subscriber.status)
    assert statuses == {
        "s": {Subscriber.Status.CONFIRMED},
        # Unsubscribed and cleaned addresses are never confirmed again: no issue goes to them.
        "u": {Subscriber.Status.UNSUBSCRIBED},
        "c": {Subscriber.Status.SUPPRESSED},
    }
    assert sorted(s.email for s in Subscriber.objects.confirmed()) == [
        f"s{n}@example.com" for n in range(1, 6)
    ]
    left = Subscriber.objects.exclude(status=Subscriber.Status.CONFIRMED)
    assert all(subscriber.unsubscribed_at is not None for subscriber in left)


# --- Content as it was: each sample post's HTML before the writer, and as the page shows it ---
# Differences by design, and only those, are left out: the content of <script> and <style>
# (nh3 removes it), comments such as <!--more--> or Gutenberg's block comments (never shown),
# hrefs of a scheme nh3 refuses, links to imported posts (now at their new address). Shortcodes
# are already figures and links in what the importer read, so they are compared as such.


class _Visible(HTMLParser):
    """What a reader sees of an HTML fragment: its words in order, links (text, href), headings
    (level, text), list items (depth, text), quotes' text and images' alt texts."""

    # Their content is never shown, and nh3 removes it with the tag: not a loss.
    HIDDEN = {"script", "style"}
    # Tags that do not part words: "<tt>text</tt>," reads "text,". Any other tag does.
    INLINE = {
        "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "cite", "code", "del", "dfn", "em",
        "font", "i", "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strike",
        "strong", "sub", "sup", "time", "tt", "u", "var",
    }  # fmt: skip
    # Elements whose text is collected whole, for the element's own list.
    COLLECTED = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[tuple[str, str | None]] = []
        self.headings: list[tuple[int, str]] = []
        self.items: list[tuple[int, str]] = []
        self.quotes: list[str] = []
        self.images: list[str] = []
        self.hidden = 0
        self.depth = 0  # of nested lists
        self.open: list[tuple[str, int, object]] = []  # (tag, where its text starts, extra)

    @property
    def words(self) -> list[str]:
        return "".join(self.text).split()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag not in self.INLINE:
            self.text.append(" ")
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "img" and not self.hidden:
            self.images.append(" ".join((attributes.get("alt") or "").split()))
        elif tag in ("ul", "ol"):
            self.depth += 1
        if tag in self.COLLECTED and not self.hidden:
            extra = attributes.get("href") if tag == "a" else self.depth
            self.open.append((tag, len(self.text), extra))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in self.COLLECTED:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag not in self.INLINE:
            self.text.append(" ")
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in ("ul", "ol"):
            self.depth = max(0, self.depth - 1)
        if not any(element[0] == tag for element in self.open):
            return  # a stray end tag
        while self.open:
            name, start, extra = self.open.pop()
            text = " ".join("".join(self.text[start:]).split())
            if name == "a":
                self.links.append((text, extra))
            elif name == "li":
                self.items.append((extra, text))
            elif name == "blockquote":
                self.quotes.append(text)
            else:
                self.headings.append((int(name[1]), text))
            if name == tag:
                break

    def handle_data(self, data):
        if not self.hidden:
            self.text.append(data)

    def close(self):
        super().close()
        while self.open:  # elements left open at the end close there, as a browser does
            self.handle_endtag(self.open[-1][0])


def visible(html: str) -> _Visible:
    collector = _Visible()
    collector.feed(html)
    collector.close()
    return collector


def kept_href(href: str | None) -> str | None:
    """The href nh3 keeps: none for a scheme outside the site's (javascript:, data:, ftp:…)."""
    if href is None:
        return None
    scheme = urlsplit(href.strip()).scheme
    return href if not scheme or scheme.lower() in URL_SCHEMES else None


def moved_href(href: str, new_paths: dict[str, str]) -> str:
    """Where the writer points a link to an imported post: its new address."""
    path = services._path_of(href.split("#")[0])
    target = new_paths.get(path) or new_paths.get(path.rstrip("/")) or new_paths.get(path + "/")
    fragment = urlsplit(href).fragment
    return f"{target}#{fragment}" if target and fragment else target or href


def post_samples() -> list[str]:
    return [name for name in sample_names() if not name.startswith("mailchimp/")]


@pytest.mark.parametrize("name", post_samples())
def test_each_sample_post_shows_what_its_source_showed(name):
    if not SAMPLES.is_dir():
        pytest.skip(f"{SAMPLES} is absent: the shared samples are not here")
    _format_name, export, _report = imported(name, SuperuserFactory())
    if not export.posts:
        pytest.skip(f"{name} carries no posts nor pages")
    new_paths = {redirect.old_path: redirect.new_path for redirect in Redirect.objects.all()}
    compared, differences = 0, []
    # Records sharing a source id are one object (Pelican's hand-made WXR repeats ids): the
    # last one read is what the site keeps, as when an import is run again.
    last = {(record.kind, record.source_id): record for record in export.posts}
    for record in last.values():
        link = ImportedObject.objects.get(
            platform=export.platform, kind=record.kind, source_id=record.source_id
        )
        writing = link.target
        new_paths[writing.get_canonical_path()] = writing.get_canonical_path()
        before, after = visible(record.body_html), visible(writing.body_html)
        where = f"{record.kind} {record.source_id} “{record.title}”"
        links_before = [
            (text, moved_href(html.unescape(href), new_paths) if href is not None else None)
            for text, href in ((text, kept_href(href)) for text, href in before.links)
        ]
        for what, was, now in (
            ("words", before.words, after.words),
            ("headings", before.headings, after.headings),
            ("list items", before.items, after.items),
            ("quotes", before.quotes, after.quotes),
            # Every image kept, with its alt text (downloads fail here: each keeps its address).
            ("images", before.images, after.images),
            # Links keep their text and their target; a link to another imported post now
            # points at its new address.
            ("links", links_before, after.links),
        ):
            if was != now:
                lost = "\n".join(
                    line
                    for line in difflib.unified_diff(
                        list(map(str, was)), list(map(str, now)), lineterm="", n=2
                    )
                    if not line.startswith(("---", "+++"))
                )
                differences.append(f"{where}: {what}\n{lost}")
        compared += 1
    assert compared == len(last)
    assert not differences, "\n\n".join(differences)
