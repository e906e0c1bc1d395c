"""The anonymous-reader page cache: served to strangers, refreshed the moment content changes."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import signing
from django.http import HttpResponse
from django.template import engines
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from blog import pagecache
from blog.services import posts_go_live
from comments import services as comment_services
from comments.models import Comment
from comments.tokens import FORM_ISSUED_SALT
from tests.blog.factories import EditorFactory, PostFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')
ISSUED_FIELD = re.compile(r'name="issued" value="([^"]+)"')


def _greeting(request):
    response = HttpResponse("Bonjour")
    response.set_cookie("greeted", "yes")
    return response


def _nonce_page(request):
    template = engines["django"].from_string(
        '<script nonce="{{ request.csp_nonce }}">let a = 1;</script>'
    )
    return HttpResponse(template.render({}, request))


# Pages of the `blog` namespace are the cached ones; these two show what the real ones cannot.
urlpatterns = [
    path(
        "",
        include(
            (
                [path("greeting/", _greeting, name="greeting"), path("nonce/", _nonce_page)],
                "blog",
            )
        ),
    )
]


@pytest.fixture(autouse=True)
def page_cache(settings):
    """Turn the cache on with a content version no earlier test has stored pages under."""
    settings.PAGE_CACHE_ENABLED = True
    pagecache.content_version_renew()


@pytest.fixture
def changes_committed(django_capture_on_commit_callbacks):
    """Run what the test's writes schedule for after commit, as a real request's commit would."""

    def commit():
        return django_capture_on_commit_callbacks(execute=True)

    return commit


def read(url, client=None, **headers):
    return (client or Client()).get(url, **headers)


def test_second_anonymous_reader_is_served_the_stored_page():
    post = PostFactory(title="Les cerisiers en fleur")

    first = read("/")
    second = read("/")

    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert "Les cerisiers en fleur" in second.content.decode()
    assert post.get_absolute_url() in second.content.decode()


def test_each_reader_of_a_stored_page_gets_a_working_token_of_their_own():
    PostFactory()
    read("/")

    readers = [Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)]
    tokens = []
    for reader in readers:
        page = reader.get("/")
        assert page["X-Page-Cache"] == "hit"
        tokens.append(TOKEN_FIELD.search(page.content.decode()).group(1))
        switched = reader.post(
            "/i18n/setlang/",
            {"language": "en", "next": "/", "csrfmiddlewaretoken": tokens[-1]},
        )
        assert switched.status_code == 302

    assert tokens[0] != tokens[1]
    assert readers[0].cookies[settings.CSRF_COOKIE_NAME].value != (
        readers[1].cookies[settings.CSRF_COOKIE_NAME].value
    )


def test_editing_a_post_shows_at_once(changes_committed):
    post = PostFactory(title="Premier titre", body="Un mot.")
    read(post.get_absolute_url())
    read("/")

    with changes_committed():
        post.title = "Titre corrigé"
        post.body = "Une phrase réécrite."
        post.save()

    page = read(post.get_absolute_url())
    home = read("/")
    assert "Titre corrigé" in page.content.decode()
    assert "Une phrase réécrite." in page.content.decode()
    assert "Titre corrigé" in home.content.decode()


def test_renaming_a_tag_shows_at_once(changes_committed):
    tag = TagFactory(name="Jardin", slug="jardin")
    post = PostFactory(tags=[tag])
    read(post.get_absolute_url())
    read(tag.get_absolute_url())

    with changes_committed():
        tag.name = "Potager"
        tag.save()

    assert "#Potager" in read(post.get_absolute_url()).content.decode()
    assert "Potager" in read(tag.get_absolute_url()).content.decode()


def test_tagging_a_post_shows_at_once(changes_committed):
    post = PostFactory()
    read(post.get_absolute_url())

    with changes_committed():
        post.tags.add(TagFactory(name="Voyages", slug="voyages"))

    assert "#Voyages" in read(post.get_absolute_url()).content.decode()


def _comment(post, status):
    return Comment.objects.create(
        post=post,
        author_name="Lucie",
        author_email="lucie@example.com",
        body="Très beau billet.",
        status=status,
    )


def test_approving_a_comment_shows_at_once(changes_committed):
    post = PostFactory(title="Billet commenté")
    with changes_committed():
        comment = _comment(post, Comment.Status.PENDING)
    assert "0 comment" in read("/").content.decode()
    assert read("/")["X-Page-Cache"] == "hit"

    with changes_committed():
        comment_services.comment_approve(comment=comment, moderator=EditorFactory())

    assert "1 comment" in read("/").content.decode()
    assert "Très beau billet." in read(post.get_absolute_url()).content.decode()


def test_removing_a_comment_shows_at_once(changes_committed):
    post = PostFactory()
    with changes_committed():
        comment = _comment(post, Comment.Status.PENDING)
        comment_services.comment_approve(comment=comment, moderator=EditorFactory())
    assert "1 comment" in read("/").content.decode()
    assert read("/")["X-Page-Cache"] == "hit"

    with changes_committed():
        comment_services.comment_remove(comment=comment, moderator=EditorFactory())

    assert "0 comment" in read("/").content.decode()


def test_a_comment_waiting_for_moderation_leaves_stored_pages_alone(changes_committed):
    post = PostFactory()
    read("/")

    with changes_committed() as callbacks:
        _comment(post, Comment.Status.PENDING)

    assert callbacks == []
    assert read("/")["X-Page-Cache"] == "hit"


def test_a_change_rolled_back_leaves_stored_pages_alone():
    post = PostFactory(title="Titre stable")
    read("/")

    post.title = "Titre jamais enregistré"
    post.save()  # the test's transaction is rolled back: no commit, no new version

    assert read("/")["X-Page-Cache"] == "hit"


def test_a_scheduled_post_appears_once_it_has_gone_live(changes_committed):
    PostFactory(title="Déjà là")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        PostFactory(
            title="Prévu pour tout de suite", published_at=timezone.now() + timedelta(minutes=1)
        )
        with changes_committed():
            posts_go_live()
        assert "Prévu pour tout de suite" not in read("/").content.decode()
        assert read("/")["X-Page-Cache"] == "hit"

        clock.shift(timedelta(minutes=1))
        with changes_committed():
            posts_go_live()  # the periodic task's run

        assert "Prévu pour tout de suite" in read("/").content.decode()


def test_comments_closing_by_themselves_close_on_the_stored_page(settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 1
    with time_machine.travel(timezone.now(), tick=False) as clock:
        post = PostFactory(published_at=timezone.now() - timedelta(days=1) + timedelta(minutes=1))
        pagecache.content_version_renew()  # as the post's commit would
        assert 'class="comment-form"' in read(post.get_absolute_url()).content.decode()
        assert read(post.get_absolute_url())["X-Page-Cache"] == "hit"

        clock.shift(timedelta(minutes=1))

        assert 'class="comment-form"' not in read(post.get_absolute_url()).content.decode()


def test_each_reader_of_a_stored_post_gets_a_comment_form_shown_to_them_now():
    post = PostFactory()
    first = read(post.get_absolute_url())

    second = read(post.get_absolute_url())

    assert second["X-Page-Cache"] == "hit"
    shown_at = [
        signing.loads(ISSUED_FIELD.search(page.content.decode()).group(1), salt=FORM_ISSUED_SALT)
        for page in (first, second)
    ]
    assert shown_at[1]["post"] == post.pk
    assert shown_at[1]["at"] > shown_at[0]["at"]


def test_french_and_english_pages_are_stored_apart():
    PostFactory()
    read("/")

    english = read("/en/")

    assert english["X-Page-Cache"] == "miss"
    assert '<html lang="en">' in english.content.decode()


def test_a_signed_in_reader_is_never_served_or_stored():
    PostFactory()
    read("/")
    reader = Client()
    reader.force_login(UserFactory())

    signed_in = reader.get("/")
    anonymous = read("/")

    assert "X-Page-Cache" not in signed_in
    assert "Sign out" in signed_in.content.decode() or "Se déconnecter" in (
        signed_in.content.decode()
    )
    assert anonymous["X-Page-Cache"] == "hit"
    assert "Se déconnecter" not in anonymous.content.decode()


@pytest.mark.parametrize(
    "cookie",
    [
        getattr(settings, "COMMENTS_PENDING_COOKIE", "chezsoi_pending"),
        settings.MESSAGES_COOKIE_NAME if hasattr(settings, "MESSAGES_COOKIE_NAME") else "messages",
        settings.SESSION_COOKIE_NAME,
        "unknown_cookie",
    ],
)
def test_a_reader_with_their_own_cookie_gets_a_page_of_their_own(cookie):
    PostFactory()
    read("/")
    reader = Client()
    reader.cookies[cookie] = "something"

    assert "X-Page-Cache" not in reader.get("/")


def test_a_form_post_is_never_answered_from_the_cache():
    PostFactory()
    read("/search/?q=billet")

    assert "X-Page-Cache" not in Client().post("/search/?q=billet")


def test_search_results_are_stored_per_query():
    PostFactory(title="Des pommes")
    PostFactory(title="Des poires")

    read("/search/?q=pommes")
    poires = read("/search/?q=poires")

    assert poires["X-Page-Cache"] == "miss"
    assert "Des poires" in poires.content.decode()
    assert read("/search/?q=pommes&utm_source=lettre")["X-Page-Cache"] == "hit"


def test_made_up_parameters_do_not_fill_the_cache():
    PostFactory()

    read("/?nocache=1")

    assert "X-Page-Cache" not in read("/?nocache=1")


def test_a_staff_preview_is_never_stored():
    draft = PostFactory(draft=True)

    response = read(f"/preview/{draft.pk}/")

    assert response.status_code == 302
    assert "X-Page-Cache" not in response


@pytest.mark.urls("tests.blog.test_pagecache")
def test_a_page_that_sets_a_cookie_is_not_shared():
    first = read("/greeting/")

    second = read("/greeting/")

    assert first.cookies["greeted"].value == "yes"
    assert "X-Page-Cache" not in second


@pytest.mark.urls("tests.blog.test_pagecache")
def test_each_reader_of_a_stored_page_gets_a_script_nonce_of_their_own():
    read("/nonce/")

    nonces = []
    for _reader in range(2):
        page = read("/nonce/")
        assert page["X-Page-Cache"] == "hit"
        nonce = re.search(r'nonce="([^"]+)"', page.content.decode()).group(1)
        assert f"'nonce-{nonce}'" in page["Content-Security-Policy"]
        nonces.append(nonce)

    assert nonces[0] != nonces[1]


def test_pages_are_served_when_the_cache_is_down(settings):
    PostFactory(title="Toujours lisible")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    response = read("/")

    assert response.status_code == 200
    assert "Toujours lisible" in response.content.decode()


def test_a_stored_page_costs_no_query(django_assert_num_queries):
    PostFactory.create_batch(3)
    read("/")

    with django_assert_num_queries(0):
        assert read("/")["X-Page-Cache"] == "hit"


# Conditional requests ---------------------------------------------------------------------------


def test_a_reader_asking_again_gets_a_304_without_the_page_being_read_or_rendered(
    django_assert_num_queries, monkeypatch
):
    post = PostFactory()
    first = read(post.get_absolute_url())
    assert first["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert first["Last-Modified"]
    stored = []
    monkeypatch.setattr(pagecache, "_response_from_entry", lambda *a: stored.append(a))

    with django_assert_num_queries(0):
        again = read(post.get_absolute_url(), headers={"if-none-match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert stored == []  # answered before the stored page was even looked at


def test_feeds_answer_if_modified_since_with_a_304():
    PostFactory()
    first = read("/feed/")

    again = read("/feed/", headers={"if-modified-since": first["Last-Modified"]})

    assert again.status_code == 304


def test_a_change_gives_pages_a_new_validator(changes_committed):
    post = PostFactory()
    first = read(post.get_absolute_url())

    with changes_committed():
        post.title = "Un nouveau titre"
        post.save()
    again = read(post.get_absolute_url(), headers={"if-none-match": first["ETag"]})

    assert again.status_code == 200
    assert "Un nouveau titre" in again.content.decode()
    assert again["ETag"] != first["ETag"]


def test_a_page_rendered_for_one_reader_is_private_and_has_no_validator():
    PostFactory()
    reader = Client()
    reader.force_login(UserFactory())

    page = reader.get("/")

    assert page["Cache-Control"] == "private"
    assert "ETag" not in page


def test_pages_are_compressed_for_readers_that_accept_it():
    PostFactory.create_batch(3)

    page = read("/", headers={"accept-encoding": "gzip"})

    assert page["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page["Vary"]


def test_a_kept_copy_stops_being_reused_before_its_comment_form_expires(settings):
    post = PostFactory()
    half = settings.COMMENTS_FORM_MAX_AGE // 2
    # Just after a period starts: the copy is reused for the rest of that half-lifetime.
    start = (int(timezone.now().timestamp()) // half + 1) * half + 30
    with time_machine.travel(start, tick=False) as clock:
        pagecache.content_version_renew()
        first = read(post.get_absolute_url())
        clock.shift(timedelta(seconds=half - 90))
        soon = read(post.get_absolute_url(), headers={"if-none-match": first["ETag"]})
        clock.shift(timedelta(seconds=120))
        later = read(post.get_absolute_url(), headers={"if-none-match": first["ETag"]})

    assert soon.status_code == 304
    assert later.status_code == 200
    form_time = ISSUED_FIELD.search(later.content.decode())[1]
    assert form_time != ISSUED_FIELD.search(first.content.decode())[1]
