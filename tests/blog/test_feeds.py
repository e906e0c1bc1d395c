import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import Post
from tests.blog.factories import PageFactory, PostFactory, TagFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def posts():
    garden = TagFactory(name="Jardin", slug="jardin")
    return {
        "garden": PostFactory(
            title="Tomates & basilic",
            body="Des **tomates**.",
            tags=[garden],
            published_at=timezone.now() - timedelta(days=1),
        ),
        "other": PostFactory(title="Autre sujet", published_at=timezone.now() - timedelta(days=2)),
        "draft": PostFactory(title="Brouillon", tags=[garden], draft=True),
        "scheduled": PostFactory(title="Plus tard", tags=[garden], scheduled=True),
    }


def rss_items(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")  # noqa: S314 -- our own feed
    return channel, channel.findall("item")


def atom_entries(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 -- our own feed
    return feed, feed.findall(f"{ATOM}entry")


def test_site_rss_lists_published_posts_newest_first(client, posts):
    channel, items = rss_items(client, "/feed/")

    assert channel.findtext("title") == "Chez Soi"
    assert [item.findtext("title") for item in items] == ["Tomates & basilic", "Autre sujet"]
    first = items[0]
    assert first.findtext("link") == f"http://testserver/{posts['garden'].slug}/"
    assert "<strong>tomates</strong>" in first.findtext("description")
    assert [category.text for category in first.findall("category")] == ["Jardin"]
    assert first.findtext("pubDate")


def test_site_atom_lists_published_posts_with_their_html(client, posts):
    feed, entries = atom_entries(client, "/feed/atom/")

    assert feed.findtext(f"{ATOM}title") == "Chez Soi"
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [
        "Tomates & basilic",
        "Autre sujet",
    ]
    assert "<strong>tomates</strong>" in entries[0].findtext(f"{ATOM}summary")
    assert entries[0].find(f"{ATOM}updated") is not None


def test_tag_feeds_list_only_that_tags_published_posts(client, posts):
    channel, items = rss_items(client, "/tag/jardin/feed/")
    feed, entries = atom_entries(client, "/tag/jardin/feed/atom/")

    assert channel.findtext("title") == "Chez Soi : billets classés « Jardin »"
    assert [item.findtext("title") for item in items] == ["Tomates & basilic"]
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["Tomates & basilic"]


def test_feed_of_an_unknown_tag_is_404(client):
    assert client.get("/tag/inconnue/feed/").status_code == 404


def test_feeds_never_list_pages(client, posts):
    PageFactory(title="À propos", slug="a-propos")

    _channel, items = rss_items(client, "/feed/")
    _feed, entries = atom_entries(client, "/feed/atom/")

    assert [item.findtext("title") for item in items] == ["Tomates & basilic", "Autre sujet"]
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [
        "Tomates & basilic",
        "Autre sujet",
    ]


def test_each_feed_holds_the_posts_of_the_language_it_declares(client, posts):
    english = PostFactory(title="Tomatoes", language="en")

    channel, items = rss_items(client, "/feed/")
    en_channel, en_items = rss_items(client, "/en/feed/")
    feed, entries = atom_entries(client, "/en/feed/atom/")

    assert channel.findtext("language") == "fr"
    assert "Tomatoes" not in [item.findtext("title") for item in items]
    assert en_channel.findtext("language") == "en"
    assert [item.findtext("title") for item in en_items] == ["Tomatoes"]
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["Tomatoes"]
    assert en_items[0].findtext("link") == f"http://testserver/en/{english.slug}/"


def test_links_and_images_in_entries_are_absolute_and_atom_has_a_base(client, settings):
    settings.SITE_URL = "https://blog.example.org"
    PostFactory(
        body="Voir [le tag](/tag/jardin/) et ![un bocal](/media/bocal.jpg) ou [ailleurs](https://example.org/).",
    )

    _channel, items = rss_items(client, "/feed/")
    feed, entries = atom_entries(client, "/feed/atom/")

    for html in (items[0].findtext("description"), entries[0].findtext(f"{ATOM}summary")):
        assert 'href="https://blog.example.org/tag/jardin/"' in html
        assert 'src="https://blog.example.org/media/bocal.jpg"' in html
        assert 'href="https://example.org/"' in html
        assert 'href="/' not in html and 'src="/' not in html
    assert feed.get("{http://www.w3.org/XML/1998/namespace}base") == "https://blog.example.org/"


# What XML 1.0 cannot hold never reaches a feed ------------------------------------------------

PASTED = "Pasted from Word\x0bsecond line \x01\x1f\ufffe\uffff"
TYPED_REFERENCES = "Nice post&#1; thanks&#x1F;&#65535;&#11;again."


def parsed(response):
    assert response.status_code == 200
    return ET.fromstring(response.content)  # noqa: S314 -- our own feed; raises if not XML


@pytest.fixture
def pasted_post():
    """A post whose title, body and tag hold control characters and noncharacters."""
    tag = TagFactory(name="Bureau\x0bWord\x1f", slug="bureau")
    PostFactory(
        title="Tomates\x0bet\ufffebasilic", body=f"{PASTED}\n\n{TYPED_REFERENCES}", tags=[tag]
    )
    PostFactory(title="Tomatoes\x0b\uffff", body=PASTED, language="en", tags=[tag])


@pytest.mark.parametrize(
    "address",
    [
        "/feed/",
        "/feed/atom/",
        "/en/feed/",
        "/en/feed/atom/",
        "/tag/bureau/feed/",
        "/tag/bureau/feed/atom/",
        "/sitemap.xml",
    ],
)
def test_a_title_body_or_tag_pasted_with_control_characters_leaves_the_feeds_readable(
    client, pasted_post, address
):
    document = parsed(client.get(address))

    text = ET.tostring(document, encoding="unicode")
    assert not {"\x01", "\x0b", "\x1f", "\ufffe", "\uffff"} & set(text)


def test_the_words_around_removed_characters_stay_apart_and_whole(client, pasted_post):
    channel = parsed(client.get("/feed/")).find("channel")
    [item] = channel.findall("item")

    assert item.findtext("title") == "Tomates etbasilic"
    assert "Pasted from Word second line" in item.findtext("description")
    assert "Nice post thanks again." in item.findtext("description")
    assert [category.text for category in item.findall("category")] == ["Bureau Word"]


def test_rows_stored_before_the_cleaning_cannot_break_the_feeds(client):
    """Body HTML rendered by an older version, or written by an import, is cleaned on the way out."""
    post = PostFactory(title="Plain title")
    Post.objects.filter(pk=post.pk).update(
        title="Stored\x0btitle\uffff", body_html="<p>Stored\x01 body\x0b</p>"
    )
    for address in ("/feed/", "/feed/atom/"):
        text = ET.tostring(parsed(client.get(address)), encoding="unicode")
        assert "Stored title" in text
        assert "Stored body" in text
