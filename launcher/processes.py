"""Child processes in sessions of their own, their output shown under their name; the stop request."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


class Stopped(Exception):
    """Ctrl-C or SIGTERM arrived while something was starting."""


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    """Say whether something accepts connections on `host`:`port`."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class StopRequest:
    """Ctrl-C, SIGTERM or SIGHUP, remembered rather than raised, so that stopping is done in order.

    The handler only sets a flag: raising in the middle of a Popen or a lock would leave a child
    nobody knows about, and waiting on a threading.Event from a handler can deadlock.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self):
        self.signal: int | None = None
        for signum in self.SIGNALS:
            signal.signal(signum, self._remember)

    def _remember(self, signum, frame) -> None:
        self.signal = signum

    def __call__(self) -> bool:
        return self.signal is not None

    def sleep(self, seconds: float) -> None:
        """Sleep `seconds`, or until a stop is requested."""
        deadline = time.monotonic() + seconds
        while not self() and time.monotonic() < deadline:
            time.sleep(min(0.1, max(deadline - time.monotonic(), 0)))


class Console:
    """Our own lines, and the children's under their name until stopping begins."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.lock = threading.Lock()
        self.hushed = False

    def say(self, text: str) -> None:
        with self.lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def child_line(self, name: str, line: str) -> None:
        # Once stopping begins, what the children print (Celery's "Warm shutdown" from each
        # process, the reloader's goodbyes) is noise: the launcher says what it stopped.
        if self.hushed:
            return
        with self.lock:
            self.stream.write(f"{name:>6} | {line}\n" if name else f"{line}\n")
            self.stream.flush()

    def hush(self) -> None:
        self.hushed = True


class Child:
    """A command in a session of its own, so that Ctrl-C reaches it only through us."""

    def __init__(
        self, name: str, command: list[str], *, env: dict, console: Console, group_stop=False
    ):
        self.name, self.command, self.env, self.console = name, command, env, console
        # True: SIGTERM to the whole group (runserver's reloader and its server). False: to the
        # leader only, which stops its own children (Celery's pool must not get it first).
        self.group_stop = group_stop
        self.popen: subprocess.Popen | None = None
        self.started_at = 0.0

    def start(self) -> "Child":
        self.popen = subprocess.Popen(  # noqa: S603 (our own command lines)
            self.command,
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started_at = time.monotonic()
        threading.Thread(target=self._show, args=(self.popen.stdout,), daemon=True).start()
        return self

    def _show(self, stream) -> None:
        with stream:
            for raw in stream:
                self.console.child_line(self.name, raw.decode(errors="replace").rstrip())

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def request_stop(self) -> None:
        if not self.running:
            return
        try:
            if self.group_stop:
                os.killpg(self.popen.pid, signal.SIGTERM)
            else:
                self.popen.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass

    def wait(self, deadline: float) -> bool:
        """Wait until the command has exited or `deadline` (monotonic) has passed; say if it exited."""
        return wait_for_exit(self.popen, deadline)

    def kill(self) -> None:
        """Kill whatever is left of the group (a pool process, a reloader's child)."""
        kill_group(self.popen)


def wait_for_exit(popen: subprocess.Popen | None, deadline: float) -> bool:
    """Wait until `popen` has exited or `deadline` (monotonic) has passed; say if it exited."""
    if popen is None:
        return True
    try:
        popen.wait(timeout=max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        return False
    return True


def kill_group(popen: subprocess.Popen | None) -> None:
    """Kill `popen`'s process group, whatever is left of it, and reap it."""
    if popen is None:
        return
    try:
        os.killpg(popen.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    popen.wait()


def run_step(child: Child, stop_requested: StopRequest) -> int:
    """Run `child` to its end, or stop it when asked (then raise Stopped); return its exit code."""
    child.start()
    while child.running:
        if stop_requested():
            child.request_stop()
            if not child.wait(time.monotonic() + 5):
                child.kill()
            child.kill()
            raise Stopped
        time.sleep(0.1)
    child.kill()
    return child.returncode
