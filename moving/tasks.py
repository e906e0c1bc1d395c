"""Celery tasks of moving: each takes ids and calls one service."""

from celery import shared_task

# A whole site with its images takes longer than the default limit, to import or to export;
# still below the broker's visibility timeout (an hour by default), so that no second worker is
# handed the same work.
SITE_TIME_LIMIT = 45 * 60


@shared_task(time_limit=SITE_TIME_LIMIT, soft_time_limit=SITE_TIME_LIMIT - 60)
def site_import(run_id: int) -> None:
    """Import a queued run's file; a second delivery of the same run does nothing."""
    from moving.services import import_run_execute

    import_run_execute(run_id=run_id)


@shared_task(time_limit=SITE_TIME_LIMIT, soft_time_limit=SITE_TIME_LIMIT - 60)
def site_export(user_id: int) -> str:
    """Write the whole site into a zip among the exports; return its file name."""
    from moving.export import site_export_run

    path = site_export_run(user_id=user_id)
    return path.name if path else ""
