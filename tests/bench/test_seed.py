"""The benchmark's site: the pages `make bench` measures exist and show what they should."""

import pytest
from django.test import Client

from bench import BenchmarkError
from bench import seed as bench_seed
from blog.models import Post
from comments.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    bench_seed.seed(posts=20)


def approved_on(slug):
    return Comment.objects.filter(post__slug=slug, status=Comment.Status.APPROVED)


def test_reference_posts_carry_0_50_and_500_threaded_comments(seeded):
    assert approved_on(bench_seed.NO_COMMENTS_SLUG).count() == 0
    assert approved_on(bench_seed.FEW_COMMENTS_SLUG).count() == 50
    many = approved_on(bench_seed.MANY_COMMENTS_SLUG)
    assert many.count() == 500
    assert set(many.values_list("depth", flat=True)) == {1, 2, 3}
    assert not many.exclude(parent=None).exclude(parent__post__slug=bench_seed.MANY_COMMENTS_SLUG)


def test_the_measured_pages_answer_with_their_content(seeded):
    reader = Client()
    many = reader.get(f"/{bench_seed.MANY_COMMENTS_SLUG}/").content.decode()
    tag = reader.get(f"/tag/{bench_seed.BUSY_TAG_SLUG}/").content.decode()
    search = reader.get("/search/", {"q": bench_seed.SEARCH_TERMS}).content.decode()

    assert many.count('class="comment') >= 500
    topical = Post.objects.filter(tags__slug=bench_seed.BUSY_TAG_SLUG).first()
    assert topical.get_absolute_url() in tag
    assert topical.get_absolute_url() in search
    assert Post.objects.count() == 20


def test_refuses_a_database_that_has_posts(seeded):
    with pytest.raises(BenchmarkError, match="empty database"):
        bench_seed.seed(posts=20)
