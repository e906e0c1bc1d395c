"""Celery task of the admin's export: the zip of a large site takes minutes to write."""

from celery import shared_task

# As the import's: longer than the default limit, still below the broker's visibility timeout
# (an hour by default), so that no second worker writes the same export.
EXPORT_TIME_LIMIT = 45 * 60


@shared_task(time_limit=EXPORT_TIME_LIMIT, soft_time_limit=EXPORT_TIME_LIMIT - 60)
def site_export(user_id: int) -> str:
    """Write the whole site into a zip among the exports; return its file name."""
    from moving.export import site_export_run

    path = site_export_run(user_id=user_id)
    return path.name if path else ""
