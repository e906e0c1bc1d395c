"""Wait for something another thread or process does."""

import time
from collections.abc import Callable


def wait_until(
    condition: Callable[[], object], *, timeout: float = 30, what: str = "a condition", every=0.1
):
    """Return `condition()` as soon as it is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
