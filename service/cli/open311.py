"""`wangge open311 create-key|revoke-key|list-keys`: API keys of Open311 clients (an external
hotline, an app), each bound to a district whose jurisdiction its filings must lie in."""

from __future__ import annotations

import typer

from service.cli.common import choices, owner_session, refusals

app = typer.Typer(help="Open311 API keys", no_args_is_help=True)
Channel = choices("Channel", ("complaint", "other"))


@app.command("create-key")
def create_key(
    name: str = typer.Argument(..., help="the client's name, e.g. 12345热线"),
    district: str = typer.Option(..., help="district code (6 digits): where it may file"),
    channel: Channel = typer.Option("complaint", help="complaint (居民投诉) or other (其他)"),  # type: ignore[valid-type,assignment]
    per_minute: int = typer.Option(60, min=1, max=100000, help="requests a minute"),
) -> None:
    """Create a key; it is printed once and only its SHA-256 is kept."""
    from service.db.repositories.open311_keys import create_key as create

    with refusals(), owner_session() as session:
        key, _ = create(
            session, name=name, district_code=district, channel=str(channel),
            per_minute=per_minute,
        )  # fmt: skip
    typer.echo(key)
    typer.echo(f"created Open311 key {name!r} for district {district} ({channel}); "
               "store it now, it is not shown again", err=True)  # fmt: skip


@app.command("revoke-key")
def revoke_key(name: str = typer.Argument(...)) -> None:
    """Revoke a key: its next request is refused (403)."""
    from service.db.repositories.open311_keys import revoke_key as revoke

    with refusals(), owner_session() as session:
        revoke(session, name)
    typer.echo(f"revoked Open311 key {name!r}")


@app.command("list-keys")
def list_keys() -> None:
    """Every key (tab-separated): name, prefix, district, channel, rate, created, revoked."""
    from service.db.repositories.open311_keys import list_keys as rows

    with owner_session() as session:
        for row in rows(session):
            typer.echo("\t".join("" if v is None else str(v) for v in row.values()))
