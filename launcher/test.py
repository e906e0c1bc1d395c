"""`python -m launcher test`: pytest against the given, CI's, or embedded PostgreSQL and Redis."""

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from launcher.processes import BASE_DIR, Console, Stopped, StopRequest
from launcher.services import (
    EmbeddedPostgres,
    EmbeddedRedis,
    ServiceError,
    plan_services,
    service_answers,
)

DATABASE = "test"  # pytest-django creates and drops test_test beside it


def test(arguments: list[str], *, environ: dict) -> int:
    """Run pytest with `arguments`; return its exit code."""
    console = Console()
    stop_requested = StopRequest()
    plan = plan_services("test", environ, service_answers)
    servers = []
    folder = Path(tempfile.mkdtemp(prefix="chezsoi-test-services-"))
    try:
        database_url, redis_url = plan.database_url, plan.redis_url
        if database_url is None:
            postgres = EmbeddedPostgres(folder / "postgres", durable=False)
            servers.append(postgres)
            postgres.start(stop_requested, databases=[DATABASE])
            database_url = postgres.url(DATABASE)
        if redis_url is None:
            redis = EmbeddedRedis(folder / "redis", durable=False)
            servers.append(redis)
            redis.start(stop_requested)
            redis_url = redis.url(1)
        console.say(
            f"Tests on {describe(database_url, plan.database_url)} and "
            f"{describe(redis_url, plan.redis_url)}."
        )
        env = {**environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
        return pytest(arguments, env, stop_requested)
    except Stopped:
        return 130
    except ServiceError as error:
        console.say(str(error))
        return 1
    finally:
        for server in servers:
            server.request_stop()
        deadline = time.monotonic() + 5
        for server in servers:
            server.wait(deadline)
            server.kill()
        shutil.rmtree(folder, ignore_errors=True)


def describe(url: str, planned: str | None) -> str:
    return url if planned else f"{url} (embedded, stopped at the end)"


def pytest(arguments: list[str], env: dict, stop_requested: StopRequest) -> int:
    """Run pytest in our process group, so that Ctrl-C at the terminal reaches it directly."""
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        [sys.executable, "-m", "pytest", *arguments], cwd=BASE_DIR, env=env
    )
    forwarded = None
    while process.poll() is None:
        # Ctrl-C at the terminal already reached pytest; a SIGTERM sent to us alone must too.
        if stop_requested.signal not in (None, signal.SIGINT, forwarded):
            forwarded = stop_requested.signal
            process.send_signal(forwarded)
        time.sleep(0.1)
    return process.returncode
