"""Writes on posts and on the blog's setup: publishing, the Editors group, the Site record."""

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.apps import apps as global_apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from blog.models import Post
from blog.signals import post_went_live

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
    if published:
        posts_go_live_soon()
    return published


def posts_go_live_soon() -> None:
    """Have the posts that went live announced now rather than at the next periodic run."""
    from blog import tasks

    tasks.posts_go_live.delay_on_commit()


def posts_go_live(*, limit: int = 100) -> int:
    """Stamp each post readers can now see and send `post_went_live` for it; return how many.

    Once per post: the stamp is a guarded update, and the receivers run in its transaction, so a
    post is announced together with everything its receivers write, or not at all (and then again
    at the next run). Receivers write rows and enqueue tasks on commit; they do no slow work.
    """
    now = timezone.now()
    due = Post.objects.filter(
        status=Post.Status.PUBLISHED, published_at__lte=now, went_live_at__isnull=True
    ).order_by("published_at", "pk")
    announced = 0
    for post_id in due.values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            # Two workers at once: the second waits on the row, then finds it stamped.
            if not due.filter(pk=post_id).update(went_live_at=now):
                continue
            post = Post.objects.select_related("author").get(pk=post_id)
            post_went_live.send(sender=Post, post=post)
        announced += 1
    return announced


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
