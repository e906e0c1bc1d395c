"""Private servers for the fault and load tests, and the figures they report (docs/RELIABILITY.md).

Every test here starts what it breaks: its own redis-server, SMTP server, Akismet stand-in, the
site under gunicorn and a Celery worker, all with production settings. The shared PostgreSQL
holds the test database only; the PostgreSQL restart test brings its own cluster.
"""

import json
import statistics
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.akismet import API_KEY, AkismetServer
from tests.support.processes import (
    BASE_DIR,
    PostgresCluster,
    RedisServer,
    manage,
    site_environment,
)
from tests.support.smtp import SmtpServer

FIGURES: dict[str, dict] = {}
FIGURES_FILE = BASE_DIR / "var" / "faults" / "figures.json"


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("reliability figures (docs/RELIABILITY.md)")
    for test, values in FIGURES.items():
        shown = ", ".join(f"{key}={value}" for key, value in values.items())
        terminalreporter.write_line(f"{test}: {shown}")
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    FIGURES_FILE.write_text(json.dumps(FIGURES, indent=2, ensure_ascii=False) + "\n")


@pytest.fixture
def figures(request):
    """Record this test's figures; they are printed at the end of the run and kept as JSON."""

    def record(**values):
        FIGURES.setdefault(request.node.name, {}).update(values)

    return record


def latency_summary(seconds: list[float]) -> dict:
    """Return the median, 99th percentile and maximum of request times, in milliseconds."""
    if not seconds:
        return {}
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000),
        "p99_ms": round(p99 * 1000),
        "max_ms": round(ordered[-1] * 1000),
    }


@pytest.fixture(scope="session")
def faults_dir(tmp_path_factory) -> Path:
    """Return the folder holding the private servers' data and logs."""
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="session")
def static_root(faults_dir) -> Path:
    """Collect the static files once: production settings serve them through their manifest."""
    root = faults_dir / "static"
    environment = site_environment(
        database_url="postgres://unused@127.0.0.1:1/unused",
        redis_url="redis://127.0.0.1:1/0",
        static_root=root,
    )
    manage(environment, "collectstatic", "--noinput", "-v", "0")
    return root


@pytest.fixture(scope="session")
def private_postgres(static_root):
    """A PostgreSQL cluster of this run only, with the site's tables in database `chezsoi`."""
    cluster = PostgresCluster().init().start()
    database_url = cluster.create_database("chezsoi")
    manage(
        site_environment(
            database_url=database_url, redis_url="redis://127.0.0.1:1/0", static_root=static_root
        ),
        "migrate",
        "--noinput",
        "-v",
        "0",
    )
    yield cluster
    cluster.remove()


@pytest.fixture
def private_redis(faults_dir):
    """A redis-server of this test only; stop it, start it, it forgets everything."""
    server = RedisServer(faults_dir / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def mail_server():
    """A real SMTP server on loopback, reached by the site's processes through EMAIL_URL."""
    server = SmtpServer().start()
    yield server
    try:
        server.stop()
    except (AssertionError, RuntimeError):
        pass  # already stopped by the test


@pytest.fixture
def akismet():
    """The Akismet stand-in the site's processes send their checks to."""
    server = AkismetServer(timeout=1).start()
    yield server
    server.stop()


def run_database_url() -> str:
    """Return the address of this run's test database, for processes started by a test."""
    database = settings.DATABASES["default"]
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    return f"postgres://{database['USER']}@{host}:{port}/{database['NAME']}"


@pytest.fixture
def site_env(transactional_db, faults_dir, static_root, private_redis, mail_server, akismet):
    """Return a builder of the environment for gunicorn and Celery: production settings, this
    test's database, the private Redis, the local SMTP server and the Akismet stand-in."""

    def build(**overrides) -> dict:
        values = {
            "EMAIL_URL": f"smtp://127.0.0.1:{mail_server.port}",
            "EMAIL_TIMEOUT": 3,
            "AKISMET_API_KEY": API_KEY,
            "AKISMET_API_URL": akismet.url,
            "AKISMET_TIMEOUT": 1,
            "COMMENTS_CHECK_RETRIES": 3,
            "COMMENTS_CHECK_RETRY_DELAY": 0.5,
            "COMMENTS_CLIENT_IP_HEADER": "X-Real-IP",
            "COMMENTS_MIN_SECONDS": 0,
            "NEWSLETTER_RATE_PER_SECOND": 0,
            "NEWSLETTER_CONFIRMATION_REQUEUE_AFTER": 1,
            "SITE_URL": "http://127.0.0.1",
        }
        values.update(overrides)
        database_url = values.pop("DATABASE_URL", run_database_url())
        redis_url = values.pop("REDIS_URL", private_redis.url(0))
        return site_environment(
            database_url=database_url, redis_url=redis_url, static_root=static_root, **values
        )

    return build
