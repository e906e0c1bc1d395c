"""Admin pieces every app may use."""

from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models.fields import BLANK_CHOICE_DASH


class ReadOnlyAdminMixin:
    """Show records for reading only: the site writes them, nobody edits them by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LabelledAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete for a foreign key, whose empty choice has a label like a plain
    select's: HTML forbids an empty `<option>` with no `label` (the Nu HTML Checker says so)."""

    def create_option(self, name, value, label, *args, **kwargs):
        option = super().create_option(name, value, label, *args, **kwargs)
        if value == "" and not label:
            option["label"] = BLANK_CHOICE_DASH[0][1]
        return option


class LabelledAutocompleteMixin:
    """Use `LabelledAutocompleteSelect` for the ModelAdmin's autocomplete foreign keys."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = LabelledAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
