"""An editor publishes a post in the admin; a reader finds it, follows its tag and its feed."""

import re

import pytest
from playwright.sync_api import expect

from tests.blog.factories import DEFAULT_PASSWORD, EditorFactory, TagFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Semer des radis en octobre"
BODY = """Les radis poussent vite, même à l’automne.

## Ce qu’il faut

- un bac profond de 15 cm ;
- des graines de radis d’hiver.

Plus d’idées sur [le jardin partagé](https://example.org/jardin).
"""


def field(page, *labels):
    """Return the main form's field labelled with one of `labels` (required ones end in "*")."""
    names = "|".join(re.escape(label) for label in labels)
    return page.get_by_role("main").get_by_label(re.compile(rf"^\s*({names})\s*[:*]?\s*$"))


def test_an_editor_publishes_a_post_that_a_reader_finds_and_follows(browser_page, new_browser_page):
    editor = EditorFactory(first_name="Camille", last_name="Martin")
    TagFactory(name="Jardin", slug="jardin", description="Un balcon, des bacs.")
    page = browser_page

    # The editor opens the admin and signs in with their email address.
    page.goto("/admin/")
    field(page, "E-mail", "Courriel", "Adresse e-mail").fill(editor.email)
    field(page, "Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", name="Site d’administration")).to_be_visible()

    # They write a post in Markdown and save it as a draft.
    page.get_by_role("link", name="Billets", exact=True).click()
    page.get_by_role("link", name=re.compile("Ajouter billet")).click()
    field(page, "Titre").fill(TITLE)
    # The body is written in the Markdown editor; the text goes in as pasted.
    page.locator(".field-body .CodeMirror").click()
    page.keyboard.insert_text(BODY)
    expect(field(page, "Identifiant d’URL")).to_have_value("semer-des-radis-en-octobre")
    expect(field(page, "Statut")).to_have_value("draft")
    page.locator(".field-tags .select2-selection").click()
    page.keyboard.type("Jard")
    page.locator(".select2-results__option", has_text="Jardin").click()
    page.get_by_role("button", name="Enregistrer et continuer les modifications").first.click()
    expect(page.locator(".messagelist")).to_contain_text("ajouté avec succès")

    # The preview shows the draft as readers will see it.
    page.get_by_role("link", name="Voir sur le site").click()
    expect(page.get_by_text("Aperçu d’un brouillon")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("heading", name="Ce qu’il faut")).to_be_visible()

    # Readers cannot see it yet.
    reader = new_browser_page()
    reader.goto("/")
    expect(reader.get_by_text("Rien de publié pour l’instant.")).to_be_visible()

    # The editor publishes it from the list of posts.
    page.goto("/admin/blog/post/")
    page.get_by_role("checkbox", name=f"Choisir cet objet pour une action - {TITLE}").check()
    page.get_by_role("combobox", name=re.compile("^Action")).select_option(
        label="Publier les billets sélectionnés"
    )
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator(".messagelist")).to_contain_text("1 billet publié.")
    expect(page.get_by_role("row", name=re.compile(TITLE))).to_contain_text("Publié")

    # A reader finds it on the home page and opens it.
    reader.goto("/")
    reader.get_by_role("link", name=TITLE).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(reader.get_by_text("par Camille Martin")).to_be_visible()
    expect(reader.get_by_role("link", name="le jardin partagé")).to_have_attribute(
        "href", "https://example.org/jardin"
    )

    # They follow the tag, then read the tag's feed.
    reader.get_by_role("link", name="#Jardin").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Billets classés « Jardin »")
    expect(reader.get_by_role("link", name=TITLE)).to_be_visible()
    feed_url = reader.get_by_role("link", name=re.compile("^RSS")).first.get_attribute("href")
    feed = reader.request.get(feed_url)
    assert feed.ok
    assert feed.headers["content-type"].startswith("application/rss+xml")
    assert f"<title>{TITLE}</title>" in feed.text()
