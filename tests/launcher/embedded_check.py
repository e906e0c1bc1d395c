"""Run by test_test.py through `python -m launcher test`: the suite's view of the chosen services."""

import os

from django.core.cache import cache
from django.db import connection


def test_report_the_services(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    cache.set("launcher-check", "stored")
    print(
        f"\nserver_version={version} cache={cache.get('launcher-check')}"
        f" DATABASE_URL={os.environ['DATABASE_URL']} REDIS_URL={os.environ['REDIS_URL']}"
    )
