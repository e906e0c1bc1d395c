"""Site-wide request guards: oversized bodies refused, the admin closed to staff without 2FA,
and the language read from the address only when it names one."""

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    """Answer 413 with a readable page to a request declaring a body larger than the site takes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        limit = self.body_limit(request)
        if limit is not None and request_length(request) > limit:
            return render(request, "413.html", {"limit": limit}, status=413)
        return self.get_response(request)

    @staticmethod
    def body_limit(request: HttpRequest) -> int | None:
        # Django refuses form data over DATA_UPLOAD_MAX_MEMORY_SIZE only once a view reads it, as a
        # bare 400, and sets no limit at all on uploaded files: both are checked here, up front.
        if request.content_type == "multipart/form-data":
            return settings.MAX_REQUEST_SIZE
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class NulCharacterRefusalMiddleware:
    """Answer 400 to an address or query string holding a NUL character, which no address of
    the site uses.

    PostgreSQL cannot store or compare text with NUL: the admin's list filters and the lookup of
    old addresses (moving's redirects), among others, would pass it on and fail with a 500
    (tests/test_hostile_input.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if "\x00" in request.path or any(
            "\x00" in name + "".join(values) for name, values in request.GET.lists()
        ):
            return render(request, "400.html", status=400)
        return self.get_response(request)


def request_length(request: HttpRequest) -> int:
    """Return the body length the client declares, 0 when it declares none or nonsense."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class StaffMfaMiddleware:
    """With STAFF_REQUIRE_MFA on, send staff without an authenticator app to set one up first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if settings.STAFF_REQUIRE_MFA and self.needs_authenticator(request):
            messages.warning(
                request,
                _(
                    "The admin requires two-factor authentication: "
                    "turn on an authenticator app to continue."
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def needs_authenticator(request: HttpRequest) -> bool:
        user = request.user
        return (
            request.path.startswith(reverse("admin:index"))
            and request.path != reverse("admin:logout")
            and user.is_authenticated
            and user.is_staff
            and not is_mfa_enabled(user, [Authenticator.Type.TOTP])
        )


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, except that only a whole first segment (/en/) sets the language of a page.

    Django takes /en-attente/ for English (the generic variant of a made-up "en-attente" code)
    and then finds no page there, yet French slugs often begin with "en-".
    """

    def process_request(self, request: HttpRequest):
        super().process_request(request)
        first_segment = request.path_info.split("/", 2)[1]
        languages = {code for code, _name in settings.LANGUAGES}
        if translation.get_language_from_path(request.path_info) and first_segment not in languages:
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = translation.get_language()
