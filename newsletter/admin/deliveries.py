"""The deliveries' admin: every message of every issue, read-only."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from newsletter.models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every message of every issue, to find out why one failed."""

    list_display = ["issue", "subscriber", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "issue"]
    search_fields = ["subscriber__email", "message_id"]
    list_select_related = ["issue", "subscriber"]

    def has_delete_permission(self, request, obj=None):
        return False
