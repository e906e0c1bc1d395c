"""The machine-readable time of `<time datetime>` and `<meta>` properties."""

import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def html_datetime(value) -> str:
    """Return `value` as HTML's global date and time, to the second, in the current time zone.

    `|date:"c"` and `isoformat()` keep microseconds, six digits where HTML allows three.
    """
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return ""
