"""``hashwatch user ...`` and ``hashwatch token ...``: regulator users and API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hashwatch.accounts.models import Role
from hashwatch.cli.common import (
    ActorOption,
    FormatOption,
    OutputFormat,
    console,
    emit_rows,
    open_database,
    resolve_actor,
)
from hashwatch.services import accounts as service
from hashwatch.services import api_tokens
from hashwatch.services.session_purge import purge_expired_sessions

users = typer.Typer(help="Regulator users (admin, analyst).", no_args_is_help=True)
tokens = typer.Typer(help="API tokens of reporting organizations.", no_args_is_help=True)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    value: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return value


@users.command("add")
def add_user(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="admin or analyst.")] = Role.ANALYST,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    locale: Annotated[str | None, typer.Option(help="zh or en.")] = None,
    password_stdin: PasswordStdin = False,
    actor: ActorOption = None,
) -> None:
    """Add a regulator user (the password is asked for, or read from stdin).

    Example: hashwatch user add wang --role admin --name "王芳" --locale zh
    """
    service.add_user(
        open_database(),
        username,
        _password(password_stdin),
        role=role,
        actor=resolve_actor(actor),
        display_name=name,
        locale=locale,
    )
    console.print(f"added {username} ({role.value})")


@users.command("passwd")
def passwd(
    username: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: PasswordStdin = False,
    actor: ActorOption = None,
) -> None:
    """Set a user's password (and end the user's sessions, and unlock the user).

    Example: hashwatch user passwd wang
    """
    service.set_password(
        open_database(), username, _password(password_stdin), actor=resolve_actor(actor)
    )
    console.print(f"password of {username} changed")


@users.command("list")
def list_users(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List regulator users.

    Example: hashwatch user list --format json
    """
    emit_rows(service.list_users(open_database()), fmt)


@users.command("purge-sessions")
def purge_sessions(actor: ActorOption = None) -> None:
    """Delete expired browser sessions and stale failed-login counters (audited).

    Each sign-in does this on the side; run it from cron to keep the tables small.

    Example: hashwatch user purge-sessions
    """
    purged = purge_expired_sessions(open_database(), actor=resolve_actor(actor))
    console.print(
        f"purged {purged.sessions} expired sessions and "
        f"{purged.login_failures} stale failed-login counters"
    )


@tokens.command("create")
def create_token(
    organization: Annotated[str, typer.Option(help="The organization's USCC.")],
    name: Annotated[str, typer.Option(help="What the token is for.")],
    actor: ActorOption = None,
) -> None:
    """Create an API token for an organization; it is shown once, store it safely.

    Example: hashwatch token create --organization 91110000MA01TEST0X --name "NOC uploads"
    """
    secret, summary = api_tokens.create_api_token(
        open_database(), organization, name, actor=resolve_actor(actor)
    )
    console.print(f"token {summary['id']} for {organization} (shown once):")
    typer.echo(secret)


@tokens.command("revoke")
def revoke_token(
    token_id: Annotated[int, typer.Argument(help="The token's id (see `token list`).")],
    actor: ActorOption = None,
) -> None:
    """Revoke an API token; it stops working at once.

    Example: hashwatch token revoke 3
    """
    api_tokens.revoke_api_token(open_database(), token_id, actor=resolve_actor(actor))
    console.print(f"token {token_id} revoked")


@tokens.command("list")
def list_tokens(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List API tokens (never their secrets).

    Example: hashwatch token list
    """
    emit_rows(api_tokens.list_api_tokens(open_database()), fmt)
