"""A reader whose comment is refused lands on what went wrong, not 2,000 px above it."""

import re

import pytest
from playwright.sync_api import expect

from tests.blog.factories import PostFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_BODY = "\n\n".join(
    f"Paragraphe {n} : le pain se lève doucement, la pâte repose, on attend." for n in range(60)
)


def field(page, label):
    return page.get_by_role("main").get_by_label(re.compile(rf"^{re.escape(label)}\s*\*?\s*:?$"))


def test_a_refused_comment_opens_on_its_focused_error_summary(browser_page, settings):
    settings.COMMENTS_MIN_SECONDS = 0
    settings.COMMENTS_RATE_LIMIT = 0
    settings.COMMENTS_MAX_LENGTH = 40
    post = PostFactory(title="Faire son levain", body=LONG_BODY)
    page = browser_page

    page.goto(post.get_absolute_url())
    field(page, "Commentaire").fill("Un avis bien plus long que les quarante caractères permis.")
    field(page, "Nom").fill("Alice Martin")
    field(page, "E-mail").fill("alice@example.org")
    # A bare host: the browser lets it through, the site completes it.
    field(page, "Site web").fill("alice.example.net")
    page.get_by_role("button", name="Publier le commentaire").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Votre commentaire n’a pas été envoyé")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport(ratio=1)
    assert page.evaluate("window.scrollY") > 1000  # the page did move down to it
    expect(field(page, "Site web")).to_have_value("alice.example.net")

    # The summary's link leads to the field to correct.
    summary.get_by_role("link", name=re.compile("^Commentaire")).click()
    expect(field(page, "Commentaire")).to_be_in_viewport()
    expect(field(page, "Commentaire")).to_be_focused()

    # The address bar now shows the posting address: opening it again leads back to the post.
    page.goto(page.url.split("#")[0])
    expect(page).to_have_url(re.compile(rf"{re.escape(post.get_absolute_url())}#respond$"))
    expect(page.get_by_role("heading", name="Faire son levain")).to_be_visible()
