"""`{% worker_silent %}`: the warning staff see when no task worker has checked in lately."""

from django import template

from config.heartbeat import worker_status

register = template.Library()


@register.inclusion_tag("includes/_worker_silent.html")
def worker_silent(css_class: str = "errornote"):
    """Say, on staff pages, that emails and spam checks wait because no worker answers."""
    return {"worker": worker_status(), "css_class": css_class}
