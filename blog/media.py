"""The media library: images uploaded by editors, checked, stripped of metadata, resized.

`MediaImages` is the Markdown extension that gives a body's library images their sizes, renditions
and lazy loading when a post or page is saved.
"""

from django.conf import settings
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor


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
        from blog.models import MediaItem

        images = [img for img in root.iter("img") if _file_name(img.get("src", ""))]
        if not images:
            return
        names = {_file_name(img.get("src")) for img in images}
        items = {item.file.name: item for item in MediaItem.objects.filter(file__in=names)}
        for img in images:
            item = items.get(_file_name(img.get("src")))
            if item is None:
                continue
            if not img.get("alt"):
                img.set("alt", item.alt_text)
            img.set("width", str(item.width))
            img.set("height", str(item.height))
            img.set("loading", "lazy")
        self.extension.items = list(items.values())


def _file_name(src: str) -> str:
    """Return the storage name of a library address (`/media/library/…`), else ""."""
    if src.startswith(settings.MEDIA_URL):
        return src.removeprefix(settings.MEDIA_URL)
    return ""
