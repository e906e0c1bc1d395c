"""Revisions of posts and pages (django-reversion): the list, a diff of the text, a restore."""

from reversion.admin import VersionAdmin


class RevisionAdmin(VersionAdmin):
    """A ModelAdmin whose every save keeps a revision."""
