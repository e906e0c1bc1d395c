from django.db import migrations

from core.markdown import summary_of


def summaries_rederived(apps, schema_editor):
    # Summaries made before `plain_text` decoded entities showed "&lt;script&gt;" as it is.
    Post = apps.get_model("blog", "Post")
    for post in Post.objects.only("excerpt", "body_html", "summary").iterator(chunk_size=500):
        summary = post.excerpt.strip() or summary_of(post.body_html)
        if summary != post.summary:
            Post.objects.filter(pk=post.pk).update(summary=summary)


class Migration(migrations.Migration):
    dependencies = [("blog", "0006_media_library_and_pages")]

    operations = [migrations.RunPython(summaries_rederived, migrations.RunPython.noop)]
