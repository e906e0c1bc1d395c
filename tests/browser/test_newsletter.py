"""A visitor subscribes and confirms; an editor sends an issue and watches it go; readers leave in one click."""

import re
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from newsletter.services.issues import issue_send
from tests.blog.factories import DEFAULT_PASSWORD, EditorFactory
from tests.newsletter.broker import wait_until_settled
from tests.newsletter.factories import IssueFactory, SubscriberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VISITOR = "visiteuse@example.org"


def mail_to(smtp_server, address, subject, timeout=30):
    """Wait for the message with `subject` in `address`'s inbox and return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in smtp_server.to(address):
            if message["Subject"] == subject:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no “{subject}” for {address}")


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message):
    return message.get_body(preferencelist=("html",)).get_content()


def one_click(url):
    """POST the List-Unsubscribe address the way a mail provider does: no cookie, no token."""
    request = urllib.request.Request(
        url,
        data=b"List-Unsubscribe=One-Click",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.url


def test_subscribe_confirm_receive_an_issue_and_leave_in_one_click(
    browser_page, new_browser_page, smtp_server, celery_worker, settings
):
    settings.SITE_URL = browser_page.live_server.url
    settings.NEWSLETTER_RATE_PER_SECOND = 0
    SubscriberFactory(email="fidele@example.org")
    SubscriberFactory(email="reste@example.org")
    editor = EditorFactory(email="editrice@example.org")
    visitor = browser_page

    # A visitor subscribes from the "Follow this blog" block at the foot of the home page.
    visitor.goto("/")
    follow = visitor.locator(".follow")
    follow.get_by_label("Adresse e-mail").fill(VISITOR)
    follow.get_by_role("button", name="S’abonner").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        "Vérifiez votre boîte de réception"
    )

    # The confirmation email arrives; its link opens a page whose button confirms.
    confirmation = mail_to(smtp_server, VISITOR, "Confirmez votre abonnement à Chez Soi")
    link = re.search(r"http://\S+/newsletter/confirm/\S+/", text_of(confirmation))[0]
    visitor.goto(link)
    visitor.get_by_role("button", name="Confirmer mon abonnement").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Abonnement confirmé")

    # An editor signs in, writes an issue and sends it.
    desk = new_browser_page()
    desk.goto("/admin/")
    desk.locator('input[name="login"]').fill(editor.email)
    desk.locator('input[name="password"]').fill(DEFAULT_PASSWORD)
    desk.locator("main form button[type=submit]").click()
    desk.wait_for_url("**/admin/")
    desk.goto("/admin/newsletter/issue/add/")
    desk.locator("#id_subject").fill("Des nouvelles du jardin")
    desk.locator("#id_preheader").fill("Les radis ont levé")
    desk.locator("#id_body").fill("Bonjour,\n\nLes **radis** ont levé cette semaine.")
    desk.get_by_role("button", name="Enregistrer et continuer les modifications").first.click()
    # They look at the email as subscribers will see it before sending.
    desk.get_by_role("link", name="Aperçu et test").click()
    expect(desk.frame_locator("iframe").get_by_text("ont levé cette semaine")).to_be_visible()
    desk.get_by_role("link", name="Retour à la lettre").click()
    desk.get_by_role("link", name="Envoyer maintenant").click()
    expect(desk.get_by_text("3 abonnés confirmés dans l’audience")).to_be_visible()
    # Slowed to one message every two seconds so that the editor sees the sending happen.
    settings.NEWSLETTER_RATE_PER_SECOND = 0.5
    desk.get_by_role("button", name="Oui, allons-y").click()

    # The progress view refreshes by itself until the issue is sent.
    status = desk.locator('[data-progress="status_label"]')
    expect(status).to_have_text("En cours d’envoi")
    expect(status).to_have_text("Envoyée", timeout=30_000)
    expect(desk.locator('[data-progress="sent"]')).to_have_text("3")
    expect(desk.locator('[data-progress="pending"]')).to_have_text("0")
    settings.NEWSLETTER_RATE_PER_SECOND = 0

    # The message arrives, with the one-click unsubscribe headers.
    issue = mail_to(smtp_server, VISITOR, "Des nouvelles du jardin")
    assert issue["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<strong>radis</strong>" in html_of(issue)

    # One reader's mail provider unsubscribes them with the RFC 8058 POST.
    other = mail_to(smtp_server, "fidele@example.org", "Des nouvelles du jardin")
    provider_link = re.search(r"<(http[^>]+)>", other["List-Unsubscribe"])[1]
    status_code, final_url = one_click(provider_link)
    assert (status_code, final_url) == (200, provider_link)

    # The visitor follows the visible link at the bottom of the email and presses the button.
    visible_link = re.search(r'<a href="([^"]+)"[^>]*>Se désabonner</a>', html_of(issue))[1]
    visitor.goto(visible_link)
    visitor.get_by_role("main").get_by_role("button", name="Se désabonner").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Désabonnement effectué")

    # The next issue reaches the reader who stayed, and neither of those who left.
    next_issue = IssueFactory(subject="La lettre suivante")
    issue_send(issue=next_issue)
    mail_to(smtp_server, "reste@example.org", "La lettre suivante")
    wait_until_settled(next_issue)  # every message of it is out, nothing left in the queue
    for address in (VISITOR, "fidele@example.org"):
        assert [m["Subject"] for m in smtp_server.to(address)][-1] != "La lettre suivante"
