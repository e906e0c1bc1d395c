"""`python -m bench`: measure the site under load and rewrite the figures in docs/BENCHMARKS.md.

`make bench` runs it with production settings, its own database and its own Redis keys.
"""

import argparse
import os
import sys

import django


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Seed a benchmark database, serve it with gunicorn (production settings) and measure "
            "each page with wrk, without and with the page cache; send an issue and post comments "
            "through Celery workers; write docs/BENCHMARKS.md. The database and the cache prefix "
            "must both be named for the benchmark (their names contain 'bench'): the run drops "
            "the one and empties the other. Run it with `make bench`."
        ),
        epilog="Environment: BENCH_DURATION, BENCH_WORKERS, BENCH_WORKER_CLASS, "
        "BENCH_CONNECTIONS, BENCH_WARMUP, BENCH_SUBSCRIBERS, BENCH_CELERY_CONCURRENCY, "
        "BENCH_COMMENTS.",
    )
    parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    django.setup()

    from bench import BenchmarkError, run

    try:
        run.main()
    except BenchmarkError as error:
        print(f"python -m bench: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
