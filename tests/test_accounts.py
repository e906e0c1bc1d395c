"""Editors' accounts: one rate-limited sign-in for site and admin, optional 2FA the admin can require."""

import io
import re
import time

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.blog.factories import DEFAULT_PASSWORD, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db

TOO_MANY_ATTEMPTS = "Trop de tentatives de connexion échouées"
WRONG_PASSWORD = "L’adresse e-mail ou le mot de passe sont incorrects."


def current_code(secret: str) -> str:
    """Return the code an authenticator app shows now for `secret`, valid for 2 seconds at least."""
    if time.time() % 30 > 28:
        time.sleep(2.1)  # the code would change before the site checks it
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(client: Client, user, password: str = DEFAULT_PASSWORD, next_url: str = ""):
    data = {"login": user.email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("account_login"), data)


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def confirmed_reader(**fields):
    """Return a reader who signed up and followed the link in the confirmation email."""
    reader = UserFactory(**fields)
    EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
    return reader


@pytest.fixture
def owner():
    return SuperuserFactory()


def test_the_admin_sends_visitors_to_the_site_sign_in_page(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == f"{reverse('account_login')}?next=%2Fadmin%2F"
    assert "account/login.html" in [template.name for template in response.templates]


def test_the_admin_sign_in_form_no_longer_signs_anyone_in(client, owner):
    # Django's own admin form would bypass the rate limit: it only redirects now.
    response = client.post(
        reverse("admin:login"), {"username": owner.username, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not is_signed_in(client)


def test_staff_sign_in_on_the_site_page_and_land_in_the_admin(client, owner):
    response = sign_in(client, owner, next_url="/admin/")

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_five_wrong_passwords_lock_the_account_for_a_while(owner):
    # An address of its own, so that no other test's failed sign-ins count against it.
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _attempt in range(5):
        response = sign_in(client, owner, password="pas-le-bon")
        assert WRONG_PASSWORD in response.content.decode()

    # Even the right password is refused until the lock expires, with a message saying why.
    response = sign_in(client, owner)

    assert response.status_code == 200
    assert TOO_MANY_ATTEMPTS in response.content.decode()
    assert not is_signed_in(client)
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"] == "10/m/ip,5/5m/key"


def test_a_flood_of_sign_in_attempts_gets_a_429_page(owner, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    client = Client(REMOTE_ADDR="203.0.113.8")
    sign_in(client, owner, password="pas-le-bon")
    sign_in(client, owner, password="pas-le-bon")

    response = sign_in(client, owner)

    assert response.status_code == 429
    assert "Attendez quelques minutes, puis réessayez." in response.content.decode()
    assert not is_signed_in(client)


def test_by_default_the_admin_opens_to_staff_without_two_factor(client, owner):
    sign_in(client, owner)
    assert client.get("/admin/").status_code == 200


def test_every_admin_page_links_to_the_two_factor_setup(client, owner):
    sign_in(client, owner)
    page = client.get("/admin/").content.decode()
    assert f'<a href="{reverse("mfa_index")}">Authentification à deux facteurs</a>' in page


def test_when_required_staff_without_authenticator_are_sent_to_set_one_up(client, owner, settings):
    settings.STAFF_REQUIRE_MFA = True
    sign_in(client, owner)

    response = client.get("/admin/blog/post/", follow=True)

    # Turning on an authenticator first asks for the password again (allauth's reauthentication).
    [(first_stop, _status), (second_stop, _status)] = response.redirect_chain
    assert first_stop == reverse("mfa_activate_totp")
    assert second_stop.startswith(reverse("account_reauthenticate"))
    assert "L’administration exige la double authentification" in response.content.decode()


def test_a_reader_without_staff_status_is_not_asked_for_two_factor(client, settings):
    settings.STAFF_REQUIRE_MFA = True
    reader = confirmed_reader()
    sign_in(client, reader)

    assert is_signed_in(client)
    assert client.get(reverse("blog:home")).status_code == 200
    assert client.get("/admin/", follow=True).status_code == 403


def test_an_editor_turns_on_an_authenticator_app_from_their_account_pages(client, owner, settings):
    settings.STAFF_REQUIRE_MFA = True
    sign_in(client, owner)
    page = client.get(reverse("mfa_index"))
    assert reverse("mfa_activate_totp") in page.content.decode()

    confirm = client.get(reverse("mfa_activate_totp"), follow=True)
    assert "account/reauthenticate.html" in [template.name for template in confirm.templates]
    setup = client.post(confirm.redirect_chain[-1][0], {"password": DEFAULT_PASSWORD}, follow=True)
    secret = setup.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})

    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).exists()
    assert client.get("/admin/").status_code == 200


def test_with_an_authenticator_app_signing_in_asks_for_its_code(client, owner, settings):
    settings.STAFF_REQUIRE_MFA = True
    secret = generate_totp_secret()
    TOTP.activate(owner, secret)

    response = sign_in(client, owner, next_url="/admin/")
    assert response["Location"] == reverse("mfa_authenticate")
    assert not is_signed_in(client)

    code = current_code(secret)
    wrong_code = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong_code})
    assert "Code incorrect." in response.content.decode()
    assert not is_signed_in(client)

    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_password_reset_email_leaves_through_the_sites_mail_pipeline(client, monkeypatch):
    from django.core import mail as outbox

    from core import mail

    sent = []
    send_one = mail.send_one
    monkeypatch.setattr(mail, "send_one", lambda message: sent.append(message) or send_one(message))
    UserFactory(email="lectrice@example.org")

    client.post(reverse("account_reset_password"), {"email": "lectrice@example.org"})

    assert [message.to for message in sent] == [["lectrice@example.org"]]
    assert [message.to for message in outbox.outbox] == [["lectrice@example.org"]]


# Sign-up tells nobody whether an address has an account ------------------------------------

NEW_PASSWORD = "un-mot-de-passe-assez-long-42"


def sign_up(client: Client, email: str):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def page_text(response) -> str:
    """Return a page without what differs on every rendering (CSRF tokens, CSP nonces)."""
    return re.sub(
        r'(csrfmiddlewaretoken" value|nonce)="[^"]+"', r'\1=""', response.content.decode()
    )


@pytest.fixture
def sent(monkeypatch):
    """Every email the site sends, as it enters the mail pipeline: [(to, subject)]."""
    from core import mail

    messages = []
    send_one = mail.send_one

    def spy(message):
        messages.append((message.to, message.subject))
        return send_one(message)

    monkeypatch.setattr(mail, "send_one", spy)
    return messages


def test_sign_up_answers_alike_for_a_taken_and_a_free_address(sent):
    UserFactory(email="prise@example.org")
    taken_visitor, free_visitor = Client(), Client()

    taken = sign_up(taken_visitor, "prise@example.org")
    free = sign_up(free_visitor, "libre@example.org")

    assert (taken.status_code, taken["Location"]) == (free.status_code, free["Location"])
    assert taken["Location"] == reverse("account_email_verification_sent")
    taken_page = taken_visitor.get(taken["Location"])
    free_page = free_visitor.get(free["Location"])
    assert taken_page.status_code == free_page.status_code == 200
    # Each page names the address its visitor typed, and differs in nothing else.
    taken_text = page_text(taken_page).replace("prise@example.org", "ADDRESS")
    assert taken_text == page_text(free_page).replace("libre@example.org", "ADDRESS")
    # The owner of the taken address hears that someone tried; the new reader gets a link.
    [(taken_to, taken_subject), (free_to, free_subject)] = sent
    assert taken_to == ["prise@example.org"] and "existe déjà" in taken_subject
    assert free_to == ["libre@example.org"] and "Confirmez votre adresse" in free_subject
    assert get_user_model().objects.filter(email__iexact="prise@example.org").count() == 1


def test_a_new_reader_confirms_their_address_before_signing_in(client, sent):
    sign_up(client, "nouvelle@example.org")
    reader = get_user_model().objects.get(email="nouvelle@example.org")
    assert not is_signed_in(client)

    refused = sign_in(client, reader, password=NEW_PASSWORD)
    assert refused["Location"] == reverse("account_email_verification_sent")
    assert not is_signed_in(client)

    key = EmailConfirmationHMAC(EmailAddress.objects.get(user=reader)).key
    client.post(reverse("account_confirm_email", args=[key]))
    sign_in(client, reader, password=NEW_PASSWORD)
    assert is_signed_in(client)


def test_staff_made_with_createsuperuser_sign_in_without_confirming(client, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", DEFAULT_PASSWORD)
    call_command(
        "createsuperuser",
        interactive=False,
        username="proprietaire",
        email="proprietaire@example.org",
        stdout=io.StringIO(),
    )
    owner = get_user_model().objects.get(username="proprietaire")
    assert not EmailAddress.objects.filter(user=owner).exists()

    response = sign_in(client, owner, next_url="/admin/")

    assert response["Location"] == "/admin/"
    assert is_signed_in(client)
    assert EmailAddress.objects.get(user=owner).verified
