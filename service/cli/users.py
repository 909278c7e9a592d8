"""`wangge users create|deactivate|list`: account administration from the operator's shell."""

from __future__ import annotations

import getpass

import typer

from service.cli.common import choices, fail, owner_session, refusals
from service.domain.principal import ROLES

app = typer.Typer(help="User accounts", no_args_is_help=True)
Role = choices("Role", ROLES)


@app.command("create")
def users_create(
    username: str = typer.Argument(...),
    role: Role = typer.Option(..., help="the user's role"),  # type: ignore[valid-type]
    district: str | None = typer.Option(None, help="district code (6 digits)"),
    street: str | None = typer.Option(None, help="street code (9 digits)"),
    community: str | None = typer.Option(None, help="community code (12 digits)"),
    department: str | None = typer.Option(None, help="department code, for role department"),
    password: str | None = typer.Option(None, help="password (asked for when omitted)"),
    display_name: str = typer.Option("", help="name shown in the UI"),
) -> None:
    """Create a user with a role and a jurisdiction."""
    from service.db.repositories.user_admin import UserSpec, create_user

    if password is None:
        password = getpass.getpass("password: ")
    spec = UserSpec(
        username=username,
        password=password,
        role=str(role),
        district_code=district,
        street_code=street,
        community_code=community,
        department_code=department,
        display_name=display_name,
    )
    with refusals(), owner_session() as session:
        user = create_user(session, spec, min_password_length=4)
        typer.echo(f"created user {user.username} ({user.role}) id={user.id}")


@app.command("deactivate")
def users_deactivate(username: str = typer.Argument(...)) -> None:
    """Deactivate a user and revoke every token and session they hold."""
    from service.db.repositories.user_admin import deactivate_user
    from service.db.repositories.users import user_by_name

    with owner_session() as session:
        user = user_by_name(session, username)
        if user is None:
            fail(f"error: no user {username!r}")
        revoked = deactivate_user(session, user)
        typer.echo(f"deactivated {username}; revoked {revoked} token(s)")


@app.command("list")
def users_list(
    include_inactive: bool = typer.Option(False, "--all", help="also list deactivated users"),
) -> None:
    """List users with role and jurisdiction codes (tab-separated)."""
    from service.db.repositories.user_admin import user_rows

    with owner_session() as session:
        for row in user_rows(session, include_inactive=include_inactive):
            typer.echo("\t".join("" if v is None else str(v) for v in row))
