"""List pages read their posts and the number of posts in one query, and page like Django's."""

import pytest
from django.core.paginator import Paginator

from blog.models import Post
from blog.pagination import OneQueryPaginator
from tests.blog.factories import PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts():
    return PostFactory.create_batch(23)


@pytest.mark.parametrize(
    "asked",
    [None, "", "1", "2", "3", "4", "999", "0", "-1", "abc", "2.5", "99999", "100001", str(10**30)],
)
def test_every_page_asked_for_is_the_page_djangos_paginator_gives(posts, asked):
    listing = Post.objects.for_listing()

    ours = OneQueryPaginator(listing, 10).get_page(asked)
    django = Paginator(listing, 10).get_page(asked)

    assert (ours.number, list(ours), ours.paginator.count, ours.paginator.num_pages) == (
        django.number,
        list(django),
        django.paginator.count,
        django.paginator.num_pages,
    )
    assert (ours.has_previous(), ours.has_next()) == (django.has_previous(), django.has_next())


def test_a_page_with_posts_costs_one_query(posts, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = OneQueryPaginator(Post.objects.published().order_by("-published_at"), 10).get_page(2)
        assert (page.number, len(page), page.paginator.num_pages) == (2, 10, 3)


def test_no_posts_at_all_gives_an_empty_first_page():
    page = OneQueryPaginator(Post.objects.for_listing(), 10).get_page("1")

    assert (page.number, list(page), page.paginator.count) == (1, [], 0)
