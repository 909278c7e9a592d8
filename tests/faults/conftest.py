"""Fault tests (make faults): the app as a separate uvicorn process, and control over PostgreSQL.

They stop and start the worktree's own local cluster (`.pgdata`), so they never run against a
database given through WANGGE_TEST_OWNER_URL, and never in the default `make test` run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.settings import PROJECT_ROOT
from tests.conftest import TestDatabase

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_DATA = PROJECT_ROOT / ".pgdata" / "data"
PG_LOG = PROJECT_ROOT / ".pgdata" / "postgres.log"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"


def _as_cluster_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Cluster:
    """The worktree's local PostgreSQL: crash it and bring it back."""

    def crash(self) -> None:
        """Immediate stop: no checkpoint, clients cut off (what a crash or OOM kill does)."""
        cmd = [str(PG_BIN / "pg_ctl"), "-D", str(PG_DATA), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_cluster_owner(cmd), check=True, capture_output=True)  # noqa: S603

    def start(self) -> None:
        cmd = [
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(PG_DATA),
            "-l",
            str(PG_LOG),
            "-w",
            "-t",
            "60",
            "start",
        ]
        subprocess.run(_as_cluster_owner(cmd), check=True, capture_output=True)  # noqa: S603

    def is_running(self) -> bool:
        cmd = [str(PG_BIN / "pg_ctl"), "-D", str(PG_DATA), "status"]
        return subprocess.run(_as_cluster_owner(cmd), capture_output=True).returncode == 0  # noqa: S603


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    if os.environ.get("WANGGE_TEST_OWNER_URL"):
        pytest.skip("fault tests crash the local cluster; not run against an external database")
    c = Cluster()
    yield c
    if not c.is_running():
        c.start()  # never leave the worktree without its database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppProcess:
    """The app served as `make demo` serves it (service.http_server: uvicorn with the HTTP
    limits) in its own process, configured by env."""

    def __init__(self, db: TestDatabase, tmp: Path, **settings: object) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "WANGGE_DATABASE_URL": db.app_url,
            "WANGGE_MIGRATION_DATABASE_URL": db.owner_url,
            "WANGGE_DATA_DIR": str(tmp),
            **{f"WANGGE_{k.upper()}": str(v) for k, v in settings.items()},
        }
        self.log = tmp / "uvicorn.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "service.http_server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log)  # noqa: S603
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"app did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=15)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
