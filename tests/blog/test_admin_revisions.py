"""Revisions in the admin: every save keeps one; the history lists them; compare; restore."""

import pytest
import reversion
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from reversion.models import Version

from blog.apps import revisions_baseline_create
from blog.models import Page, Post
from blog.revisions import text_diff
from tests.blog.factories import (
    EditorFactory,
    PageFactory,
    PostFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    editor = EditorFactory(first_name="Camille", last_name="Martin")
    client.force_login(editor)
    return editor


def post_form(post, **changes):
    """Return the post change form's data as the admin sends it, with `changes`."""
    when = timezone.localtime(post.published_at)
    data = {
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "status": post.status,
        "published_at_0": when.strftime("%d/%m/%Y"),
        "published_at_1": when.strftime("%H:%M:%S"),
        "author": post.author_id,
        "tags": [tag.pk for tag in post.tags.all()],
        "language": post.language,
        "comments_open": "on" if post.comments_open else "",
        "excerpt": post.excerpt,
        "cover": post.cover_id or "",
        "seo_title": post.seo_title,
        "seo_description": post.seo_description,
    }
    return {**data, **changes}


def page_form(page, **changes):
    data = {
        "title": page.title,
        "slug": page.slug,
        "author": page.author_id,
        "body": page.body,
        "status": page.status,
        "language": page.language,
        "in_navigation": "on" if page.in_navigation else "",
        "navigation_order": page.navigation_order,
        "seo_title": page.seo_title,
        "seo_description": page.seo_description,
    }
    return {**data, **changes}


def change_url(obj):
    return reverse(f"admin:blog_{obj._meta.model_name}_change", args=[obj.pk])


def history_url(obj):
    return reverse(f"admin:blog_{obj._meta.model_name}_history", args=[obj.pk])


def compare_url(obj, version):
    return reverse(f"admin:blog_{obj._meta.model_name}_revision", args=[obj.pk, version.pk])


def restore_url(obj, version):
    name = f"admin:blog_{obj._meta.model_name}_revision_restore"
    return reverse(name, args=[obj.pk, version.pk])


def versions_of(obj):
    """Return the object's revisions, oldest first."""
    return list(Version.objects.get_for_object(obj).select_related("revision").order_by("pk"))


def save(client, obj, form):
    response = client.post(change_url(obj), form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


@pytest.fixture
def edited_post(client, editor):
    """A post saved twice in the admin: first "Radis" tagged Jardin, then "Radis d’hiver"."""
    jardin, cuisine = TagFactory(name="Jardin"), TagFactory(name="Cuisine")
    post = PostFactory(title="Radis", body="Semer en mars.\n\nArroser un peu.", tags=[jardin])
    save(client, post, post_form(post))
    post.refresh_from_db()
    save(
        client,
        post,
        post_form(
            post,
            title="Radis d’hiver",
            body="Semer en octobre.\n\nArroser un peu.",
            tags=[cuisine.pk],
        ),
    )
    post.refresh_from_db()
    return post


def test_each_admin_save_keeps_a_revision_with_its_editor(edited_post, editor):
    first, second = versions_of(edited_post)

    assert [first.revision.user, second.revision.user] == [editor, editor]
    assert first.field_dict["title"] == "Radis"
    assert second.field_dict["title"] == "Radis d’hiver"
    # The change message of the admin is the revision's comment.
    assert second.revision.get_comment().startswith("Modification de")
    # Derived fields are not kept: a restore could only bring back stale copies.
    assert "body_html" not in first.field_dict
    assert "went_live_at" not in first.field_dict


def test_adding_a_post_in_the_admin_keeps_its_first_revision(client, editor):
    tag = TagFactory(name="Jardin")
    now = timezone.localtime()
    form = {
        "title": "Premier",
        "slug": "premier",
        "body": "Bonjour.",
        "status": "draft",
        "published_at_0": now.strftime("%d/%m/%Y"),
        "published_at_1": now.strftime("%H:%M:%S"),
        "author": editor.pk,
        "tags": [tag.pk],
        "language": "fr",
    }

    assert client.post(reverse("admin:blog_post_add"), form).status_code == 302

    post = Post.objects.get(slug="premier")
    (version,) = versions_of(post)
    assert version.revision.user == editor
    assert version.field_dict["tags"] == [tag.pk]


def test_the_history_lists_revisions_newest_first_with_author_compare_and_restore(
    client, edited_post
):
    first, second = versions_of(edited_post)

    response = client.get(history_url(edited_post))
    page = response.content.decode()

    assert response.status_code == 200
    assert page.count("Camille Martin") >= 2
    assert page.index(compare_url(edited_post, second)) < page.index(
        compare_url(edited_post, first)
    )
    assert "Comparer avec la version actuelle" in page
    assert f"{compare_url(edited_post, second)}?against={first.pk}" in page
    assert f'<form method="post" action="{restore_url(edited_post, first)}">' in page
    assert "csrfmiddlewaretoken" in page
    assert "Restaurer</button>" in page
    assert "blog/revisions.css" in page
    # The date is the site's local time, as the admin shows every date.
    local = timezone.localtime(first.revision.date_created)
    assert local.strftime("%H:%M") in page


def test_the_change_form_links_to_the_history(client, edited_post):
    page = client.get(change_url(edited_post)).content.decode()

    assert f'href="{history_url(edited_post)}"' in page
    assert "Historique" in page


def test_compare_shows_the_removed_and_added_lines_and_the_other_changed_fields(
    client, edited_post
):
    first, _second = versions_of(edited_post)

    response = client.get(compare_url(edited_post, first))
    page = response.content.decode()

    assert response.status_code == 200
    assert "<del>" in page and "<ins>" in page
    removed = page.split('class="diff-line diff-removed"')[1:]
    added = page.split('class="diff-line diff-added"')[1:]
    assert any("Semer en mars." in line.split("</li>")[0] for line in removed)
    assert any("Semer en octobre." in line.split("</li>")[0] for line in added)
    assert any("Radis d’hiver" in line.split("</li>")[0] for line in added)
    # Unchanged lines are context, neither removed nor added.
    assert not any("Arroser un peu." in line.split("</li>")[0] for line in removed + added)
    # Signs say it without colour; screen readers hear the words.
    assert "Supprimé\u00a0:" in page and "Ajouté\u00a0:" in page
    assert '<th scope="row">Étiquettes</th>' in page
    assert "<td>Jardin</td>" in page and "<td>Cuisine</td>" in page
    assert 'style="' not in page.split('id="content-main"')[1]
    assert "Restaurer cette révision" in page


def test_compare_with_the_previous_revision(client, edited_post):
    first, second = versions_of(edited_post)

    page = client.get(compare_url(edited_post, second), {"against": first.pk}).content.decode()

    removed = page.split('class="diff-line diff-removed"')[1:]
    assert any("Semer en mars." in line.split("</li>")[0] for line in removed)


def test_one_post_restores_title_body_tags_and_renders_the_restored_body(
    client, editor, edited_post
):
    first, _second = versions_of(edited_post)
    edited_post.status = Post.Status.DRAFT
    edited_post.save()

    response = client.post(restore_url(edited_post, first), follow=True)

    assert response.redirect_chain == [(change_url(edited_post), 302)]
    edited_post.refresh_from_db()
    assert edited_post.title == "Radis"
    assert edited_post.body == "Semer en mars.\n\nArroser un peu."
    assert [tag.name for tag in edited_post.tags.all()] == ["Jardin"]
    # Rendered again from the restored body, not copied from the revision.
    assert "<p>Semer en mars.</p>" in edited_post.body_html
    assert "octobre" not in edited_post.body_html
    assert edited_post.word_count == 6
    # A restore rewrites the text; publishing stays with the Publish action.
    assert edited_post.status == Post.Status.DRAFT
    # The restore is a revision of its own, so it can be undone.
    versions = versions_of(edited_post)
    assert len(versions) == 3
    assert versions[-1].revision.user == editor
    assert versions[-1].field_dict["title"] == "Radis"
    assert versions[-1].revision.get_comment().startswith("Révision du ")
    message = str(list(response.context["messages"])[-1])
    assert message.startswith("Révision du ")
    assert message.endswith("par Camille Martin restaurée.")


def test_a_restore_keeps_what_other_code_keeps_on_the_post(client, edited_post):
    first, _second = versions_of(edited_post)
    went_live = timezone.now()
    Post.objects.filter(pk=edited_post.pk).update(went_live_at=went_live, comment_count=4)

    client.post(restore_url(edited_post, first))

    edited_post.refresh_from_db()
    assert edited_post.title == "Radis"
    assert edited_post.went_live_at == went_live
    assert edited_post.comment_count == 4


def test_a_restore_is_refused_when_the_slug_was_taken_since(client, edited_post):
    first, _second = versions_of(edited_post)
    save(client, edited_post, post_form(edited_post, slug="radis-d-hiver"))
    PostFactory(slug=first.field_dict["slug"])

    response = client.post(restore_url(edited_post, first), follow=True)

    edited_post.refresh_from_db()
    assert edited_post.title == "Radis d’hiver"
    assert "existe déjà" in response.content.decode()
    assert len(versions_of(edited_post)) == 3


def test_restoring_needs_a_post_request(client, edited_post):
    first, _second = versions_of(edited_post)

    assert client.get(restore_url(edited_post, first)).status_code == 405
    edited_post.refresh_from_db()
    assert edited_post.title == "Radis d’hiver"


def test_a_version_of_another_post_cannot_be_restored_onto_this_one(client, edited_post):
    other = PostFactory()
    with reversion.create_revision():
        other.save()
    (version,) = versions_of(other)

    assert client.post(restore_url(edited_post, version)).status_code == 404
    assert client.get(compare_url(edited_post, version)).status_code == 404


def test_reversions_raw_revert_and_recover_pages_are_gone(client, edited_post):
    assert client.get(reverse("admin:blog_post_changelist") + "recover/").status_code == 302
    with pytest.raises(NoReverseMatch):
        reverse("admin:blog_post_recoverlist")


def test_a_reader_sees_no_revision(client, edited_post):
    first, _second = versions_of(edited_post)
    client.force_login(UserFactory())

    for url in (history_url(edited_post), compare_url(edited_post, first)):
        assert client.get(url).status_code == 302  # to the admin's login page
    client.post(restore_url(edited_post, first))

    edited_post.refresh_from_db()
    assert edited_post.title == "Radis d’hiver"


def test_staff_who_may_only_view_posts_compare_but_cannot_restore(client, edited_post):
    first, _second = versions_of(edited_post)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_post"))
    client.force_login(viewer)

    history = client.get(history_url(edited_post))
    assert history.status_code == 200
    assert "Restaurer</button>" not in history.content.decode()
    assert client.get(compare_url(edited_post, first)).status_code == 200
    assert client.post(restore_url(edited_post, first)).status_code == 403

    edited_post.refresh_from_db()
    assert edited_post.title == "Radis d’hiver"


def test_the_publish_and_unpublish_actions_keep_a_revision(client, editor):
    post = PostFactory(draft=True)
    changelist = reverse("admin:blog_post_changelist")

    client.post(changelist, {"action": "publish", "_selected_action": [post.pk]})
    client.post(changelist, {"action": "unpublish", "_selected_action": [post.pk]})

    published, unpublished = versions_of(post)
    assert published.field_dict["status"] == Post.Status.PUBLISHED
    assert published.revision.user == editor
    assert published.revision.get_comment() == "Publié avec l’action de la liste."
    assert unpublished.field_dict["status"] == Post.Status.DRAFT
    assert unpublished.revision.get_comment() == "Repassé en brouillon avec l’action de la liste."


def test_a_page_keeps_revisions_and_restores_one(client, editor):
    page = PageFactory(title="À propos", body="Je jardine.")
    save(client, page, page_form(page))
    save(client, page, page_form(page, title="Qui suis-je", body="Je cuisine."))
    first, second = versions_of(page)
    assert second.revision.user == editor

    history = client.get(history_url(page)).content.decode()
    assert "Camille Martin" in history
    compare = client.get(compare_url(page, first)).content.decode()
    assert "Je jardine." in compare and "Je cuisine." in compare

    client.post(restore_url(page, first))

    page = Page.objects.get(pk=page.pk)
    assert page.title == "À propos"
    assert "<p>Je jardine.</p>" in page.body_html
    assert len(versions_of(page)) == 3


def test_text_diff_marks_removed_and_added_lines_with_context():
    old = "\n".join(f"ligne {n}" for n in range(1, 21))
    new = old.replace("ligne 10", "ligne dix")

    (hunk,) = text_diff(old, new)

    assert [(line.kind, line.text) for line in hunk if line.kind != "equal"] == [
        ("removed", "ligne 10"),
        ("added", "ligne dix"),
    ]
    assert [line.text for line in hunk][:3] == ["ligne 7", "ligne 8", "ligne 9"]
    assert text_diff("pareil", "pareil") == []


def test_a_post_written_before_revisions_can_be_brought_back_after_its_first_edit(client, editor):
    post = PostFactory(title="Écrit avant", body="Le texte d’origine.")
    assert versions_of(post) == []
    history = client.get(history_url(post))
    assert history.status_code == 200  # a history with no revision yet

    revisions_baseline_create()  # what every `migrate` runs
    save(client, post, post_form(post, body="Un texte écrasé par erreur."))
    first, _edit = versions_of(post)
    client.post(restore_url(post, first))

    post.refresh_from_db()
    assert post.body == "Le texte d’origine."


def test_a_post_cannot_be_given_an_address_of_the_site_itself(client, editor):
    post = PostFactory()
    for slug in ("archives", "feed", "2024"):
        response = client.post(change_url(post), post_form(post, slug=slug))
        assert response.status_code == 200, slug
        assert "appartient au site" in response.content.decode()
