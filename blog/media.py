"""The media library: images uploaded by editors, checked, stripped of metadata, resized.

`media_item_upload` stores an editor's image (the admin and the post editor call it);
`media_item_render` makes its renditions, in the worker, and `media_items_render_pending` hands it
again what a lost task left undone; `media_item_update` changes an image's words where readers see
them; `MediaImages` is the Markdown extension
that gives a body's library images their sizes, renditions and lazy loading when a post or page
is saved, and `picture_of` what the cover's template needs.
"""

import io
import math
import posixpath
import re
import warnings
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from markdown.extensions import Extension
from markdown.serializers import to_html_string
from markdown.treeprocessors import Treeprocessor
from PIL import Image, ImageOps, UnidentifiedImageError

from blog import pagecache, tasks
from blog.models import MediaItem

MEGABYTE = 1024 * 1024
# Pillow's names of the formats accepted; MPO is the JPEG that phones write (a photo plus a
# preview), stored as a plain JPEG.
FORMAT_EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
RENDITION_WIDTHS = (480, 960, 1600)
JPEG_QUALITY = 85
WEBP_QUALITY = 80
# The post column (static/css/site.css): the page is 46rem (736 px) at most, less the container's
# 0.75rem of padding each side. A 390-px phone needs 366 px and picks the 480w rendition.
POST_COLUMN_SIZES = "(max-width: 736px) calc(100vw - 24px), 712px"
# An item still without renditions this long after its upload had its task lost (broker down).
RENDER_GRACE = timedelta(minutes=5)
# What Pillow reads into `info` that tells about the photo or its author rather than its pixels.
METADATA_KEYS = (
    "exif",
    "xmp",
    "XML:com.adobe.xmp",
    "comment",
    "photoshop",
    "Raw profile type exif",
)


def media_item_upload(
    *, file: UploadedFile, uploaded_by, alt_text: str = "", caption: str = ""
) -> MediaItem:
    """Store an uploaded image in the library, stripped of its metadata; renditions follow."""
    image = media_upload_check(file=file)
    data, (width, height) = _stripped(image)
    content = ContentFile(data, name=_stored_name(file.name, image.format))
    item = MediaItem(
        alt_text=alt_text, caption=caption, uploaded_by=uploaded_by, width=width, height=height
    )
    try:
        with transaction.atomic():
            item.file.save(content.name, content, save=False)
            item.save()
            # Resized in the worker once the row is visible to it: the editor waits for none of it.
            tasks.media_item_render.delay_on_commit(item.pk)
    except BaseException:
        if item.file.name:
            item.file.delete(save=False)
        raise
    return item


def media_upload_check(*, file: UploadedFile) -> Image.Image:
    """Return the upload decoded if the library accepts it; raise ValidationError saying why not."""
    _check_upload_size(file)
    return _opened_image(file)


def _check_upload_size(file: UploadedFile) -> None:
    limit = settings.MEDIA_MAX_UPLOAD_MB
    if file.size > limit * MEGABYTE:
        raise ValidationError(
            _("The file is %(size)d MB; the largest accepted is %(limit)d MB.")
            % {"size": math.ceil(file.size / MEGABYTE), "limit": limit},
            code="too_large",
        )


def _opened_image(file: UploadedFile) -> Image.Image:
    """Return the upload decoded, once its header says it is an accepted image of a sane size."""
    not_an_image = ValidationError(
        _("This file is not an image the library accepts: JPEG, PNG, WebP or GIF."),
        code="not_an_image",
    )
    file.seek(0)
    data = file.read()
    # Warnings as errors: Pillow's own decompression bomb guard then refuses instead of warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise _too_many_pixels(None) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise not_an_image from None
        if image.format not in FORMAT_EXTENSIONS:
            raise not_an_image
        # The header's size, checked before a single pixel is decoded.
        width, height = image.size
        frames = _frame_count(image)
        if width * height * frames > settings.MEDIA_MAX_MEGAPIXELS * 1_000_000:
            raise _too_many_pixels(image)
        try:
            image.load()
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise _too_many_pixels(image) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise ValidationError(
                _("The image could not be read: the file is damaged or incomplete."),
                code="damaged",
            ) from None
    return image


def _frame_count(image: Image.Image) -> int:
    # A phone's MPO holds a preview after the photo: only the photo is kept.
    return 1 if image.format == "MPO" else getattr(image, "n_frames", 1)


def _too_many_pixels(image: Image.Image | None) -> ValidationError:
    limit = settings.MEDIA_MAX_MEGAPIXELS
    if image is None:
        message = _("The image has too many pixels; the largest accepted is %(limit)d megapixels.")
        return ValidationError(message % {"limit": limit}, code="too_many_pixels")
    width, height = image.size
    frames = _frame_count(image)
    message = _(
        "The image is %(width)d × %(height)d pixels (%(megapixels)d megapixels in all); "
        "the largest accepted is %(limit)d megapixels."
    )
    return ValidationError(
        message
        % {
            "width": width,
            "height": height,
            "megapixels": math.ceil(width * height * frames / 1_000_000),
            "limit": limit,
        },
        code="too_many_pixels",
    )


def _stored_name(uploaded_name: str, image_format: str) -> str:
    stem = PurePosixPath(uploaded_name or "image").stem or "image"
    return f"{stem}.{FORMAT_EXTENSIONS[image_format]}"


def _stripped(image: Image.Image) -> tuple[bytes, tuple[int, int]]:
    """Return the image encoded again with its colour profile and nothing else of its metadata,
    and its size.

    The pixels are turned upright first, as the EXIF orientation said: that tag goes with the rest
    (GPS position, camera, dates, XMP). An animation is saved again frame by frame, as it was.
    """
    icc_profile = image.info.get("icc_profile")
    output = io.BytesIO()
    image_format = "JPEG" if image.format == "MPO" else image.format
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if _frame_count(image) > 1:
        # The first frame's `info` is written with the animation: a GIF would keep its comment.
        for key in METADATA_KEYS:
            image.info.pop(key, None)
        if image_format == "GIF":
            options["comment"] = b""
        image.save(output, format=image_format, save_all=True, **options)
        return output.getvalue(), image.size
    upright = ImageOps.exif_transpose(image)
    # Only what is passed here is written: Pillow's encoders take no EXIF, XMP or comment from
    # `info` for these formats (tests/blog/test_media.py checks it).
    upright.info = {key: image.info[key] for key in ("transparency",) if key in image.info}
    if image_format == "JPEG":
        upright.save(output, format="JPEG", quality=JPEG_QUALITY, optimize=True, **options)
    elif image_format == "WEBP":
        upright.save(output, format="WEBP", quality=WEBP_QUALITY, **options)
    else:
        upright.save(output, format=image_format, **options)
    return output.getvalue(), upright.size


# Renditions ---------------------------------------------------------------------------------


def media_item_render(*, item: MediaItem) -> bool:
    """Make the item's renditions and show them on its posts and pages; False if it had them."""
    if item.rendered_at is not None:
        return False
    image = _original(item)
    if _has_metadata(image):
        # Not uploaded through media_item_upload (a cover converted by migration 0006).
        image = _original_stripped(item)
        if image is None:
            return False
    if _frame_count(image) > 1:
        # Resizing an animation would keep only its first frame: it is shown as it was uploaded.
        return bool(
            MediaItem.objects.filter(pk=item.pk, rendered_at=None).update(
                rendered_at=timezone.now()
            )
        )
    renditions = []
    for width in rendition_widths(image.width):
        resized = _resized(image, width)
        renditions.append(
            {
                "width": width,
                "webp": _save_rendition(item, width, "webp", _encoded_webp(resized)),
                "fallback": _save_rendition(
                    item, width, _fallback_extension(image), _encoded_fallback(resized, image)
                ),
            }
        )
    rendered_at = timezone.now()
    with transaction.atomic():
        claimed = MediaItem.objects.filter(pk=item.pk, rendered_at=None).update(
            renditions=renditions, rendered_at=rendered_at
        )
        if not claimed:
            # Another run stored its renditions first: these copies are not needed.
            transaction.on_commit(lambda: _delete_files(renditions))
            return False
        item.renditions, item.rendered_at = renditions, rendered_at
        _show_everywhere(item)
    return True


def media_items_render_pending() -> int:
    """Queue again the renditions of items whose task was lost; return how many were queued."""
    pending = MediaItem.objects.filter(
        rendered_at=None, uploaded_at__lt=timezone.now() - RENDER_GRACE
    ).values_list("pk", flat=True)
    count = 0
    for item_id in pending:
        # Twice queued is harmless: the second run finds the renditions made.
        tasks.media_item_render.delay(item_id)
        count += 1
    return count


def _original(item: MediaItem) -> Image.Image:
    with item.file.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
        image.load()
    return image


def _has_metadata(image: Image.Image) -> bool:
    return (
        bool(image.getexif())
        or any(key in image.info for key in METADATA_KEYS)
        or bool(getattr(image, "text", None))  # PNG text chunks
    )


def _original_stripped(item: MediaItem) -> Image.Image | None:
    """Store the item's original again without its metadata, under the same name (its address
    is in bodies); return it, or None if the item is gone."""
    with transaction.atomic():
        # One run at a time: a second one waits, then finds the original already stripped.
        locked = MediaItem.objects.select_for_update().filter(pk=item.pk).first()
        if locked is None:
            return None
        item.file.name, item.width, item.height = locked.file.name, locked.width, locked.height
        image = _original(item)
        if not _has_metadata(image):
            return image
        data, (width, height) = _stripped(image)
        name = item.file.name
        # A copy first: were the worker to die between deleting and saving, the image remains.
        stem, extension = posixpath.splitext(name)
        copy = default_storage.save(f"{stem}-stripped{extension}", ContentFile(data))
        default_storage.delete(name)
        stored = default_storage.save(name, ContentFile(data))
        default_storage.delete(copy)
        MediaItem.objects.filter(pk=item.pk).update(file=stored, width=width, height=height)
        item.file.name, item.width, item.height = stored, width, height
    return Image.open(io.BytesIO(data))


def rendition_widths(original_width: int) -> list[int]:
    """Return the widths to make: the standard ones under the original's, then its own, capped."""
    widths = [width for width in RENDITION_WIDTHS if width < original_width]
    largest = min(original_width, RENDITION_WIDTHS[-1])
    return widths if largest in widths else [*widths, largest]


def _resized(image: Image.Image, width: int) -> Image.Image:
    height = max(1, round(image.height * width / image.width))
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _fallback_extension(original: Image.Image) -> str:
    if original.format in ("PNG", "GIF") or _has_alpha(original):
        return "png"
    return "jpg"


def _encoded_webp(image: Image.Image) -> bytes:
    output = io.BytesIO()
    image.save(output, format="WEBP", quality=WEBP_QUALITY, **_profile_of(image))
    return output.getvalue()


def _encoded_fallback(image: Image.Image, original: Image.Image) -> bytes:
    output = io.BytesIO()
    if _fallback_extension(original) == "png":
        image.save(output, format="PNG", optimize=True, **_profile_of(image))
    else:
        image.convert("RGB").save(
            output, format="JPEG", quality=JPEG_QUALITY, optimize=True, **_profile_of(image)
        )
    return output.getvalue()


def _profile_of(image: Image.Image) -> dict:
    icc_profile = image.info.get("icc_profile")
    return {"icc_profile": icc_profile} if icc_profile else {}


def _save_rendition(item: MediaItem, width: int, extension: str, data: bytes) -> str:
    """Store a rendition next to the original (photo.jpg: photo-480.webp); return its name."""
    stem, _extension = posixpath.splitext(item.file.name)
    return default_storage.save(f"{stem}-{width}.{extension}", ContentFile(data))


def _delete_files(renditions: list[dict]) -> None:
    for rendition in renditions:
        default_storage.delete(rendition["webp"])
        default_storage.delete(rendition["fallback"])


def media_items_delete(*, items) -> int:
    """Delete library items, then their files once that is committed; return how many."""
    items = list(items)
    with transaction.atomic():
        count, _deleted = MediaItem.objects.filter(pk__in=[item.pk for item in items]).delete()
        # Covers went with them, without a post being saved: pages must be rendered afresh.
        pagecache.content_changed()
        transaction.on_commit(lambda: _delete_item_files(items), robust=True)
    return count


def _delete_item_files(items: list[MediaItem]) -> None:
    for item in items:
        default_storage.delete(item.file.name)
        _delete_files(item.renditions)


def media_item_update(*, item: MediaItem, alt_text: str, caption: str) -> MediaItem:
    """Change an item's alternative text and caption, on the pages that show it too."""
    item.alt_text, item.caption = alt_text, caption
    with transaction.atomic():
        item.save(update_fields=["alt_text", "caption"])
        # A body image without alt text of its own has the library's, written into its HTML.
        _show_everywhere(item)
    return item


def _show_everywhere(item: MediaItem) -> None:
    """Render again the posts and pages that show the item, so their HTML has its renditions."""
    # Saved field by field: a new rendition of an image is not an update of the post
    # (`updated_at`, shown to readers and in the sitemap, stays as it was).
    rendered = ["body_html", "word_count"]
    # Locked as they are read: an editor saving a post meanwhile waits, and their body is not
    # overwritten with HTML rendered from the one before.
    for post in item.posts.select_for_update(of=("self",)):
        post.save(update_fields=[*rendered, "summary"])
    for page in item.pages.select_for_update(of=("self",)):
        page.save(update_fields=rendered)
    # The covers are drawn by the post template from the item itself.
    pagecache.content_changed()


# Showing images -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    """What an <img> and its WebP <source> need to show a library image at the right size."""

    src: str
    width: int
    height: int
    alt: str
    webp_srcset: str
    fallback_srcset: str
    sizes: str


def picture_of(item: MediaItem, *, alt: str | None = None, sizes: str = POST_COLUMN_SIZES):
    """Return how to show `item` in the post column; no srcset until the renditions are made."""
    renditions = item.renditions
    webp_srcset = ", ".join(
        f"{default_storage.url(rendition['webp'])} {rendition['width']}w"
        for rendition in renditions
    )
    fallback_srcset = ", ".join(
        f"{default_storage.url(rendition['fallback'])} {rendition['width']}w"
        for rendition in renditions
    )
    # The largest fallback is the original at a reasonable weight: browsers without srcset get it.
    src = default_storage.url(renditions[-1]["fallback"]) if renditions else item.url
    return Picture(
        src=src,
        width=item.width,
        height=item.height,
        alt=item.alt_text if alt is None else alt,
        webp_srcset=webp_srcset,
        fallback_srcset=fallback_srcset,
        sizes=sizes if renditions else "",
    )


class MediaImages(Extension):
    """Find the library's images in a body; `items` lists them after conversion."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.items = []

    def extendMarkdown(self, md):  # noqa: N802 (Markdown's name)
        md.treeprocessors.register(_MediaImagesProcessor(md, self), "media_images", 0)


class _MediaImagesProcessor(Treeprocessor):
    def __init__(self, md, extension):
        super().__init__(md)
        self.extension = extension

    def run(self, root):
        parents = {
            child: parent
            for parent in root.iter()
            for child in parent
            if child.tag == "img" and _file_name(child.get("src", ""))
        }
        # Raw HTML (an imported post's body) is stashed away from the tree: its <img> are found in
        # the stash, whose strings Markdown puts back after this processor.
        stash = self.md.htmlStash.rawHtmlBlocks
        raw_images = {
            index: _RAW_IMG.findall(block)
            for index, block in enumerate(stash)
            if isinstance(block, str) and "<img" in block.lower()
        }
        raw_names = {
            _file_name(_raw_attributes(tag).get("src") or "")
            for tags in raw_images.values()
            for tag in tags
        } - {""}
        if not parents and not raw_names:
            return
        names = {_file_name(img.get("src")) for img in parents} | raw_names
        items = {item.file.name: item for item in MediaItem.objects.filter(file__in=names)}
        for img, parent in parents.items():
            item = items.get(_file_name(img.get("src")))
            if item is not None:
                _replace_with_picture(parent, img, picture_of(item, alt=img.get("alt") or None))
        for index in raw_images:
            stash[index] = _RAW_IMG.sub(
                lambda match: _raw_picture(match.group(0), items, root.makeelement),
                stash[index],
            )
        self.extension.items = list(items.values())


_RAW_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)


class _TagAttributes(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.attributes: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        self.attributes = {name: value or "" for name, value in attrs}

    handle_startendtag = handle_starttag


def _raw_attributes(tag: str) -> dict[str, str]:
    parser = _TagAttributes()
    parser.feed(tag)
    parser.close()
    return parser.attributes


def _raw_picture(tag: str, items: dict[str, MediaItem], make_element) -> str:
    """Return the raw `<img>` tag `tag` as the tree's library images are shown, if it is one."""
    attributes = _raw_attributes(tag)
    item = items.get(_file_name(attributes.get("src") or ""))
    if item is None:
        return tag
    # The same building as in the tree, on a small tree of its own, then written back as HTML.
    # Elements made by the tree's own factory (`make_element`): Markdown parses no XML.
    holder = make_element("div", {})
    img = make_element("img", attributes)
    holder.append(img)
    _replace_with_picture(holder, img, picture_of(item, alt=attributes.get("alt") or None))
    return "".join(to_html_string(child) for child in holder)


def _replace_with_picture(parent, img, picture: Picture) -> None:
    attributes = {
        "src": picture.src,
        "width": str(picture.width),
        "height": str(picture.height),
        "loading": "lazy",
        "decoding": "async",
        "alt": picture.alt,
    }
    if img.get("title"):
        attributes["title"] = img.get("title")
    if not picture.webp_srcset:
        img.attrib.clear()
        img.attrib.update(attributes)
        return
    # Elements made by the tree's own factory: Markdown builds nothing else, and parses no XML.
    element = img.makeelement("picture", {})
    element.append(
        img.makeelement(
            "source",
            {"type": "image/webp", "srcset": picture.webp_srcset, "sizes": picture.sizes},
        )
    )
    element.append(
        img.makeelement(
            "img", {**attributes, "srcset": picture.fallback_srcset, "sizes": picture.sizes}
        )
    )
    element.tail = img.tail
    index = list(parent).index(img)
    parent.remove(img)
    parent.insert(index, element)


def _file_name(src: str) -> str:
    """Return the storage name of a library address (`/media/library/…`, the site's absolute
    one, or the storage's own), else ""."""
    for prefix in _library_prefixes():
        if src.startswith(prefix):
            return src.removeprefix(prefix).split("?", 1)[0]
    return ""


def _library_prefixes() -> list[str]:
    prefixes = [settings.MEDIA_URL, settings.SITE_URL + settings.MEDIA_URL]
    # With S3, files have the bucket's (or its custom domain's) address.
    storage_root = default_storage.url("library/").removesuffix("library/")
    if storage_root.startswith(("http://", "https://")):
        prefixes.append(storage_root)
    return [prefix for prefix in prefixes if prefix]
