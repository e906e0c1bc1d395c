from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.sites.models import Site
from django.core.management import CommandError, call_command

from blog.models import Page, Post, Tag
from comments.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Keep the demo's generated cover images out of the project's folders."""
    settings.MEDIA_ROOT = tmp_path


def load_demo(**options):
    output = StringIO()
    call_command("load_demo", stdout=output, **options)
    return output.getvalue()


def counts():
    return (
        Post.objects.count(),
        Post.objects.published().count(),
        Page.objects.count(),
        Tag.objects.count(),
        Comment.objects.count(),
        get_user_model().objects.count(),
    )


def test_load_demo_fills_the_site_and_a_second_run_changes_nothing(settings):
    settings.DEBUG = True

    first_output = load_demo()
    first = counts()
    second_output = load_demo()

    assert counts() == first
    assert second_output == first_output
    published = Post.objects.published()
    assert published.count() >= 12
    assert set(published.values_list("language", flat=True)) == {"fr", "en"}
    assert not published.filter(tags=None).exists()
    assert Post.objects.filter(status="published").exclude(pk__in=published).count() == 1
    assert Post.objects.filter(status="draft").count() == 1


def test_demo_pages_are_about_in_each_language_and_a_legal_page_out_of_the_navigation(
    client,
):
    load_demo(force=True)
    about = Page.objects.get(slug="a-propos")
    about.body = "Changé par l’éditrice."
    about.save()

    load_demo(force=True)

    assert set(Page.objects.published().values_list("slug", "language", "in_navigation")) == {
        ("a-propos", "fr", True),
        ("about", "en", True),
        ("mentions-legales", "fr", False),
    }
    about.refresh_from_db()
    assert about.body == "Changé par l’éditrice."  # a second run keeps the editor's changes
    french, english = client.get("/").content.decode(), client.get("/en/").content.decode()
    assert 'href="/a-propos/"' in french and 'href="/en/about/"' not in french
    assert 'href="/en/about/"' in english and "Mentions légales" not in french
    assert "Changé par l’éditrice." in client.get("/a-propos/").content.decode()


def test_demo_posts_use_markdown_headings_lists_links_and_code():
    load_demo(force=True)
    html = "".join(Post.objects.values_list("body_html", flat=True))

    for fragment in ("<h2", "<ul>", "<ol>", '<a href="https://', "<pre><code", "<blockquote>"):
        assert fragment in html


def test_demo_comments_are_approved_and_threaded():
    load_demo(force=True)

    comments = Comment.objects.all()
    assert comments.exists()
    assert set(comments.values_list("status", flat=True)) == {"approved"}
    assert comments.filter(parent__isnull=False).exists()
    assert Post.objects.filter(comment_count__gt=0).count() >= 3


def test_demo_comments_are_dated_after_their_post_in_the_order_they_were_written():
    load_demo(force=True)

    for post in Post.objects.filter(comments__isnull=False).distinct():
        dates = list(post.comments.order_by("pk").values_list("created_at", flat=True))
        assert all(date > post.published_at for date in dates)
        assert dates == sorted(dates)


def test_demo_editor_can_log_in_and_is_an_editor_not_a_superuser():
    output = load_demo(force=True)

    assert "http://testserver/" in output
    assert "http://testserver/admin/" in output
    assert "editeur@chezsoi.local  password: chezsoi-demo" in output
    editor = authenticate(username="editeur@chezsoi.local", password="chezsoi-demo")
    assert editor is not None
    assert editor.is_staff and not editor.is_superuser
    assert editor.groups.filter(name="Editors").exists()
    assert not get_user_model().objects.filter(is_superuser=True).exists()


def test_a_changed_editor_password_is_kept_and_not_printed():
    load_demo(force=True)
    editor = get_user_model().objects.get(username="editeur")
    editor.set_password("un-secret-bien-a-moi")
    editor.save()

    output = load_demo(force=True)

    assert "password: (changed)" in output
    editor.refresh_from_db()
    assert editor.check_password("un-secret-bien-a-moi")


def test_site_record_matches_the_settings():
    load_demo(force=True)

    site = Site.objects.get_current()
    assert (site.domain, site.name) == ("testserver", "Chez Soi")


def test_load_demo_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        load_demo()
    assert not Post.objects.exists()


def test_on_a_developers_machine_an_owner_account_can_read_the_outbox(settings):
    settings.DEBUG = True

    output = load_demo()

    assert "proprietaire@chezsoi.local  password: chezsoi-demo" in output
    owner = authenticate(username="proprietaire@chezsoi.local", password="chezsoi-demo")
    assert owner is not None and owner.is_superuser


def test_forced_on_a_server_the_demo_makes_no_owner(settings):
    settings.DEBUG = False

    output = load_demo(force=True)

    assert "proprietaire" not in output
    assert not get_user_model().objects.filter(is_superuser=True).exists()
