from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MovingConfig(AppConfig):
    """Moving in and out: whole sites imported from other platforms, and exported again."""

    name = "moving"
    verbose_name = _("Import and export")
