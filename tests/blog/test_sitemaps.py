import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from blog.models import Page
from tests.blog.factories import PageFactory, PostFactory, TagFactory

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_sitemap_lists_published_posts_and_their_tags(client):
    used, unused = TagFactory(slug="jardin"), TagFactory(slug="vide")
    PostFactory(slug="le-balcon", tags=[used])
    PostFactory(slug="hello", language="en")
    PostFactory(slug="brouillon", draft=True, tags=[unused])
    PostFactory(slug="plus-tard", scheduled=True)

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    sitemap = ET.fromstring(response.content)  # noqa: S314 -- our own sitemap
    urls = {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in sitemap.findall(f"{SITEMAP}url")
    }
    assert set(urls) == {
        "http://testserver/le-balcon/",
        "http://testserver/en/hello/",
        "http://testserver/tag/jardin/",
    }
    assert urls["http://testserver/le-balcon/"]


def test_sitemap_lists_published_pages_at_their_canonical_address_with_lastmod(client):
    about = PageFactory(slug="a-propos")
    PageFactory(slug="about", language="en", in_navigation=False)
    PageFactory(slug="bientot", status=Page.Status.DRAFT)

    # Each page at its own language's address, whatever language the robot asks for.
    response = client.get("/sitemap.xml", HTTP_ACCEPT_LANGUAGE="en")

    sitemap = ET.fromstring(response.content)  # noqa: S314 -- our own sitemap
    urls = {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in sitemap.findall(f"{SITEMAP}url")
    }
    assert set(urls) == {"http://testserver/a-propos/", "http://testserver/en/about/"}
    assert urls["http://testserver/a-propos/"] == timezone.localdate(about.updated_at).isoformat()


def test_robots_txt_points_to_the_sitemap_and_keeps_robots_out_of_the_admin(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
