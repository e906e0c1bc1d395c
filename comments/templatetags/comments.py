"""Template tags that put a post's comments on the blog's pages."""

from django import template

from comments.section import post_comments_context

register = template.Library()


@register.simple_tag(takes_context=True)
def comment_section(context, post):
    """Render `post`'s comments and the form to join them.

    A page showing a refused comment passes its form back as `comment_form`, with its errors;
    previews (`is_preview`) show the thread without the form.
    """
    section = post_comments_context(
        context.request,
        post,
        form=context.get("comment_form"),
        is_preview=context.get("is_preview", False),
    )
    with context.push(section):
        return context.template.engine.get_template("comments/_section.html").render(context)
