from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _set_up_after_migrate(sender, apps=global_apps, **kwargs):
    # Called once per migrated app, after auth has created that app's permissions; syncing on each
    # call picks up the comments and newsletter models whichever order they arrive in. `flush`
    # (run between transactional tests) sends the signal without `apps`.
    from blog.services import EDITOR_APPS, editors_group_sync, site_sync

    if sender.label not in EDITOR_APPS:
        return
    editors_group_sync(apps=apps)
    if sender.label == "blog":
        site_sync(apps=apps)
        revisions_baseline_create()


def revisions_baseline_create():
    """Keep a first revision of every post and page that has none (written before revisions
    existed, or by code outside the admin): its first edit can then be undone."""
    from django.core.management import call_command

    call_command(
        "createinitialrevisions",
        "blog.Post",
        "blog.Page",
        comment="Initial version.",
        verbosity=0,
    )


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = _("Blog")

    def ready(self):
        post_migrate.connect(_set_up_after_migrate, dispatch_uid="blog.set_up_after_migrate")
        # In every process, web and Celery workers alike: the site's Celery app, made current so
        # that `.delay()` reaches Redis rather than Celery's default broker; and the page cache's
        # receivers, since a comment approved by a worker must refresh the pages that show it.
        import config.celery_app  # noqa: F401
        from blog import pagecache  # noqa: F401
