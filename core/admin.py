"""Admin pieces every app may use."""


class ReadOnlyAdminMixin:
    """Show records for reading only: the site writes them, nobody edits them by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
