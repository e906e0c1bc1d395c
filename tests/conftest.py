"""Real parts for the whole suite: an SMTP server on loopback, a Celery worker on Redis, Chromium."""

import shutil

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import translation

from config.celery_app import app as celery_app
from tests.support.smtp import SmtpServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def default_language():
    """Start each test in the site's language: a request under /en/ leaves English active."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def smtp_server(settings):
    """Route Django's mail to a real SMTP server on loopback and return it."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield server
    try:
        server.stop()
    except (AssertionError, RuntimeError):
        pass  # already stopped by the test


@pytest.fixture
def celery_worker(transactional_db):
    """Run a real Celery worker, on Redis, in this process for the duration of a test."""
    celery_app.control.purge()
    with start_worker(
        celery_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        shutdown_timeout=30,
        loglevel="WARNING",
    ) as worker:
        yield worker


@pytest.fixture(scope="session")
def chromium():
    """Launch Debian's Chromium once for the session through Playwright."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `apt-get install -y chromium` (make test does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, live_server):
    """Return a fresh browser tab (own cookies) with `page.live_server` set to the site's address."""
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.live_server = live_server
    yield page
    context.close()


@pytest.fixture
def new_browser_page(chromium, live_server):
    """Return a factory of further independent browser tabs (another reader, an editor)."""
    contexts = []

    def open_page(locale="fr-FR"):
        context = chromium.new_context(locale=locale, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
