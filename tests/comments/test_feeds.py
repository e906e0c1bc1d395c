"""A post's comment feed stays well-formed XML whatever readers type."""

import xml.etree.ElementTree as ET

import pytest

from comments import tokens
from comments.models import Comment
from tests.blog.factories import PostFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db

FORBIDDEN = {"\x01", "\x0b", "\x1f", "\ufffe", "\uffff"}


def feed_text(client, post) -> str:
    response = client.get(f"/comments/feed/{post.slug}/")
    assert response.status_code == 200
    document = ET.fromstring(response.content)  # noqa: S314 -- our own feed; raises if not XML
    return ET.tostring(document, encoding="unicode")


@pytest.mark.parametrize("reference", ["&#1;", "&#11;", "&#x1F;", "&#65535;", "&#xFFFE;"])
def test_a_comment_typed_with_character_references_keeps_its_feed_readable(
    client, settings, enqueued, reference
):
    """Plain ASCII typed in the form: Markdown keeps `&#1;`, the sanitizer decodes it."""
    settings.COMMENTS_MIN_SECONDS = 0
    post = PostFactory()
    client.post(
        f"/comments/post/{post.pk}/",
        {
            "author_name": "Camille",
            "author_email": "camille@example.org",
            "body": f"Nice post{reference} thanks.",
            "issued": tokens.form_issued_token(post.pk),
        },
        REMOTE_ADDR="203.0.113.60",
    )
    Comment.objects.update(status=Comment.Status.APPROVED)

    text = feed_text(client, post)

    assert "Nice post" in text and "thanks." in text
    assert not FORBIDDEN & set(text)


def test_names_and_stored_bodies_with_control_characters_keep_the_feed_readable(client):
    post = PostFactory(title="Le pain\x0bau levain")
    comment = CommentFactory(post=post)
    # As a row written before bodies were cleaned, or by an import, would be.
    Comment.objects.filter(pk=comment.pk).update(
        author_name="Eve\x0b\uffff", body_html="<p>Stored\x01 body\x1f</p>"
    )

    text = feed_text(client, post)

    assert "Eve" in text and "Stored body" in text and "Le pain au levain" in text
    assert not FORBIDDEN & set(text)
