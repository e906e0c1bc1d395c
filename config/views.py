"""Site-wide plumbing views: health checks, robots.txt and error pages."""

import sys

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.heartbeat import BEAT_SECONDS, worker_status


@require_GET
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@never_cache
def healthz_worker(request):
    """Answer 200 while a task worker has checked in lately, 503 otherwise (for a supervisor)."""
    status = worker_status()
    if not status.readable:
        detail = "Redis unreachable"
    elif status.age_seconds is None:
        detail = "no worker has ever checked in"
    else:
        detail = f"last heartbeat {status.age_seconds:.0f} s ago"
    if status.silent:
        return HttpResponse(
            f"stale: {detail} (a worker beats every {BEAT_SECONDS} s)\n",
            status=503,
            content_type="text/plain",
        )
    return HttpResponse(f"ok: {detail}\n", content_type="text/plain")


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /en/accounts/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


# A lost database connection (PostgreSQL restarting) is temporary: clients are told to come back.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_RETRY_AFTER_SECONDS = 30


# The pages carry their own small stylesheet, so that they need nothing that may have failed.
@csp_update({"style-src": [UNSAFE_INLINE]})
def server_error(request):
    # Rendered without a request context: whatever failed may fail again inside it. Django calls
    # this view while handling the exception, so the exception is still at hand.
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())
