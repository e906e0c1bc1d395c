import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.blog.factories import EditorFactory, MediaItemFactory, PostFactory, TagFactory

pytestmark = pytest.mark.django_db


def meta(page, attribute, name):
    found = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', page)
    assert found, f"no <meta {attribute}={name}>"
    return unescape(found.group(1))


def json_ld(page):
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)
    assert len(found) == 1
    return json.loads(found[0])


def test_post_page_has_canonical_link_opengraph_and_twitter_card(client):
    post = PostFactory(
        title="Le levain",
        slug="le-levain",
        seo_title="Faire son levain",
        seo_description="Toute la méthode, pas à pas.",
        cover=MediaItemFactory(
            file="covers/levain.jpg", width=1200, height=800, alt_text="Un bocal de levain"
        ),
        tags=[TagFactory(name="Cuisine")],
    )

    page = client.get(post.get_absolute_url()).content.decode()

    assert '<link rel="canonical" href="http://testserver/le-levain/">' in page
    assert "<title>Faire son levain · Chez Soi</title>" in page
    assert meta(page, "name", "description") == "Toute la méthode, pas à pas."
    assert meta(page, "property", "og:type") == "article"
    assert meta(page, "property", "og:title") == "Faire son levain"
    assert meta(page, "property", "og:description") == "Toute la méthode, pas à pas."
    assert meta(page, "property", "og:url") == "http://testserver/le-levain/"
    assert meta(page, "property", "og:image") == "http://testserver/media/covers/levain.jpg"
    assert meta(page, "property", "og:image:alt") == "Un bocal de levain"
    assert meta(page, "property", "og:locale") == "fr_FR"
    assert meta(page, "property", "article:tag") == "Cuisine"
    assert meta(page, "name", "twitter:card") == "summary_large_image"
    assert meta(page, "name", "twitter:title") == "Faire son levain"


def test_a_post_without_cover_gets_a_small_twitter_card(client):
    post = PostFactory()

    page = client.get(post.get_absolute_url()).content.decode()

    assert meta(page, "name", "twitter:card") == "summary"
    assert 'property="og:image"' not in page


def test_an_english_post_is_canonical_under_en_even_when_read_in_french(client):
    PostFactory(slug="hello", language="en")

    page = client.get("/hello/").content.decode()

    assert '<link rel="canonical" href="http://testserver/en/hello/">' in page
    assert meta(page, "property", "og:locale") == "en_GB"


def test_post_page_describes_the_post_as_a_blog_posting(client):
    author = EditorFactory(first_name="Camille", last_name="Martin")
    post = PostFactory(
        title="Le levain",
        slug="le-levain",
        excerpt="Tout sur le levain.",
        author=author,
        tags=[TagFactory(name="Cuisine"), TagFactory(name="Carnet")],
    )

    data = json_ld(client.get(post.get_absolute_url()).content.decode())

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "Le levain"
    assert data["description"] == "Tout sur le levain."
    assert data["url"] == "http://testserver/le-levain/"
    assert data["author"] == {"@type": "Person", "name": "Camille Martin"}
    assert data["inLanguage"] == "fr"
    assert data["keywords"] == ["Carnet", "Cuisine"]
    assert data["datePublished"].startswith(post.published_at.isoformat()[:19])


def test_json_ld_cannot_be_broken_out_of_by_a_title(client):
    post = PostFactory(title="</script><script>alert(1)</script> & <!--")

    page = client.get(post.get_absolute_url()).content.decode()

    assert "<script>alert(1)" not in page
    assert json_ld(page)["headline"] == "</script><script>alert(1)</script> & <!--"


def test_share_links_carry_the_title_and_canonical_address_without_scripts(client):
    post = PostFactory(title="Pain & levain", slug="pain-levain")

    page = client.get(post.get_absolute_url()).content.decode()
    links = dict(re.findall(r'<li><a href="([^"]+)"[^>]*>([^<]+)<', page))
    by_name = {name: unescape(url) for url, name in links.items()}

    assert "Partager cet article" in page
    mastodon = urlsplit(by_name["Mastodon"])
    assert mastodon.netloc == "toot.kytta.dev"
    assert parse_qs(mastodon.query)["text"] == ["Pain & levain http://testserver/pain-levain/"]
    bluesky = urlsplit(by_name["Bluesky"])
    assert (bluesky.netloc, bluesky.path) == ("bsky.app", "/intent/compose")
    assert parse_qs(bluesky.query)["text"] == ["Pain & levain http://testserver/pain-levain/"]
    linkedin = urlsplit(by_name["LinkedIn"])
    assert parse_qs(linkedin.query)["url"] == ["http://testserver/pain-levain/"]
    email = urlsplit(by_name["Par e-mail"])
    assert email.scheme == "mailto"
    assert parse_qs(email.query) == {
        "subject": ["Pain & levain"],
        "body": ["http://testserver/pain-levain/"],
    }
    assert not re.search(r"<script[^>]+src=\"(https?:)?//", page)
