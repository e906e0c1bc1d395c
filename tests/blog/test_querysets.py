from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from blog.models import Post, Tag
from tests.blog.factories import PostFactory, TagFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db


def test_published_hides_drafts_and_posts_scheduled_for_later():
    live = PostFactory()
    PostFactory(draft=True)
    PostFactory(scheduled=True)

    assert list(Post.objects.published()) == [live]


def test_a_scheduled_post_appears_by_itself_when_its_time_comes():
    scheduled = PostFactory(published_at=timezone.now() + timedelta(hours=2))
    assert scheduled not in Post.objects.published()

    later = timezone.now() + timedelta(hours=2, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert list(Post.objects.published()) == [scheduled]


def test_for_detail_gives_a_live_post_its_author_and_tags_in_two_queries(
    django_assert_num_queries,
):
    live = PostFactory(tags=[TagFactory(name="Pain")])
    PostFactory(draft=True)

    with django_assert_num_queries(2):
        [post] = Post.objects.for_detail()
        assert (post, post.author.username, [tag.name for tag in post.tag_list]) == (
            live,
            live.author.username,
            ["Pain"],
        )


def test_for_listing_orders_newest_first_and_counts_approved_comments_only():
    older = PostFactory(published_at=timezone.now() - timedelta(days=3))
    newer = PostFactory(published_at=timezone.now() - timedelta(days=1))
    for status in ("approved", "approved", "pending", "spam"):
        CommentFactory(post=older, status=status)

    listed = list(Post.objects.for_listing())

    assert listed == [newer, older]
    assert [post.comment_count for post in listed] == [0, 2]


def test_search_on_postgresql_ranks_a_title_match_above_a_passing_mention():
    passing = PostFactory(title="Notes de la semaine", body="On a parlé de levain, une fois.")
    about = PostFactory(title="Le levain en hiver", body="Le levain aime la chaleur : levain.")
    PostFactory(title="Tout autre chose", body="Rien à voir.")

    found = list(Post.objects.published().search("levain"))

    assert found == [about, passing]


def test_search_understands_quoted_phrases_and_exclusions():
    bread = PostFactory(title="Pain maison", body="Du pain au levain.")
    PostFactory(title="Pain perdu", body="Du pain rassis et des œufs.")

    assert list(Post.objects.published().search("pain -œufs")) == [bread]
    assert list(Post.objects.published().search('"au levain"')) == [bread]


def test_months_with_counts_lists_each_month_with_posts_newest_first():
    now = timezone.localtime()
    PostFactory(published_at=now.replace(year=now.year - 1, month=3, day=10))
    PostFactory(published_at=now.replace(year=now.year - 1, month=3, day=20))
    PostFactory(published_at=now.replace(year=now.year - 1, month=5, day=1))
    PostFactory(draft=True, published_at=now.replace(year=now.year - 1, month=7, day=1))

    months = [
        (entry["month"].year, entry["month"].month, entry["count"])
        for entry in Post.objects.published().months_with_counts()
    ]

    assert months == [(now.year - 1, 5, 1), (now.year - 1, 3, 2)]


def test_tags_in_use_count_only_published_posts():
    cooking, garden, empty = TagFactory(), TagFactory(), TagFactory()
    PostFactory(tags=[cooking, garden])
    PostFactory(tags=[cooking])
    PostFactory(tags=[garden], draft=True)
    PostFactory(tags=[empty], scheduled=True)

    counts = {tag: tag.post_count for tag in Tag.objects.in_use()}

    assert counts == {cooking: 2, garden: 1}


def test_neighbours_are_the_nearest_live_posts_in_one_query(django_assert_num_queries):
    now = timezone.now()
    PostFactory(title="Oldest", published_at=now - timedelta(days=9))
    before = PostFactory(title="Before", published_at=now - timedelta(days=5))
    PostFactory(draft=True, published_at=now - timedelta(days=4))
    post = PostFactory(title="This one", published_at=now - timedelta(days=3))
    PostFactory(draft=True, published_at=now - timedelta(days=2))
    after = PostFactory(title="After", published_at=now - timedelta(days=1))
    PostFactory(title="Scheduled", published_at=now + timedelta(days=1))

    with django_assert_num_queries(1):
        assert Post.objects.published().neighbours(post) == (before, after)
    assert Post.objects.published().neighbours(after) == (post, None)


def test_listing_leaves_out_the_texts_a_list_does_not_show():
    PostFactory(body="A long body.")

    [listed] = Post.objects.for_listing()

    assert {"body", "body_html", "search_document"} <= listed.get_deferred_fields()
