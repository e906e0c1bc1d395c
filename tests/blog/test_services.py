from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.sites.models import Site
from django.utils import timezone

from blog.models import Post
from blog.services import editors_group_sync, post_publish, post_unpublish, site_sync
from tests.blog.factories import PostFactory

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
