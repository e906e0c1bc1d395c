"""Take the screenshots of docs/design.md from a running demo site (`make run`).

    .venv/bin/python docs/screenshots/take.py [http://127.0.0.1:8000]

Home, a post, the comment form after an error, the subscribe flow and the header, at 1280 and
390 px wide, light and dark. The signed-in header uses the demo editor's account.
"""

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
WIDTHS = {1280: 800, 390: 844}
EDITOR = ("editeur@chezsoi.local", "chezsoi-demo")


def shoot(page, name, *, full_page=False, element=None):
    path = HERE / f"{name}.png"
    (page.locator(element) if element else page).screenshot(
        path=path, **({} if element else {"full_page": full_page})
    )
    print(path.relative_to(HERE.parent.parent))


def reader_pages(page, width, scheme):
    suffix = f"{width}" if scheme == "light" else f"{width}-dark"
    page.goto("/")
    shoot(page, f"home-{suffix}")
    post_link = page.locator(".post-summary-title a").first
    post_url = post_link.get_attribute("href")
    page.goto(post_url)
    shoot(page, f"post-{suffix}")
    if scheme == "light" and width == 390:
        page.get_by_text("Menu", exact=True).click()
        shoot(page, "menu-open-390")

    # A comment refused by the server: the browser's own checks are turned off to send it.
    page.goto(post_url)
    form = page.locator("form.comment-form")
    form.evaluate("form => { form.noValidate = true; }")
    form.locator("textarea").fill("Merci pour ce billet !")
    form.locator('input[name="author_name"]').fill("Alice")
    form.locator('input[name="author_email"]').fill("alice@")
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state()
    page.locator("#respond").scroll_into_view_if_needed()
    shoot(page, f"comment-error-{suffix}", element="#respond")

    page.goto("/newsletter/")
    form = page.locator("main form")
    form.evaluate("form => { form.noValidate = true; }")
    form.locator('input[name="email"]').fill("pas-une-adresse")
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state()
    shoot(page, f"subscribe-error-{suffix}")
    page.locator('main input[name="email"]').fill(f"lecteur-{width}-{scheme}@example.org")
    page.locator('main button[type="submit"]').click()
    page.wait_for_load_state()
    shoot(page, f"subscribe-done-{suffix}")


def main(base_url):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        for scheme in ("light", "dark"):
            for width, height in WIDTHS.items():
                context = browser.new_context(
                    base_url=base_url,
                    locale="fr-FR",
                    color_scheme=scheme,
                    viewport={"width": width, "height": height},
                )
                reader_pages(context.new_page(), width, scheme)
                context.close()
        # The longest header: signed in as staff.
        context = browser.new_context(base_url=base_url, locale="fr-FR")
        page = context.new_page()
        page.goto("/accounts/login/")
        page.locator('input[name="login"]').fill(EDITOR[0])
        page.locator('input[name="password"]').fill(EDITOR[1])
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/")
        page.goto("/")
        shoot(page, "header-signed-in-1280", element=".site-header")
        context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
