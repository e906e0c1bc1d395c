"""Template tags of the media library: a library image at the right size for the reader's screen."""

from django import template

from blog.media import picture_of

register = template.Library()


@register.inclusion_tag("blog/_picture.html")
def media_picture(item, css_class="", lazy=True):
    """Show a library image as a <picture>: WebP renditions, a fallback, its size.

    `lazy=False` for an image at the top of the page (a cover), which the browser should fetch
    at once rather than once the layout shows it in view.
    """
    return {"picture": picture_of(item), "css_class": css_class, "lazy": lazy}
