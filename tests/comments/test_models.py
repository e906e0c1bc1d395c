import pytest

from comments.models import Comment, moderators
from tests.blog.factories import EditorFactory, PostFactory, SuperuserFactory, UserFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db


def test_a_post_shows_its_approved_comments_and_only_the_given_pending_ones():
    post = PostFactory()
    approved = CommentFactory(post=post)
    mine = CommentFactory(post=post, pending=True)
    theirs = CommentFactory(post=post, pending=True)
    spam = CommentFactory(post=post, status=Comment.Status.SPAM)
    elsewhere = CommentFactory(pending=True)

    shown = Comment.objects.visible_on_post(post, own_pending_ids=[mine.pk, spam.pk, elsewhere.pk])

    assert list(shown) == [approved, mine]
    assert list(Comment.objects.visible_on_post(post)) == [approved]
    assert theirs not in shown


def test_status_counts_in_one_query(django_assert_num_queries):
    CommentFactory.create_batch(2, pending=True)
    CommentFactory(status=Comment.Status.SPAM, verdict=Comment.Verdict.DISCARD)

    with django_assert_num_queries(1):
        counts = Comment.objects.status_counts()

    assert counts == {"pending": 2, "approved": 0, "spam": 0, "discarded": 1, "removed": 0}


def test_body_is_rendered_and_sanitized_on_save():
    comment = CommentFactory(body="Voir [ça](https://example.org) <b>gras</b>")

    assert comment.body_html == (
        '<p>Voir <a href="https://example.org" rel="nofollow ugc noopener">ça</a> '
        "&lt;b&gt;gras&lt;/b&gt;</p>"
    )


def test_depth_follows_the_parent():
    root = CommentFactory()

    assert CommentFactory(parent=CommentFactory(parent=root)).depth == 3


def test_initials_make_an_avatar_that_reveals_nothing():
    assert Comment(author_name="jean-paul sartre").initials == "JS"
    assert Comment(author_name="  ").initials == "?"
    assert Comment(author_name="🦊 Renard").initials == "R"


def test_moderators_are_active_staff_who_may_change_comments_and_have_an_address():
    editor, owner = EditorFactory(), SuperuserFactory()
    EditorFactory(is_active=False)
    EditorFactory(email="")
    UserFactory(is_staff=True)  # staff without the permission
    UserFactory()

    assert set(moderators()) == {editor, owner}
