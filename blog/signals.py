"""What the blog tells the apps that hang off it: they subscribe, the blog never imports them."""

from django.dispatch import Signal

# A post became visible to readers: published now, or its scheduled time came. Sent exactly once
# per post, after the moment is stamped on the post (`Post.went_live_at`), by the periodic task
# `blog.tasks.posts_go_live` in a Celery worker. Arguments: `post` (a Post). Unpublishing a post
# and publishing it again does not send it again: readers, subscribers and followers were told.
post_went_live = Signal()
