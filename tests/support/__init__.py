"""Helpers shared by the tests and the benchmark: servers on loopback, launchers, waiting."""
