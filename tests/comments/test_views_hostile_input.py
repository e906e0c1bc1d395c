"""Hostile input through the real comment view: nothing executes, nothing crashes, honest text stays."""

from html.parser import HTMLParser

import pytest

from comments import tokens
from comments.models import Comment
from tests.blog.factories import PostFactory

pytestmark = pytest.mark.django_db

HONEST = [
    pytest.param({"body": "<script>alert('body')</script>"}, id="script-tag"),
    pytest.param(
        {"body": '<img src=x onerror="alert(1)"> and <b onmouseover=alert(2)>hi</b>'}, id="handlers"
    ),
    pytest.param(
        {"body": "[clique](javascript:alert(1)) ou <a href='javascript:alert(2)'>là</a>"},
        id="js-links",
    ),
    pytest.param(
        {"body": "![image](javascript:alert(1)) <iframe src=//evil.example></iframe>"},
        id="iframe-image",
    ),
    pytest.param(
        {"body": "**gras _mêlé [lien]( `code\n> citation\n```\nbloc non fermé"},
        id="broken-markdown",
    ),
    pytest.param(
        {"body": "<<<>>> &amp; &#x3C;script&#x3E; %s {{ var }} {% tag %}"}, id="entities-templates"
    ),
    pytest.param({"author_name": "Eve\r\nBcc: victim@example.org"}, id="crlf-in-name"),
    pytest.param({"author_name": "<script>alert('name')</script>"}, id="script-in-name"),
    pytest.param({"author_name": "ليلى", "body": "مرحبا بالعالم، تعليق رائع!"}, id="rtl"),
    pytest.param({"author_name": "Zoé 🦊", "body": "Génial 🎉👍🏽 ‮inversé‬ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"}, id="emoji"),
    pytest.param({"body": "'; DROP TABLE comments_comment; --"}, id="sql"),
    pytest.param(
        {"author_url": 'https://example.org/?q="><script>alert(1)</script>'}, id="url-quotes"
    ),
]

REFUSED = [
    pytest.param({"body": "x" * 1_000_000}, "body", id="one-megabyte"),
    pytest.param({"body": "nul\x00byte"}, "body", id="null-byte"),
    pytest.param({"author_url": "javascript:alert(1)"}, "author_url", id="js-website"),
    pytest.param({"author_email": "<script>@example.org"}, "author_email", id="html-email"),
    pytest.param({"author_name": "a" * 500}, "author_name", id="long-name"),
    pytest.param({"parent": "1 OR 1=1"}, "parent", id="parent-injection"),
]


class MarkupCollector(HTMLParser):
    """Collect every element and attribute of the comments section."""

    def __init__(self):
        super().__init__()
        self.inside = 0
        self.tags = []

    def handle_starttag(self, tag, attrs):
        if tag == "section" and (self.inside or ("id", "comments") in attrs):
            self.inside += 1
        if self.inside:
            self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "section" and self.inside:
            self.inside -= 1


def comments_markup(page: str):
    collector = MarkupCollector()
    collector.feed(page)
    return collector.tags


def send(client, post, fields):
    data = {
        "author_name": "Camille",
        "author_email": "camille@example.org",
        "body": "Un avis.",
        "issued": tokens.form_issued_token(post.pk),
        **fields,
    }
    return client.post(f"/comments/post/{post.pk}/", data, REMOTE_ADDR="203.0.113.50")


@pytest.mark.parametrize("fields", HONEST)
def test_honest_hostile_looking_comments_are_stored_and_shown_inert(client, fields, enqueued):
    post = PostFactory()

    response = send(client, post, fields)

    assert response.status_code == 302
    comment = Comment.objects.get()
    Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.APPROVED)
    page = client.get(post.get_absolute_url())
    assert page.status_code == 200
    markup = comments_markup(page.content.decode())
    assert markup, "the comments section is on the page"
    for tag, attributes in markup:
        assert tag not in {"script", "iframe", "img", "object", "embed", "style"}, tag
        assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
        for name in ("href", "src", "action"):
            assert not (attributes.get(name) or "").strip().lower().startswith("javascript:")
    assert "\r" not in comment.author_name and "\n" not in comment.author_name
    assert comment.body == fields.get("body", "Un avis.").strip()


def test_feed_and_emails_keep_hostile_text_inert(client, enqueued):
    post = PostFactory()
    send(client, post, {"author_name": "<script>x</script>", "body": "<script>alert(1)</script>"})
    Comment.objects.update(status=Comment.Status.APPROVED)

    feed = client.get(f"/comments/feed/{post.slug}/").content.decode()

    assert "<script>" not in feed
    assert "&lt;script&gt;" in feed


@pytest.mark.parametrize(("fields", "field"), REFUSED)
def test_hostile_input_is_refused_with_a_reason_next_to_the_field(client, fields, field):
    post = PostFactory()

    response = send(client, post, fields)

    assert response.status_code == 400
    assert not Comment.objects.exists()
    assert f'id="id_{field}_error"' in response.content.decode() or field == "parent"
    assert "Traceback" not in response.content.decode()


def test_garbage_posts_never_crash(client):
    post = PostFactory()
    attempts = [
        {},
        {"issued": "x", "parent": "-1", "notify_replies": "maybe"},
        {"body": ["deux", "valeurs"], "author_email": "a@b.c" * 100},
        {"parent": "99999999999999999999999"},
    ]

    statuses = {client.post(f"/comments/post/{post.pk}/", data).status_code for data in attempts}

    assert statuses == {400}
    assert not Comment.objects.exists()
