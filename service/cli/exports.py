"""`wangge export LAYER` and `wangge import LAYER FILE`: the planner's and operator's commands."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.cli.common import choices, owner_engine, owner_session, refusals
from service.domain.export_formats import CRS_CHOICES, FORMATS, LAYERS
from service.services.boundary_import import IMPORT_LAYERS
from service.settings import get_settings

if TYPE_CHECKING:
    from service.domain.principal import Principal
    from service.services.exports import ExportRequest

app = typer.Typer(help="Export and import layers")
console = Console(stderr=True)
OPERATOR_SCOPE = "all"
Layer = choices("Layer", LAYERS)
Format = choices("Format", FORMATS)
Crs = choices("Crs", CRS_CHOICES)
ImportLayer = choices("ImportLayer", IMPORT_LAYERS)


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _principal(engine: Engine | None, username: str | None):  # type: ignore[no-untyped-def]
    """The user whose jurisdiction applies, or the operator (everything)."""
    from service.db.repositories.users import principal_of, user_by_name
    from service.domain.policy import scope_for
    from service.domain.principal import Principal

    if username is None or engine is None:
        return Principal(0, "operator", "admin", None, None, None), OPERATOR_SCOPE
    with Session(engine) as s:
        user = user_by_name(s, username)
        if user is None:
            raise typer.BadParameter(f"no user {username!r}", param_hint="--user")
        principal = principal_of(user)
    scope = scope_for(principal, "export:read")
    if scope is None:
        raise typer.BadParameter(f"{username} may not export", param_hint="--user")
    return principal, scope


@app.command("export")
def export(
    layer: Layer = typer.Argument(..., help="the layer to export"),  # type: ignore[valid-type]
    fmt: Format = typer.Option("geojson", "--format", "-f", help="file format"),  # type: ignore[valid-type]
    out: Path = typer.Option(..., "--out", "-o", help="output file"),
    area: str | None = typer.Option(None, help="street (9) or community (12 digit) code"),
    bbox: str | None = typer.Option(None, help="minLon,minLat,maxLon,maxLat"),
    since: datetime | None = typer.Option(None, help="time ≥ since"),
    until: datetime | None = typer.Option(None, help="time < until"),
    status: str | None = typer.Option(None, help="comma-separated statuses"),
    crs: Crs = typer.Option("wgs84", help="wgs84, or gcj02 for Amap overlays"),  # type: ignore[valid-type]
    user: str | None = typer.Option(None, help="apply this user's jurisdiction"),
) -> None:
    """Export LAYER to --out, streaming from the database with a progress bar."""
    from service.db.repositories.export_layers import ExportFilter, export_select
    from service.db.repositories.exports import count_rows
    from service.services.exports import ExportRequest, parse_bbox, validate_request

    statuses = tuple(s for s in (status or "").split(",") if s)
    with refusals():
        flt = ExportFilter(area, parse_bbox(bbox), since, until, statuses)
        req = ExportRequest(layer=str(layer), fmt=str(fmt), crs=str(crs), flt=flt)
        validate_request(req)
    with owner_engine() as engine:
        principal, scope = _principal(engine, user)
        with Session(engine) as s:
            total = count_rows(s, export_select(req.layer, principal, scope, flt, "wkt"))
        _write_export(engine, principal, scope, req, out, total)
    console.print(f"{total} features written to {out} ({req.metadata()['crs_label']})")


def _write_export(
    engine: Engine, principal: Principal, scope: str, req: ExportRequest, out: Path, total: int
) -> None:
    """Stream a text format straight to `out`; build a file format in a scratch folder first."""
    from service.services.exports import build_export_file, stream_export

    with _bar() as bar:
        task = bar.add_task(f"{req.layer} → {out.name}", total=total)
        advance = lambda n: bar.advance(task, n)  # noqa: E731
        if req.fmt in ("geojson", "csv"):
            with out.open("wb") as fh:
                for chunk in stream_export(engine, principal, scope, req, progress=advance):
                    fh.write(chunk)
            return
        workdir = Path(tempfile.mkdtemp(prefix="wangge-export-"))
        try:
            path, _ = build_export_file(engine, principal, scope, req, workdir, progress=advance)
            shutil.move(path, out)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


@app.command("import")
def import_boundaries(
    layer: ImportLayer = typer.Argument(..., help="the boundary layer to import"),  # type: ignore[valid-type]
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="file to import"),
    apply: bool = typer.Option(False, "--apply", help="write the changes (default: dry run)"),
    report: Path | None = typer.Option(None, help="also write the report as JSON here"),
) -> None:
    """Check FILE against the boundary rules; with --apply write it in one transaction."""
    from service.errors import WanggeError
    from service.imports.archives import ArchiveLimits
    from service.services.boundary_import import run_import

    settings = get_settings()
    principal, _ = _principal(None, None)
    workdir = Path(tempfile.mkdtemp(prefix="wangge-import-"))
    try:
        with _bar() as bar, owner_session() as s:
            task = bar.add_task(f"checking {file.name}", total=None)
            result = run_import(
                s,
                str(layer),
                file,
                principal,
                OPERATOR_SCOPE,
                apply=apply,
                workdir=workdir,
                max_vertices=settings.limits.max_geometry_vertices,
                archive_limits=ArchiveLimits(
                    settings.imports.max_expanded_bytes, settings.imports.max_compression_ratio
                ),
                on_read=lambda n: bar.update(task, total=n),
                on_feature=lambda: bar.advance(task),
            )
    except WanggeError as exc:
        console.print(f"[red]{exc.message}[/red] {exc.message_zh or ''}")
        if exc.where:
            console.print_json(json.dumps(exc.where, ensure_ascii=False))
        raise typer.Exit(1) from exc
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _print_report(result, report)


def _print_report(result: dict, report: Path | None) -> None:
    counts = result["counts"]
    console.print(
        f"added {counts['added']}, changed {counts['changed']}, unchanged {counts['unchanged']},"
        f" refused {counts['refused']} — {'applied' if result['applied'] else 'dry run'}"
    )
    for f in result["features"]:
        detail = "; ".join(f.get("reasons", []) or f.get("changed", []))
        console.print(f"  {f['action']:<8} {f['code']:<18} {detail} {f.get('location') or ''}")
    for w in result.get("warnings", []):
        codes = ",".join(w["codes"]) or w["community"]
        console.print(f"  warning  {codes:<18} {w['reason']} ({w['reason_zh']}) {w['location']}")
    if report:
        report.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
