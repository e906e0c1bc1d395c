"""Celery tasks of the blog: each calls one service."""

from celery import shared_task


@shared_task
def posts_go_live() -> int:
    """Announce the posts that became visible to readers (periodic, and right after publishing)."""
    from blog.services import posts_go_live

    return posts_go_live()


@shared_task
def media_item_render(item_id: int) -> bool:
    """Make a library image's renditions (once: a second run finds them made)."""
    from blog.media import media_item_render
    from blog.models import MediaItem

    item = MediaItem.objects.filter(pk=item_id).first()
    if item is None:
        return False
    return media_item_render(item=item)


@shared_task
def media_items_render_pending() -> int:
    """Queue again the renditions whose task was lost (periodic)."""
    from blog.media import media_items_render_pending

    return media_items_render_pending()
