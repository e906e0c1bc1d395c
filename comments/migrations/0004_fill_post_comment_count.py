from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    Post = apps.get_model("blog", "Post")
    Comment = apps.get_model("comments", "Comment")
    approved = (
        Comment.objects.filter(post=OuterRef("pk"), status="approved")
        .order_by()
        .values("post")
        .annotate(count=Count("pk"))
        .values("count")
    )
    Post.objects.update(comment_count=Coalesce(Subquery(approved), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0004_post_comment_count"),
        ("comments", "0003_delivery_progress"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
