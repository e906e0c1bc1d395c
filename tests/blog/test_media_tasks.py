"""An uploaded image is resized by a real Celery worker, after the upload has returned."""

import io
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F
from django.test import Client
from django.utils import timezone
from PIL import Image

from blog.media import RENDER_GRACE, media_item_upload, media_items_render_pending
from blog.models import MediaItem
from blog.tasks import media_item_render
from tests.blog.factories import EditorFactory, MediaItemFactory, PostFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_the_worker_makes_the_renditions_and_the_post_shows_them(celery_worker, media_root):
    output = io.BytesIO()
    Image.new("RGB", (2000, 1000), "teal").save(output, format="JPEG")
    upload = SimpleUploadedFile("mer.jpg", output.getvalue())
    editor = EditorFactory()
    # One transaction: the task is queued when it commits, with the post already showing the image.
    with transaction.atomic():
        item = media_item_upload(file=upload, uploaded_by=editor, alt_text="La mer")
        post = PostFactory(body=f"![]({item.url})", author=editor)
        assert "srcset" not in post.body_html

    renditions = wait_until(
        lambda: MediaItem.objects.get(pk=item.pk).renditions, what="the renditions"
    )

    assert [rendition["width"] for rendition in renditions] == [480, 960, 1600]
    assert all((media_root / rendition["webp"]).is_file() for rendition in renditions)
    post.refresh_from_db()
    assert "1600w" in post.body_html
    # Run again, as a redelivered task would: nothing more is made.
    assert media_item_render(item.pk) is False
    assert MediaItem.objects.get(pk=item.pk).renditions == renditions


def test_a_deleted_item_is_nothing_to_render():
    assert media_item_render(12345) is False


def old_cover_with_gps(media_root) -> MediaItem:
    """Return an item as migration 0006 made them of old covers: under covers/, its EXIF kept,
    no renditions, uploaded long ago."""
    exif = Image.Exif()
    exif[0x0112] = 6  # taken on its side
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    (media_root / "covers").mkdir(parents=True)
    Image.new("RGB", (1200, 800), "navy").save(media_root / "covers/phare.jpg", exif=exif)
    item = MediaItem.objects.create(file="covers/phare.jpg", alt_text="Le phare")
    MediaItem.objects.filter(pk=item.pk).update(uploaded_at=F("uploaded_at") - timedelta(hours=1))
    return item


def test_the_sweeper_has_lost_renditions_made_and_old_covers_stripped(celery_worker, media_root):
    cover = old_cover_with_gps(media_root)
    post = PostFactory(cover=cover)
    # Uploaded a moment ago: its own task may still be on its way.
    recent = MediaItemFactory()

    assert media_items_render_pending() == 1

    rendered = wait_until(
        lambda: MediaItem.objects.filter(pk=cover.pk, rendered_at__isnull=False).first(),
        what="the lost renditions",
    )
    assert [rendition["width"] for rendition in rendered.renditions] == [480, 800]
    # Stripped in place, turned upright: the address in bodies stays the same.
    assert rendered.file.name == "covers/phare.jpg"
    original = Image.open(media_root / "covers/phare.jpg")
    assert not original.getexif()
    assert (rendered.width, rendered.height) == original.size == (800, 1200)
    assert sorted(path.name for path in (media_root / "covers").iterdir()) == [
        "phare-480.jpg",
        "phare-480.webp",
        "phare-800.jpg",
        "phare-800.webp",
        "phare.jpg",
    ]
    assert "800w" in Client().get(post.get_absolute_url()).content.decode()
    assert MediaItem.objects.get(pk=recent.pk).rendered_at is None
    # Swept again: nothing is left to queue.
    assert media_items_render_pending() == 0


def test_a_lost_task_is_queued_again_once_the_grace_is_over(media_root):
    item = MediaItemFactory()

    with mock.patch("blog.tasks.media_item_render") as task:
        assert media_items_render_pending() == 0
        with time_machine.travel(timezone.now() + RENDER_GRACE + timedelta(seconds=1)):
            assert media_items_render_pending() == 1

    task.delay.assert_called_once_with(item.pk)


def test_the_sweeper_runs_periodically(settings):
    assert any(
        entry["task"] == "blog.tasks.media_items_render_pending"
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    )
