"""``tutor users``: local accounts, made and managed by whoever runs the server.

Passwords are read from a prompt (typed twice, never echoed) or, for scripts, from
standard input with ``--password-stdin``; never from an argument, where they would sit
in the shell history and the process list. ``tutor users import roster.csv`` creates
a class at once from a CSV with ``username,display_name,role,password`` columns.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tutor.cli.common import EXIT_PARTIAL, OPERATOR, build, emit_json
from tutor.modes.accounts.service import ROLES

_ROLE = click.Choice(ROLES)


@click.group()
def users() -> None:
    """Create and manage sign-in accounts (students, instructors, administrators)."""


@users.command()
@click.argument("username")
@click.option("--name", "display_name", default="", help="The name shown in the app (default: the username).")
@click.option("--role", type=_ROLE, default="student", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@click.option("--sso-only", is_flag=True, help="No password: the account signs in through the identity provider.")
def add(username: str, display_name: str, role: str, password_stdin: bool, sso_only: bool) -> None:
    """Create an account."""
    password = None if sso_only else _password(password_stdin)
    learner = build().accounts.add(OPERATOR, username, display_name, role, password)  # type: ignore[arg-type]
    click.echo(f"Created {learner.role} account {learner.username!r} ({learner.display_name}).")


@users.command(name="list")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json: bool) -> None:
    """Every account with its role and last sign-in."""
    accounts = build().accounts.accounts(OPERATOR)
    if as_json:
        emit_json([{"username": a.username, "display_name": a.display_name, "role": a.role, "active": a.active,
                    "last_login_at": a.last_login_at.isoformat() if a.last_login_at else None} for a in accounts])
        return
    for a in accounts:
        state = "" if a.active else "  (deactivated)"
        last = a.last_login_at.strftime("%Y-%m-%d %H:%M") if a.last_login_at else "never"
        click.echo(f"{a.username:<28} {a.role:<10} last sign-in {last}{state}")


@users.command()
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
def passwd(username: str, password_stdin: bool) -> None:
    """Set a new password for an account (and unlock it)."""
    build().accounts.set_password(OPERATOR, username, _password(password_stdin))
    click.echo(f"Password of {username!r} changed.")


@users.command()
@click.argument("username")
@click.argument("role", type=_ROLE)
def role(username: str, role: str) -> None:
    """Change an account's role."""
    learner = build().accounts.set_role(OPERATOR, username, role)  # type: ignore[arg-type]
    click.echo(f"{learner.username!r} is now {learner.role}.")


@users.command()
@click.argument("username")
@click.option("--enable", is_flag=True, help="Allow the account to sign in again.")
def disable(username: str, enable: bool) -> None:
    """Stop an account from signing in (its progress is kept)."""
    build().accounts.set_active(OPERATOR, username, enable)
    click.echo(f"{username!r} {'can sign in again' if enable else 'can no longer sign in'}.")


@users.command(name="import")
@click.argument("roster", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(roster: Path) -> None:
    """Create accounts from a CSV roster: username,display_name,role,password (header row required)."""
    result = build().accounts.import_roster(OPERATOR, roster.read_text(encoding="utf-8"))
    for username in result.created:
        click.echo(f"created {username!r}")
    for line, username, why in result.refused:
        click.secho(f"line {line}: {username!r} not created: {why}", fg="yellow", err=True)
    click.echo(f"{len(result.created)} account(s) created, {len(result.refused)} refused.")
    if result.refused:
        sys.exit(EXIT_PARTIAL)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)
