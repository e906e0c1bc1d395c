from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blog.views import POSTS_PER_PAGE
from tests.blog.factories import (
    EditorFactory,
    MediaItemFactory,
    PageFactory,
    PostFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Queries per page for an anonymous reader, whatever the number of posts, tags or comments.
# The comments app adds its own fixed queries to the post page: update POST_PAGE_QUERIES then.
NAVIGATION_QUERIES = 1  # the header's pages (blog.context_processors.navigation_pages)
HOME_PAGE_QUERIES = 3 + NAVIGATION_QUERIES  # count for the paginator, the posts, their tags
TAG_PAGE_QUERIES = 1 + HOME_PAGE_QUERIES  # the tag, then as the home page
# The matching posts with their number (COUNT(*) OVER ()), their tags.
SEARCH_PAGE_QUERIES = 2 + NAVIGATION_QUERIES
# The post, its tags, the previous and next posts (one query), its comments.
POST_PAGE_QUERIES = 4 + NAVIGATION_QUERIES


def local_date(year, month, day):
    return timezone.make_aware(datetime(year, month, day, 12))


def test_home_lists_published_posts_newest_first_with_excerpt_date_tags_and_comments(client):
    tag = TagFactory(name="Cuisine", slug="cuisine")
    PostFactory(
        title="Le plus ancien",
        excerpt="Un résumé écrit à la main.",
        published_at=local_date(2024, 3, 5),
        tags=[tag],
    )
    PostFactory(title="Le plus récent", published_at=timezone.now() - timedelta(days=2))
    PostFactory(title="Brouillon secret", draft=True)
    PostFactory(title="Prévu pour demain", scheduled=True)

    response = client.get("/")
    page = response.content.decode()

    assert response.status_code == 200
    assert page.index("Le plus récent") < page.index("Le plus ancien")
    assert "Brouillon secret" not in page and "Prévu pour demain" not in page
    assert "Un résumé écrit à la main." in page
    assert '<time datetime="2024-03-05T12:00:00+01:00">5 mars 2024</time>' in page
    assert 'href="/tag/cuisine/" rel="tag">#Cuisine</a>' in page
    assert "0 commentaire" in page


def test_home_tags_and_archives_never_list_pages(client):
    tag = TagFactory(slug="jardin")
    PostFactory(title="Le balcon", tags=[tag])
    # Out of the navigation, so that only a listing could show its title.
    PageFactory(title="Mentions légales", slug="mentions-legales", in_navigation=False)
    year = timezone.localdate().year

    for address in ("/", "/en/", tag.get_absolute_url(), f"/{year}/"):
        html = client.get(address).content.decode()
        assert "Le balcon" in html
        assert "Mentions légales" not in html and "/mentions-legales/" not in html


def test_home_is_paginated(client):
    for number in range(POSTS_PER_PAGE + 2):
        PostFactory(
            title=f"Billet {number:02}", published_at=timezone.now() - timedelta(hours=number)
        )

    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()

    assert "Billet 00" in first and f"Billet {POSTS_PER_PAGE - 1:02}" in first
    assert f"Billet {POSTS_PER_PAGE:02}" not in first
    assert 'href="?page=2" rel="next"' in first
    assert f"Billet {POSTS_PER_PAGE + 1:02}" in second and "Billet 00" not in second
    assert "Page 2 sur 2" in second


def test_home_in_english_lives_under_en(client):
    PostFactory(title="Hello there", slug="hello-there", language="en")

    response = client.get("/en/")
    page = response.content.decode()

    assert response.status_code == 200
    assert '<html lang="en">' in page
    assert "0 comments" in page
    assert '<a href="/en/hello-there/">Hello there</a>' in page


def test_post_page_shows_title_cover_body_tags_author_reading_time_and_neighbours(client):
    author = EditorFactory(first_name="Camille", last_name="Martin")
    tag = TagFactory(name="Jardin", slug="jardin")
    before = PostFactory(title="Avant", published_at=timezone.now() - timedelta(days=3))
    post = PostFactory(
        title="Le balcon",
        slug="le-balcon",
        author=author,
        body="Des **tomates** partout.\n\n" + "mot " * 500,
        cover=MediaItemFactory(
            file="covers/balcon.jpg",
            width=1200,
            height=800,
            alt_text="Des tomates cerises sur un balcon",
        ),
        published_at=timezone.now() - timedelta(days=2),
        tags=[tag],
    )
    after = PostFactory(title="Après", published_at=timezone.now() - timedelta(days=1))

    page = client.get("/le-balcon/").content.decode()

    assert '<h1 id="post-title" class="post-title" lang="fr">Le balcon</h1>' in page
    assert "<strong>tomates</strong>" in page
    assert (
        '<img class="img-fluid" src="/media/covers/balcon.jpg" width="1200" height="800" '
        'decoding="async" alt="Des tomates cerises sur un balcon">' in page
    )
    assert "par Camille Martin" in page
    assert "3 minutes de lecture" in page
    assert f'href="{tag.get_absolute_url()}" rel="tag">#Jardin</a>' in page
    assert f'href="{before.get_absolute_url()}" rel="prev"' in page
    assert f'href="{after.get_absolute_url()}" rel="next"' in page
    assert post.get_absolute_url() == "/le-balcon/"


def test_drafts_and_scheduled_posts_are_not_found_by_readers(client):
    draft = PostFactory(draft=True)
    scheduled = PostFactory(scheduled=True)

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(scheduled.get_absolute_url()).status_code == 404


def test_a_missing_page_is_a_friendly_404(client):
    response = client.get("/cette-page-n-existe-pas/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Cette page n’existe pas" in page
    assert 'href="/"' in page and 'href="/search/"' in page


def test_a_missing_english_page_is_a_404_in_english(client):
    response = client.get("/en/this-page-does-not-exist/")

    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


def test_server_errors_get_a_page_that_renders_without_the_database(client, settings):
    from config.views import server_error

    response = server_error(None)

    assert response.status_code == 500
    assert "Un souci de notre côté" in response.content.decode()


def test_preview_shows_a_draft_to_staff(client):
    draft = PostFactory(title="Encore en travaux", draft=True)
    client.force_login(EditorFactory())

    response = client.get(reverse("blog:preview", kwargs={"pk": draft.pk}))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Encore en travaux" in page
    assert "Aperçu d’un brouillon" in page
    assert '<meta name="robots" content="noindex, nofollow">' in page


def test_preview_tells_when_a_scheduled_post_goes_live(client):
    scheduled = PostFactory(published_at=local_date(2099, 1, 2))
    client.force_login(EditorFactory())

    page = client.get(reverse("blog:preview", kwargs={"pk": scheduled.pk})).content.decode()

    assert "les lecteurs le verront à partir du 2 janvier 2099" in page


def test_preview_is_closed_to_readers(client):
    draft = PostFactory(draft=True)
    url = reverse("blog:preview", kwargs={"pk": draft.pk})

    anonymous = client.get(url)
    client.force_login(UserFactory())
    reader = client.get(url)

    assert anonymous.status_code == 302 and reader.status_code == 302
    assert draft.title not in reader.content.decode()


def test_preview_is_closed_to_staff_without_the_right_to_view_posts(client):
    draft = PostFactory(title="Encore secret", draft=True)
    client.force_login(UserFactory(is_staff=True))

    response = client.get(reverse("blog:preview", kwargs={"pk": draft.pk}))

    assert response.status_code == 403
    assert "Cette page ne vous est pas destinée" in response.content.decode()
    assert "Encore secret" not in response.content.decode()


def test_tag_page_lists_its_published_posts_and_links_its_feeds(client):
    tag = TagFactory(name="Voyages", slug="voyages", description="À pied, de préférence.")
    PostFactory(title="Le Vercors", tags=[tag])
    PostFactory(title="Sans étiquette")
    PostFactory(title="Voyage en brouillon", tags=[tag], draft=True)

    page = client.get("/tag/voyages/").content.decode()

    assert "Billets classés « Voyages »" in page
    assert "À pied, de préférence." in page
    assert "Le Vercors" in page
    assert "Sans étiquette" not in page and "Voyage en brouillon" not in page
    assert 'href="/tag/voyages/feed/"' in page and 'href="/tag/voyages/feed/atom/"' in page


def test_unknown_tag_is_404(client):
    assert client.get("/tag/inconnue/").status_code == 404


def test_archives_list_months_and_tags(client):
    tag = TagFactory(name="Lectures", slug="lectures")
    PostFactory(published_at=local_date(2023, 11, 4), tags=[tag])
    PostFactory(published_at=local_date(2023, 11, 20))
    PostFactory(published_at=local_date(2024, 2, 1))

    page = client.get("/archives/").content.decode()

    assert 'href="/2024/">2024</a>' in page
    assert 'href="/2024/2/">Février</a>' in page
    assert 'href="/2023/11/">Novembre</a> <span class="text-body-secondary">(2)</span>' in page
    assert (
        'href="/tag/lectures/">#Lectures</a> <span class="text-body-secondary">(1)</span>' in page
    )


def test_year_and_month_archives_show_the_posts_of_that_period(client):
    PostFactory(title="Novembre 2023", published_at=local_date(2023, 11, 4))
    PostFactory(title="Février 2024", published_at=local_date(2024, 2, 1))

    year = client.get("/2023/").content.decode()
    month = client.get("/2024/2/").content.decode()

    assert "Billets de 2023" in year and "Novembre 2023" in year and "Février 2024" not in year
    assert "Billets de février 2024" in month and "Février 2024" in month
    assert "Novembre 2023" not in month


def test_impossible_archive_dates_are_404(client):
    assert client.get("/2024/13/").status_code == 404
    assert client.get("/0/").status_code == 404


def test_search_finds_posts_best_match_first(client):
    PostFactory(title="Notes", body="Un mot sur le compost.")
    PostFactory(title="Le compost en ville", body="Tout sur le compost.")
    PostFactory(title="Brouillon compost", draft=True)

    page = client.get("/search/", {"q": "compost"}).content.decode()

    assert "2 billets trouvés." in page
    assert page.index("Le compost en ville") < page.index("Notes")
    assert "Brouillon compost" not in page


def test_search_says_when_nothing_matches(client):
    page = client.get("/search/", {"q": "introuvable"}).content.decode()

    assert "Aucun billet ne correspond à « introuvable »." in page


def test_search_pagination_keeps_the_terms(client):
    for number in range(POSTS_PER_PAGE + 1):
        PostFactory(title=f"Levain {number}")

    page = client.get("/search/", {"q": "levain"}).content.decode()

    assert 'href="?q=levain&amp;page=2" rel="next"' in page


@pytest.mark.parametrize("post_count", [5, 50])
def test_home_page_queries_do_not_grow_with_posts(client, django_assert_num_queries, post_count):
    tags = TagFactory.create_batch(3)
    for _ in range(post_count):
        PostFactory(tags=tags)

    with django_assert_num_queries(HOME_PAGE_QUERIES):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("post_count", [5, 50])
def test_tag_page_queries_do_not_grow_with_posts(client, django_assert_num_queries, post_count):
    tag, other = TagFactory(), TagFactory()
    for _ in range(post_count):
        PostFactory(tags=[tag, other])

    with django_assert_num_queries(TAG_PAGE_QUERIES):
        assert client.get(tag.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("post_count", [5, 50])
def test_search_page_queries_do_not_grow_with_matches(
    client, django_assert_num_queries, post_count
):
    tags = TagFactory.create_batch(3)
    for number in range(post_count):
        PostFactory(title=f"Levain numéro {number}", tags=tags)

    with django_assert_num_queries(SEARCH_PAGE_QUERIES):
        page = client.get("/search/?q=levain").content.decode()
    assert "Levain numéro" in page


@pytest.mark.parametrize("tag_count", [0, 30])
def test_post_page_queries_do_not_grow_with_tags(client, django_assert_num_queries, tag_count):
    PostFactory(published_at=timezone.now() - timedelta(days=2))
    post = PostFactory(
        tags=TagFactory.create_batch(tag_count), published_at=timezone.now() - timedelta(days=1)
    )
    PostFactory()

    with django_assert_num_queries(POST_PAGE_QUERIES):
        assert client.get(post.get_absolute_url()).status_code == 200
