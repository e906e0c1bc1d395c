"""The editor's admin views: the live preview (the page's own renderer) and image uploads."""

import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from blog.models import MediaItem, Post
from tests.blog.factories import EditorFactory, PageFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db

PREVIEW = reverse("admin:blog_post_editor_preview")
UPLOAD = reverse("admin:blog_post_editor_upload")
PAGE_PREVIEW = reverse("admin:blog_page_editor_preview")
# blog.media's refusal of a file that is no image.
REFUSAL = "This file is not an image the library accepts: JPEG, PNG, WebP or GIF."

BODY = """## Le potager

Des *radis* et des **carottes**.<script>alert("x")</script>

<p onclick="steal()">Cliquez ici</p>
"""


@pytest.fixture
def editor_client(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(EditorFactory())
    return client


def png(name="balcon.png"):
    data = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(data, "PNG")
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/png")


def test_preview_is_the_saved_pages_html_sanitized_the_same_way(editor_client):
    post = PostFactory(body=BODY)

    response = editor_client.post(PREVIEW, {"body": BODY})

    assert response.status_code == 200
    result = response.json()
    assert result["html"] == post.body_html
    assert "<em>radis</em>" in result["html"]
    assert "<script" not in result["html"] and "onclick" not in result["html"]
    assert result["words"] == post.word_count


def test_preview_shows_library_images_as_the_page_does(editor_client):
    item = MediaItem.objects.create(file=png(), alt_text="Un balcon fleuri")
    body = f"![]({item.url})"
    post = PostFactory(body=body)

    result = editor_client.post(PREVIEW, {"body": body}).json()

    assert result["html"] == post.body_html
    assert 'alt="Un balcon fleuri"' in result["html"]


def test_preview_counts_words_and_reading_minutes(editor_client):
    result = editor_client.post(PREVIEW, {"body": "mot " * 461}).json()

    assert result["words"] == 461
    assert result["minutes"] == 3
    assert result["reading"] == "461 mots · 3 minutes de lecture"


def test_preview_saves_nothing(editor_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # the session and the editor's permissions
        editor_client.post(PREVIEW, {"body": "Un brouillon"})

    assert not Post.objects.exists()


def test_page_preview_uses_the_same_renderer(editor_client):
    page = PageFactory(body=BODY)

    response = editor_client.post(PAGE_PREVIEW, {"body": BODY})

    assert response.json()["html"] == page.body_html


def test_preview_refuses_a_get(editor_client):
    assert editor_client.get(PREVIEW).status_code == 405


def test_preview_refuses_a_very_long_text(editor_client):
    response = editor_client.post(PREVIEW, {"body": "a" * 500_001})

    assert response.status_code == 413


def test_preview_sends_readers_who_are_not_staff_to_the_sign_in(client):
    client.force_login(UserFactory())

    response = client.post(PREVIEW, {"body": "Bonjour"})

    assert response.status_code == 302
    assert "html" not in response.content.decode()


def test_preview_and_upload_refuse_staff_without_permission_on_posts(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_post"))
    client.force_login(staff)

    assert client.post(PREVIEW, {"body": "Bonjour"}).status_code == 403
    assert client.post(UPLOAD, {"image": png()}).status_code == 403
    assert not MediaItem.objects.exists()


@pytest.mark.parametrize("codename", ["add_post", "change_post"])
def test_upload_needs_the_right_to_add_to_the_library_too(client, settings, tmp_path, codename):
    settings.MEDIA_ROOT = tmp_path
    writer = UserFactory(is_staff=True)
    writer.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(writer)

    assert client.post(PREVIEW, {"body": "Bonjour"}).status_code == 200
    assert client.post(UPLOAD, {"image": png()}).status_code == 403
    assert not MediaItem.objects.exists()

    writer.user_permissions.add(Permission.objects.get(codename="add_mediaitem"))
    assert client.post(UPLOAD, {"image": png()}).status_code == 200
    assert MediaItem.objects.count() == 1


def test_preview_refuses_a_request_without_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.force_login(EditorFactory())

    assert client.post(PREVIEW, {"body": "Bonjour"}).status_code == 403


def test_upload_answers_as_easymde_expects(editor_client):
    response = editor_client.post(UPLOAD, {"image": png()})

    assert response.status_code == 200
    item = MediaItem.objects.get()
    assert response.json() == {"data": {"filePath": item.url}}
    assert item.url.startswith("/media/library/")
    assert item.alt_text == ""


def test_upload_refuses_a_text_file_named_like_an_image_in_the_admins_language(editor_client):
    fake = SimpleUploadedFile("photo.jpg", b"not an image at all", content_type="image/jpeg")

    response = editor_client.post(UPLOAD, {"image": fake})

    # The admin speaks the site's language (French), whatever the browser asks for.
    assert response.status_code == 400
    with translation.override("fr"):
        assert response.json() == {"error": gettext(REFUSAL)}
    assert response.json()["error"].startswith("Ce fichier n’est pas une image")
    assert not MediaItem.objects.exists()


def test_upload_without_a_file_says_so(editor_client):
    response = editor_client.post(UPLOAD)

    assert response.status_code == 400
    assert response.json()["error"]


def test_change_form_hands_the_editor_its_settings(editor_client):
    post = PostFactory()

    page = editor_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    add_page = editor_client.get(reverse("admin:blog_post_add")).content.decode()

    settings_json = page.split('id="markdown-editor-settings" type="application/json">')[1]
    settings = json.loads(settings_json.split("</script>")[0])
    assert settings["draftKey"] == f"post-{post.pk}"
    assert settings["previewUrl"] == PREVIEW
    assert settings["uploadUrl"] == UPLOAD
    assert settings["texts"]["bold"] == "Gras"
    assert '"draftKey": "post-new"' in add_page
    assert "blog/vendor/easymde/easymde.min.js" in page
    assert "blog/editor/editor.js" in page
