"""An uploaded image is resized by a real Celery worker, after the upload has returned."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from blog.media import media_item_upload
from blog.models import MediaItem
from blog.tasks import media_item_render
from tests.blog.factories import EditorFactory, PostFactory
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
