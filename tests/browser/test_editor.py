"""An editor writes a post in the Markdown editor: live preview, counts, a pasted image, and a
draft that survives a closed tab, all under the site's Content-Security-Policy."""

import re

import pytest
from playwright.sync_api import expect

from blog.models import Post
from tests.blog.factories import DEFAULT_PASSWORD, EditorFactory
from tests.browser.test_csp import CspWatch
from tests.browser.test_publishing import field

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Un balcon au printemps"

# Pastes a PNG drawn in the page, as a writer pastes a screenshot.
PASTE_IMAGE = """async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 60;
    canvas.height = 40;
    const context = canvas.getContext("2d");
    context.fillStyle = "#2a7";
    context.fillRect(0, 0, 60, 40);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    const files = new DataTransfer();
    files.items.add(new File([blob], "balcon.png", { type: "image/png" }));
    const input = document.querySelector(".CodeMirror [contenteditable], .CodeMirror textarea");
    input.dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: files, bubbles: true, cancelable: true })
    );
}"""


def sign_in(page, editor):
    page.goto("/admin/")
    field(page, "E-mail", "Courriel", "Adresse e-mail").fill(editor.email)
    field(page, "Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", name="Site d’administration")).to_be_visible()


def open_new_post(page):
    page.get_by_role("link", name="Billets", exact=True).click()
    page.get_by_role("link", name=re.compile("Ajouter billet")).click()
    return page.locator(".EasyMDEContainer")


def test_an_editor_writes_with_a_live_preview_pastes_an_image_and_gets_the_draft_back(
    browser_page, celery_worker
):
    page = browser_page
    watch = CspWatch(page)
    sign_in(page, EditorFactory())
    editor = open_new_post(page)

    # They write, and the preview beside the text shows what readers will get.
    field(page, "Titre").fill(TITLE)
    editor.locator(".CodeMirror").click()
    page.keyboard.type("## Le potager\n\nDes *radis* semés en mars.")
    preview = editor.locator(".editor-preview-side")
    expect(preview.get_by_role("heading", level=2, name="Le potager")).to_be_visible()
    expect(preview.locator("em")).to_have_text("radis")
    expect(editor.locator(".editor-statusbar")).to_contain_text("7 mots · 1 minute de lecture")

    # The toolbar's buttons are named in the admin's language.
    expect(editor.get_by_role("button", name="Gras")).to_be_visible()
    expect(
        editor.get_by_role("button", name="Insérer une image de votre ordinateur")
    ).to_be_visible()

    # They paste an image: it is uploaded, and they describe it between the brackets.
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.evaluate(PASTE_IMAGE)
    code = editor.locator(".CodeMirror-code")
    expect(code).to_contain_text(re.compile(r"!\[\]\(/media/library/\S+\.png\)"))
    page.keyboard.type("Des semis sur le balcon")
    expect(code).to_contain_text("![Des semis sur le balcon](/media/library/")
    image = preview.get_by_role("img", name="Des semis sur le balcon")
    expect(image).to_have_attribute("src", re.compile(r"^/media/library/"))
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("image => image.naturalWidth") > 0

    # The draft is kept in the browser; they close the tab without saving.
    expect(editor.locator(".editor-statusbar")).to_contain_text("Brouillon gardé")
    context = page.context
    page.close()
    assert watch.violations == [] and watch.errors == []

    # Back on a new tab, the add form gives them their title and text again, and says so.
    page = context.new_page()
    watch = CspWatch(page)
    page.goto("/admin/blog/post/add/")
    expect(
        page.get_by_role("status").filter(has_text="Un brouillon non enregistré")
    ).to_be_visible()
    expect(field(page, "Titre")).to_have_value(TITLE)
    expect(field(page, "Identifiant d’URL")).to_have_value("un-balcon-au-printemps")
    editor = page.locator(".EasyMDEContainer")
    expect(editor.locator(".CodeMirror-code")).to_contain_text("Des *radis* semés en mars.")
    expect(editor.locator(".editor-preview-side em")).to_have_text("radis")

    # Saved, the post keeps the text; the draft is gone from the browser.
    page.get_by_role("button", name="Enregistrer et continuer les modifications").first.click()
    expect(page.locator(".messagelist")).to_contain_text("ajouté avec succès")
    page.goto("/admin/blog/post/add/")
    expect(page.locator(".EasyMDEContainer .CodeMirror")).to_be_visible()
    expect(page.get_by_text("Un brouillon non enregistré")).to_have_count(0)
    expect(field(page, "Titre")).to_have_value("")
    assert watch.violations == [] and watch.errors == []


def test_a_post_that_never_reached_the_server_is_offered_back_and_a_saved_one_is_forgotten(
    browser_page,
):
    page = browser_page
    sign_in(page, EditorFactory())
    editor = open_new_post(page)
    field(page, "Titre").fill(TITLE)
    editor.locator(".CodeMirror").click()
    page.keyboard.type("Des radis semés en mars.")
    expect(editor.locator(".editor-statusbar")).to_contain_text("Brouillon gardé")

    # The server fails on the way (an expired session, a crash): the text must not be lost.
    page.route(
        "**/admin/blog/post/add/",
        lambda route: (
            route.fulfill(status=500, body="Erreur")
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    page.get_by_role("button", name="Enregistrer et continuer les modifications").first.click()
    expect(page.get_by_text("Erreur")).to_be_visible()
    page.unroute("**/admin/blog/post/add/")

    # Back on the add form: offered, not forced on them.
    page.goto("/admin/blog/post/add/")
    offer = page.get_by_role("status").filter(has_text="Un brouillon a été envoyé")
    expect(offer).to_be_visible()
    expect(field(page, "Titre")).to_have_value("")
    offer.get_by_role("button", name="Reprendre le brouillon").click()
    expect(field(page, "Titre")).to_have_value(TITLE)
    code = page.locator(".EasyMDEContainer .CodeMirror-code")
    expect(code).to_contain_text("Des radis semés en mars.")

    # Saved this time: the post's page has the text, and the draft is forgotten.
    page.get_by_role("button", name="Enregistrer et continuer les modifications").first.click()
    expect(page.locator(".messagelist")).to_contain_text("ajouté avec succès")
    assert Post.objects.get().body == "Des radis semés en mars."
    expect(page.get_by_role("status").filter(has_text="brouillon")).to_have_count(0)
    page.goto("/admin/blog/post/add/")
    expect(page.locator(".EasyMDEContainer .CodeMirror")).to_be_visible()
    expect(page.get_by_text("Un brouillon")).to_have_count(0)
    expect(field(page, "Titre")).to_have_value("")
