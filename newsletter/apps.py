from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = _("Newsletter")

    def ready(self):
        from anymail.signals import tracking

        from blog.signals import post_went_live
        from newsletter import checks  # noqa: F401 - registers the deployment checks
        from newsletter.receivers import on_post_went_live, on_tracking_event

        tracking.connect(on_tracking_event, dispatch_uid="newsletter.on_tracking_event")
        post_went_live.connect(on_post_went_live, dispatch_uid="newsletter.on_post_went_live")
