"""Real server processes on loopback, started by the fault tests and by the benchmark.

Each launcher owns what it starts, in its own process group: a private Redis, a private PostgreSQL
cluster, the site under gunicorn, a Celery worker, or one of the stand-ins of tests.support run as
its own process. A test can stop or kill them without touching the PostgreSQL and Redis that other
runs share.
"""

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import psycopg
import redis
from celery import Celery

from tests.support.network import free_port, port_open
from tests.support.waiting import wait_until

BASE_DIR = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
POSTGRES_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
SITE_SETTINGS = "tests.faults.settings"


class Process:
    """A command in its own process group, its output in a log file."""

    def __init__(self, name: str, command: list[str], *, env: dict, log_dir: Path, user=None):
        self.name, self.command, self.env, self.user = name, command, env, user
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Process":
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603 (our own command lines)
            self.command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=self.user,
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.popen.pid, signum)
        except ProcessLookupError:
            pass

    def stop(self, *, timeout: float = 20) -> None:
        """Ask the process group to finish (SIGTERM), then kill what is left."""
        if not self.running:
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        # Children (gunicorn's or Celery's workers) must not outlive their parent.
        self.signal_group(signal.SIGKILL)

    def kill(self) -> None:
        """Kill the whole group at once, as the out-of-memory killer or a power cut would."""
        if self.popen is None:
            return
        self.signal_group(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class RedisServer:
    """A private redis-server that keeps nothing on disk: stopping it loses every queued task."""

    def __init__(self, work_dir: Path, port: int | None = None):
        self.work_dir = work_dir
        self.port = port or free_port()
        self.process: Process | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> "RedisServer":
        self.work_dir.mkdir(parents=True, exist_ok=True)
        command = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.work_dir),
        ]
        self.process = Process(
            f"redis-{self.port}", command, env=dict(os.environ), log_dir=self.work_dir
        )
        self.process.start()
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=0.5)
        wait_until(lambda: self._ping(client), timeout=15, what="redis-server to answer")
        return self

    @staticmethod
    def _ping(client) -> bool:
        try:
            return client.ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=10)
        wait_until(lambda: not port_open(self.port), timeout=10, what="redis-server to stop")


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary folder, with trust authentication on loopback."""

    def __init__(self, port: int | None = None):
        if POSTGRES_BIN is None:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql.")
        # Its own folder in /tmp: pytest's folders are private to the user running the tests.
        self.work_dir = Path(tempfile.mkdtemp(prefix="chezsoi-postgres-"))
        self.data_dir = self.work_dir / "data"
        self.port = port or free_port()
        # PostgreSQL refuses to run as root; as root, it runs as the packaged `postgres` user.
        self.user = "postgres" if os.geteuid() == 0 else None

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str, timeout: float = 60) -> None:
        done = subprocess.run(  # noqa: S603 (our own command lines)
            [str(POSTGRES_BIN / command[0]), *command[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            user=self.user,
            cwd=self.work_dir,
        )
        if done.returncode:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")

    def init(self) -> "PostgresCluster":
        if self.user:
            account = pwd.getpwnam(self.user)
            os.chown(self.work_dir, account.pw_uid, account.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )
        # A throwaway cluster: durability is not what these tests break.
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.work_dir}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 100\nshared_buffers = 32MB\n"
            )
        return self

    def start(self) -> "PostgresCluster":
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.work_dir / "postgres.log"),
            "-w", "-t", "30", "start",
        )  # fmt: skip
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "30", "stop")

    def remove(self) -> None:
        """Stop the cluster if it runs and delete its folder."""
        try:
            self.stop(mode="immediate")
        except RuntimeError:
            pass  # already stopped
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5)

    def create_database(self, name: str) -> str:
        with self.connect() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def site_environment(*, database_url: str, redis_url: str, static_root: Path, **extra) -> dict:
    """Return the environment of a production-configured site process (web or worker)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "AKISMET_", "COMMENTS_", "NEWSLETTER_"))
    }
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": SITE_SETTINGS,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "False",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": f"faults{secrets.token_hex(4)}",
            "FAULTS_STATIC_ROOT": str(static_root),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    environment.update({key: str(value) for key, value in extra.items()})
    return environment


def manage(environment: dict, *arguments: str, timeout: float = 300) -> str:
    """Run a manage.py command in the site's environment; return what it printed."""
    return subprocess.run(  # noqa: S603 (our own command line)
        [str(BIN / "python"), "manage.py", *arguments],
        cwd=BASE_DIR,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    ).stdout


class Site:
    """The site served by gunicorn with production settings on a free loopback port."""

    def __init__(
        self,
        environment: dict,
        log_dir: Path,
        *,
        workers: int = 3,
        worker_class: str = "sync",
        name: str = "gunicorn",
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            str(BIN / "gunicorn"),
            "config.wsgi",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={workers}",
            f"--worker-class={worker_class}",
            "--timeout=30",
            "--graceful-timeout=5",
            "--log-level=warning",
        ]
        self.process = Process(name, command, env=environment, log_dir=log_dir)

    def start(self) -> "Site":
        self.process.start()

        def answers():
            if not self.process.running:
                raise AssertionError(f"gunicorn exited:\n{self.process.log_tail()}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, timeout=60, what="gunicorn to answer /healthz", every=0.2)
        return self

    def stop(self) -> None:
        self.process.stop()


class Worker:
    """A Celery worker (prefork, as in production) in its own process group."""

    def __init__(
        self,
        environment: dict,
        log_dir: Path,
        *,
        concurrency: int = 2,
        name: str = "worker",
        loglevel: str = "WARNING",
        queue: str | None = None,
    ):
        self.name = name
        self.node = f"{name}-{secrets.token_hex(3)}@chezsoi"
        command = [
            str(BIN / "celery"),
            "-A",
            "config.celery_app",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "-n",
            self.node,
            "--without-mingle",
            "--without-gossip",
            f"--loglevel={loglevel}",
            *(["--queues", queue] if queue else []),
        ]
        self.process = Process(name, command, env=environment, log_dir=log_dir)
        self.control = control_app(environment["REDIS_URL"])

    def start(self) -> "Worker":
        self.process.start()
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        def ready():
            if not self.process.running:
                raise AssertionError(f"the worker exited:\n{self.process.log_tail()}")
            try:
                return self.control.control.ping(destination=[self.node], timeout=0.5)
            except Exception:  # the broker may still be coming back
                return False

        wait_until(ready, timeout=timeout, what=f"worker {self.node} to answer a ping", every=0.3)

    def stop(self) -> None:
        self.process.stop(timeout=30)

    def kill(self) -> None:
        self.process.kill()

    def supervise(self) -> bool:
        """Start the worker again if it exited, as systemd's Restart=always does; say if it had to."""
        if self.process.running:
            return False
        self.process.start()
        return True

    def children(self) -> list[int]:
        """Return the pids of the pool's processes, the ones that run tasks."""
        output = subprocess.run(  # noqa: S603
            ["pgrep", "-P", str(self.process.popen.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in output.split()]


def control_app(redis_url: str) -> Celery:
    """Return a Celery client on the private broker, to send tasks and pings to its workers."""
    app = Celery("faults-control", broker=redis_url, set_as_current=False)
    app.conf.broker_connection_retry_on_startup = False
    app.conf.task_default_queue = "celery"
    return app


class StandIn:
    """A stand-in of tests.support (`smtp`, `akismet`) in its own process, asked for its count."""

    def __init__(self, module: str, *arguments: str):
        self.module = module
        self.process = subprocess.Popen(  # noqa: S603 (our own command line)
            [sys.executable, "-m", f"tests.support.{module}", *arguments],
            cwd=BASE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.process.stdout.readline().strip() != "ready":
            self.process.kill()
            raise RuntimeError(f"tests.support.{module} did not start")

    @property
    def pid(self) -> int:
        return self.process.pid

    def count(self) -> int:
        """Return how many messages (SMTP) or checks (Akismet) it has accepted so far."""
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "StandIn":
        return self

    def __exit__(self, *exception) -> None:
        self.stop()
