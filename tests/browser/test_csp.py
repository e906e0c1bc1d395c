"""Under the Content-Security-Policy the admin, the reader's pages and 2FA setup all still work."""

import pytest

from tests.blog.factories import DEFAULT_PASSWORD, PostFactory, SuperuserFactory

# Reports every violation the page sees, whether or not Chromium also logs it to the console.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


class CspWatch:
    """What a developer would read in the browser console: CSP violations and script errors."""

    def __init__(self, page):
        self.violations: list[str] = []
        self.errors: list[str] = []
        page.expose_function("reportCspViolation", lambda text: self.violations.append(text))
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self.read_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def read_console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.violations.append(message.text)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_reader_pages_and_two_factor_setup_work_without_a_csp_violation(browser_page):
    page = browser_page
    watch = CspWatch(page)
    owner = SuperuserFactory(email="proprietaire@example.org")
    post = PostFactory(title="Un billet sous politique de sécurité")

    # The owner opens the admin and is sent to the site's sign-in page.
    response = page.goto("/admin/")
    assert "object-src 'none'" in response.headers["content-security-policy"]
    page.locator('input[name="login"]').fill(owner.email)
    page.locator('input[name="password"]').fill(DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/admin/")
    assert page.locator("#site-name").is_visible()

    # The admin's scripts run: typing a title fills the slug, the tag picker opens.
    page.goto("/admin/blog/post/add/")
    page.locator("#id_title").press_sequentially("Écrire sous CSP")
    assert page.locator("#id_slug").input_value() == "ecrire-sous-csp"
    page.locator(".field-tags .select2-selection").click()
    page.locator(".select2-search__field").wait_for()
    page.keyboard.press("Escape")
    page.goto("/admin/blog/post/")
    assert page.get_by_role("link", name=post.title).is_visible()

    # The reader's pages.
    page.goto("/")
    page.get_by_role("link", name=post.title).first.click()
    page.wait_for_url(f"**{post.get_absolute_url()}")
    assert page.get_by_role("heading", name=post.title).is_visible()

    # Two-factor setup: confirm the password, then the QR code (a data: image) shows.
    page.get_by_role("link", name="Sécurité du compte").click()
    page.get_by_role("link", name="Activer").click()
    page.locator('input[name="password"]').fill(DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    qr_code = page.locator('main img[src^="data:image/svg+xml"]')
    qr_code.wait_for()
    assert qr_code.evaluate("image => image.naturalWidth") > 0

    assert watch.violations == []
    assert watch.errors == []

    # The watch does see a violation: an injected inline script is blocked and reported.
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
        }"""
    )
    page.wait_for_function("() => true")
    assert page.evaluate("() => window.injected") is None
    page.wait_for_timeout(200)
    assert any("script-src" in violation for violation in watch.violations)
