"""The writer's desk end to end: an editor pastes a picture into a new post, describes it, sees it
in the live preview and publishes; a reader on a phone gets the narrow rendition with its
description; the editor then undoes a later change by restoring the earlier revision."""

import re

import pytest
from playwright.sync_api import expect

from blog.models import MediaItem, Post
from tests.blog.factories import EditorFactory
from tests.browser.test_editor import PASTE_IMAGE, open_new_post, sign_in
from tests.browser.test_publishing import field
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Des semis sur le balcon"
ALT = "Des godets de semis alignés sur un rebord de fenêtre"
# A phone's screen: the browser picks the rendition closest to 390 CSS pixels at scale 1.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1}

# A photograph-sized picture (2000×1333) drawn in the page and pasted, as a writer pastes a photo.
PASTE_PHOTO = PASTE_IMAGE.replace("canvas.width = 60", "canvas.width = 2000").replace(
    "canvas.height = 40", "canvas.height = 1333"
)


def test_an_illustrated_post_from_paste_to_phone_and_back_through_a_revision(
    browser_page, chromium, live_server, celery_worker
):
    editor = EditorFactory(first_name="Camille", last_name="Martin")
    page = browser_page
    sign_in(page, editor)

    # The editor writes a new post and pastes a photo into it.
    writing = open_new_post(page)
    field(page, "Titre").fill(TITLE)
    writing.locator(".CodeMirror").click()
    page.keyboard.type("Les premiers semis de l’année.")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.evaluate(PASTE_PHOTO)
    code = writing.locator(".CodeMirror-code")
    expect(code).to_contain_text(re.compile(r"!\[\]\(/media/library/\S+\.png\)"))

    # The cursor waits between the brackets: they describe the picture, and the preview shows it.
    page.keyboard.type(ALT)
    preview = writing.locator(".editor-preview-side")
    expect(preview.get_by_role("img", name=ALT)).to_be_visible()

    # They publish it at once.
    field(page, "Statut").select_option("published")
    page.get_by_role("button", name="Enregistrer et continuer les modifications").first.click()
    expect(page.locator(".messagelist")).to_contain_text("ajouté avec succès")
    post = Post.objects.get(title=TITLE)
    item = MediaItem.objects.get()

    # The worker makes the renditions in the background; the post then offers them.
    wait_until(lambda: MediaItem.objects.get(pk=item.pk).renditions, what="the renditions")
    wait_until(lambda: "srcset" in Post.objects.get(pk=post.pk).body_html, what="the srcset")

    # A reader on a phone opens the post: the browser fetches the narrow rendition.
    phone = chromium.new_context(locale="fr-FR", base_url=live_server.url, **PHONE)
    reader = phone.new_page()
    fetched = []
    reader.on("request", lambda request: fetched.append(request.url))
    reader.goto(post.get_absolute_url())
    image = reader.get_by_role("img", name=ALT)
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    chosen = image.evaluate("image => image.currentSrc")
    assert re.search(r"-480\.webp$", chosen), chosen
    pictures = [url for url in fetched if "/media/library/" in url]
    assert any(url.endswith("-480.webp") for url in pictures), pictures
    assert not any(re.search(r"-(960|1600)\.", url) for url in pictures), pictures

    # The editor changes the text, then thinks better of it and restores the first revision.
    page.reload()
    page.locator(".EasyMDEContainer .CodeMirror").click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("\n\nUn paragraphe ajouté par erreur.")
    page.get_by_role("button", name="Enregistrer et continuer les modifications").first.click()
    expect(page.locator(".messagelist")).to_contain_text("modifié avec succès")
    reader.reload()
    expect(reader.get_by_text("Un paragraphe ajouté par erreur.")).to_be_visible()

    page.get_by_role("link", name="Historique").click()
    rows = page.locator("#change-history").get_by_role("row")
    expect(rows).to_have_count(3)
    rows.nth(2).get_by_role("button", name="Restaurer").click()
    expect(page.locator(".messagelist")).to_contain_text("restaurée")

    reader.reload()
    expect(reader.get_by_text("Les premiers semis de l’année.")).to_be_visible()
    expect(reader.get_by_text("Un paragraphe ajouté par erreur.")).to_have_count(0)
    expect(reader.get_by_role("img", name=ALT)).to_be_visible()
    phone.close()
