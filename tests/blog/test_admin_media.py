"""The media library in the admin: uploads through the library's rules, thumbnails, search, and
a warning naming the posts before an image they show is deleted."""

import io
import re
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from blog.media import media_item_render
from blog.models import MediaItem, Post
from tests.blog.factories import EditorFactory, MediaItemFactory, PageFactory, PostFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:blog_mediaitem_changelist")
ADD = reverse("admin:blog_mediaitem_add")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def editor_client(client):
    client.force_login(EditorFactory())
    return client


def jpeg(name="photo.jpg", size=(1200, 800)) -> SimpleUploadedFile:
    output = io.BytesIO()
    Image.new("RGB", size, "olive").save(output, format="JPEG")
    return SimpleUploadedFile(name, output.getvalue(), content_type="image/jpeg")


def test_the_add_form_uploads_through_the_library(editor_client, media_root):
    with mock.patch("blog.tasks.media_item_render") as task:
        response = editor_client.post(
            ADD, {"file": jpeg(), "alt_text": "Un champ", "caption": "En juin"}
        )

    assert response.status_code == 302
    item = MediaItem.objects.get()
    assert (item.alt_text, item.caption, item.width) == ("Un champ", "En juin", 1200)
    assert item.uploaded_by is not None
    task.delay_on_commit.assert_called_once_with(item.pk)


def test_a_refused_upload_shows_the_librarys_message_on_the_form(editor_client, media_root):
    text = SimpleUploadedFile("notes.jpg", b"pas une image " * 100, content_type="image/jpeg")

    response = editor_client.post(
        ADD, {"file": text, "alt_text": ""}, headers={"accept-language": "en"}
    )

    assert response.status_code == 200
    assert "JPEG, PNG, WebP" in response.content.decode()
    assert not MediaItem.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


def test_the_list_shows_thumbnails_and_searches(editor_client):
    shown = MediaItemFactory(alt_text="Le four à pain")
    media_item_render(item=shown)
    MediaItemFactory(alt_text="La mer")

    page = editor_client.get(CHANGELIST, {"q": "four"}).content.decode()

    assert "Le four à pain" in page
    assert "La mer" not in page
    thumbnail = re.search(r'<img src="[^"]*-480\.jpg" width="96" height="64" alt="Le four', page)
    assert thumbnail


def test_the_change_form_shows_the_image_its_renditions_and_where_it_is_used(editor_client):
    item = MediaItemFactory(alt_text="Le four")
    media_item_render(item=item)
    PostFactory(title="Du pain", body=f"![]({item.url})")
    PostFactory(title="Couverture", cover=item)

    page = editor_client.get(reverse("admin:blog_mediaitem_change", args=[item.pk]))

    content = page.content.decode()
    assert "1200 × 800" in content
    assert "-480.webp" in content
    assert "Du pain" in content and "Couverture" in content


def test_deleting_an_image_still_shown_names_the_posts_first(editor_client, media_root):
    item = MediaItemFactory()
    post = PostFactory(title="Du pain", body=f"![]({item.url})")
    covered = PostFactory(title="Le fournil", cover=item)
    page = PageFactory(title="À propos", body=f"![]({item.url})")
    delete = reverse("admin:blog_mediaitem_delete", args=[item.pk])

    confirmation = editor_client.get(delete).content.decode()

    for writing in (post, covered):
        assert reverse("admin:blog_post_change", args=[writing.pk]) in confirmation
    assert reverse("admin:blog_page_change", args=[page.pk]) in confirmation
    assert "Du pain" in confirmation and "Le fournil" in confirmation and "À propos" in confirmation
    assert MediaItem.objects.filter(pk=item.pk).exists()


def test_deleting_removes_the_row_and_its_files(
    editor_client, media_root, django_capture_on_commit_callbacks
):
    item = MediaItemFactory()
    media_item_render(item=item)
    item.refresh_from_db()
    covered = PostFactory(cover=item)
    delete = reverse("admin:blog_mediaitem_delete", args=[item.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(delete, {"post": "yes"})

    assert response.status_code == 302
    assert not MediaItem.objects.exists()
    assert Post.objects.get(pk=covered.pk).cover is None
    assert [path for path in media_root.rglob("*") if path.is_file()] == []


def test_the_bulk_delete_confirmation_names_the_posts(editor_client):
    used, unused = MediaItemFactory(), MediaItemFactory()
    PostFactory(title="Du pain", body=f"![]({used.url})")

    response = editor_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [used.pk, unused.pk]}
    )

    content = response.content.decode()
    assert "Du pain" in content
    assert MediaItem.objects.count() == 2


def test_the_post_form_shows_the_cover_picked(editor_client):
    item = MediaItemFactory(alt_text="Le fournil au matin")
    post = PostFactory(cover=item)

    page = editor_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()

    assert re.search(r'<img src="/media/[^"]*" width="192" height="128" alt="Le fournil', page)


def test_new_alt_text_reaches_the_post_page_in_the_body_and_the_cover(
    editor_client, client, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_ENABLED = True
    cover = MediaItemFactory(alt_text="Le four")
    body_image = MediaItemFactory(alt_text="La pâte")
    media_item_render(item=body_image)
    post = PostFactory(cover=cover, body=f"Avant.\n\n![]({body_image.url})")
    reader = client.__class__()
    # Read once, so that the page cache holds the old words.
    assert 'alt="La pâte"' in reader.get(post.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        for item, alt_text in ((cover, "Le four à bois"), (body_image, "La pâte qui lève")):
            response = editor_client.post(
                reverse("admin:blog_mediaitem_change", args=[item.pk]),
                {"alt_text": alt_text, "caption": "Chez Jeanne"},
            )
            assert response.status_code == 302

    content = reader.get(post.get_absolute_url()).content.decode()
    assert 'alt="Le four à bois"' in content
    assert 'alt="La pâte qui lève"' in content
    assert 'alt="La pâte"' not in content
    post.refresh_from_db()
    assert 'alt="La pâte qui lève"' in post.body_html
    assert MediaItem.objects.get(pk=cover.pk).caption == "Chez Jeanne"
