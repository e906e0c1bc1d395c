"""The `<head>` links that tell search engines a page's own address and its other languages."""

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import translate_url

register = template.Library()

# Interface pages: the same page, translated, exists under every language's prefix. A post or a
# page of the site is written in one language and lives at one address: its template gives its
# canonical link, and it has no alternates.
TRANSLATED_VIEWS = {
    "blog:home",
    "blog:archives",
    "blog:archive_year",
    "blog:archive_month",
    "blog:tag",
    "blog:search",
    "newsletter:subscribe",
    "newsletter:archive",
}
# Pages whose own template does not already say which address is canonical. A search result is
# not one (it asks robots not to index it).
CANONICAL_VIEWS = {
    "blog:home",
    "blog:archives",
    "blog:archive_year",
    "blog:archive_month",
    "newsletter:subscribe",
    "newsletter:archive",
}


@register.simple_tag(takes_context=True)
def language_alternates(context) -> dict:
    """Return the page's canonical address and its address in each language, all absolute."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in TRANSLATED_VIEWS:
        return {"canonical": None, "alternates": []}
    query = {}
    if match.view_name == "blog:search" and context.get("search_terms"):
        query["q"] = context["search_terms"]
    page = context.get("page")
    number = getattr(page, "number", 1)
    if isinstance(number, int) and number > 1:
        query["page"] = number
    suffix = "?" + urlencode(query) if query else ""
    addresses = {
        code: settings.SITE_URL + translate_url(request.path, code) + suffix
        for code, _name in settings.LANGUAGES
    }
    alternates = [(code, address) for code, address in addresses.items()]
    alternates.append(("x-default", addresses[settings.LANGUAGE_CODE]))
    canonical = None
    if match.view_name in CANONICAL_VIEWS:
        canonical = settings.SITE_URL + request.path + suffix
    return {"canonical": canonical, "alternates": alternates}
