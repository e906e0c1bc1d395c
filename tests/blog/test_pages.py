import re

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from blog import pagecache
from blog.models import Page, Post
from blog.signals import post_went_live
from tests.blog.factories import EditorFactory, PageFactory, PostFactory, UserFactory
from tests.blog.test_views import NAVIGATION_QUERIES, POST_PAGE_QUERIES

pytestmark = pytest.mark.django_db

# The post lookup (missing), the page, then the header's navigation pages.
PAGE_QUERIES = 2 + NAVIGATION_QUERIES
# The post and the page lookups (both missing), the 404 page's header, then the old site's
# redirects (moving/middleware.py).
MISSING_QUERIES = 2 + NAVIGATION_QUERIES + 1


def navigation_links(html):
    """Return (text, href, current) of each page link in the site header, in order."""
    header = html.split('<header class="site-header', 1)[1].split("</header>", 1)[0]
    return [
        (text, href, "aria-current" in attributes)
        for href, attributes, text in re.findall(
            r'<a class="site-nav-link" href="([^"]+)"([^>]*)>([^<]+)</a>', header
        )
        if href not in ("/archives/", "/en/archives/")
    ]


# Reading a page ---------------------------------------------------------------------------------


def test_a_published_page_has_its_own_address_with_title_body_and_meta(client):
    page = PageFactory(
        title="À propos",
        slug="a-propos",
        body="Je m’appelle **Camille**.",
        seo_description="Qui écrit ici, et pourquoi.",
    )

    response = client.get("/a-propos/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 id="page-title" class="post-title" lang="fr">À propos</h1>' in html
    assert "<strong>Camille</strong>" in html
    assert '<link rel="canonical" href="http://testserver/a-propos/">' in html
    assert '<meta name="description" content="Qui écrit ici, et pourquoi.">' in html
    assert '<meta property="og:title" content="À propos">' in html
    assert '<meta property="og:url" content="http://testserver/a-propos/">' in html
    assert '<meta property="og:locale" content="fr_FR">' in html
    assert "<title>À propos · Chez Soi</title>" in html
    assert page.get_absolute_url() == "/a-propos/"


def test_a_page_shows_no_date_author_tags_share_links_or_comments(client):
    PageFactory(slug="contact", author=EditorFactory(first_name="Camille", last_name="Martin"))

    html = client.get("/contact/").content.decode()

    assert "<time" not in html
    assert "Camille Martin" not in html
    assert 'class="share"' not in html
    assert 'id="comments"' not in html and "/comments/" not in html
    assert 'property="article:published_time"' not in html
    assert 'class="tag-list"' not in html


def test_the_description_defaults_to_the_start_of_the_body(client):
    PageFactory(slug="contact", body="Écrivez-moi à l’adresse ci-dessous.")

    html = client.get("/contact/").content.decode()

    assert '<meta name="description" content="Écrivez-moi à l’adresse ci-dessous.">' in html


def test_an_english_page_lives_under_en_and_its_canonical_address_stays_there(client):
    PageFactory(slug="about", title="About", language="en")

    english = client.get("/en/about/").content.decode()
    french = client.get("/about/").content.decode()

    assert '<h1 id="page-title" class="post-title" lang="en">About</h1>' in english
    for html in (english, french):
        assert '<link rel="canonical" href="http://testserver/en/about/">' in html
        assert '<meta property="og:locale" content="en_GB">' in html


def test_a_draft_page_is_not_found_by_readers(client):
    PageFactory(slug="bientot", status=Page.Status.DRAFT)

    assert client.get("/bientot/").status_code == 404


def test_a_post_and_a_page_share_the_address_space_and_the_post_is_served_first(client):
    PostFactory(slug="le-balcon", title="Le balcon")
    PageFactory(slug="a-propos", title="À propos")

    assert "Le balcon" in client.get("/le-balcon/").content.decode()
    assert reverse("blog:page", kwargs={"slug": "a-propos"}) == "/a-propos/"
    assert reverse("blog:post", kwargs={"slug": "a-propos"}) == "/a-propos/"


# Queries ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page_count", [1, 20])
def test_a_page_costs_fixed_queries(client, django_assert_num_queries, page_count):
    PageFactory.create_batch(page_count)
    PageFactory(slug="a-propos")

    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get("/a-propos/").status_code == 200


@pytest.mark.parametrize("page_count", [0, 20])
def test_a_post_costs_the_same_queries_whatever_the_pages(
    client, django_assert_num_queries, page_count
):
    PageFactory.create_batch(page_count)
    post = PostFactory()

    with django_assert_num_queries(POST_PAGE_QUERIES):
        assert client.get(post.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("page_count", [0, 20])
def test_a_missing_address_costs_fixed_queries(client, django_assert_num_queries, page_count):
    PageFactory.create_batch(page_count)

    with django_assert_num_queries(MISSING_QUERIES):
        assert client.get("/nulle-part/").status_code == 404


# The header's navigation ------------------------------------------------------------------------


def test_the_header_lists_the_navigation_pages_in_their_order_then_by_title(client):
    PageFactory(title="Mentions légales", slug="mentions-legales", in_navigation=False)
    PageFactory(title="Contact", slug="contact", navigation_order=2)
    PageFactory(title="Colophon", slug="colophon", navigation_order=2)
    PageFactory(title="À propos", slug="a-propos", navigation_order=1)
    PageFactory(title="Brouillon", slug="brouillon", status=Page.Status.DRAFT)

    html = client.get("/").content.decode()

    assert navigation_links(html) == [
        ("À propos", "/a-propos/", False),
        ("Colophon", "/colophon/", False),
        ("Contact", "/contact/", False),
    ]


def test_the_current_page_is_marked_in_the_navigation(client):
    PageFactory(title="À propos", slug="a-propos", navigation_order=1)
    PageFactory(title="Contact", slug="contact", navigation_order=2)

    html = client.get("/contact/").content.decode()

    assert navigation_links(html) == [
        ("À propos", "/a-propos/", False),
        ("Contact", "/contact/", True),
    ]


def test_the_navigation_shows_the_pages_in_the_readers_language(client):
    PageFactory(title="À propos", slug="a-propos", language="fr")
    PageFactory(title="About", slug="about", language="en")

    assert navigation_links(client.get("/").content.decode()) == [("À propos", "/a-propos/", False)]
    assert navigation_links(client.get("/en/").content.decode()) == [("About", "/en/about/", False)]


def test_the_navigation_shows_every_page_when_none_is_in_the_readers_language(client):
    PageFactory(title="À propos", slug="a-propos", language="fr")

    html = client.get("/en/").content.decode()

    assert navigation_links(html) == [("À propos", "/en/a-propos/", False)]
    assert '<a class="site-nav-link" href="/en/a-propos/" lang="fr">' in html


@pytest.fixture
def page_cache(settings):
    """Turn the page cache on with a content version no earlier test has stored pages under."""
    settings.PAGE_CACHE_ENABLED = True
    pagecache.content_version_renew()


def test_a_page_is_served_from_the_page_cache(client, page_cache):
    PageFactory(slug="a-propos")

    assert client.get("/a-propos/")["X-Page-Cache"] == "miss"
    assert Client().get("/a-propos/")["X-Page-Cache"] == "hit"


def test_a_page_added_edited_or_deleted_shows_at_once_in_every_stored_header(
    page_cache, django_capture_on_commit_callbacks
):
    PostFactory(slug="le-balcon")
    Client().get("/")
    Client().get("/le-balcon/")

    with django_capture_on_commit_callbacks(execute=True):
        page = PageFactory(title="À propos", slug="a-propos")
    assert "À propos" in Client().get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page.title = "Qui suis-je"
        page.save()
    assert "Qui suis-je" in Client().get("/le-balcon/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page.delete()
    assert "Qui suis-je" not in Client().get("/").content.decode()


def test_a_page_preview_is_never_stored(client, page_cache):
    page = PageFactory(status=Page.Status.DRAFT)
    client.force_login(EditorFactory())

    response = client.get(reverse("blog:page_preview", kwargs={"pk": page.pk}))

    assert response.status_code == 200
    assert "X-Page-Cache" not in response
    assert "blog:page_preview" in pagecache.UNCACHED_VIEW_NAMES


# One address, one post or page ------------------------------------------------------------------


def test_a_page_cannot_take_a_posts_address():
    PostFactory(slug="le-balcon", title="Le balcon")
    page = PageFactory.build(slug="le-balcon", author=EditorFactory())

    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        page.full_clean()

    assert refused.value.message_dict["slug"] == [
        "Cette adresse est déjà prise par le billet «\u00a0Le balcon\u00a0»."
    ]


def test_a_post_cannot_take_a_pages_address():
    PageFactory(slug="a-propos", title="À propos")
    post = PostFactory.build(slug="a-propos", author=EditorFactory())

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        post.full_clean()

    assert refused.value.message_dict["slug"] == [
        "This address is already used by the page “À propos”."
    ]


def test_a_page_keeps_its_own_address_when_edited():
    page = PageFactory(slug="a-propos")

    page.full_clean()


def test_the_admin_refuses_a_page_at_a_posts_address(client):
    client.force_login(EditorFactory())
    PostFactory(slug="le-balcon", title="Le balcon")

    response = client.post(
        reverse("admin:blog_page_add"),
        {
            "title": "Balcon",
            "slug": "le-balcon",
            "body": "Texte.",
            "status": "published",
            "language": "fr",
            "author": EditorFactory().pk,
            "in_navigation": "on",
            "navigation_order": "0",
        },
    )

    assert response.status_code == 200
    assert (
        "Cette adresse est déjà prise par le billet «\u00a0Le balcon\u00a0»."
        in response.content.decode()
    )
    assert not Page.objects.exists()


# Preview ----------------------------------------------------------------------------------------


def test_staff_preview_a_draft_page(client):
    page = PageFactory(slug="bientot", title="Bientôt", status=Page.Status.DRAFT)
    client.force_login(EditorFactory())

    response = client.get(reverse("blog:page_preview", kwargs={"pk": page.pk}))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Bientôt" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert (
        "Aperçu d’un brouillon\u00a0: les lecteurs ne peuvent pas encore voir cette page." in html
    )


def test_the_page_preview_is_closed_to_readers(client):
    page = PageFactory(status=Page.Status.DRAFT)
    client.force_login(UserFactory())

    response = client.get(reverse("blog:page_preview", kwargs={"pk": page.pk}))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_admin_views_a_draft_through_the_preview_and_a_published_page_at_its_address():
    admin = admin_site._registry[Page]
    draft = PageFactory(status=Page.Status.DRAFT)
    published = PageFactory(slug="a-propos")

    assert admin.view_on_site(draft) == f"/preview/page/{draft.pk}/"
    assert admin.view_on_site(published) == "/a-propos/"


# The admin --------------------------------------------------------------------------------------


def test_the_page_list_shows_address_and_order_editable(client):
    client.force_login(EditorFactory())
    PageFactory(title="À propos", slug="a-propos", language="fr")
    PageFactory(title="About", slug="about", language="en")

    html = client.get(reverse("admin:blog_page_changelist")).content.decode()

    assert "/a-propos/" in html and "/en/about/" in html
    assert 'name="form-0-navigation_order"' in html
    assert "?language__exact=en" in html and "?status__exact=draft" in html


def test_a_new_page_defaults_its_author_to_the_editor(client):
    editor = EditorFactory()
    request = RequestFactory().get("/")
    request.user = editor

    initial = admin_site._registry[Page].get_changeform_initial_data(request)

    assert initial["author"] == editor.pk


# Where pages never appear -----------------------------------------------------------------------


def test_a_published_page_never_sends_post_went_live():
    heard = []

    def listener(sender, post, **kwargs):
        heard.append(post)

    post_went_live.connect(listener)
    try:
        page = PageFactory()
        page.title = "Changé"
        page.save()
    finally:
        post_went_live.disconnect(listener)

    assert heard == []
    assert not Post.objects.exists()


def test_search_finds_no_page(client):
    # As Ghost: the search looks through posts only (WordPress would list pages too).
    PageFactory(title="Levain de page", body="Levain.", in_navigation=False)

    html = client.get("/search/", {"q": "levain"}).content.decode()

    assert "Levain de page" not in html
