"""Turn Markdown into HTML that is safe to show: every rendered fragment goes through nh3, then
loses the characters XML 1.0 forbids (core/text.py), which nh3 decodes from references like `&#1;`."""

import html as html_module
import re

import markdown
import nh3
from django.utils.html import strip_tags
from django.utils.text import Truncator

from core.text import xml_safe

POST_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "picture", "pre", "s", "source", "span", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
POST_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "srcset", "sizes", "alt", "title", "width", "height", "loading", "decoding"},
    # A picture's WebP renditions (blog/media.py).
    "source": {"type", "srcset", "sizes"},
    "abbr": {"title"},
    "code": {"class"},
    "div": {"class"},
    "span": {"class"},
    "th": {"align"},
    "td": {"align"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
}
USER_TAGS = {"a", "blockquote", "br", "code", "em", "p", "pre", "strong"}
USER_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}
USER_LINK_REL = "nofollow ugc noopener"


def render_post_markdown(text: str, *, extensions=()) -> str:
    """Return an editor's Markdown as sanitized HTML; their own links stay plain.

    `extensions` are further Markdown extensions, run before the sanitizer like the rest (the
    blog's media library fills in its images' sizes and renditions).
    """
    html = markdown.markdown(
        text,
        extensions=["extra", "sane_lists", "smarty", "toc", *extensions],
        output_format="html",
    )
    return xml_safe(
        nh3.clean(
            html,
            tags=POST_TAGS,
            attributes=POST_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel=None,
        )
    )


def render_user_markdown(text: str) -> str:
    """Return a reader's Markdown (paragraphs, emphasis, links, code, quotes) as sanitized HTML."""
    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    # Raw HTML typed by a reader is shown as text, never interpreted.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    html = md.convert(text)
    return xml_safe(
        nh3.clean(
            html,
            tags=USER_TAGS,
            attributes=USER_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel=USER_LINK_REL,
        )
    )


def paragraphs_text(html: str) -> str:
    """Return the words of an HTML fragment's paragraphs, leaving out headings, lists and code."""
    paragraphs = re.findall(r"<p>(.*?)</p>", html, flags=re.DOTALL)
    return plain_text(" ".join(paragraphs)) if paragraphs else plain_text(html)


def summary_of(html: str, words: int = 40) -> str:
    """Return the first words of an HTML fragment's paragraphs, ending with an ellipsis if cut."""
    summary = Truncator(paragraphs_text(html)).words(words)
    # "plates.…" reads as a typo: the ellipsis replaces the sentence's own punctuation.
    return re.sub(r"[.,;:!?]…$", "…", summary)


def plain_text(html: str) -> str:
    """Return the visible words of an HTML fragment, whitespace folded, entities decoded once."""
    # Plain text, not HTML: "&lt;script&gt;" in the source is the words "<script>", which the
    # templates escape when they show them.
    return re.sub(r"\s+", " ", html_module.unescape(strip_tags(html))).strip()
