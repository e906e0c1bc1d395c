"""The author of a post or page: the editor writing it by default, picked among the staff."""

from django.contrib.auth import get_user_model


class StaffAuthorAdminMixin:
    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "author":
            # Authors are the site's staff, not every reader who signed up to comment.
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
