from django import template

from comments import spam
from comments.models import Comment

register = template.Library()


@register.inclusion_tag("admin/comments/_waiting.html", takes_context=True)
def comments_waiting(context):
    """Show editors, on the admin's front page, how many comments wait for them."""
    user = context["request"].user
    if not user.has_perm("comments.view_comment"):
        return {"hidden": True}
    return {
        "waiting": Comment.objects.waiting().count(),
        "spam_filter_on": spam.is_enabled(),
    }
