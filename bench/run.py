"""Measure the site under load on loopback and write the figures to docs/BENCHMARKS.md."""

import importlib.metadata
import os
import platform
import re
import resource
import shutil
import string
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import django
import psycopg
import redis
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from bench import BenchmarkError, commenting, seed, sending
from bench.cpu import process_cpu, process_tree
from blog.models import Post
from tests.support import akismet
from tests.support.network import free_port
from tests.support.processes import Site, StandIn, Worker

REPORT = settings.BASE_DIR / "docs" / "BENCHMARKS.md"
REPORT_START = "<!-- bench:start -->"
REPORT_END = "<!-- bench:end -->"
LOG_DIR = settings.BASE_DIR / "var" / "bench"
# Sync workers, two per core: a request is mostly Python holding one core, briefly waiting on
# PostgreSQL or Redis; docs/BENCHMARKS.md has the measurements behind this choice.
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1))))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
DURATION = int(os.environ.get("BENCH_DURATION", "20"))
WARM_UP = int(os.environ.get("BENCH_WARMUP", str(min(3, DURATION))))
READER_CSRF_SECRET = get_random_string(32, allowed_chars=string.ascii_letters + string.digits)
SMALL_SITE_POSTS = 10
WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
TO_MILLISECONDS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "10000"))
# The fan-out target is stated at this size; measured alone (no sending) in every run.
FAN_OUT_SUBSCRIBERS = 100_000
CELERY_WORKERS = 2
# Each worker process with two pool processes, as the README's deployment runs it.
CELERY_CONCURRENCY = int(os.environ.get("BENCH_CELERY_CONCURRENCY", "2"))
COMMENTS = int(os.environ.get("BENCH_COMMENTS", str(50 * DURATION)))
AKISMET_DELAY = 0.3


@dataclass
class Page:
    label: str
    path: str
    load: bool = True  # measured under load; otherwise only its queries are counted
    ceiling: bool = False  # a trivial page the others are compared to
    # Asked again with the validator of an earlier answer (If-None-Match): the 304 path, which
    # exists with the page cache on only.
    revalidated: bool = False


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    # CPU milliseconds per request, by process: gunicorn, PostgreSQL, Redis, wrk.
    cpu_ms: dict[str, float] = field(default_factory=dict)

    @property
    def ceiling(self) -> float:
        """Return the rate the machine's cores could serve if nothing else ran on them."""
        spent = sum(self.cpu_ms.values())
        return (os.cpu_count() or 1) * 1000 / spent if spent else 0.0


def main():
    """Seed the benchmark's database, measure every page and the sending, write the report."""
    environment_check()
    conditions = machine()
    started = time.monotonic()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    try:
        step("Creating the database")
        database_recreate()
        call_command("migrate", interactive=False, verbosity=0)
        step("Seeding 1,000 posts and their comments")
        print(seed.seed(), flush=True)
        # Planner statistics, as autovacuum would have gathered on a site that grew slowly.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        call_command("collectstatic", interactive=False, verbosity=0)
        cache_clear()
        pages = pages_measured()
        step("Counting SQL queries per page")
        queries = count_queries(pages)
        loads = {}
        for cached in (False, True):
            step(f"Load, page cache {'on' if cached else 'off'}")
            loads[cached] = measure_pages(pages, cached=cached)
        mail_and_comments = measure_sending_and_commenting()
    finally:
        cache_clear()
        sending.broker_clear()
        connection.close()
        database_drop()
    report = render_report(
        pages,
        queries,
        loads,
        conditions,
        minutes=(time.monotonic() - started) / 60,
        mail_and_comments=mail_and_comments,
    )
    print("\n" + report, flush=True)
    report_write(report)
    step(f"Written to {REPORT.relative_to(settings.BASE_DIR)}")


def step(text: str):
    print(f"== {text}", flush=True)


def names_check(*, database: str, cache_prefix: str):
    """Refuse a database or cache prefix whose name does not say it belongs to the benchmark."""
    # The run drops its database and empties its cache keys: never let it near real ones.
    if "bench" not in database or "bench" not in cache_prefix:
        raise BenchmarkError(
            f"Refusing to run on database {database!r} with cache prefix {cache_prefix!r}: both "
            "names must contain 'bench' (make bench sets them)."
        )


def environment_check():
    names_check(
        database=settings.DATABASES["default"]["NAME"],
        cache_prefix=settings.CACHES["default"].get("KEY_PREFIX", ""),
    )
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        raise BenchmarkError("The benchmark needs REDIS_URL: the page cache lives in Redis.")
    if not shutil.which("wrk"):
        raise BenchmarkError("wrk is missing: apt-get install wrk (make bench does it as root).")


def pages_measured() -> list[Page]:
    def post(slug):
        return reverse("blog:post", kwargs={"slug": slug})

    return [
        Page("home", reverse("blog:home")),
        Page("tag", reverse("blog:tag", kwargs={"slug": seed.BUSY_TAG_SLUG})),
        Page("post, 0 comments", post(seed.NO_COMMENTS_SLUG), load=False),
        Page("post, 50 comments", post(seed.FEW_COMMENTS_SLUG)),
        Page("post, 500 comments", post(seed.MANY_COMMENTS_SLUG)),
        Page("post, 50 comments, 304", post(seed.FEW_COMMENTS_SLUG), revalidated=True),
        Page("RSS feed", reverse("blog:feed_rss")),
        Page("search", f"{reverse('blog:search')}?q={seed.SEARCH_TERMS.replace(' ', '+')}"),
        Page("/healthz", reverse("healthz"), ceiling=True),
        Page("static file", staticfiles_storage.url("css/site.css"), ceiling=True),
    ]


def count_queries(pages) -> dict[str, dict[str, int]]:
    """Return each page's query count at 1,000 posts, at 10 posts, and once cached."""
    counted = [page for page in pages if not page.ceiling and not page.revalidated]
    with override_settings(PAGE_CACHE_ENABLED=False):
        queries = {"1,000 posts": queries_per_page(counted)}
    with override_settings(PAGE_CACHE_ENABLED=False), transaction.atomic():
        kept = Post.objects.filter(slug__startswith="banc-").values_list("pk", flat=True)
        tagged = Post.objects.filter(tags__slug=seed.BUSY_TAG_SLUG).exclude(pk__in=kept)
        kept = [*kept, *tagged.values_list("pk", flat=True)[: SMALL_SITE_POSTS - len(kept)]]
        Post.objects.exclude(pk__in=kept).delete()
        queries["10 posts"] = queries_per_page(counted)
        transaction.set_rollback(True)
    with override_settings(PAGE_CACHE_ENABLED=True):
        queries["cached"] = queries_per_page(counted)
    cache_clear()
    return queries


def queries_per_page(pages) -> dict[str, int]:
    reader = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for page in pages:
        # The first request fills per-process caches (the Site record, translations), as it
        # does once in each gunicorn worker: count a later one.
        reader.get(page.path)
        with CaptureQueriesContext(connection) as captured:
            response = reader.get(page.path)
        if response.status_code != 200:
            raise BenchmarkError(f"{page.path} answered {response.status_code}.")
        counts[page.label] = len(captured.captured_queries)
    return counts


def measure_pages(pages, *, cached: bool) -> dict[str, Load]:
    loads = {}
    with gunicorn(cached=cached) as (address, server_pid):
        for page in pages:
            if not page.load or (page.revalidated and not cached):
                continue
            url = address + page.path
            headers = []
            if page.revalidated:
                headers = [f"If-None-Match: {not_modified_check(url)}"]
            else:
                page_check(url, cached=cached and not page.ceiling)
            wrk(url, WARM_UP, headers=headers)
            before = cpu_sample(server_pid)
            load = wrk(url, DURATION, headers=headers)
            load.cpu_ms = cpu_spent(before, cpu_sample(server_pid), load.requests)
            loads[page.label] = load
            print(
                f"  {page.label:<20} {load.requests_per_second:8.0f} req/s, "
                f"{sum(load.cpu_ms.values()):5.2f} ms CPU per request",
                flush=True,
            )
    return loads


def measure_sending_and_commenting() -> list[str]:
    """Send an issue, push the same mail with smtplib, post comments; return the report's part."""
    step(f"Sending an issue to {SUBSCRIBERS:,} subscribers")
    sending.subscribers_seed(SUBSCRIBERS)
    sending.broker_clear()
    smtp_port, akismet_port = free_port(), free_port()
    environment = {
        **os.environ,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        # No sending limit: the benchmark measures how fast the pipeline can go.
        "NEWSLETTER_RATE_PER_SECOND": "0",
        "AKISMET_API_KEY": akismet.API_KEY,
        "AKISMET_API_URL": f"http://127.0.0.1:{akismet_port}",
        # Every POST comes from 127.0.0.1 at once: no per-address limit, no minimum time.
        "COMMENTS_RATE_LIMIT": "0",
        "COMMENTS_MIN_SECONDS": "0",
    }
    with ExitStack() as running:
        # Each stand-in in its own process, so that its CPU is counted apart from the driver's.
        sink = running.enter_context(StandIn("smtp", str(smtp_port)))
        akismet_stand_in = running.enter_context(
            StandIn("akismet", str(akismet_port), str(AKISMET_DELAY))
        )
        workers = running.enter_context(celery_workers(environment=environment))
        pipeline = sending.pipeline_run(
            subscribers=SUBSCRIBERS, sink=sink, workers=workers, timeout=120 + SUBSCRIBERS / 20
        )
        print(f"  pipeline  {pipeline.rate:8.0f} messages/s ({pipeline.sent:,})", flush=True)
        baseline = sending.baseline_run(messages=SUBSCRIBERS, sink=sink, port=smtp_port)
        print(f"  baseline  {baseline.rate:8.0f} messages/s ({baseline.messages:,})", flush=True)
        step(f"Posting {COMMENTS:,} comments, Akismet answering in {AKISMET_DELAY} s")
        with gunicorn(cached=True, environment=environment) as (address, _server_pid):
            comments = commenting.commenting_run(
                address=address,
                post=Post.objects.get(slug=seed.NO_COMMENTS_SLUG),
                connections=CONNECTIONS,
                comments=COMMENTS,
                akismet=akismet_stand_in,
                akismet_delay=AKISMET_DELAY,
            )
        print(
            f"  {comments.rate:.0f} POSTs/s, p99 {comments.p99_ms:.1f} ms, "
            f"{comments.checked:,} of {comments.stored:,} checked",
            flush=True,
        )
    step("Fan-out alone, workers stopped")
    fan_outs = []
    for size in sorted({SUBSCRIBERS, FAN_OUT_SUBSCRIBERS}):
        fan_outs.append(sending.fan_out_run(subscribers=size))
        print(f"  {size:>7,} subscribers: {fan_outs[-1].seconds:.2f} s", flush=True)
    workers_text = (
        f"{CELERY_WORKERS} Celery worker processes (prefork, concurrency {CELERY_CONCURRENCY})"
    )
    return [
        "",
        f"Sending and commenting: {workers_text}, production settings, "
        "`NEWSLETTER_RATE_PER_SECOND=0` (no sending limit), a mail server (aiosmtpd) counting "
        "what it accepts in its own process; comments posted by "
        f"{CONNECTIONS} readers at once through gunicorn ({WORKERS} {WORKER_CLASS} workers, "
        "page cache on) with `COMMENTS_RATE_LIMIT=0` and `COMMENTS_MIN_SECONDS=0`.",
        *sending.render(pipeline, baseline, fan_outs),
        *commenting.render(comments, workers=f"checks by the same {workers_text}"),
    ]


def database_recreate():
    database = settings.DATABASES["default"]["NAME"]
    with maintenance_connection() as maintenance:
        maintenance.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        maintenance.execute(f'CREATE DATABASE "{database}"')


def database_drop():
    database = settings.DATABASES["default"]["NAME"]
    with maintenance_connection() as maintenance:
        maintenance.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def maintenance_connection():
    options = settings.DATABASES["default"]
    return psycopg.connect(
        dbname="postgres",
        host=options["HOST"] or None,
        port=options["PORT"] or None,
        user=options["USER"] or None,
        password=options["PASSWORD"] or None,
        autocommit=True,
    )


def cache_clear():
    """Delete this run's keys, and only them, from the cache's Redis database."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@contextmanager
def gunicorn(*, cached: bool, environment: dict | None = None):
    """Serve the site with gunicorn on a free loopback port; yield its address and main pid."""
    environment = {
        **(environment or os.environ),
        "PAGE_CACHE_ENABLED": str(cached),
        # One database session per worker for the whole run, so that its CPU time is all counted
        # (the default, 60 s, reconnects once a minute: no difference in speed).
        "DATABASE_CONN_MAX_AGE": "600",
    }
    site = Site(environment, LOG_DIR, workers=WORKERS, worker_class=WORKER_CLASS)
    try:
        site.start()
        yield site.url, site.process.pid
    finally:
        site.stop()


@contextmanager
def celery_workers(*, environment: dict):
    """Start the Celery worker processes (prefork) and yield them once they all answer."""
    workers = [
        Worker(environment, LOG_DIR, concurrency=CELERY_CONCURRENCY, name=f"bench{number}")
        for number in range(1, CELERY_WORKERS + 1)
    ]
    try:
        for worker in workers:
            worker.process.start()
        for worker in workers:
            worker.wait_ready()
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def page_check(url: str, *, cached: bool):
    """Fail unless `url` answers 200, from the page cache the second time when it is on."""
    for _time in range(2):
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            status, source = response.status, response.headers.get("X-Page-Cache")
    if status != 200 or (cached and source != "hit"):
        raise BenchmarkError(f"{url} answered {status}, page cache: {source}.")


def not_modified_check(url: str) -> str:
    """Return the ETag of `url`; fail unless asking again with it answers 304."""
    # The benchmark's own server on loopback, over http.
    cookie = f"{settings.CSRF_COOKIE_NAME}={READER_CSRF_SECRET}"
    first = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
    with urllib.request.urlopen(first, timeout=30) as response:  # noqa: S310
        etag = response.headers["ETag"]
    if etag is None:
        raise BenchmarkError(f"{url} sent no ETag: is the page cache on?")
    again = urllib.request.Request(  # noqa: S310
        url, headers={"Cookie": cookie, "If-None-Match": etag}
    )
    try:
        with urllib.request.urlopen(again, timeout=30) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:  # urllib raises on 304
        status = error.code
    if status != 304:
        raise BenchmarkError(f"{url} answered {status} to If-None-Match, not 304.")
    return etag


def wrk(url: str, seconds: int, *, headers=()) -> Load:
    """Load `url` with wrk for `seconds` and return what it measured."""
    output = subprocess.run(  # noqa: S603
        [
            shutil.which("wrk"),
            "--threads=1",
            f"--connections={CONNECTIONS}",
            f"--duration={seconds}s",
            "--timeout=10s",
            "--latency",
            # A reader who has been here before, as most page views are: the CSRF cookie their
            # first page set (each request without it would draw a new CSRF secret).
            f"--header=Cookie: {settings.CSRF_COOKIE_NAME}={READER_CSRF_SECRET}",
            *(f"--header={header}" for header in headers),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return wrk_parse(output)


def wrk_parse(output: str) -> Load:
    """Return the rate, median and 99th percentile latency, and errors of a `wrk --latency` run."""
    latency = {
        share: float(value) * TO_MILLISECONDS[unit]
        for share, value, unit in WRK_LATENCY.findall(output)
    }
    failures = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(failures.group(1)) if failures else 0
    errors += sum(map(int, socket_errors.groups())) if socket_errors else 0
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    return Load(rate, latency["50"], latency["99"], errors, requests)


@dataclass
class CpuSample:
    server: dict[int, float]
    postgres: dict[int, float]
    redis: float
    wrk: float


def cpu_sample(server_pid: int) -> CpuSample:
    """Return the CPU seconds used so far by the server, its database sessions, Redis and wrk."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        sessions = [pid for (pid,) in cursor.fetchall()]
    redis_cpu = redis.Redis.from_url(settings.REDIS_URL).info("cpu")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return CpuSample(
        server={pid: process_cpu(pid) for pid in process_tree(server_pid)},
        postgres={pid: process_cpu(pid) for pid in sessions},
        redis=redis_cpu["used_cpu_sys"] + redis_cpu["used_cpu_user"],
        wrk=children.ru_utime + children.ru_stime,
    )


def cpu_spent(before: CpuSample, after: CpuSample, requests: int) -> dict[str, float]:
    """Return the CPU milliseconds each part spent per request between two samples."""

    def per_request(seconds):
        return seconds * 1000 / max(requests, 1)

    def grown(start, end):
        return sum(used - start.get(pid, 0.0) for pid, used in end.items())

    return {
        "gunicorn": per_request(grown(before.server, after.server)),
        "PostgreSQL": per_request(grown(before.postgres, after.postgres)),
        # Redis's own counter: it includes any other client of that server.
        "Redis": per_request(after.redis - before.redis),
        "wrk": per_request(after.wrk - before.wrk),
    }


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    )
    return {
        "CPU": f"{os.cpu_count()} × {cpu}",
        "Memory": f"{memory_kb / 1024 / 1024:.1f} GiB",
        "System": f"{platform.system()} {platform.release()}",
        "Software": software(),
        "Load average before the run": " ".join(f"{value:.2f}" for value in os.getloadavg()),
    }


def software() -> str:
    with maintenance_connection() as maintenance:
        postgres = maintenance.execute("SHOW server_version").fetchone()[0].split()[0]
    redis_version = redis.Redis.from_url(settings.REDIS_URL).info("server")["redis_version"]
    wrk_version = subprocess.run(  # noqa: S603
        [shutil.which("wrk"), "--version"], capture_output=True, text=True, check=False
    ).stdout.split()[1]
    return (
        f"Python {platform.python_version()}, Django {django.get_version()}, gunicorn "
        f"{importlib.metadata.version('gunicorn')}, PostgreSQL {postgres}, Redis {redis_version}, "
        f"wrk {wrk_version}"
    )


def render_report(
    pages, queries, loads, conditions, *, minutes: float, mail_and_comments: list[str]
) -> str:
    lines = [
        f"Run on {timezone.localtime():%Y-%m-%d %H:%M %Z} with `make bench` "
        f"(BENCH_DURATION={DURATION}, {minutes:.1f} minutes in all).",
        "",
    ]
    lines += [f"- {name}: {value}" for name, value in conditions.items()]
    lines += [
        f"- Server: gunicorn, {WORKERS} {WORKER_CLASS} workers, production settings, PostgreSQL "
        f"and Redis on the same machine",
        f"- Load: wrk, 1 thread, {CONNECTIONS} connections, {WARM_UP} s warm-up then "
        f"{DURATION} s per page, as a returning reader (a CSRF cookie, no session)",
    ]
    for cached in (False, True):
        lines += load_table(pages, loads[cached], cached=cached)
    lines += [
        "",
        "### SQL queries per page",
        "",
        "| Page | " + " | ".join(queries) + " |",
        "|---|" + "--:|" * len(queries),
    ]
    for label in queries["1,000 posts"]:
        lines.append(
            f"| {label} | " + " | ".join(str(counts[label]) for counts in queries.values()) + " |"
        )
    lines += mail_and_comments
    return "\n".join(lines) + "\n"


def load_table(pages, loads: dict[str, Load], *, cached: bool) -> list[str]:
    healthz = loads["/healthz"]
    parts = list(healthz.cpu_ms)
    lines = [
        "",
        f"### Pages, page cache {'on' if cached else 'off'}",
        "",
        "| Page | req/s | p50 | p99 | × /healthz | CPU ms per request: "
        + " + ".join(parts)
        + " | CPU-bound ceiling, req/s | × /healthz |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for page in pages:
        if page.label not in loads:
            continue
        load = loads[page.label]
        errors = f" ({load.errors} errors)" if load.errors else ""
        spent = " + ".join(f"{load.cpu_ms[part]:.2f}" for part in parts)
        ratio = load.ceiling / healthz.ceiling if healthz.ceiling else 0
        lines.append(
            f"| {page.label} | {load.requests_per_second:,.0f}{errors} | {load.p50_ms:.1f} ms "
            f"| {load.p99_ms:.1f} ms "
            f"| {load.requests_per_second / healthz.requests_per_second:.0%} "
            f"| {spent} = {sum(load.cpu_ms.values()):.2f} | {load.ceiling:,.0f} | {ratio:.0%} |"
        )
    return lines


def report_write(report: str):
    """Replace the measured part of docs/BENCHMARKS.md, keeping the analysis around it."""
    text = (
        REPORT.read_text() if REPORT.exists() else f"# Benchmarks\n\n{REPORT_START}\n{REPORT_END}\n"
    )
    before, _, rest = text.partition(REPORT_START)
    _, _, after = rest.partition(REPORT_END)
    REPORT.write_text(f"{before}{REPORT_START}\n{report}{REPORT_END}{after}")
