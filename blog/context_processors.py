from functools import cache

from django.conf import settings
from django.utils.functional import SimpleLazyObject
from django.utils.text import capfirst
from django.utils.translation import get_language, get_language_info

from blog.models import Page


def site(request):
    """Expose the site's name and description, its languages and its navigation to every template."""
    language = get_language()
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_DESCRIPTION": settings.SITE_DESCRIPTION,
        "SITE_URL": settings.SITE_URL,
        "LANGUAGE_CHOICES": language_choices(),
        # Read only by the templates that show the header, in one query.
        "NAVIGATION_PAGES": SimpleLazyObject(lambda: navigation_pages(language)),
    }


def navigation_pages(language: str) -> list[Page]:
    """Return the navigation's pages in `language`, or all of them when none is in it."""
    pages = list(Page.objects.in_navigation())
    return [page for page in pages if page.language == language] or pages


@cache
def language_choices() -> tuple[tuple[str, str], ...]:
    """Return each language's code and its name in itself ("Français", "English").

    Computed once: the language switcher and the newsletter form both list them on every page,
    and Django's {% get_language_info_list %} rebuilt the list each time.
    """
    return tuple(
        (code, capfirst(get_language_info(code)["name_local"])) for code, _ in settings.LANGUAGES
    )
