"""CPU time and peak memory of the processes the benchmark starts, read from /proc."""

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_stat(pid: int) -> list[str]:
    """Return the fields of /proc/<pid>/stat after the command name (state first)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_cpu(pid: int) -> float:
    """Return the CPU seconds `pid` has used so far, 0 once it has ended."""
    try:
        fields = process_stat(pid)
    except OSError:
        return 0.0
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
    """Return the CPU seconds used so far by `parent` and its children."""
    return sum(process_cpu(pid) for pid in process_tree(parent))


def peak_memory_kb(status: str) -> int:
    """Return the peak resident memory (VmHWM) in a /proc/<pid>/status text, in KiB."""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def tree_peak_memory_kb(parent: int) -> tuple[int, list[int]]:
    """Return the peak resident memory of `parent` and of each of its children, largest first."""
    peaks = []
    for pid in process_tree(parent):
        try:
            peaks.append(peak_memory_kb(Path(f"/proc/{pid}/status").read_text()))
        except OSError:
            peaks.append(0)
    return peaks[0], sorted(peaks[1:], reverse=True)
