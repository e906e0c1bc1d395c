"""The media library: uploads checked and stripped, renditions made, images shown at their size."""

import io
import re
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connections
from django.utils import translation
from PIL import Image

from blog.media import media_item_render, media_item_upload, picture_of, rendition_widths
from blog.models import MediaItem, Post
from tests.blog.factories import EditorFactory, MediaItemFactory, PageFactory, PostFactory

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Keep each test's files in a folder of its own, to see exactly what was stored."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def translation_english():
    """Read the refusals as written in the code."""
    with translation.override("en"):
        yield


def stored_files(media_root: Path) -> list[str]:
    return sorted(
        str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file()
    )


def image_upload(name="photo.jpg", size=(1200, 800), image_format="JPEG", **save_options):
    image = Image.new("RGB", size, "olive")
    output = io.BytesIO()
    image.save(output, format=image_format, **save_options)
    return SimpleUploadedFile(name, output.getvalue(), content_type="image/jpeg")


def photo_with_gps() -> SimpleUploadedFile:
    """Return a 600×400 JPEG a phone took on its side (orientation 6), with where it was taken."""
    image = Image.new("RGB", (600, 400), "white")
    image.paste((200, 0, 0), (0, 0, 100, 100))  # a red square at the top left, as stored
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "Téléphone"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif, quality=95)
    return SimpleUploadedFile("vacances.jpg", output.getvalue(), content_type="image/jpeg")


# Uploads ----------------------------------------------------------------------------------------


def test_an_upload_becomes_a_library_item_and_its_renditions_are_queued(
    media_root, django_capture_on_commit_callbacks
):
    editor = EditorFactory()

    with (
        mock.patch("blog.tasks.media_item_render") as task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        item = media_item_upload(file=image_upload(), uploaded_by=editor, alt_text="Un champ")

    item.refresh_from_db()
    assert (item.width, item.height, item.alt_text) == (1200, 800, "Un champ")
    assert item.uploaded_by == editor
    assert re.fullmatch(r"library/\d{4}/\d{2}/photo\.jpg", item.file.name)
    assert (media_root / item.file.name).is_file()
    task.delay_on_commit.assert_called_once_with(item.pk)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("notes.jpg", b"Ceci n'est pas une image.\n" * 40),
            "This file is not an image the library accepts: JPEG, PNG, WebP or GIF.",
        ),
        (
            image_upload("dessin.bmp", image_format="BMP"),
            "This file is not an image the library accepts: JPEG, PNG, WebP or GIF.",
        ),
        (
            # 50 megapixels of one colour: a few kilobytes that would decode into 150 MB.
            image_upload("bombe.png", size=(10000, 5000), image_format="PNG"),
            "The image is 10000 × 5000 pixels (50 megapixels in all); the largest accepted is "
            "40 megapixels.",
        ),
    ],
    ids=["text-renamed-jpg", "bmp", "decompression-bomb"],
)
def test_refused_uploads_say_why_and_store_nothing(
    media_root, translation_english, upload, message
):
    with pytest.raises(ValidationError) as refusal:
        media_item_upload(file=upload, uploaded_by=EditorFactory())

    assert refusal.value.messages == [message]
    assert not MediaItem.objects.exists()
    assert stored_files(media_root) == []


def test_a_file_over_the_size_limit_is_refused_with_both_sizes(
    settings, media_root, translation_english
):
    settings.MEDIA_MAX_UPLOAD_MB = 1
    upload = SimpleUploadedFile("grande.jpg", b"\xff" * (2 * 1024 * 1024 + 10))

    with pytest.raises(ValidationError) as refusal:
        media_item_upload(file=upload, uploaded_by=EditorFactory())

    assert refusal.value.messages == ["The file is 3 MB; the largest accepted is 1 MB."]
    assert stored_files(media_root) == []


def test_pillows_own_bomb_guard_becomes_the_same_refusal(
    settings, media_root, translation_english, monkeypatch
):
    settings.MEDIA_MAX_MEGAPIXELS = 1000
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)  # warns over 1, refuses over 2 MP

    with pytest.raises(ValidationError) as refusal:
        media_item_upload(file=image_upload(size=(1500, 1000)), uploaded_by=EditorFactory())

    assert refusal.value.code == "too_many_pixels"
    assert stored_files(media_root) == []


def test_a_failure_while_saving_the_row_leaves_no_file(media_root):
    editor = EditorFactory()

    with (
        mock.patch.object(MediaItem, "save", side_effect=RuntimeError("database gone")),
        pytest.raises(RuntimeError),
    ):
        media_item_upload(file=image_upload(), uploaded_by=editor)

    assert stored_files(media_root) == []


def test_exif_and_gps_are_stripped_and_the_photo_stays_upright(media_root):
    item = media_item_upload(file=photo_with_gps(), uploaded_by=EditorFactory())

    stored = Image.open(media_root / item.file.name)
    assert dict(stored.getexif()) == {}
    assert b"Exif" not in (media_root / item.file.name).read_bytes()
    assert "xmp" not in stored.info
    # Orientation 6 means "turn a quarter clockwise": the portrait photo is stored as portrait,
    # its red corner now at the top right.
    assert stored.size == (400, 600) == (item.width, item.height)
    red, green, _blue = stored.convert("RGB").getpixel((380, 20))
    assert red > 150 and green < 80


def test_the_colour_profile_is_kept(media_root):
    profile = _srgb_profile()
    upload = image_upload(icc_profile=profile)

    item = media_item_upload(file=upload, uploaded_by=EditorFactory())

    assert Image.open(media_root / item.file.name).info.get("icc_profile") == profile


def _srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_a_png_keeps_its_transparency(media_root):
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    output = io.BytesIO()
    image.save(output, format="PNG")
    upload = SimpleUploadedFile("logo.png", output.getvalue())

    item = media_item_upload(file=upload, uploaded_by=EditorFactory())

    assert item.file.name.endswith("/logo.png")
    assert Image.open(media_root / item.file.name).getpixel((10, 10))[3] == 0


def test_an_animated_gif_keeps_its_frames_but_not_its_comment(media_root):
    frames = [Image.new("RGB", (60, 40), colour) for colour in ("red", "green", "blue")]
    output = io.BytesIO()
    frames[0].save(
        output,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=100,
        comment=b"Paris, chez Jeanne",
    )
    upload = SimpleUploadedFile("anim.gif", output.getvalue())

    item = media_item_upload(file=upload, uploaded_by=EditorFactory())

    stored = Image.open(media_root / item.file.name)
    assert stored.n_frames == 3
    assert "comment" not in stored.info
    assert b"Jeanne" not in (media_root / item.file.name).read_bytes()
    # Done without renditions: resizing would keep only the first frame.
    assert media_item_render(item=item) is True
    item.refresh_from_db()
    assert item.renditions == []
    assert item.rendered_at is not None
    assert media_item_render(item=item) is False


# Renditions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "widths"),
    [(3000, [480, 960, 1600]), (1200, [480, 960, 1200]), (480, [480]), (300, [300])],
)
def test_rendition_widths_stop_at_the_original(original, widths):
    assert rendition_widths(original) == widths


def test_renditions_are_webp_and_the_original_format_next_to_it(media_root):
    item = MediaItemFactory(file__width=1200, file__height=800, file__filename="photo.jpg")

    assert media_item_render(item=item) is True

    item.refresh_from_db()
    assert [rendition["width"] for rendition in item.renditions] == [480, 960, 1200]
    folder = item.file.name.rsplit("/", 1)[0]
    first = item.renditions[0]
    assert first == {
        "width": 480,
        "webp": f"{folder}/photo-480.webp",
        "fallback": f"{folder}/photo-480.jpg",
    }
    for rendition in item.renditions:
        webp = Image.open(media_root / rendition["webp"])
        fallback = Image.open(media_root / rendition["fallback"])
        assert (webp.format, fallback.format) == ("WEBP", "JPEG")
        assert webp.size == fallback.size == (rendition["width"], rendition["width"] * 2 // 3)


def test_a_transparent_png_falls_back_to_png(media_root):
    item = MediaItemFactory(
        file__width=1000, file__height=500, file__format="PNG", file__filename="logo.png"
    )

    media_item_render(item=item)

    assert {Image.open(media_root / r["fallback"]).format for r in item.renditions} == {"PNG"}


def test_rendering_twice_changes_nothing_the_second_time(media_root):
    item = MediaItemFactory()
    media_item_render(item=item)
    files = stored_files(media_root)
    renditions = MediaItem.objects.get().renditions

    assert media_item_render(item=MediaItem.objects.get()) is False

    assert stored_files(media_root) == files
    assert MediaItem.objects.get().renditions == renditions


def test_posts_and_pages_showing_an_item_get_its_renditions(
    django_capture_on_commit_callbacks, settings
):
    settings.PAGE_CACHE_ENABLED = True
    item = MediaItemFactory()
    post = PostFactory(body=f"![Un champ]({item.url})")
    page = PageFactory(body=f"![]({item.url})")
    updated_at = post.updated_at
    assert "srcset" not in post.body_html

    with (
        mock.patch("blog.pagecache.content_version_renew") as renew,
        django_capture_on_commit_callbacks(execute=True),
    ):
        media_item_render(item=item)

    post.refresh_from_db()
    page.refresh_from_db()
    assert 'type="image/webp"' in post.body_html
    assert "480w" in page.body_html
    assert post.updated_at == updated_at
    renew.assert_called()


# Showing images ---------------------------------------------------------------------------------


def test_a_library_image_in_a_body_is_a_picture_with_its_renditions(settings):
    item = MediaItemFactory(alt_text="Le champ en juin")
    media_item_render(item=item)
    item.refresh_from_db()

    html = PostFactory(body=f"Avant.\n\n![]({settings.SITE_URL}{item.url})\n\nAprès.").body_html

    picture = re.search(r"<picture>.*?</picture>", html).group()
    source = re.search(r"<source [^>]*>", picture).group()
    webp = [item.renditions[0]["webp"], item.renditions[1]["webp"]]
    assert 'type="image/webp"' in source
    assert f'srcset="/media/{webp[0]} 480w, /media/{webp[1]} 960w' in source
    assert 'sizes="(max-width: 736px) calc(100vw - 24px), 712px"' in source
    img = re.search(r"<img [^>]*>", picture).group()
    for attribute in (
        'width="1200"',
        'height="800"',
        'loading="lazy"',
        'decoding="async"',
        'alt="Le champ en juin"',
        f'srcset="/media/{item.renditions[0]["fallback"]} 480w',
        f'src="/media/{item.renditions[-1]["fallback"]}"',
    ):
        assert attribute in img
    assert list(PostFactory._meta.model.objects.get(body__contains="Avant").media.all()) == [item]


def test_the_writers_alt_text_wins_over_the_librarys(settings):
    item = MediaItemFactory(alt_text="Une photo")

    html = PostFactory(body=f"![Le four à pain]({item.url})").body_html

    assert 'alt="Le four à pain"' in html


def test_before_renditions_an_image_has_its_size_and_lazy_loading():
    item = MediaItemFactory(alt_text="Une photo")

    html = PostFactory(body=f"![]({item.url})").body_html

    assert "<picture>" not in html
    assert html == (
        f'<p><img alt="Une photo" decoding="async" height="800" loading="lazy" src="{item.url}" '
        'width="1200"></p>'
    )


def test_an_image_from_elsewhere_is_left_as_written():
    html = PostFactory(body="![Ailleurs](https://example.org/media/library/x.jpg)").body_html

    assert html == '<p><img alt="Ailleurs" src="https://example.org/media/library/x.jpg"></p>'


def test_a_390_pixel_phone_picks_the_480_rendition():
    item = MediaItemFactory(file__width=2400, file__height=1600)
    media_item_render(item=item)

    picture = picture_of(item)

    column = 390 - 24  # what `sizes` says for a 390-px viewport
    candidates = [int(width) for width in re.findall(r" (\d+)w", picture.webp_srcset)]
    assert min(width for width in candidates if width >= column) == 480
    assert picture.sizes.startswith("(max-width: 736px) calc(100vw - 24px)")


def test_the_post_page_shows_its_cover_with_renditions_in_the_same_queries(
    client, django_assert_num_queries
):
    from tests.blog.test_views import POST_PAGE_QUERIES

    cover = MediaItemFactory(alt_text="Le fournil")
    media_item_render(item=cover)
    cover.refresh_from_db()
    post = PostFactory(cover=cover, body=f"![]({cover.url})")

    with django_assert_num_queries(POST_PAGE_QUERIES):
        page = client.get(post.get_absolute_url()).content.decode()

    figure = re.search(r'<figure class="post-cover">.*?</figure>', page, re.DOTALL).group()
    assert 'type="image/webp"' in figure
    assert f'srcset="/media/{cover.renditions[0]["fallback"]} 480w' in figure
    assert 'sizes="(max-width: 736px) calc(100vw - 24px), 712px"' in figure
    assert 'alt="Le fournil"' in figure and 'width="1200"' in figure
    assert 'loading="lazy"' not in figure  # the top of the page is fetched at once


@pytest.mark.django_db(transaction=True)
def test_an_editor_saving_a_post_meanwhile_keeps_their_text(media_root):
    """The worker renders a post again while an editor saves a new body: the new body's HTML
    stays, whichever comes first."""
    item = MediaItemFactory()
    post = PostFactory(body=f"Avant.\n\n![]({item.url})")
    real_save = Post.save
    editor = connections.create_connection("default")
    attempts = []

    def save_while_an_editor_saves(writing, *args, **kwargs):
        # The editor's save, from another connection, between the worker's read and its write.
        with editor.cursor() as cursor:
            try:
                cursor.execute(
                    "SELECT id FROM blog_post WHERE id = %s FOR UPDATE NOWAIT", [writing.pk]
                )
            except OperationalError:
                attempts.append("waits for the worker")
            else:
                cursor.execute(
                    "UPDATE blog_post SET body = %s, body_html = %s WHERE id = %s",
                    ["Après.", "<p>Après.</p>", writing.pk],
                )
                attempts.append("saved")
        return real_save(writing, *args, **kwargs)

    try:
        with mock.patch.object(Post, "save", autospec=True, side_effect=save_while_an_editor_saves):
            media_item_render(item=item)
    finally:
        editor.close()

    assert attempts == ["waits for the worker"]
    post.refresh_from_db()
    # The HTML is the body's, whoever saved last.
    assert ("Après" in post.body) == ("Après" in post.body_html)


def test_a_library_image_in_raw_html_is_linked_and_shown_as_a_picture(
    django_capture_on_commit_callbacks,
):
    # Imported posts keep their HTML inside the Markdown body: Markdown stashes it untouched.
    item = MediaItemFactory(alt_text="Une photo")
    post = PostFactory(
        body=f'<p><img src="{item.url}" alt="x"></p>\n\n'
        '<figure><img src="https://example.org/media/library/x.jpg" alt="ailleurs"></figure>'
    )
    assert list(post.media.all()) == [item]
    assert f'<img alt="x" decoding="async" height="800" loading="lazy" src="{item.url}"' in (
        post.body_html
    )

    with django_capture_on_commit_callbacks(execute=True):
        media_item_render(item=item)

    post.refresh_from_db()
    picture = re.search(r"<picture>.*?</picture>", post.body_html).group()
    assert 'type="image/webp"' in picture
    assert f'srcset="/media/{item.renditions[0]["fallback"]} 480w' in picture
    assert 'alt="x"' in picture
    assert 'src="https://example.org/media/library/x.jpg"' in post.body_html
