"""The site's look: a one-line header at 1280 px, a menu on a phone, two themes, a favicon."""

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import expect

from tests.blog.factories import DEFAULT_PASSWORD, PageFactory, PostFactory, SuperuserFactory

STYLESHEETS = [
    settings.BASE_DIR / "static/css/site.css",
    settings.BASE_DIR / "static/css/comments.css",
]
PHONE = {"width": 390, "height": 844}

# The header's items a reader can see or use, in order.
HEADER_ITEMS = (
    ".site-title, .site-nav-link, .site-search input, .site-language button,"
    " .site-account a, .site-account button"
)


def header_boxes(page):
    """Return the top and bottom of each header item the reader can see."""
    return page.locator(HEADER_ITEMS).evaluate_all(
        """items => items.filter(item => item.checkVisibility()).map(item => {
            const box = item.getBoundingClientRect();
            return [box.top, box.bottom];
        })"""
    )


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.locator('input[name="login"]').fill(user.email)
    page.locator('input[name="password"]').fill(DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_at_1280_px_the_whole_header_holds_on_one_line_even_signed_in_as_staff(browser_page):
    page = browser_page
    assert page.viewport_size["width"] == 1280
    PageFactory(title="À propos", slug="a-propos", navigation_order=1)
    PageFactory(title="Mentions légales", slug="mentions-legales", navigation_order=2)

    for signed_in in (False, True):
        if signed_in:
            sign_in(page, SuperuserFactory(email="proprietaire@example.org"))
        page.goto("/")
        expect(page.get_by_role("link", name="Sécurité du compte")).to_have_count(int(signed_in))
        boxes = header_boxes(page)
        # Title, 3 links, search, the other language; then "Sign in" or the three account items.
        assert len(boxes) == (9 if signed_in else 7)
        # One line: a horizontal line crosses every item.
        assert max(top for top, _ in boxes) < min(bottom for _, bottom in boxes)
        expect(page.locator(".site-menu > summary")).to_be_hidden()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_header_is_one_row_with_a_menu_that_opens_by_keyboard(chromium, live_server):
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    PostFactory(title="Le pain du dimanche")
    PageFactory(title="À propos", slug="a-propos", navigation_order=1)

    page.goto("/")
    navigation = page.get_by_role("navigation", name="Navigation principale")
    expect(navigation.get_by_role("link", name="Archives")).to_be_hidden()
    title, menu = page.locator(".site-title"), page.get_by_text("Menu", exact=True)
    assert len(header_boxes(page)) == 1
    assert menu.bounding_box()["y"] < title.bounding_box()["y"] + title.bounding_box()["height"]
    assert page.locator(".site-header").bounding_box()["height"] < 80

    menu.focus()
    page.keyboard.press("Enter")
    expect(navigation.get_by_role("link", name="Archives")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Rechercher")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_visible()
    # The open menu lies over the page, inside the screen's width.
    for box in page.locator(HEADER_ITEMS).evaluate_all(
        "items => items.map(item => item.getBoundingClientRect().right)"
    ):
        assert box <= PHONE["width"]
    navigation.get_by_role("link", name="À propos").click()
    expect(page).to_have_url(live_server.url + "/a-propos/")
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_refused_comment_reads_with_enough_contrast_in_both_themes(chromium, live_server, scheme):
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url, color_scheme=scheme)
    page = context.new_page()
    post = PostFactory(title="Le pain du dimanche", body="Du *levain*, de la farine, du temps.")

    page.goto(post.get_absolute_url())
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == {"light": "rgb(255, 253, 250)", "dark": "rgb(22, 22, 22)"}[scheme]
    form = page.locator("form.comment-form")
    form.evaluate("form => { form.noValidate = true; }")
    form.get_by_role("button", name="Publier le commentaire").click()
    expect(page.locator("#comment-form-errors")).to_be_visible()
    expect(page.locator(".invalid-feedback").first).to_be_visible()

    results = Axe().run(page, options={"runOnly": ["color-contrast"]})
    assert results.response["violations"] == []
    assert results.response["passes"], "axe checked no text at all"
    context.close()


@pytest.mark.django_db
def test_the_favicon_answers_at_the_root_and_the_pages_link_their_icons(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")

    page = client.get("/").content.decode()
    icons = re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', page)
    assert icons == [
        "/static/img/favicon.svg",
        "/static/img/favicon-32.png",
        "/static/img/apple-touch-icon.png",
    ]
    for address in icons:
        assert client.get(address).status_code == 200


def test_the_stylesheets_style_only_classes_that_the_templates_or_crispy_forms_write():
    """Each class a stylesheet names appears in a template, a form's widget or crispy's pack."""
    import crispy_bootstrap5

    sources = [
        *Path(settings.BASE_DIR / "templates").rglob("*.html"),
        *Path(settings.BASE_DIR).glob("*/forms.py"),
        *Path(crispy_bootstrap5.__file__).parent.rglob("*.html"),
    ]
    written = " ".join(source.read_text() for source in sources)
    # Built in templates from a message's level: alert-{{ message.tags }}.
    written += " alert-success alert-info alert-warning"
    unused = set()
    for stylesheet in STYLESHEETS:
        css = re.sub(r"/\*.*?\*/|url\([^)]*\)", "", stylesheet.read_text(), flags=re.S)
        for name in set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", css)):
            if not re.search(rf"[\s\"'{{}}]{re.escape(name)}[\s\"'{{}}]", written):
                unused.add(name)
    assert not unused, f"styled but written nowhere: {sorted(unused)}"
