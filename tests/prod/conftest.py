"""Production tests (slow; `make prod-test`): `wangge serve` against a durable PostgreSQL.

The cluster is made by .ci/localdb.sh in a temporary directory with the installation's durable
settings (deploy/postgresql/durable.conf: fsync and synchronous_commit on), migrated and loaded
with the demo city; the worktree's own fast cluster is not touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from service.settings import PROJECT_ROOT
from tests.conftest import TestDatabase, migrate

WANGGE = Path(sys.executable).parent / "wangge"


def _localdb(base: Path, action: str) -> None:
    env = {**os.environ, "WANGGE_LOCALDB_DIR": str(base), "WANGGE_LOCALDB_DURABLE": "1"}
    subprocess.run(  # noqa: S603
        ["bash", str(PROJECT_ROOT / ".ci" / "localdb.sh"), action], env=env, check=True
    )


@pytest.fixture(scope="session")
def durable_db() -> Iterator[TestDatabase]:
    """A durable cluster with the migrated demo database `wangge`.

    Not under pytest's basetemp: run as root, the cluster belongs to the postgres account,
    which must traverse /tmp/pytest-of-root — and every pytest started meanwhile on the machine
    (other checkouts) resets that directory to 0700, so the cluster's start or stop failed now
    and then. A directory of its own in the temporary directory keeps its permissions.
    """
    if os.environ.get("WANGGE_TEST_OWNER_URL"):
        pytest.skip("production tests start their own durable cluster")
    base = Path(tempfile.mkdtemp(prefix="wangge-durable-pg-"))
    base.chmod(0o755)
    sock = base / "run"
    db = TestDatabase(
        owner_url=f"postgresql+psycopg://wangge@/wangge?host={sock}&port=5432",
        app_url=f"postgresql+psycopg://wangge_app@/wangge?host={sock}&port=5432",
    )
    try:
        _localdb(base, "start")
        with psycopg.connect(db.libpq()) as conn:
            durable = conn.execute("SELECT current_setting('fsync')").fetchone()
        assert durable == ("on",), "the cluster of the production tests must be durable"
        migrate(db.owner_url)
        from gis_data.demo_loader import DemoScale, load_demo

        load_demo(db.owner_url, scale=DemoScale.demo())
        yield db
    finally:
        _localdb(base, "stop")
        shutil.rmtree(base, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServeProcess:
    """`wangge serve` as an installation runs it (settings from the environment)."""

    def __init__(self, db: TestDatabase, tmp: Path, **settings: object) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "WANGGE_DATABASE_URL": db.app_url,
            "WANGGE_MIGRATION_DATABASE_URL": db.owner_url,
            "WANGGE_DATA_DIR": str(tmp),
            "WANGGE_BIND_PORT": str(self.port),
            "WANGGE_LOG_FORMAT": "json",
            **{f"WANGGE_{k.upper()}": str(v) for k, v in settings.items()},
        }
        self.log = tmp / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *args: str, ready_path: str = "/ready") -> None:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                [str(WANGGE), "serve", *args], env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"wangge serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}{ready_path}", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"wangge serve did not get ready: {self.log.read_text()[-2000:]}")

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
