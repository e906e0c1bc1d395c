"""Template builtins (TEMPLATES' "builtins" option): Django's {% url %} and |date, memoized.

Every page writes a dozen addresses without arguments (navigation, feeds, forms); Django's tag
walks the URL patterns for each one (about 35 µs). This `{% url %}` behaves the same and resolves
such an address once per language, script prefix, URLconf and application namespace.

A list page formats two dates per post, 15 to 20 µs each through `DateFormat`, and shows the same
posts to every reader: `|date` keeps the last results per process (docs/performance.md).
"""

import datetime
from functools import lru_cache

from django import template
from django.template import defaultfilters, defaulttags
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape
from django.utils.translation import get_language

from config.reversing import reverse_memoized

register = template.Library()


class MemoizedURLNode(defaulttags.URLNode):
    def render(self, context):
        if self.args or self.kwargs:
            return super().render(context)
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        if self.asvar:
            # As Django's tag: an address that does not resolve leaves the variable empty.
            try:
                context[self.asvar] = reverse_memoized(view_name, current_app=current_app)
            except NoReverseMatch:
                context[self.asvar] = ""
            return ""
        url = reverse_memoized(view_name, current_app=current_app)
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return MemoizedURLNode(node.view_name, node.args, node.kwargs, node.asvar)


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """Django's `|date`, memoized for dates and times."""
    if isinstance(value, datetime.date):
        # The time zone is part of the key: aware datetimes of the same instant compare equal.
        return _date_formatted(value, getattr(value, "tzinfo", None), arg, get_language())
    return defaultfilters.date(value, arg)


@lru_cache(maxsize=4096)
def _date_formatted(value, tzinfo, arg, language):
    return defaultfilters.date(value, arg)
