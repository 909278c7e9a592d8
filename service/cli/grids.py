"""`wangge grids ...`: generate, check and assign grid cells from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.cli.common import fail, owner_session, refusals
from service.settings import get_settings

app = typer.Typer(help="Grid cells (网格): generate, check, assign", no_args_is_help=True)


def _community_codes(session: Session, community: str | None, street: str | None) -> list[str]:
    sql = "SELECT c.code FROM community c JOIN street s ON s.id = c.street_id WHERE true"
    params: dict[str, str] = {}
    if community:
        sql += " AND c.code = :c"
        params["c"] = community
    if street:
        sql += " AND s.code = :s"
        params["s"] = street
    codes = list(session.execute(text(sql + " ORDER BY c.code"), params).scalars())
    if not codes:
        fail("no community matches")
    return codes


@app.command("generate")
def generate_command(
    community: str | None = typer.Option(None, help="community code (12 digits)"),
    street: str | None = typer.Option(None, help="every community of a street (9 digits)"),
    dry_run: bool = typer.Option(True, "--dry-run/--apply", help="propose only (default)"),
    replace: bool = typer.Option(False, help="retire existing active cells of the community"),
    output: Path | None = typer.Option(None, help="write the proposal as GeoJSON here"),
) -> None:
    """Generate the cells of a community (or a street); a dry run writes nothing."""
    from service.db.repositories import grids as repo
    from service.db.repositories.grid_apply import generate

    settings = get_settings()
    features = []
    with owner_session() as session:
        for code in _community_codes(session, community, street):
            community_row = repo.load_community(session, None, "all", code, lock=True)
            result = generate(
                session,
                community_row,
                hmin=settings.grid_households_min,
                hmax=settings.grid_households_max,
                actor_id=None,
                dry_run=dry_run,
                replace=replace,
            )
            body = result.as_dict()
            features += body["cells"]["features"]
            flagged = sum(1 for f in body["cells"]["features"] if f["properties"]["flags"])
            verb = "would create" if dry_run else "created"
            typer.echo(
                f"{code}: {verb} {len(body['created'])} cells ({flagged} flagged),"
                f" retiring {len(body['retired'])}"
            )
    if output:
        output.write_text(
            json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
        )
        typer.echo(f"proposal written to {output}")


@app.command("check")
def check_command(
    community: str | None = typer.Option(None, help="community code (12 digits)"),
    street: str | None = typer.Option(None, help="street code (9 digits)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable findings"),
) -> None:
    """Integrity report; exit status 0 only when there is no finding."""
    from service.db.repositories.grid_checks import check_grids

    settings = get_settings()
    with owner_session() as session:
        codes = _community_codes(session, community, street)
        ids = list(
            session.execute(
                text("SELECT id FROM community WHERE code = ANY(:c)"), {"c": codes}
            ).scalars()
        )
        findings = check_grids(
            session,
            ids,
            households_min=settings.grid_households_min,
            households_max=settings.grid_households_max,
        )
    if as_json:
        typer.echo(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=1))
    else:
        for f in findings:
            d = f.as_dict()
            where = d["location"]["coordinates"] if d["location"] else "-"
            typer.echo(
                f"{d['kind']:<36} {','.join(d['codes']) or d['community']:<40}"
                f" {where}  {d['reason_zh']} / {d['reason']}"
            )
        typer.echo(f"{len(findings)} finding(s) in {len(ids)} communities")
    raise typer.Exit(1 if findings else 0)


@app.command("assign")
def assign_command(
    code: str = typer.Argument(..., help="grid cell code (15 digits)"),
    worker: str = typer.Argument(..., help="username of the grid worker"),
    backup: bool = typer.Option(False, help="as a backup instead of the primary"),
    replace: bool = typer.Option(False, help="end the current primary first"),
) -> None:
    """Assign a worker to a cell (409-style refusal when it already has a primary)."""
    from service.db.repositories import grids as repo
    from service.db.repositories.grid_views import assign_worker
    from service.domain.principal import Principal

    admin = Principal(0, "cli", "admin", None, None, None)
    with refusals("refused", exit_code=1), owner_session() as session:
        cell = repo.cell_by_code(session, admin, "all", code)
        worker_id = repo.worker_for_cell(session, worker, cell.community_id)
        assign_worker(
            session,
            cell.id,
            code,
            worker_id,
            primary=not backup,
            valid_from=None,
            replace_primary=replace,
        )
    typer.echo(f"{worker} assigned to {code} as {'backup' if backup else 'primary'}")
