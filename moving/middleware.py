"""Answer an address of the old site, which would be a 404 here, with a 301 to its new page."""

from django.db.models import F
from django.http import HttpResponsePermanentRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from moving.models import Redirect

BLOGGER_MOBILE = "m=1"
# WordPress's addresses of a post, page or archive on the home page ("/?p=12"), which our home
# page would answer itself; its own parameters (`page`) are never looked up.
OLD_HOME_PARAMETERS = {"p", "page_id", "cat", "tag", "attachment_id", "author"}


def _old_home_query(request) -> bool:
    return not OLD_HOME_PARAMETERS.isdisjoint(request.GET)


def redirect_candidates(path: str, query: str) -> list[str]:
    """Return the old addresses a request may stand for, the most precise first."""
    paths = [path]
    # The old site may have had the address with or without its final slash.
    if path != "/":
        paths.append(path[:-1] if path.endswith("/") else path + "/")
    queries = [query] if query else []
    # Blogger's mobile address of a post is its own address followed by ?m=1.
    parameters = [part for part in query.split("&") if part and part != BLOGGER_MOBILE]
    if query and len(parameters) < len(query.split("&")) and parameters:
        queries.append("&".join(parameters))
    candidates = [f"{p}?{q}" for q in queries for p in paths]
    return candidates + paths


class RedirectMiddleware:
    """Look redirects up only for requests that found nothing, and for the home page with a query
    string (WordPress's `/?p=12`, which our home page would answer with itself)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        query = request.META.get("QUERY_STRING", "")
        if response.status_code != 404 and not (request.path == "/" and _old_home_query(request)):
            return response
        if request.method not in ("GET", "HEAD"):
            return response
        candidates = redirect_candidates(request.path, query)
        if request.path == "/" and response.status_code != 404:
            candidates = [candidate for candidate in candidates if "?" in candidate]
        # One indexed query (old_path is unique).
        found = {
            redirect.old_path: redirect
            for redirect in Redirect.objects.filter(old_path__in=candidates).only(
                "old_path", "new_path"
            )
        }
        redirect = next((found[c] for c in candidates if c in found), None)
        if redirect is None or not url_has_allowed_host_and_scheme(
            redirect.new_path, allowed_hosts={request.get_host()}
        ):
            return response
        Redirect.objects.filter(pk=redirect.pk).update(hits=F("hits") + 1)
        return HttpResponsePermanentRedirect(redirect.new_path)
