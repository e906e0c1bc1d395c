from functools import cache

from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import get_language_info


def site(request):
    """Expose the site's name and description, and its languages, to every template."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_DESCRIPTION": settings.SITE_DESCRIPTION,
        "SITE_URL": settings.SITE_URL,
        "LANGUAGE_CHOICES": language_choices(),
    }


@cache
def language_choices() -> tuple[tuple[str, str], ...]:
    """Return each language's code and its name in itself ("Français", "English").

    Computed once: the language switcher and the newsletter form both list them on every page,
    and Django's {% get_language_info_list %} rebuilt the list each time.
    """
    return tuple(
        (code, capfirst(get_language_info(code)["name_local"])) for code, _ in settings.LANGUAGES
    )
