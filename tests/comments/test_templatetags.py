"""The comment thread written in Python (`{% comment_thread %}`) writes what Django's templates write.

The thread is written in Python because a template costs ten times as much per comment
(docs/performance.md); `templates/comments/_thread.html` is the reference it is checked against.
"""

import re
from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import translation

from comments.forms import CommentForm
from comments.models import Comment
from comments.threads import arrange
from tests.blog.factories import PostFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db

PYTHON_THREAD = Template("{% load comments_thread %}{% comment_thread comments post %}")


def same_html(html: str) -> str:
    """Return `html` with the whitespace templates leave between tags taken out."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.fixture
def thread(settings):
    """A post's comments as readers see them: nested, pending, by the author, hostile, across DST."""
    settings.TIME_ZONE = "Europe/Paris"
    post = PostFactory()
    first = CommentFactory(
        post=post,
        author_name='Zoé <b>"l\'insolente"</b> & co',
        author_url='https://example.org/?a=1&b="2"><script>',
    )
    reply = CommentFactory(
        parent=first,
        user=post.author,
        author_name="L'autrice",
    )
    # 02:30 CEST, then 02:30 CET: the autumn clock change's fold.
    Comment.objects.filter(pk=first.pk).update(created_at=datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    Comment.objects.filter(pk=reply.pk).update(created_at=datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    deepest = CommentFactory(parent=CommentFactory(parent=reply), body="Tout au fond.")
    pending = CommentFactory(post=post, pending=True, author_name="Nouvelle")
    CommentFactory(post=post, body="**Gras** et [lien](https://example.org/).")
    shown = Comment.objects.visible_on_post(post, own_pending_ids=[pending.pk]).shown_on_page()
    assert deepest.post_id == post.pk
    return post, arrange(shown, max_depth=3)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("gravatar", [False, True])
@pytest.mark.parametrize("replies_offered", [True, False])
def test_the_python_thread_writes_what_the_template_writes(
    thread, language, gravatar, replies_offered
):
    post, comments = thread
    # The reader's own comments, which they may still edit: one published, one pending.
    editable = frozenset({comments[0].pk, next(c.pk for c in comments if c.status == "pending")})
    context = {
        "comments": comments,
        "post": post,
        "comments_gravatar": gravatar,
        "comment_form": CommentForm(post=post) if replies_offered else None,
        "editable_comment_ids": editable,
    }
    with translation.override(language):
        from_python = PYTHON_THREAD.render(Context(context))
        from_template = render_to_string("comments/_thread.html", context)

    assert same_html(from_python) == same_html(from_template)
    # What the comparison rests on: both show the DST fold as two different times.
    assert 'datetime="2026-10-25T02:30:00+02:00"' in from_python
    assert 'datetime="2026-10-25T02:30:00+01:00"' in from_python
    assert "<script>" not in from_python
    assert from_python.count('class="comment-edit"') == 2
    for pk in editable:
        assert f'href="/{"en/" if language == "en" else ""}comments/{pk}/edit/"' in from_python


def test_the_comparison_notices_a_difference(thread):
    post, comments = thread
    context = {"comments": comments, "post": post, "comments_gravatar": False, "comment_form": None}
    from_template = render_to_string("comments/_thread.html", context)

    assert same_html(from_template.replace("comment-permalink", "permalink")) != same_html(
        PYTHON_THREAD.render(Context(context))
    )
