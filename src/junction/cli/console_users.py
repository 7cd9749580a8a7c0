"""``junction console-users``: who may sign in to the console."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from junction.cli.common import console, load_settings, print_json, run_in_transaction
from junction.clock import system_clock
from junction.console import users

app = typer.Typer(help="Manage the people who sign in to the console.", no_args_is_help=True)


@app.command()
def create(
    username: Annotated[str, typer.Option(help="What they sign in with.")],
    role: Annotated[
        str, typer.Option(help="administrator (changes anything) or viewer (looks only).")
    ] = users.ADMINISTRATOR,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a console user. The password is asked for (twice), or read from standard input."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = load_settings()
    user = run_in_transaction(
        settings,
        lambda session: users.create_user(
            session=session, username=username, password=password, role=role, now=system_clock()
        ),
    )
    console.print(f"{user.username} ({user.role}) can sign in at /console.", highlight=False)


@app.command("list")
def list_users(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Who can sign in, and their roles."""
    settings = load_settings()
    listed = run_in_transaction(settings, lambda session: users.users(session=session))
    if as_json:
        print_json([{"Username": u.username, "Role": u.role} for u in listed])
        return
    for user in listed:
        console.print(f"{user.username}  {user.role}", highlight=False)
