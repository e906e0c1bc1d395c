"""Posts go live through a real Celery worker: right after an editor publishes, once."""

import pytest
from django.urls import reverse

from blog.models import Post
from blog.services import posts_go_live
from blog.signals import post_went_live
from tests.blog.factories import EditorFactory, PostFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_post_an_editor_publishes_is_announced_once_by_the_worker(client, celery_worker):
    PostFactory()
    posts_go_live()  # what was already live
    draft = PostFactory(draft=True, title="Tout neuf")
    heard = []
    post_went_live.connect(
        lambda sender, post, **kwargs: heard.append(post.title),
        weak=False,
        dispatch_uid="test-heard",
    )
    try:
        client.force_login(EditorFactory())
        client.post(
            reverse("admin:blog_post_changelist"),
            {"action": "publish", "_selected_action": [draft.pk]},
        )

        went_live_at = wait_until(
            lambda: Post.objects.get(pk=draft.pk).went_live_at, what="the post to go live"
        )
        # A second run, as the periodic one, finds nothing left to announce.
        assert posts_go_live() == 0
    finally:
        post_went_live.disconnect(dispatch_uid="test-heard")

    assert heard == ["Tout neuf"]
    assert went_live_at >= Post.objects.get(pk=draft.pk).published_at
