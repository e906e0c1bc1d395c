"""The benchmark (`make bench`, docs/BENCHMARKS.md): a program run with `python -m bench`, not an app.

It uses the test suite's stand-ins and launchers (tests.support), so it runs from a checkout with
the test dependencies installed, never on a production server.
"""


class BenchmarkError(Exception):
    """The benchmark cannot run, or a measured page does not answer as it should."""
