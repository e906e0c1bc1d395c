import threading
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.contrib.sites.models import Site
from django.db import connection
from django.utils import timezone

from blog.models import Post
from blog.services import (
    editors_group_sync,
    post_publish,
    post_unpublish,
    posts_go_live,
    site_sync,
)
from blog.signals import post_went_live
from tests.blog.factories import PostFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db


def test_post_publish_counts_only_posts_it_changed():
    draft = PostFactory(draft=True)
    live = PostFactory()
    live_date = live.published_at

    assert post_publish(posts=[draft, live]) == 1
    live.refresh_from_db()
    assert live.published_at == live_date
    assert Post.objects.get(pk=draft.pk).is_live


def test_post_unpublish_hides_posts_and_keeps_their_date():
    post = PostFactory(published_at=timezone.now() - timedelta(days=5))

    assert post_unpublish(posts=Post.objects.filter(pk=post.pk)) == 1
    assert post_unpublish(posts=Post.objects.filter(pk=post.pk)) == 0
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert timezone.now() - post.published_at > timedelta(days=4)


def test_editors_group_sync_is_idempotent_and_keeps_what_the_owner_added():
    group = Group.objects.get(name="Editors")
    before = set(group.permissions.all())
    extra = Permission.objects.get(content_type__app_label="auth", codename="view_user")
    group.permissions.add(extra)

    editors_group_sync()
    editors_group_sync()

    assert Group.objects.filter(name="Editors").count() == 1
    assert set(group.permissions.all()) == before | {extra}


def test_editors_group_sync_recreates_a_deleted_group():
    Group.objects.filter(name="Editors").delete()

    editors_group_sync()

    group = Group.objects.get(name="Editors")
    assert group.permissions.filter(codename="add_post").exists()


def test_site_sync_matches_site_url_and_name(settings):
    settings.SITE_URL = "https://blog.example.org"
    settings.SITE_NAME = "Mon carnet"

    site_sync()

    site = Site.objects.get_current()
    assert (site.domain, site.name) == ("blog.example.org", "Mon carnet")


# Going live ----------------------------------------------------------------------------------


@pytest.fixture
def announced():
    """Collect the posts `post_went_live` is sent for, in order."""
    posts = []

    def receiver(sender, post, **kwargs):
        posts.append(post.pk)

    post_went_live.connect(receiver, dispatch_uid="test-announced")
    yield posts
    post_went_live.disconnect(dispatch_uid="test-announced")


def test_a_post_published_now_goes_live_once(announced):
    draft = PostFactory(draft=True)
    posts_go_live()  # what the factory made live is announced; the draft is not
    announced.clear()

    post_publish(posts=[draft])
    assert posts_go_live() == 1
    assert posts_go_live() == 0

    assert announced == [draft.pk]
    draft.refresh_from_db()
    assert draft.went_live_at is not None


def test_a_scheduled_post_goes_live_when_its_time_comes_not_before(announced):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        post = PostFactory(published_at=timezone.now() + timedelta(hours=2))
        assert posts_go_live() == 0

        clock.shift(timedelta(hours=2, seconds=1))

        assert posts_go_live() == 1
        assert announced == [post.pk]


def test_posts_due_while_the_scheduler_was_down_go_live_once_when_it_is_back(announced):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = PostFactory(published_at=timezone.now() + timedelta(minutes=5))
        second = PostFactory(published_at=timezone.now() + timedelta(minutes=40))

        clock.shift(timedelta(hours=1))  # the beat was down all that time

        assert posts_go_live() == 2
        assert posts_go_live() == 0
        assert announced == [first.pk, second.pk]


def test_unpublishing_and_publishing_again_does_not_announce_the_post_again(announced):
    post = PostFactory()
    posts_go_live()
    went_live_at = Post.objects.get(pk=post.pk).went_live_at

    post_unpublish(posts=Post.objects.filter(pk=post.pk))
    post_publish(posts=Post.objects.filter(pk=post.pk))
    posts_go_live()

    assert announced == [post.pk]
    assert Post.objects.get(pk=post.pk).went_live_at == went_live_at


def test_a_draft_dated_in_the_past_never_goes_live(announced):
    PostFactory(draft=True, published_at=timezone.now() - timedelta(days=3))

    assert posts_go_live() == 0
    assert announced == []


def test_a_post_whose_receiver_fails_goes_live_at_the_next_run(announced):
    post = PostFactory()

    def failing(sender, post, **kwargs):
        raise ConnectionError("the receiver's database was away")

    post_went_live.connect(failing, dispatch_uid="test-failing")
    try:
        with pytest.raises(ConnectionError):
            posts_go_live()
    finally:
        post_went_live.disconnect(dispatch_uid="test-failing")
    assert Post.objects.get(pk=post.pk).went_live_at is None

    assert posts_go_live() == 1
    assert announced == [post.pk, post.pk]  # heard during the failed run, then for good


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_at_once_announce_a_post_once(announced):
    post = PostFactory()
    first_inside = threading.Event()
    release_first = threading.Event()

    def slow(sender, post, **kwargs):
        if threading.current_thread().name == "first":
            first_inside.set()
            release_first.wait(timeout=30)

    post_went_live.connect(slow, dispatch_uid="test-slow")
    counts = {}

    def run(name):
        try:
            counts[name] = posts_go_live()
        finally:
            connection.close()

    first = threading.Thread(target=run, args=("first",), name="first")
    second = threading.Thread(target=run, args=("second",), name="second")
    try:
        first.start()
        assert first_inside.wait(timeout=30)
        second.start()
        # The second worker is waiting on the first one's row lock before the first commits.
        wait_until(_a_query_waits_on_a_lock)
        release_first.set()
        first.join(timeout=30)
        second.join(timeout=30)
    finally:
        release_first.set()
        post_went_live.disconnect(dispatch_uid="test-slow")

    assert counts == {"first": 1, "second": 0}
    assert announced == [post.pk]


def _a_query_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0
