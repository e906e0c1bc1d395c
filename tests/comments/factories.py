"""Factories for comments tests."""

import factory

from blog.models import Post
from comments import services
from comments.models import Comment
from tests.blog.factories import PostFactory


class CommentFactory(factory.django.DjangoModelFactory):
    """An approved comment by an anonymous reader; `pending=True` for one awaiting its check."""

    class Meta:
        model = Comment

    parent = None
    # A reply goes on its parent's post.
    post = factory.LazyAttribute(lambda c: c.parent.post if c.parent else PostFactory())
    author_name = factory.Sequence(lambda n: f"Lectrice {n}")
    author_email = factory.Sequence(lambda n: f"lectrice{n}@example.org")
    body = factory.Sequence(lambda n: f"Un commentaire réfléchi, numéro {n}.")
    status = Comment.Status.APPROVED
    verdict = Comment.Verdict.HAM
    ip_address = "203.0.113.7"
    user_agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
    referrer = "https://example.org/"
    language = "fr"

    class Params:
        pending = factory.Trait(status=Comment.Status.PENDING, verdict=Comment.Verdict.UNCHECKED)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Written straight to the table, as an import would: counted as the comments app counts.
        comment = super()._create(model_class, *args, **kwargs)
        if comment.status == Comment.Status.APPROVED:
            services.post_comment_counts_refresh(posts=Post.objects.filter(pk=comment.post_id))
        return comment
