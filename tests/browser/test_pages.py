"""A reader finds the "À propos" page in the site's header, reads it, and sees where they are."""

import pytest
from playwright.sync_api import expect

from tests.blog.factories import PageFactory, PostFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_opens_the_about_page_from_the_header(browser_page):
    page = browser_page
    PostFactory(title="Le pain du dimanche")
    PageFactory(
        title="À propos",
        slug="a-propos",
        body="Je m’appelle **Camille** et j’écris ici le dimanche.",
        navigation_order=1,
    )
    PageFactory(title="Mentions légales", slug="mentions-legales", in_navigation=False)

    page.goto("/")
    expect(page.get_by_role("link", name="Le pain du dimanche")).to_be_visible()
    header = page.get_by_role("navigation", name="Navigation principale")
    expect(header.get_by_role("link", name="Mentions légales")).to_have_count(0)
    header.get_by_role("link", name="À propos").click()

    expect(page).to_have_url(page.live_server.url + "/a-propos/")
    expect(page.get_by_role("heading", level=1)).to_have_text("À propos")
    expect(page.get_by_role("main")).to_contain_text("Je m’appelle Camille et j’écris ici")
    expect(header.get_by_role("link", name="À propos")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("main").get_by_role("time")).to_have_count(0)
