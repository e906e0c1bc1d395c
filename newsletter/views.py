import functools
import json

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.ratelimit import client_ip, hit
from newsletter import tokens
from newsletter.forms import EraseForm, LanguageForm, SubscribeForm, consent_notice
from newsletter.models import Issue, Subscriber, SubscriberEvent
from newsletter.services.subscribers import (
    subscriber_confirm,
    subscriber_data_link_request,
    subscriber_erase,
    subscriber_personal_data,
    subscriber_set_language,
    subscriber_subscribe,
    subscriber_unsubscribe,
)

ISSUES_PER_PAGE = 20
# Data-access links a subscriber may have emailed per hour: enough for a lost email, too few for
# someone holding a forwarded issue to flood the inbox.
DATA_LINKS_PER_HOUR = 3
Source = SubscriberEvent.Source


def _visitor(request) -> dict:
    return {
        "ip_address": client_ip(request),
        "user_agent": request.headers.get("User-Agent", "")[:300],
    }


def _subscribe_allowed(ip: str | None) -> bool:
    if ip is None:
        return True
    limit = settings.NEWSLETTER_SUBSCRIBE_LIMIT_PER_HOUR
    return hit(f"newsletter:subscribe:{ip}", limit, 3600).allowed


def _link_problem(request, *, expired: bool = False, data_link: bool = False):
    context = {"expired": expired, "data_link": data_link}
    return render(request, "newsletter/link_problem.html", context, status=400)


@require_http_methods(["GET", "POST"])
def subscribe(request):
    """Show the subscribe form; a valid post always leads to the same page, whoever the address."""
    if request.method == "POST":
        visitor = _visitor(request)
        if not _subscribe_allowed(visitor["ip_address"]):
            return render(request, "newsletter/rate_limited.html", status=429)
        form = SubscribeForm(request.POST)
        if form.is_valid():
            if not form.is_from_robot:
                subscriber_subscribe(
                    email=form.cleaned_data["email"],
                    language=form.cleaned_data["language"],
                    source=Source.FORM,
                    consent_text=consent_notice(),
                    **visitor,
                )
            return redirect("newsletter:subscribe_done")
    else:
        form = SubscribeForm(initial={"language": translation.get_language()})
    return render(
        request, "newsletter/subscribe.html", {"form": form, "consent_notice": consent_notice()}
    )


@require_GET
def subscribe_done(request):
    return render(request, "newsletter/subscribe_done.html")


@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """Show a button that confirms; only its POST does, so link scanners subscribe nobody."""
    try:
        confirmation_key = tokens.read_confirmation_token(token)
    except tokens.ExpiredToken:
        return _link_problem(request, expired=True)
    except tokens.InvalidToken:
        return _link_problem(request)
    if request.method == "POST":
        subscriber = subscriber_confirm(confirmation_key=confirmation_key, **_visitor(request))
        if subscriber is None:
            return _link_problem(request, expired=True)
        return redirect("newsletter:confirmed")
    return render(request, "newsletter/confirm.html")


@require_GET
def confirmed(request):
    return render(request, "newsletter/confirmed.html")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """Unsubscribe by the signed token alone: the mail provider's one-click POST or the page's button.

    Outside the language prefix and CSRF, as RFC 8058 asks: no cookie, no redirect, a 200.
    A GET only shows the button.
    """
    try:
        key = tokens.read_unsubscribe_token(token)
    except tokens.InvalidToken:
        return _link_problem(request)
    subscriber = Subscriber.objects.filter(key=key).first()
    language = subscriber.language if subscriber else translation.get_language()
    with translation.override(language):
        if request.method == "GET":
            return render(request, "newsletter/unsubscribe.html", {"subscriber": subscriber})
        if subscriber is not None:
            one_click = request.POST.get("List-Unsubscribe") == "One-Click"
            subscriber_unsubscribe(
                subscriber=subscriber,
                source=Source.ONE_CLICK if one_click else Source.EMAIL,
                **_visitor(request),
            )
        return render(request, "newsletter/unsubscribed.html", {"subscriber": subscriber})


def _subscriber_view(read_token, *, data_link: bool = False):
    """Resolve a link's token into the subscriber it belongs to, or answer the problem page."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, token):
            try:
                key = read_token(token)
            except tokens.ExpiredToken:
                return _link_problem(request, expired=True, data_link=data_link)
            except tokens.InvalidToken:
                return _link_problem(request, data_link=data_link)
            subscriber = Subscriber.objects.filter(key=key).first()
            if subscriber is None:
                return render(request, "newsletter/erased.html", status=404)
            return view(request, token, subscriber)

        return wrapper

    return decorator


# From any issue, forwarded or not: harmless in a stranger's hands.
preferences_view = _subscriber_view(tokens.read_preferences_token)
# From the short-lived email a subscriber asked for: their data, their erasure.
data_access_view = _subscriber_view(tokens.read_data_access_token, data_link=True)


@require_GET
@preferences_view
def preferences(request, token, subscriber):
    """Show a subscriber what we hold and what they can change."""
    context = {
        "subscriber": subscriber,
        "token": token,
        "language_form": LanguageForm(initial={"language": subscriber.language}),
        "consent_notice": consent_notice(),
        "data_link_minutes": max(1, settings.NEWSLETTER_DATA_LINK_MAX_AGE // 60),
    }
    return render(request, "newsletter/preferences.html", context)


@require_POST
@preferences_view
def preferences_language(request, token, subscriber):
    form = LanguageForm(request.POST)
    if form.is_valid():
        subscriber_set_language(subscriber=subscriber, language=form.cleaned_data["language"])
        messages.success(request, _("Your emails will now be written in this language."))
    return redirect("newsletter:preferences", token=token)


@require_POST
@preferences_view
def preferences_unsubscribe(request, token, subscriber):
    subscriber_unsubscribe(subscriber=subscriber, source=Source.PREFERENCES, **_visitor(request))
    messages.success(request, _("You are unsubscribed: you will receive no more issues."))
    return redirect("newsletter:preferences", token=token)


@require_POST
@preferences_view
def preferences_resubscribe(request, token, subscriber):
    if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        subscriber_subscribe(
            email=subscriber.email,
            language=subscriber.language,
            source=Source.PREFERENCES,
            consent_text=consent_notice(),
            **_visitor(request),
        )
        messages.success(
            request, _("We sent you a confirmation email: open it to subscribe again.")
        )
    return redirect("newsletter:preferences", token=token)


@require_POST
@preferences_view
def preferences_data_link(request, token, subscriber):
    """Email the subscriber a fresh link to their data; the answer is the same whatever happens."""
    if hit(f"newsletter:data-link:{subscriber.pk}", DATA_LINKS_PER_HOUR, 3600).allowed:
        subscriber_data_link_request(subscriber=subscriber)
    minutes = max(1, settings.NEWSLETTER_DATA_LINK_MAX_AGE // 60)
    messages.success(
        request,
        ngettext(
            "If this address can receive our emails, a link to download or erase your data is on "
            "its way to it. It works for %(minutes)d minute.",
            "If this address can receive our emails, a link to download or erase your data is on "
            "its way to it. It works for %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
    )
    return redirect("newsletter:preferences", token=token)


@require_GET
@data_access_view
def my_data(request, token, subscriber):
    """Offer the subscriber who opened a fresh data link to download or erase their data."""
    return render(request, "newsletter/my_data.html", {"subscriber": subscriber, "token": token})


@require_GET
@data_access_view
def my_data_download(request, token, subscriber):
    """Let a subscriber download everything held about them (GDPR access and portability)."""
    data = subscriber_personal_data(subscriber=subscriber)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="newsletter-data.json"'
    return response


@require_http_methods(["GET", "POST"])
@data_access_view
def my_data_erase(request, token, subscriber):
    """Ask for a ticked box, then erase the subscriber: only the POST erases."""
    form = EraseForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        subscriber_erase(subscriber=subscriber, source=Source.PREFERENCES)
        return redirect("newsletter:erased")
    context = {"subscriber": subscriber, "token": token, "form": form}
    return render(request, "newsletter/my_data_erase.html", context)


@require_GET
def erased(request):
    return render(request, "newsletter/erased.html")


@require_GET
def archive(request):
    """List the issues sent so far."""
    page = Paginator(Issue.objects.archived(), ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "newsletter/archive.html", {"page": page})


@require_GET
def archive_issue(request, pk):
    """Show a sent issue as everyone may read it, without anybody's personal links."""
    issue = get_object_or_404(Issue.objects.archived().select_related("post"), pk=pk)
    return render(request, "newsletter/archive_issue.html", {"issue": issue})
