"""Our own export read back, and the round trip: export a site, import it into an empty one."""

import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model

from blog.models import MediaItem, Page, Post, Tag
from comments.models import Comment
from moving import export
from moving.importers import ImportRefused, chezsoi
from moving.models import ImportRun, Redirect
from newsletter.models import Subscriber, SubscriberEvent
from tests.moving.test_export import build_site

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def exported_zip() -> bytes:
    buffer = io.BytesIO()
    export.site_export_write(buffer)
    return buffer.getvalue()


def names_head(data: bytes) -> bytes:
    return b"ZIP\n" + "\n".join(zipfile.ZipFile(io.BytesIO(data)).namelist()).encode()


def test_detect_knows_our_zip_by_its_names_and_nothing_else():
    assert chezsoi.detect(b"ZIP\nCHEZ-SOI-EXPORT.txt\nwordpress.xml")
    # The list cut at 64 KB still starts with the note.
    assert chezsoi.detect(b"ZIP\nCHEZ-SOI-EXPORT.txt\nmedia/library/2026/01/a")
    assert chezsoi.detect(b"ZIP\nmedia/a.jpg\nchez-soi.json\nmanifest.json")
    assert not chezsoi.detect(b"ZIP\nposts.csv\nposts/1.html")
    assert not chezsoi.detect(b'{"format": "chez-soi-export"}')
    assert not chezsoi.detect(b"ZIP\nmedia/CHEZ-SOI-EXPORT.txt")


def test_read_gives_the_records_with_the_images_from_the_zip(settings):
    site = build_site()
    data = exported_zip()
    assert chezsoi.detect(names_head(data))

    result = chezsoi.read(data)

    assert result.platform == "chezsoi"
    assert result.site_url == settings.SITE_URL
    posts = {post.slug: post for post in result.posts}
    assert posts["les-radis"].kind == "post" and posts["a-propos"].kind == "page"
    assert posts["brouillon"].status == "draft"
    assert posts["les-radis"].term_source_ids == ["radis"]
    assert posts["les-radis"].seo_title == "Radis, le guide"
    photo_url = settings.SITE_URL + site["photo"].url
    # The body from the Markdown: the original's address, not the renditions the zip lacks.
    assert f'src="{photo_url}"' in posts["les-radis"].body_html
    assert "webp" not in posts["les-radis"].body_html
    attachments = {attachment.source_id: attachment for attachment in result.attachments}
    photo = attachments[photo_url]
    assert photo.url == f"zip:media/{site['photo'].file.name}"
    assert photo.content == site["photo"].file.open("rb").read()
    assert (photo.alt_text, photo.caption) == ("Des radis", "Au marché")
    cover_url = settings.SITE_URL + site["cover"].url
    assert posts["les-radis"].featured_image_url == cover_url
    assert posts["les-radis"].featured_image_alt == "Un potager"
    first, reply, spam = site["comments"]
    comments = {comment.source_id: comment for comment in result.comments}
    assert comments[str(reply.pk)].parent_source_id == str(first.pk)
    assert comments[str(reply.pk)].post_source_id == f"post-{site['post'].pk}"
    assert comments[str(first.pk)].author_ip == "203.0.113.9"
    assert comments[str(spam.pk)].status == "spam"
    subscribers = {subscriber.email: subscriber for subscriber in result.subscribers}
    lea = subscribers["lea@example.org"]
    assert lea.status == "subscribed"
    assert (lea.opt_in_ip, lea.confirm_ip) == ("198.51.100.4", "198.51.100.5")
    assert lea.consent_wording == "Je veux recevoir les billets."
    assert [event["kind"] for event in lea.events] == ["subscribe", "confirm"]
    assert subscribers["=cmd@example.org"].status == "cleaned"
    assert subscribers["=cmd@example.org"].left_reason == "bounce"
    # The redirect to a post follows the post; the other one is carried as it is.
    assert "/?p=12" in posts["les-radis"].old_urls
    assert [(r.old_path, r.new_path) for r in result.redirects] == [("/ancien-flux.xml", "/feed/")]


def test_read_takes_the_members_unpacked_by_the_framework():
    build_site()
    data = exported_zip()
    members = {
        info.filename: zipfile.ZipFile(io.BytesIO(data)).read(info)
        for info in zipfile.ZipFile(io.BytesIO(data)).infolist()
    }

    result = chezsoi.read(data, files=members)

    assert len(result.posts) == 3
    assert all(attachment.content for attachment in result.attachments)


def test_an_image_missing_from_the_zip_is_reported():
    document = {
        "format": "chez-soi-export",
        "version": 1,
        "site": {"url": "https://old.example"},
        "media": [{"id": 1, "name": "library/a.jpg", "file": "media/library/a.jpg", "url": "x"}],
    }

    result = chezsoi.read(json.dumps(document).encode(), files={})

    assert result.attachments == []
    assert [problem.what for problem in result.skipped] == ["library/a.jpg"]


@pytest.mark.parametrize(
    "document",
    [
        {"format": "ghost", "version": 1},
        {"format": "chez-soi-export", "version": 99},
        [1, 2],
    ],
)
def test_read_refuses_what_is_not_our_export(document):
    with pytest.raises(ImportRefused):
        chezsoi.read(json.dumps(document).encode())


def test_read_refuses_a_damaged_zip_or_json():
    with pytest.raises(ImportRefused):
        chezsoi.read(b"PK\x03\x04 broken")
    with pytest.raises(ImportRefused):
        chezsoi.read(b"{not json")


def _wipe():
    """Empty the site, as a fresh installation would be."""
    Comment.objects.all().delete()
    for item in MediaItem.objects.all():
        item.file.delete(save=False)
    Post.objects.all().delete()
    Page.objects.all().delete()
    MediaItem.objects.all().delete()
    Tag.objects.all().delete()
    SubscriberEvent.objects.all().delete()
    Subscriber.objects.all().delete()
    Redirect.objects.all().delete()
    get_user_model().objects.all().delete()


def _snapshot() -> dict:
    """Return what a reader and an editor would compare between the two sites."""
    posts = {
        post.slug: (
            post.title,
            post.status,
            post.published_at.replace(microsecond=0),
            post.language,
            post.seo_title,
            sorted(tag.slug for tag in post.tags.all()),
            post.cover.alt_text if post.cover else None,
            # Sizes, not bytes: the library encodes every upload again (blog.media._stripped).
            (post.cover.width, post.cover.height) if post.cover else None,
            post.author.email,
        )
        for post in Post.objects.all()
    }
    pages = {page.slug: (page.title, page.status) for page in Page.objects.all()}
    comments = {
        (comment.author_name, comment.body.strip()): (
            comment.post.slug,
            comment.parent.author_name if comment.parent else None,
            comment.status,
            comment.ip_address,
            comment.created_at.replace(microsecond=0),
        )
        for comment in Comment.objects.select_related("post", "parent")
    }
    subscribers = {
        subscriber.email: (subscriber.status, subscriber.confirmed_at is not None)
        for subscriber in Subscriber.objects.all()
    }
    media = sorted(
        (item.width, item.height, item.alt_text, item.caption) for item in MediaItem.objects.all()
    )
    return {
        "posts": posts,
        "pages": pages,
        "comments": comments,
        "subscribers": subscribers,
        "media": media,
    }


def _round_trip() -> tuple[dict, dict, dict, dict]:
    """Build a site, export it, empty the site, import the zip: return both states and more."""
    services = pytest.importorskip("moving.services")
    site = build_site()
    before = _snapshot()
    data = exported_zip()
    _wipe()
    run = ImportRun.objects.create(file_name="site.zip", format="chezsoi")
    report = services.export_write(export=chezsoi.read(data), run=run)
    return before, _snapshot(), report, {"photo": site["photo"]}


def test_round_trip_export_then_import_into_an_empty_site():
    before, after, report, _files = _round_trip()

    assert [line for line in report["failures"] if "/media/" not in line["reason"]] == []
    assert after["posts"].keys() == before["posts"].keys()
    for slug, post in after["posts"].items():
        # All but the cover, whose image the media round trip below brings.
        assert post[:6] + post[8:] == before["posts"][slug][:6] + before["posts"][slug][8:]
    assert after["pages"] == before["pages"]
    assert after["comments"] == before["comments"]
    assert after["subscribers"] == before["subscribers"]
    # Consent: the opt-in's address and wording, the confirmation's address.
    ledger = SubscriberEvent.objects.filter(subscriber__email="lea@example.org")
    recorded = json.dumps([(e.ip_address, e.consent_text, e.detail) for e in ledger])
    assert "198.51.100.4" in recorded and "198.51.100.5" in recorded
    assert "Je veux recevoir les billets." in recorded
    post = Post.objects.get(slug="les-radis")
    assert Redirect.objects.filter(old_path="/?p=12", new_path=post.get_canonical_path()).exists()


def test_round_trip_brings_the_images_from_the_zip_and_every_redirect():
    before, after, report, files = _round_trip()

    assert report["failures"] == []
    assert after["media"] == before["media"]
    assert after["posts"] == before["posts"]
    # The body shows the image from the new library, not the old address.
    item = MediaItem.objects.get(alt_text=files["photo"].alt_text)
    assert f'src="{item.url}"' in Post.objects.get(slug="les-radis").body
    assert Redirect.objects.filter(old_path="/ancien-flux.xml", new_path="/feed/").exists()
