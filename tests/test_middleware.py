"""Oversized requests are refused with a readable page, never a stack trace; the language of a
page comes from its address."""

from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django.urls import reverse

from tests.blog.factories import PostFactory

pytestmark = pytest.mark.django_db

FORM_ENCODED = "application/x-www-form-urlencoded"


@pytest.fixture
def set_language_url():
    return reverse("set_language")


def test_an_ordinary_form_post_goes_through(client, set_language_url):
    body = urlencode({"language": "en", "next": "/"})
    response = client.post(set_language_url, body, content_type=FORM_ENCODED)
    assert response.status_code == 302


def test_form_data_over_the_limit_is_refused_with_413(client, settings, set_language_url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = urlencode({"language": "en", "next": "/", "text": "x" * 20_000})
    response = client.post(set_language_url, body, content_type=FORM_ENCODED)

    assert response.status_code == 413
    page = response.content.decode()
    assert "Ce que vous avez envoyé est trop volumineux" in page
    assert "9,8\xa0Kio" in page  # the limit, as readers read sizes
    assert "Traceback" not in page


def test_an_upload_over_the_request_limit_is_refused_before_it_is_read(
    client, settings, set_language_url
):
    settings.MAX_REQUEST_SIZE = 100_000
    photo = SimpleUploadedFile("cover.jpg", b"\xff" * 150_000, content_type="image/jpeg")
    response = client.post(set_language_url, {"language": "en", "cover": photo})

    assert response.status_code == 413
    assert "Ce que vous avez envoyé est trop volumineux" in response.content.decode()


def test_a_small_upload_is_accepted(client, settings, set_language_url):
    settings.MAX_REQUEST_SIZE = 100_000
    photo = SimpleUploadedFile("cover.jpg", b"\xff" * 50_000, content_type="image/jpeg")
    response = client.post(set_language_url, {"language": "en", "next": "/", "cover": photo})
    assert response.status_code == 302


def test_form_fields_too_large_inside_an_upload_get_the_400_page(
    client, settings, set_language_url
):
    # Within the upload limit, but its text fields exceed the form-data limit: Django refuses it.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    boundary = "chezsoi-boundary"
    body = encode_multipart(boundary, {"language": "en", "text": "x" * 20_000})
    response = client.post(
        set_language_url, body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Cette requête n’a pas pu être comprise" in page
    assert "Traceback" not in page


@pytest.mark.parametrize("slug", ["en-attente", "en-route-pour-lete", "fr-ancais"])
def test_a_french_slug_beginning_like_a_language_code_is_found_in_french(client, slug):
    PostFactory(slug=slug, title="Un billet au nom trompeur")

    response = client.get(f"/{slug}/")

    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    assert "Un billet au nom trompeur" in response.content.decode()
    assert client.get(f"/en/{slug}/").status_code == 200
    assert client.get(f"/en/{slug}/")["Content-Language"] == "en"


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["/tag/%00/feed/", "/ancien%00-billet.html", "/?q=a%00b"])
def test_a_nul_character_in_an_address_is_refused_before_reaching_the_database(client, address):
    # An unknown address goes on to the lookup of old addresses (moving's redirects), which
    # PostgreSQL refuses when it holds a NUL.
    assert client.get(address).status_code == 400
