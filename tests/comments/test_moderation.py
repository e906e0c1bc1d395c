from datetime import timedelta

import pytest
from django.utils import timezone

from comments import moderation
from tests.blog.factories import EditorFactory, PostFactory, UserFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db


def test_comments_are_open_on_live_posts_unless_closed_from_the_admin():
    assert moderation.comments_open(PostFactory())
    assert not moderation.comments_open(PostFactory(comments_open=False))
    assert not moderation.comments_open(PostFactory(draft=True))
    assert not moderation.comments_open(PostFactory(scheduled=True))


def test_comments_close_n_days_after_publication(settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 30
    published = timezone.now() - timedelta(days=29)
    post = PostFactory(published_at=published)

    assert moderation.comments_open(post)
    assert moderation.comments_close_at(post) == published + timedelta(days=30)
    assert not moderation.comments_open(PostFactory(published_at=published - timedelta(days=2)))


def test_never_closing_is_the_default():
    post = PostFactory(published_at=timezone.now() - timedelta(days=3650))

    assert moderation.comments_open(post)
    assert moderation.comments_close_at(post) is None


def test_a_reply_to_the_deepest_comment_goes_beside_it(settings):
    settings.COMMENTS_MAX_DEPTH = 3
    root = CommentFactory()
    middle = CommentFactory(parent=root)
    deepest = CommentFactory(parent=middle)

    assert moderation.reply_parent(root) == root
    assert moderation.reply_parent(middle) == middle
    assert moderation.reply_parent(deepest) == middle


def test_without_threads_every_reply_is_a_new_comment(settings):
    settings.COMMENTS_MAX_DEPTH = 1

    assert moderation.reply_parent(CommentFactory()) is None


def test_trust_returning_publishes_ham_only_from_known_addresses(settings):
    settings.COMMENTS_MODERATION = "trust_returning"
    CommentFactory(author_email="fidele@example.org")
    CommentFactory(author_email="retire@example.org", status="removed")

    assert moderation.publishes_ham(CommentFactory(pending=True, author_email="FIDELE@example.org"))
    assert not moderation.publishes_ham(
        CommentFactory(pending=True, author_email="new@example.org")
    )
    assert not moderation.publishes_ham(
        CommentFactory(pending=True, author_email="retire@example.org")
    )


def test_hold_all_publishes_only_moderators(settings):
    settings.COMMENTS_MODERATION = "hold_all"
    CommentFactory(author_email="fidele@example.org")
    editor, reader = EditorFactory(), UserFactory()

    assert not moderation.publishes_ham(
        CommentFactory(pending=True, author_email="fidele@example.org")
    )
    assert not moderation.publishes_ham(CommentFactory(pending=True, user=reader))
    assert moderation.publishes_ham(CommentFactory(pending=True, user=editor))
