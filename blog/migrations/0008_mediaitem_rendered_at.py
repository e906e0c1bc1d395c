from django.db import migrations, models
from django.db.models import F


def rendered_at_backfilled(apps, schema_editor):
    # Items with renditions were rendered; the others (animations too) are handed to the worker
    # again by the sweeper, which also strips the covers migration 0006 brought in.
    MediaItem = apps.get_model("blog", "MediaItem")
    MediaItem.objects.exclude(renditions=[]).update(rendered_at=F("uploaded_at"))


class Migration(migrations.Migration):
    dependencies = [("blog", "0007_post_summaries_rederived")]

    operations = [
        migrations.AddField(
            model_name="mediaitem",
            name="rendered_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="rendered"
            ),
        ),
        migrations.RunPython(rendered_at_backfilled, migrations.RunPython.noop),
    ]
