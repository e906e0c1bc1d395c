"""Keep each post's count of approved comments (`Post.comment_count`) in step with its comments."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from blog.models import Post
from comments.models import Comment


def _recount(post_id):
    # A recount rather than +1/-1: two moderators at once cannot make it drift.
    Post.objects.filter(pk=post_id).comment_counts_refresh()


@receiver(pre_save, sender=Comment)
def _remember_whether_approved(sender, instance, **kwargs):
    instance._was_approved = (
        not instance._state.adding
        and Comment.objects.filter(pk=instance.pk, status=Comment.Status.APPROVED).exists()
    )


@receiver(post_save, sender=Comment)
def _comment_saved(sender, instance, **kwargs):
    # A new pending comment, the usual case, costs the reader's POST no query.
    if instance._was_approved or instance.status == Comment.Status.APPROVED:
        _recount(instance.post_id)


@receiver(post_delete, sender=Comment)
def _comment_deleted(sender, instance, **kwargs):
    if instance.status == Comment.Status.APPROVED:
        _recount(instance.post_id)
