import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import Page, Post
from tests.blog.factories import PageFactory, PostFactory, TagFactory

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
LISTS = [
    "http://testserver/",
    "http://testserver/en/",
    "http://testserver/archives/",
    "http://testserver/en/archives/",
]


def sitemap_urls(client) -> dict[str, dict]:
    """Return the sitemap's entries by address: their lastmod and their alternates by hreflang."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    sitemap = ET.fromstring(response.content)  # noqa: S314 -- our own sitemap
    return {
        url.findtext(f"{SITEMAP}loc"): {
            "lastmod": url.findtext(f"{SITEMAP}lastmod"),
            "alternates": {
                link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")
            },
        }
        for url in sitemap.findall(f"{SITEMAP}url")
    }


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
    assert set(urls) - set(LISTS) == {
        "http://testserver/le-balcon/",
        "http://testserver/en/hello/",
        "http://testserver/tag/jardin/",
        "http://testserver/en/tag/jardin/",
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
    assert set(urls) - set(LISTS) == {"http://testserver/a-propos/", "http://testserver/en/about/"}
    assert urls["http://testserver/a-propos/"] == timezone.localdate(about.updated_at).isoformat()


def test_robots_txt_points_to_the_sitemap_and_keeps_robots_out_of_the_admin(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_sitemap_lists_home_and_archives_in_each_language_with_alternates(client):
    older = PostFactory(published_at=timezone.now() - timedelta(days=3))
    latest = PostFactory()
    Post.objects.filter(pk=older.pk).update(updated_at=timezone.now() - timedelta(days=2))
    PostFactory(draft=True)  # edited now, but no reader sees it

    urls = sitemap_urls(client)

    assert set(LISTS) <= set(urls)
    both = {"fr": "http://testserver/", "en": "http://testserver/en/"}
    for address in both.values():
        assert urls[address]["alternates"] == {**both, "x-default": "http://testserver/"}
        assert urls[address]["lastmod"] == timezone.localdate(latest.updated_at).isoformat()
    assert urls["http://testserver/en/archives/"]["alternates"]["fr"] == (
        "http://testserver/archives/"
    )


def test_sitemap_gives_tags_the_date_of_their_latest_post_and_posts_no_alternates(client):
    garden, kitchen = TagFactory(slug="jardin"), TagFactory(slug="cuisine")
    old = PostFactory(tags=[garden, kitchen], published_at=timezone.now() - timedelta(days=30))
    Post.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=20))
    PostFactory(tags=[garden])
    PostFactory(draft=True, tags=[kitchen])

    urls = sitemap_urls(client)

    today = timezone.localdate().isoformat()
    earlier = timezone.localdate(timezone.now() - timedelta(days=20)).isoformat()
    assert urls["http://testserver/tag/jardin/"]["lastmod"] == today
    assert urls["http://testserver/en/tag/jardin/"]["lastmod"] == today
    assert urls["http://testserver/tag/cuisine/"]["lastmod"] == earlier
    assert urls["http://testserver/tag/cuisine/"]["alternates"]["en"] == (
        "http://testserver/en/tag/cuisine/"
    )
    # A post is written in one language: one address, no translations to point to.
    assert urls[f"http://testserver{old.get_canonical_path()}"]["alternates"] == {}
