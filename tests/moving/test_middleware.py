import pytest

from moving.middleware import redirect_candidates
from moving.models import Redirect
from tests.blog.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_an_old_address_is_a_permanent_redirect(client):
    Redirect.objects.create(old_path="/2019/05/radis.html", new_path="/radis/")
    response = client.get("/2019/05/radis.html")
    assert response.status_code == 301 and response["Location"] == "/radis/"
    assert Redirect.objects.get().hits == 1


def test_bloggers_mobile_address_and_query_strings(client):
    Redirect.objects.create(old_path="/2019/05/radis.html", new_path="/radis/")
    Redirect.objects.create(old_path="/?p=12", new_path="/douze/")
    assert client.get("/2019/05/radis.html?m=1")["Location"] == "/radis/"
    # The home page answers "/?p=12" itself: the redirect still wins.
    assert client.get("/?p=12")["Location"] == "/douze/"
    assert client.get("/?p=13").status_code == 200


def test_existing_pages_are_not_redirected(client, django_assert_num_queries):
    post = PostFactory(slug="radis")
    Redirect.objects.create(old_path=post.get_absolute_url(), new_path="/ailleurs/")
    assert client.get(post.get_absolute_url()).status_code == 200


def test_a_404_without_redirect_stays_a_404(client):
    assert client.get("/nulle-part.html").status_code == 404


def test_candidates_most_precise_first():
    assert redirect_candidates("/a.html", "m=1") == [
        "/a.html?m=1",
        "/a.html/?m=1",
        "/a.html",
        "/a.html/",
    ]
    assert redirect_candidates("/", "p=12") == ["/?p=12", "/"]
