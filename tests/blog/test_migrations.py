"""Migrations that move existing data: run from the previous state on rows an older site has."""

from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from PIL import Image


def image_bytes(image_format: str, width: int, height: int) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (width, height), "olive").save(buffer, image_format)
    return buffer.getvalue()


pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_LIBRARY = [("blog", "0005_post_went_live_at")]
WITH_LIBRARY = [("blog", "0006_media_library_and_pages")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_covers_become_library_items_even_when_their_file_is_missing_or_broken(media_root):
    old = migrate(BEFORE_LIBRARY)
    User, Post = old.get_model("auth", "User"), old.get_model("blog", "Post")
    author = User.objects.create(username="ancienne", is_staff=True)
    good = default_storage.save("covers/2024/bocal.jpg", ContentFile(image_bytes("JPEG", 300, 200)))
    broken = default_storage.save("covers/2024/casse.jpg", ContentFile(b"pas une image"))
    covers = {"bon": good, "casse": broken, "perdu": "covers/2024/disparu.jpg", "sans": ""}
    for slug, cover in covers.items():
        Post.objects.create(
            title=slug, slug=slug, body="Texte.", author=author, cover=cover, cover_alt=f"{slug}!"
        )

    new = migrate(WITH_LIBRARY)

    Post, MediaItem = new.get_model("blog", "Post"), new.get_model("blog", "MediaItem")
    # Values, not instances: an ImageField row without a size opens its file when built.
    found = {
        row["slug"]: (
            row["cover__file"],
            row["cover__alt_text"],
            row["cover__width"],
            row["cover__height"],
        )
        for row in Post.objects.exclude(cover=None).values(
            "slug", "cover__file", "cover__alt_text", "cover__width", "cover__height"
        )
    }
    assert found == {
        "bon": (good, "bon!", 300, 200),
        "casse": (broken, "casse!", 0, 0),
        "perdu": ("covers/2024/disparu.jpg", "perdu!", 0, 0),
    }
    assert Post.objects.filter(slug="sans", cover=None).exists()
    assert MediaItem.objects.count() == 3

    back = migrate(BEFORE_LIBRARY)
    restored = {
        p.slug: (p.cover.name, p.cover_alt) for p in back.get_model("blog", "Post").objects.all()
    }
    assert restored["bon"] == (good, "bon!") and restored["sans"] == ("", "")
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_summaries_are_derived_again_with_their_entities_decoded():
    old = migrate([("blog", "0006_media_library_and_pages")])
    User, Post = old.get_model("auth", "User"), old.get_model("blog", "Post")
    author = User.objects.create(username="ancienne", is_staff=True)
    post = Post.objects.create(
        title="Balises",
        slug="balises",
        body="Ne collez pas de `<script>`.",
        body_html="<p>Ne collez pas de <code>&lt;script&gt;</code>.</p>",
        summary="Ne collez pas de &lt;script&gt;.",
        author=author,
    )

    new = migrate([("blog", "0007_post_summaries_rederived")])

    assert new.get_model("blog", "Post").objects.get(pk=post.pk).summary == (
        "Ne collez pas de <script>."
    )
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
