"""Template tags of the post page: structured data and share links."""

import json
from urllib.parse import quote, urlencode

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe

from core.urls import absolute_url

register = template.Library()

# The characters that could close the <script> element or open a comment inside it.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter
def absolute(path: str) -> str:
    """Return `path` as an address readers can use from anywhere; a storage's full URL as it is."""
    if path.startswith(("http://", "https://")):
        return path
    return absolute_url(path)


@register.simple_tag
def post_json_ld(post) -> str:
    """Return a <script> with the post described as a schema.org BlogPosting."""
    author = post.author.get_full_name() or post.author.get_username()
    url = post.get_canonical_url()
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.meta_title,
        "description": post.meta_description,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": post.published_at,
        "dateModified": post.updated_at,
        "inLanguage": post.language,
        "wordCount": post.word_count,
        "author": {"@type": "Person", "name": author},
        "publisher": {
            "@type": "Organization",
            "name": settings.SITE_NAME,
            "url": settings.SITE_URL,
        },
        "keywords": [tag.name for tag in post.tag_list],
    }
    if post.cover:
        data["image"] = absolute(post.cover.url)
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return mark_safe(  # noqa: S308 -- the JSON is escaped so that it cannot leave the element
        '<script type="application/ld+json">' + text.translate(JSON_SCRIPT_ESCAPES) + "</script>"
    )


@register.inclusion_tag("blog/_share.html")
def share_links(post):
    """Render plain links that share the post on Mastodon, Bluesky, LinkedIn and by email."""
    url = post.get_canonical_url()
    text = f"{post.title} {url}"
    return {
        "links": [
            ("Mastodon", "https://toot.kytta.dev/?" + urlencode({"text": text}, quote_via=quote)),
            (
                "Bluesky",
                "https://bsky.app/intent/compose?" + urlencode({"text": text}, quote_via=quote),
            ),
            (
                "LinkedIn",
                "https://www.linkedin.com/sharing/share-offsite/?"
                + urlencode({"url": url}, quote_via=quote),
            ),
        ],
        "mailto": "mailto:?" + urlencode({"subject": post.title, "body": url}, quote_via=quote),
    }
