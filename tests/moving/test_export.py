"""The whole site in one zip: WXR 1.2, the versioned JSON, subscribers.csv, media, manifest."""

import csv
import hashlib
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from datetime import timedelta

import defusedxml.ElementTree
import pytest
import time_machine
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment
from moving import export, export_views, tasks
from moving.models import Redirect
from moving.wxr_writer import NAMESPACES
from newsletter.importing import read_subscribers_csv
from newsletter.models import SubscriberEvent
from tests.blog.factories import (
    EditorFactory,
    MediaItemFactory,
    PageFactory,
    PostFactory,
    SuperuserFactory,
    TagFactory,
)
from tests.comments.factories import CommentFactory
from tests.newsletter.factories import SubscriberFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db

WP = f"{{{NAMESPACES['wp']}}}"
CONTENT = f"{{{NAMESPACES['content']}}}"
EXCERPT = f"{{{NAMESPACES['excerpt']}}}"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def build_site():
    """Return a small site: posts (one showing a library image, one with a cover), a page,
    tags, a comment thread, subscribers with their consent ledger, a suppression, a redirect."""
    author = EditorFactory(username="marie", email="marie@example.org")
    photo = MediaItemFactory(alt_text="Des radis", caption="Au marché")
    cover = MediaItemFactory(alt_text="Un potager")
    radis = TagFactory(name="Radis", slug="radis")
    post = PostFactory(
        title="Les radis",
        slug="les-radis",
        author=author,
        body=f"Du jardin.\n\n![Des radis]({photo.url})",
        excerpt="La fin ]]> et un\x0bsaut.",
        cover=cover,
        tags=[radis],
        seo_title="Radis, le guide",
    )
    draft = PostFactory(title="Brouillon", slug="brouillon", author=author, draft=True)
    page = PageFactory(title="À propos", slug="a-propos", author=author)
    first = CommentFactory(post=post, author_name="Anne", ip_address="203.0.113.9")
    reply = CommentFactory(post=post, parent=first, author_name="Marie")
    spam = CommentFactory(post=post, status=Comment.Status.SPAM, author_name="Vendeur")
    subscriber = SubscriberFactory(email="lea@example.org")
    SubscriberEvent.objects.create(
        subscriber=subscriber,
        kind=SubscriberEvent.Kind.SUBSCRIBE,
        source=SubscriberEvent.Source.FORM,
        ip_address="198.51.100.4",
        consent_text="Je veux recevoir les billets.",
        created_at=timezone.now() - timedelta(days=3),
    )
    SubscriberEvent.objects.create(
        subscriber=subscriber,
        kind=SubscriberEvent.Kind.CONFIRM,
        source=SubscriberEvent.Source.EMAIL,
        ip_address="198.51.100.5",
        created_at=timezone.now() - timedelta(days=2),
    )
    bounced = SubscriberFactory(email="=cmd@example.org", suppressed=True)
    SubscriberEvent.objects.create(
        subscriber=bounced, kind=SubscriberEvent.Kind.BOUNCE, source=SubscriberEvent.Source.SENDING
    )
    Redirect.objects.create(old_path="/?p=12", new_path=post.get_canonical_path())
    Redirect.objects.create(old_path="/ancien-flux.xml", new_path="/feed/")
    return {
        "post": post,
        "draft": draft,
        "page": page,
        "photo": photo,
        "cover": cover,
        "comments": (first, reply, spam),
        "subscriber": subscriber,
    }


def exported(**kwargs) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    export.site_export_write(buffer, **kwargs)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


def test_the_zip_holds_every_part_and_a_manifest_of_their_checksums():
    site = build_site()

    archive = exported()

    names = set(archive.namelist())
    media = {f"media/{site['photo'].file.name}", f"media/{site['cover'].file.name}"}
    assert archive.namelist()[0] == "CHEZ-SOI-EXPORT.txt"
    assert archive.namelist()[-1] == "manifest.json"
    parts = {"CHEZ-SOI-EXPORT.txt", "wordpress.xml", "chez-soi.json", "subscribers.csv"}
    assert names == parts | {"manifest.json"} | media
    manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest["files"]) == names - {"manifest.json"}
    for name, member in manifest["files"].items():
        content = archive.read(name)
        assert member == {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    # The originals, byte for byte.
    original = site["photo"].file.open("rb").read()
    assert archive.read(f"media/{site['photo'].file.name}") == original
    assert manifest["counts"]["posts"] == 2


def test_the_json_says_everything_with_its_format_and_version():
    site = build_site()

    document = json.loads(exported().read("chez-soi.json"))

    assert (document["format"], document["version"]) == ("chez-soi-export", 1)
    posts = {post["slug"]: post for post in document["posts"]}
    assert posts["les-radis"]["tags"] == ["radis"]
    assert posts["les-radis"]["cover"] == site["cover"].file.name
    assert posts["les-radis"]["body"] == site["post"].body
    assert posts["brouillon"]["status"] == "draft"
    assert [page["slug"] for page in document["pages"]] == ["a-propos"]
    first, reply, spam = site["comments"]
    comments = {comment["id"]: comment for comment in document["comments"]}
    assert comments[reply.pk]["parent"] == first.pk
    assert comments[spam.pk]["status"] == "spam"
    subscribers = {row["email"]: row for row in document["subscribers"]}
    events = subscribers["lea@example.org"]["events"]
    assert [(event["kind"], event["ip_address"]) for event in events] == [
        ("subscribe", "198.51.100.4"),
        ("confirm", "198.51.100.5"),
    ]
    assert events[0]["consent_text"] == "Je veux recevoir les billets."
    assert document["suppressions"] == [
        {"email": "=cmd@example.org", "since": None, "reason": "bounce"}
    ]
    assert {row["old_path"] for row in document["redirects"]} == {"/?p=12", "/ancien-flux.xml"}
    photo = next(row for row in document["media"] if row["name"] == site["photo"].file.name)
    assert photo["file"] == f"media/{site['photo'].file.name}"
    assert (photo["alt_text"], photo["caption"], photo["width"]) == ("Des radis", "Au marché", 1200)
    assert photo["sha256"] == hashlib.sha256(site["photo"].file.open("rb").read()).hexdigest()
    assert document["followers"] == []


def test_the_wxr_is_wordpress_1_2_that_both_parsers_read(settings):
    site = build_site()
    content = exported().read("wordpress.xml")

    # Our own file, parsed as WordPress's and Ghost's tools parse it: Python's plain parser too.
    root = ET.fromstring(content)  # noqa: S314
    assert defusedxml.ElementTree.fromstring(content) is not None
    channel = root.find("channel")
    assert channel.findtext(f"{WP}wxr_version") == "1.2"
    assert channel.find(f"{WP}author").findtext(f"{WP}author_login") == "marie"
    assert channel.find(f"{WP}tag").findtext(f"{WP}tag_slug") == "radis"
    items = {item.findtext(f"{WP}post_name"): item for item in channel.iter("item")}
    post = items["les-radis"]
    assert post.findtext(f"{WP}post_type") == "post"
    assert post.findtext(f"{WP}status") == "publish"
    assert post.findtext(f"{WP}post_id") == str(site["post"].pk)
    assert items["brouillon"].findtext(f"{WP}status") == "draft"
    assert items["a-propos"].findtext(f"{WP}post_type") == "page"
    assert [(c.get("domain"), c.get("nicename"), c.text) for c in post.findall("category")] == [
        ("post_tag", "radis", "Radis")
    ]
    # The library image's address made absolute, for readers outside the site.
    assert f'src="{settings.SITE_URL}{site["photo"].url}"' in post.findtext(f"{CONTENT}encoded")
    # CDATA's end marker split across two sections, the character XML forbids taken out.
    assert post.findtext(f"{EXCERPT}encoded") == "La fin ]]> et un saut."
    comments = {c.findtext(f"{WP}comment_author"): c for c in post.findall(f"{WP}comment")}
    first = comments["Anne"]
    assert comments["Marie"].findtext(f"{WP}comment_parent") == first.findtext(f"{WP}comment_id")
    assert first.findtext(f"{WP}comment_author_IP") == "203.0.113.9"
    assert first.findtext(f"{WP}comment_approved") == "1"
    assert comments["Vendeur"].findtext(f"{WP}comment_approved") == "spam"
    attachments = [
        item for item in items.values() if item.findtext(f"{WP}post_type") == "attachment"
    ]
    assert len(attachments) == 2
    thumbnail = {
        meta.findtext(f"{WP}meta_key"): meta.findtext(f"{WP}meta_value")
        for meta in post.findall(f"{WP}postmeta")
    }["_thumbnail_id"]
    cover_item = next(item for item in attachments if item.findtext(f"{WP}post_id") == thumbnail)
    assert cover_item.findtext(f"{WP}attachment_url").endswith(site["cover"].file.name)


def test_the_wxr_importer_reads_it_back_with_the_same_counts():
    wxr = pytest.importorskip("moving.importers.wxr", reason="moving/importers/wxr.py missing")
    build_site()

    result = wxr.read(exported().read("wordpress.xml"))

    kinds = [post.kind for post in result.posts]
    assert (kinds.count("post"), kinds.count("page")) == (2, 1)
    assert len(result.comments) == 3
    assert {term.slug for term in result.terms} == {"radis"}
    threaded = [comment for comment in result.comments if comment.parent_source_id]
    assert len(threaded) == 1


def test_subscribers_csv_has_the_admin_exports_columns_and_imports_back():
    build_site()

    content = exported().read("subscribers.csv")

    lines = list(csv.reader(io.StringIO(content.decode())))
    assert lines[0] == ["email", "language", "status", "signed_up", "confirmed", "left"]
    # A cell a spreadsheet would run as a formula is defused as the admin's export does.
    assert "'=cmd@example.org" in {line[0] for line in lines}
    rows, errors = read_subscribers_csv(content)
    assert errors == []
    assert {row.email for row in rows} == {"lea@example.org", "=cmd@example.org"}


def test_progress_is_told_until_the_end():
    build_site()
    calls = []

    exported(progress=lambda done, total: calls.append((done, total)))

    assert calls and calls[-1][0] == calls[-1][1] > 0


def test_the_command_writes_the_zip(tmp_path):
    build_site()
    target = tmp_path / "site.zip"
    out = io.StringIO()

    call_command("export_site", str(target), stdout=out)

    assert "posts 2" in out.getvalue()
    assert "chez-soi.json" in zipfile.ZipFile(target).namelist()


def test_the_admin_export_runs_as_a_task_and_is_downloaded_by_the_owner(
    monkeypatch, settings, locmem_cache
):
    build_site()
    owner = SuperuserFactory()
    factory = RequestFactory()
    request = factory.post("/admin/moving/importrun/export/")
    request.user = owner
    request._messages = _Messages()

    queued = []
    monkeypatch.setattr(tasks.site_export, "delay_on_commit", queued.append)

    response = export_views.export_page(request)

    assert response.status_code == 302
    assert queued == [owner.pk]
    assert export.export_state()["state"] == "queued"
    # A second click while it waits queues nothing more.
    assert export_views.export_page(request).status_code == 302
    assert queued == [owner.pk]

    tasks.site_export(owner.pk)

    state = export.export_state()
    assert state["state"] == "done"
    assert (export.exports_dir() / state["file"]).is_file()
    # Not under MEDIA_ROOT, which the web server hands to anyone.
    assert settings.MEDIA_ROOT not in (export.exports_dir() / state["file"]).parents

    request = factory.get("/admin/moving/importrun/export/")
    request.user = owner
    page = export_views.export_page(request)
    page.render()
    assert state["file"] in page.content.decode()

    request = factory.get("/")
    request.user = owner
    download = export_views.export_download(request, state["file"])
    assert download["Content-Disposition"].startswith("attachment")
    assert "chez-soi.json" in zipfile.ZipFile(io.BytesIO(b"".join(download))).namelist()


@pytest.mark.parametrize("name", ["../secret.zip", "chez-soi-export-x.zip"])
def test_a_download_names_only_an_export(name, locmem_cache):
    request = RequestFactory().get("/")
    request.user = SuperuserFactory()
    from django.http import Http404

    with pytest.raises(Http404):
        export_views.export_download(request, name)


def test_editors_cannot_export_the_site(locmem_cache):
    from django.core.exceptions import PermissionDenied

    request = RequestFactory().post("/")
    request.user = EditorFactory(is_staff=True)
    with pytest.raises(PermissionDenied):
        export_views.export_page(request)
    assert export.export_state() is None


@pytest.fixture
def locmem_cache(settings):
    from django.core.cache import cache

    cache.delete(export.STATE_KEY)
    yield
    cache.delete(export.STATE_KEY)


class _Messages:
    def add(self, level, message, extra_tags=""):
        self.last = message


@pytest.mark.django_db(transaction=True)
def test_the_owner_exports_from_the_admin_and_a_real_worker_writes_the_zip(
    client, celery_worker, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    build_site()
    client.force_login(SuperuserFactory())
    page = reverse("admin:moving_export")

    client.post(page)
    wait_until(lambda: export.export_state().get("state") == "done", what="the export")

    name = export.export_state()["file"]
    assert f'href="{name}"' in client.get(page).content.decode()
    download = client.get(page + name)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert {"wordpress.xml", "chez-soi.json", "subscribers.csv", "manifest.json"} <= set(
        archive.namelist()
    )


def test_an_export_lost_on_its_way_no_longer_blocks_the_next(monkeypatch, locmem_cache):
    owner = SuperuserFactory()
    queued = []
    monkeypatch.setattr(tasks.site_export, "delay_on_commit", queued.append)
    assert export.site_export_start(user=owner)
    assert not export.site_export_start(user=owner)  # one at a time

    with time_machine.travel(timezone.now() + timedelta(seconds=tasks.SITE_TIME_LIMIT + 1)):
        assert export.site_export_start(user=owner)  # the first one's message was lost

    assert queued == [owner.pk, owner.pk]
