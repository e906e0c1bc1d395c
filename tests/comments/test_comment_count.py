"""A post's count of approved comments, as list pages show it, follows moderation (comments.services)."""

import pytest
from django.test import Client

from blog.models import Post
from comments import services
from comments.models import Comment
from tests.blog.factories import EditorFactory, PostFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db


def count_on_home_page(post) -> str:
    page = Client().get("/").content.decode()
    summary = page[page.index(f'id="post-{post.pk}-title"') :]
    return summary[summary.index("#comments") : summary.index("</a>", summary.index("#comments"))]


def test_the_count_follows_approval_removal_and_deletion():
    post = PostFactory()
    editor = EditorFactory()
    CommentFactory(post=post)
    waiting = CommentFactory(post=post, pending=True)
    assert Post.objects.get(pk=post.pk).comment_count == 1
    assert count_on_home_page(post) == '#comments">1 commentaire'

    services.comment_approve(comment=waiting, moderator=editor)
    assert Post.objects.get(pk=post.pk).comment_count == 2
    assert count_on_home_page(post) == '#comments">2 commentaires'

    services.comment_remove(comment=waiting, moderator=editor)
    assert Post.objects.get(pk=post.pk).comment_count == 1

    services.comment_delete(comment=Comment.objects.get(post=post, status=Comment.Status.APPROVED))
    assert Post.objects.get(pk=post.pk).comment_count == 0
    assert count_on_home_page(post) == '#comments">0 commentaire'


def test_spam_and_pending_comments_are_not_counted():
    post = PostFactory()
    CommentFactory(post=post, pending=True)
    CommentFactory(post=post, status=Comment.Status.SPAM)

    assert Post.objects.get(pk=post.pk).comment_count == 0


def test_akismet_publishing_a_comment_counts_it(akismet_requests):
    post = PostFactory()
    CommentFactory(post=post, author_email="fidele@example.org")  # trusted: published before
    comment = CommentFactory(post=post, author_email="fidele@example.org", pending=True)
    assert Post.objects.get(pk=post.pk).comment_count == 1

    services.comment_check(comment_id=comment.pk)

    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.APPROVED
    assert Post.objects.get(pk=post.pk).comment_count == 2


def test_a_reader_submitting_a_comment_costs_no_recount(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    post = PostFactory()
    with django_assert_num_queries(3), django_capture_on_commit_callbacks():
        # SAVEPOINT, INSERT, RELEASE: no recount (the spam check is queued after commit).
        services.comment_submit(
            post=post,
            author_name="Lectrice",
            author_email="lectrice@example.org",
            body="Merci.",
            language="fr",
            ip_address="203.0.113.7",
        )


def test_comments_written_in_bulk_are_counted_by_a_refresh():
    post = PostFactory()
    Comment.objects.bulk_create(CommentFactory.build_batch(3, post=post))
    assert Post.objects.get(pk=post.pk).comment_count == 0

    services.post_comment_counts_refresh()

    assert Post.objects.get(pk=post.pk).comment_count == 3
