"""`wangge backup FILE` / `wangge restore FILE`: pg_dump and pg_restore as the owner."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from service.cli.common import fail
from service.settings import get_settings

app = typer.Typer(help="Operations: backup and restore")

PG_BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"),)
# PostGIS belongs to the target's template (installing it needs a superuser): its comment and
# its reference table's rows (standard EPSG definitions, owned by the superuser) are not restored.
SKIPPED_TOC_KINDS = ("COMMENT - EXTENSION", "TABLE DATA public spatial_ref_sys")


class OpsError(RuntimeError):
    """A backup or restore step failed; the message carries the tool's own words."""


@dataclass(frozen=True)
class Connection:
    """libpq connection parameters taken apart from a SQLAlchemy URL (socket or TCP)."""

    host: str | None
    port: str | None
    user: str | None
    password: str | None
    dbname: str

    @classmethod
    def from_url(cls, url: str) -> Connection:
        parsed = make_url(url)
        query_host = parsed.query.get("host")
        query_port = parsed.query.get("port")
        host = parsed.host or (query_host if isinstance(query_host, str) else None)
        port = parsed.port or (query_port if isinstance(query_port, str) else None)
        if not parsed.database:
            raise OpsError(f"no database name in {parsed.render_as_string(hide_password=True)}")
        return cls(
            host=host,
            port=str(port) if port else None,
            user=parsed.username,
            password=parsed.password,
            dbname=parsed.database,
        )

    def args(self) -> list[str]:
        out: list[str] = []
        if self.host:
            out += ["--host", self.host]
        if self.port:
            out += ["--port", self.port]
        if self.user:
            out += ["--username", self.user]
        return [*out, "--no-password"]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def pg_tool(name: str) -> str:
    """Path of a PostgreSQL client program (the server's major version first)."""
    for folder in PG_BIN_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise OpsError(f"{name} not found (install postgresql-client-15)")
    return found


def _run(cmd: list[str], conn: Connection) -> str:
    done = subprocess.run(cmd, env=conn.env(), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise OpsError(f"{Path(cmd[0]).name} failed: {done.stderr.strip()}")
    return done.stdout


def backup_database(url: str, target: Path) -> int:
    """Dump the database at `url` to `target` (custom format); returns the file's size."""
    conn = Connection.from_url(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    _run(
        [
            pg_tool("pg_dump"),
            *conn.args(),
            "--format=custom",
            f"--file={partial}",
            "--dbname",
            conn.dbname,
        ],
        conn,
    )
    partial.replace(target)  # a crash mid-dump never leaves a truncated file under the real name
    return target.stat().st_size


def restore_database(source: Path, url: str, *, clean: bool = False) -> int:
    """Restore `source` into the database at `url` in one transaction; returns TOC entries used."""
    if not source.is_file():
        raise OpsError(f"no such backup file: {source}")
    conn = Connection.from_url(url)
    toc = _run([pg_tool("pg_restore"), "--list", str(source)], conn).splitlines()
    kept = [line for line in toc if not any(kind in line for kind in SKIPPED_TOC_KINDS)]
    list_file = source.with_name(source.name + ".toc")
    list_file.write_text("\n".join(kept) + "\n", encoding="utf-8")
    cmd = [
        pg_tool("pg_restore"),
        *conn.args(),
        "--dbname",
        conn.dbname,
        "--exit-on-error",
        "--single-transaction",
        "--no-owner",
        f"--use-list={list_file}",
    ]
    if clean:
        cmd += ["--clean", "--if-exists"]
    try:
        _run([*cmd, str(source)], conn)
    finally:
        list_file.unlink(missing_ok=True)
    return sum(1 for line in kept if line and not line.startswith(";"))


@app.command("backup")
def backup(
    file: Path = typer.Argument(..., help="Backup file to write (pg_dump custom format)"),
    database_url: str | None = typer.Option(None, help="Owner URL (default: from settings)"),
) -> None:
    """Back up the whole database (schema, rows, security policies) to FILE."""
    url = database_url or get_settings().database.owner_url
    try:
        size = backup_database(url, file)
    except OpsError as exc:
        fail(f"backup failed: {exc}", exit_code=1)
    typer.echo(f"backup written: {file} ({size} bytes)")


@app.command("restore")
def restore(
    file: Path = typer.Argument(..., help="Backup file made by `wangge backup`"),
    database_url: str | None = typer.Option(None, help="Owner URL (default: from settings)"),
    clean: bool = typer.Option(False, help="Drop existing objects first (restore over a database)"),
) -> None:
    """Restore FILE into the database, all or nothing (one transaction)."""
    url = database_url or get_settings().database.owner_url
    try:
        entries = restore_database(file, url, clean=clean)
    except OpsError as exc:
        fail(f"restore failed (nothing changed): {exc}", exit_code=1)
    typer.echo(f"restored {entries} objects from {file}")
