"""Celery tasks of the blog: each calls one service."""

from celery import shared_task


@shared_task
def posts_go_live() -> int:
    """Announce the posts that became visible to readers (periodic, and right after publishing)."""
    from blog.services import posts_go_live

    return posts_go_live()
