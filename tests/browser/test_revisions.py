"""An editor opens a post's history, compares an old revision and restores it in one click."""

import re

import pytest
import reversion
from playwright.sync_api import expect

from blog.models import Post
from tests.blog.factories import DEFAULT_PASSWORD, EditorFactory, PostFactory, TagFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def field(page, *labels):
    """Return the main form's field labelled with one of `labels` (required ones end in "*")."""
    names = "|".join(re.escape(label) for label in labels)
    return page.get_by_role("main").get_by_label(re.compile(rf"^\s*({names})\s*[:*]?\s*$"))


def test_an_editor_restores_an_earlier_revision_from_the_history(browser_page):
    editor = EditorFactory(first_name="Camille", last_name="Martin")
    post = PostFactory(title="Radis", body="Semer en mars.", tags=[TagFactory(name="Jardin")])
    with reversion.create_revision():
        reversion.set_user(editor)
        post.save()
    with reversion.create_revision():
        reversion.set_user(editor)
        post.title, post.body = "Radis d’hiver", "Semer en octobre."
        post.save()
        post.tags.set([TagFactory(name="Cuisine")])
    page = browser_page

    page.goto(f"/admin/blog/post/{post.pk}/change/")
    field(page, "E-mail", "Courriel", "Adresse e-mail").fill(editor.email)
    field(page, "Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Connexion").click()

    # From the post's change form, the editor opens its history.
    page.get_by_role("link", name="Historique").click()
    rows = page.locator("#change-history").get_by_role("row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("Camille Martin")

    # They compare the older revision with the current text.
    rows.nth(2).get_by_role("link", name="Comparer avec la version actuelle").click()
    expect(page.locator("del", has_text="Semer en mars.")).to_be_visible()
    expect(page.locator("ins", has_text="Semer en octobre.")).to_be_visible()

    # Back to the history, one click restores it.
    page.get_by_role("link", name="Retour à l’historique").click()
    rows.nth(2).get_by_role("button", name="Restaurer").click()
    expect(page.locator(".messagelist")).to_contain_text("par Camille Martin restaurée")
    expect(field(page, "Titre")).to_have_value("Radis")

    post = Post.objects.get(pk=post.pk)
    assert [tag.name for tag in post.tags.all()] == ["Jardin"]
    assert "<p>Semer en mars.</p>" in post.body_html

    # The restore is a revision of its own.
    page.get_by_role("link", name="Historique").click()
    expect(rows).to_have_count(4)
