"""CPU time spent by the app, PostgreSQL and the load generator over a run, from /proc."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces: split after its closing parenthesis
    return raw[raw.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _cpu_s(pid: int, with_reaped: bool = False) -> float:
    fields = _stat(pid)
    if fields is None:
        return 0.0
    # utime, stime (fields 14, 15); cutime, cstime (16, 17) for children already reaped
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks * TICK_S


def _tree_cpu_s(root: int, tree: dict[int, list[int]], reaped: bool) -> float:
    """CPU of a process and its live descendants (and, with `reaped`, the root's exited ones)."""
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += _cpu_s(pid, with_reaped=reaped and pid == root)
        todo += tree.get(pid, [])
    return total


def postmaster_pid() -> int | None:
    pidfile = ROOT / ".pgdata" / "data" / "postmaster.pid"
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


class CpuMeter:
    """Started at construction; `per_item(n)` is each party's CPU milliseconds per item since.

    app: the uvicorn process tree; postgres: the local cluster (live backends plus those that
    exited, through the postmaster's reaped-children counters); client: this process's reaped
    children, i.e. wrk or pgbench once they have exited (or, with `own`, this process).
    """

    def __init__(self, app_pid: int | None, own: bool = False) -> None:
        self.app_pid = app_pid
        self.own = own  # the load generator is this process (bench/http_load.py), not a child
        self.pg_pid = postmaster_pid()
        self.start = self._sample()

    def _sample(self) -> dict[str, float]:
        tree = _children()
        times = os.times()
        out = {"client": times.children_user + times.children_system}
        if self.own:
            out["client"] = times.user + times.system
        if self.pg_pid is not None:
            out["postgres"] = _tree_cpu_s(self.pg_pid, tree, reaped=True)
        if self.app_pid is not None:
            out["app"] = _tree_cpu_s(self.app_pid, tree, reaped=False)
        return out

    def per_item(self, items: int) -> dict[str, float]:
        end = self._sample()
        return {k: (end[k] - self.start[k]) * 1000 / max(items, 1) for k in end}
