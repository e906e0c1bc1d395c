"""The post and page editor: Markdown with a toolbar, a live preview and image uploads."""


class MarkdownEditorAdminMixin:
    """Gives a ModelAdmin with a Markdown `body` the editor (blog/static/blog/editor/)."""
