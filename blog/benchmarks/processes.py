"""Processes the benchmark starts and watches: helper servers, Celery workers, CPU and memory."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from config.celery_app import app as celery_app

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_stat(pid: int) -> list[str]:
    """Return the fields of /proc/<pid>/stat after the command name (state first)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_cpu(pid: int) -> float:
    try:
        fields = process_stat(pid)
    except OSError:
        return 0.0  # the process has ended
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_tree(parent: int) -> list[int]:
    """Return `parent` and its children (gunicorn's or Celery's main process and workers)."""
    pids = [parent]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int(process_stat(int(entry.name))[1]) == parent:
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def tree_cpu(parent: int) -> float:
    return sum(process_cpu(pid) for pid in process_tree(parent))


def peak_memory_kb(status: str) -> int:
    """Return the peak resident memory (VmHWM) in a /proc/<pid>/status text, in KiB."""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class Helper:
    """A small server script run with this Python; asked for its count through its stdin."""

    def __init__(self, script: str, *arguments: str):
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, str(HERE / script), *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.process.stdout.readline().strip() != "ready":
            self.process.kill()
            raise RuntimeError(f"{script} did not start")

    @property
    def pid(self) -> int:
        return self.process.pid

    def count(self) -> int:
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def helper(script: str, *arguments: str):
    running = Helper(script, *arguments)
    try:
        yield running
    finally:
        running.stop()


@dataclass
class Worker:
    name: str
    process: subprocess.Popen

    def peak_memory_kb(self) -> tuple[int, list[int]]:
        """Return the peak resident memory of the main process and of each pool process."""
        peaks = []
        for pid in process_tree(self.process.pid):
            try:
                peaks.append(peak_memory_kb(Path(f"/proc/{pid}/status").read_text()))
            except OSError:
                peaks.append(0)
        return peaks[0], sorted(peaks[1:], reverse=True)


@contextmanager
def celery_workers(*, count: int, concurrency: int, environment: dict, log_dir: Path):
    """Start `count` Celery worker processes (prefork) and yield them once they all answer."""
    workers = []
    output = (log_dir / "celery-output.log").open("a")
    try:
        for number in range(1, count + 1):
            name = f"bench{number}@%h"
            process = subprocess.Popen(  # noqa: S603
                [
                    str(Path(sys.executable).with_name("celery")),
                    "--app=config",
                    "worker",
                    f"--hostname={name}",
                    f"--concurrency={concurrency}",
                    "--loglevel=WARNING",
                    f"--logfile={log_dir / f'celery-{number}.log'}",
                    "--without-gossip",
                    "--without-mingle",
                ],
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            workers.append(Worker(name.split("@")[0], process))
        deadline = time.monotonic() + 60
        while len(celery_app.control.ping(timeout=1.0)) < count:
            if time.monotonic() > deadline or any(w.process.poll() is not None for w in workers):
                raise RuntimeError(f"The Celery workers did not start: see {log_dir}")
        yield workers
    finally:
        for worker in workers:
            worker.process.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
        output.close()
