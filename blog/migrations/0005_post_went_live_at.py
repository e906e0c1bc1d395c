from django.db import migrations, models
from django.db.models import Q
from django.utils import timezone


def stamp_posts_already_live(apps, schema_editor):
    # Posts readers already see were announced by the code before this: they must not be again.
    Post = apps.get_model("blog", "Post")
    Post.objects.filter(status="published", published_at__lte=timezone.now()).update(
        went_live_at=models.F("published_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0004_post_comment_count"),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="went_live_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="went live"
            ),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                condition=Q(went_live_at__isnull=True),
                fields=["published_at"],
                name="blog_post_awaiting_live",
            ),
        ),
        migrations.RunPython(stamp_posts_already_live, migrations.RunPython.noop),
    ]
