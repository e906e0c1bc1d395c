from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo site `make run` serves: `manage.py load_demo` and `load_demo_newsletter`."""

    name = "demo"
    verbose_name = _("Demo content")
