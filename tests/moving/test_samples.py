"""Every sample export of ../shared/samples, end to end: detected, read, written, written again
(nothing new), and its posts' pages shown. Skipped when the samples are not there."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from blog.models import MediaItem, Page, Post, Tag
from comments.models import Comment
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
