"""What the `<head>` tells search engines: each page's canonical address and its other languages."""

import datetime
from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.utils import timezone

from blog import views
from tests.blog.factories import PostFactory, TagFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db


class HeadLinks(HTMLParser):
    """Collect the page's `<link rel=canonical>` and `<link rel=alternate hreflang>`."""

    def __init__(self, html: str):
        super().__init__()
        self.canonical: list[str] = []
        self.alternates: dict[str, str] = {}
        self.times: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "canonical":
            self.canonical.append(attrs["href"])
        elif tag == "link" and attrs.get("rel") == "alternate" and "hreflang" in attrs:
            self.alternates[attrs["hreflang"]] = attrs["href"]
        elif tag == "time":
            self.times.append(attrs["datetime"])


def head(client, address) -> HeadLinks:
    response = client.get(address)
    assert response.status_code == 200
    return HeadLinks(response.content.decode())


@pytest.mark.parametrize(
    ("french", "english"),
    [("/", "/en/"), ("/archives/", "/en/archives/"), ("/newsletter/", "/en/newsletter/")],
)
def test_interface_pages_name_both_languages_and_themselves_as_canonical(client, french, english):
    PostFactory()
    expected = {
        "fr": f"http://testserver{french}",
        "en": f"http://testserver{english}",
        "x-default": f"http://testserver{french}",
    }
    for address in (french, english):
        links = head(client, address)
        assert links.alternates == expected
        assert links.canonical == [f"http://testserver{address}"]


def test_a_tag_page_has_alternates_and_one_canonical(client):
    garden = TagFactory(slug="jardin")
    PostFactory(tags=[garden])

    links = head(client, "/en/tag/jardin/")

    assert links.alternates["fr"] == "http://testserver/tag/jardin/"
    assert links.alternates["en"] == "http://testserver/en/tag/jardin/"
    assert links.canonical == ["http://testserver/en/tag/jardin/"]


def test_the_page_number_stays_in_canonical_and_alternates_past_the_first(client, monkeypatch):
    monkeypatch.setattr(views, "POSTS_PER_PAGE", 1)
    year = timezone.localdate().year
    PostFactory.create_batch(2)

    second = head(client, f"/en/{year}/?page=2&utm_source=mastodon")
    first = head(client, f"/{year}/?page=1")

    assert second.canonical == [f"http://testserver/en/{year}/?page=2"]
    assert second.alternates["fr"] == f"http://testserver/{year}/?page=2"
    assert first.canonical == [f"http://testserver/{year}/"]


def test_search_keeps_its_terms_in_alternates_and_names_no_canonical(client):
    links = head(client, "/en/search/?q=pain+levain")

    assert links.alternates["fr"] == "http://testserver/search/?q=pain+levain"
    assert links.canonical == []


def test_a_post_is_in_one_language_so_it_has_its_canonical_and_no_alternates(client):
    post = PostFactory(language="en", slug="winter")

    links = head(client, "/en/winter/")

    assert links.canonical == [post.get_canonical_url()]
    assert links.alternates == {}


def test_a_missing_page_has_no_alternates(client):
    response = client.get("/en/tag/nothing-here/")

    assert response.status_code == 404
    assert HeadLinks(response.content.decode()).alternates == {}


# Times in `datetime` attributes ------------------------------------------------------------------


def test_html_datetime_gives_seconds_in_the_current_time_zone():
    moment = datetime.datetime(2025, 1, 31, 23, 30, 5, 123456, tzinfo=datetime.UTC)
    template = Template("{% load datetimes %}{{ moment|html_datetime }}|{{ day|html_datetime }}")

    with timezone.override("Europe/Paris"):
        text = template.render(Context({"moment": moment, "day": datetime.date(2025, 2, 1)}))

    assert text == "2025-02-01T00:30:05+01:00|2025-02-01"
    assert Template("{% load datetimes %}{{ nothing|html_datetime }}").render(Context()) == ""


def test_no_time_on_a_post_page_has_a_fraction_of_a_second(client):
    post = PostFactory(
        published_at=(timezone.now() - datetime.timedelta(hours=1)).replace(microsecond=654321)
    )
    CommentFactory(post=post)

    times = head(client, post.get_absolute_url()).times

    assert len(times) >= 2
    for value in times:
        datetime.datetime.fromisoformat(value)
        assert "." not in value, value
