"""`wangge grids ...`: generate, check and assign grid cells from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from service.cli.common import fail, owner_session, refusals
from service.domain.principal import Principal
from service.errors import WanggeError
from service.settings import get_settings

app = typer.Typer(help="Grid cells (网格): generate, check, assign", no_args_is_help=True)


OPERATOR = Principal(0, "cli", "admin", None, None, None)


def _community_ids(session: Session, community: str | None, street: str | None) -> list[int]:
    """The communities a command works on, by code order; exit 2 when none matches."""
    from service.db.repositories.grids import community_ids_in_scope

    try:
        ids = community_ids_in_scope(session, OPERATOR, "all", community=community, street=street)
    except WanggeError:
        ids = []
    if not ids:
        fail("no community matches")
    return ids


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
    from service.services.grid_edits import generate

    settings = get_settings()
    features = []
    with owner_session() as session:
        for community_id in _community_ids(session, community, street):
            code = repo.community_code_of(session, community_id)
            community_row = repo.load_community(session, None, "all", code, lock=True)
            result = generate(
                session,
                community_row,
                hmin=settings.policy.grid_households_min,
                hmax=settings.policy.grid_households_max,
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
        ids = _community_ids(session, community, street)
        findings = check_grids(
            session,
            ids,
            households_min=settings.policy.grid_households_min,
            households_max=settings.policy.grid_households_max,
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

    with refusals("refused", exit_code=1), owner_session() as session:
        cell = repo.cell_by_code(session, OPERATOR, "all", code)
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
