"""Writes on posts and on the blog's setup: publishing, the Editors group, the Site record."""

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.apps import apps as global_apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from blog.models import Post

EDITORS_GROUP = "Editors"
# Editors run the publication: posts and tags, comment moderation, the newsletter. Accounts and
# groups stay with the site owner (a superuser).
EDITOR_APPS = ("blog", "comments", "newsletter")


@transaction.atomic
def post_publish(*, posts: Iterable[Post]) -> int:
    """Publish the given drafts; one dated in the past goes live now, a future date stays scheduled."""
    now = timezone.now()
    published = 0
    for post in posts:
        if post.status == Post.Status.PUBLISHED:
            continue
        post.status = Post.Status.PUBLISHED
        # A draft keeps the date it was started on; publishing it is what readers see as its date.
        if post.published_at <= now:
            post.published_at = now
        post.save()
        published += 1
    return published


@transaction.atomic
def post_unpublish(*, posts: Iterable[Post]) -> int:
    """Turn the given posts back into drafts, hidden from readers."""
    unpublished = 0
    for post in posts:
        if post.status == Post.Status.DRAFT:
            continue
        post.status = Post.Status.DRAFT
        post.save()
        unpublished += 1
    return unpublished


def editors_group_sync(*, apps=global_apps) -> None:
    """Create the Editors group if missing and grant it every permission on the editors' apps."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _created = group_model.objects.get_or_create(name=EDITORS_GROUP)
    # Added, never removed: an owner who grants the group more keeps it across migrations.
    group.permissions.add(*permission_model.objects.filter(content_type__app_label__in=EDITOR_APPS))


def site_sync(*, apps=global_apps) -> None:
    """Make the Site record (used by feeds and sitemaps) match SITE_URL and SITE_NAME."""
    site_model = apps.get_model("sites", "Site")
    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    site_model.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.SITE_NAME}
    )
