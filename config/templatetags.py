"""Template builtins (TEMPLATES' "builtins" option): Django's {% url %}, memoized.

Every page writes a dozen addresses without arguments (navigation, feeds, forms); Django's tag
walks the URL patterns for each one (about 35 µs). This `{% url %}` behaves the same and resolves
such an address once per language, script prefix, URLconf and application namespace.
"""

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

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
