"""`python -m launcher run`: the demo site, its worker and beat, on real PostgreSQL and Redis."""

import ipaddress
import sys
import time
from pathlib import Path

from launcher.processes import BASE_DIR, Child, Console, Stopped, StopRequest, port_open, run_step
from launcher.services import (
    EmbeddedPostgres,
    EmbeddedRedis,
    ServiceError,
    plan_services,
    service_answers,
)

DATABASE = "chezsoi"
# Seconds the server, worker and beat get to finish before they are killed, then the services:
# together under the 10 s a person waits after Ctrl-C.
CHILDREN_GRACE = 6
SERVICES_GRACE = 3
# A worker or beat that dies sooner than this after starting is started again after a pause
# that doubles each time (up to MAX_RESTART_DELAY), so a broken one does not spin.
STEADY_AFTER = 10
MAX_RESTART_DELAY = 30


def site_url(host: str, port: int) -> str:
    """Return the address a person types for the site served on `host`:`port`."""
    host = reachable_host(host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def reachable_host(host: str) -> str:
    """Return where to reach a server bound to `host`: loopback for "every interface"."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # a name, such as localhost
    if address.is_unspecified:
        return "127.0.0.1" if address.version == 4 else "::1"
    return host


def run(*, host: str, port: int, var_dir: Path, environ: dict) -> int:
    """Serve the demo until Ctrl-C or SIGTERM; return the exit code."""
    console = Console()
    stop_requested = StopRequest()
    servers, children = [], []
    code = 0
    try:
        env = environment(environ, host=host, port=port, var_dir=var_dir)
        env.update(services(env, var_dir, servers, stop_requested, console))
        python = [sys.executable, str(BASE_DIR / "manage.py")]
        console.say("Migrating the database and loading the demo content…")
        for arguments in (
            ["migrate", "--noinput", "-v", "0"],
            ["load_demo"],
            ["load_demo_newsletter"],
        ):
            step = Child("", [*python, *arguments], env=env, console=console)
            if run_step(step, stop_requested):
                console.say(f"`manage.py {arguments[0]}` failed: stopping.")
                return 1
        celery = [str(Path(sys.executable).parent / "celery"), "-A", "config.celery_app", "-q"]
        web = Child(
            "web",
            [*python, "runserver", f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
            env=env,
            console=console,
            group_stop=True,
        )
        worker = Child(
            "worker",
            [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "--without-mingle",
             "--without-gossip"],
            # Celery's nine-line warning about root at every start: a development container,
            # serving loopback, runs everything as root.
            env={**env, "PYTHONWARNINGS": "ignore:You're running the worker with superuser"},
            console=console,
        )  # fmt: skip
        beat = Child(
            "beat",
            [*celery, "beat", "--loglevel=WARNING", "--schedule",
             str(var_dir / "celerybeat-schedule")],
            env=env,
            console=console,
        )  # fmt: skip
        children += [web, worker, beat]
        for child in children:
            child.start()
        wait_for_web(web, host, port, stop_requested)
        console.say(
            f"Chez Soi is running on {env['SITE_URL']}/ with a task worker; emails land in "
            f"{env['SITE_URL']}/outbox/ (sign in as the owner above). Ctrl-C stops everything."
        )
        code = supervise(web, [worker, beat], servers, stop_requested, console)
    except Stopped:
        pass
    except ServiceError as error:
        console.say(str(error))
        code = 1
    finally:
        stop(children, servers, console)
    return code


def environment(environ: dict, *, host: str, port: int, var_dir: Path) -> dict:
    """Return the environment of the site's processes: the caller's, and the address we serve."""
    env = dict(environ)
    env.setdefault("SITE_URL", site_url(host, port))
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    env["PYTHONUNBUFFERED"] = "1"
    var_dir.mkdir(parents=True, exist_ok=True)
    return env


def services(env: dict, var_dir: Path, servers: list, stop_requested, console: Console) -> dict:
    """Start what DATABASE_URL and REDIS_URL do not name; return both addresses."""
    plan = plan_services("run", env, service_answers)
    database_url, redis_url = plan.database_url, plan.redis_url
    if database_url is None:
        postgres = EmbeddedPostgres(var_dir / "postgres", durable=True)
        servers.append(postgres)
        console.say(f"Starting PostgreSQL (data in {shown(postgres.folder)})…")
        postgres.start(stop_requested, databases=[DATABASE])
        database_url = postgres.url(DATABASE)
    if redis_url is None:
        redis = EmbeddedRedis(var_dir / "redis", durable=True)
        servers.append(redis)
        console.say(f"Starting Redis (data in {shown(redis.folder)})…")
        redis.start(stop_requested)
        redis_url = redis.url(0)
    console.say(f"Database: {database_url}   Redis: {redis_url}")
    return {"DATABASE_URL": database_url, "REDIS_URL": redis_url}


def shown(path: Path) -> str:
    """Return `path` relative to the checkout when it is inside it."""
    try:
        return str(path.resolve().relative_to(BASE_DIR))
    except ValueError:
        return str(path)


def wait_for_web(web: Child, host: str, port: int, stop_requested) -> None:
    deadline = time.monotonic() + 120
    while not port_open(reachable_host(host), port):
        if stop_requested():
            raise Stopped
        if not web.running or time.monotonic() > deadline:
            raise ServiceError(f"The web server did not start on {host}:{port}.")
        time.sleep(0.2)


def supervise(web: Child, tasks: list[Child], servers: list, stop_requested, console) -> int:
    """Start the worker or beat again when one exits, until a stop is requested; return the code."""
    failures = {child.name: 0 for child in tasks}
    restart_at: dict[str, float] = {}
    while not stop_requested():
        if not web.running:
            console.say(f"The web server exited (code {web.returncode}): stopping.")
            return web.returncode or 1
        for server in servers:
            if not server.running:
                console.say(f"{server.name} exited:\n{server.log_tail()}\nStopping.")
                return 1
        for child in tasks:
            if child.running:
                continue
            now = time.monotonic()
            if child.name not in restart_at:
                quick = now - child.started_at < STEADY_AFTER
                failures[child.name] = failures[child.name] + 1 if quick else 0
                delay = min(2 ** failures[child.name] - 1, MAX_RESTART_DELAY)
                restart_at[child.name] = now + delay
                console.say(
                    f"The {child.name} exited (code {child.returncode}): starting it again"
                    + (f" in {delay} s." if delay else ".")
                )
            if now >= restart_at[child.name]:
                del restart_at[child.name]
                child.kill()  # what is left of its group
                child.start()
        stop_requested.sleep(0.5)
    return 0


def stop(children: list[Child], servers: list, console: Console) -> None:
    """Stop the site's processes, then the services; kill what does not stop in time."""
    console.hush()
    running = [child for child in children if child.running]
    names = [child.name for child in running] + [s.name for s in servers if s.running]
    if names:
        console.say(f"Stopping {', '.join(names)}…")
    stopping = time.monotonic()
    killed = []
    for child in running:
        child.request_stop()
    deadline = stopping + CHILDREN_GRACE
    for child in running:
        if not child.wait(deadline):
            killed.append(child.name)
    for child in children:
        child.kill()
    for server in servers:
        server.request_stop()
    deadline = time.monotonic() + SERVICES_GRACE
    for server in servers:
        if not server.wait(deadline):
            killed.append(server.name)
        server.kill()
    if names:
        detail = f" ({', '.join(killed)} killed after waiting)" if killed else ""
        console.say(f"Stopped in {time.monotonic() - stopping:.1f} s{detail}.")
