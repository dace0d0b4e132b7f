"""``scrm users``: the workspace's people (add, list, remove, reset a password)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import DbOption, console, fail, open_for, open_reader
from api.passwords import hash_password
from graph.audit import ROLES, name_problem
from graph.errors import BusyError
from graph.store import GraphStore

__all__ = ["app"]

app = typer.Typer(help="Workspace users: who may sign in, and with which role.",
                  no_args_is_help=True)

RoleOption = Annotated[str, typer.Option(
    "--role", metavar="ROLE", help=f"One of {', '.join(ROLES)}: admins manage users; "
    "managers and agents work conversations; viewers only look.")]
StdinOption = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from standard input (first line) instead "
    "of asking for it.")]


def _role(role: str) -> str:
    if role.lower() not in ROLES:
        fail(f"unknown role {role!r}; use one of {', '.join(ROLES)}", code=2)
    return role.lower()


def _name(name: str) -> str:
    cleaned = name.strip()
    problem = name_problem(cleaned)
    if problem:
        fail(problem, code=2)
    return cleaned


@contextmanager
def _writable(db: Path | None) -> Iterator[GraphStore]:
    """The store opened for writing; while a server holds it, say where to go instead."""
    try:
        with open_for(db) as store:
            yield store
    except BusyError as exc:
        raise BusyError(f"{exc} Users can also be managed while the server runs: sign in "
                        "as an admin and open /users.") from None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The name they sign in with.")],
    role: RoleOption = "agent",
    password_stdin: StdinOption = False,
    db: DbOption = None,
) -> None:
    """Add a user who signs in to the workspace with a password."""
    who, as_role = _name(name), _role(role)
    with _writable(db) as store:
        if store.get_user(who) is not None:
            fail(f"there is already a user {who}; change them with 'scrm users reset'",
                 code=2)
        store.save_user(who, role=as_role, password_hash=hash_password(
            _password(password_stdin)))
    console.print(f"added {who} ({as_role})", highlight=False)


@app.command("list")
def list_users(db: DbOption = None) -> None:
    """List the users, one a line: name, role, active or disabled, since when (tab-separated)."""
    with open_reader(db) as store:
        users = store.users()
    if not users:
        console.print("no users yet: add one with 'scrm users add NAME --role admin'",
                      highlight=False)
        return
    for user in users:
        state = "disabled" if user["disabled"] else "active"
        created = user["created_at"].strftime("%Y-%m-%d") if user["created_at"] else "?"
        typer.echo(f"{user['name']}\t{user['role']}\t{state}\tsince {created}")


@app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The user to remove.")],
    db: DbOption = None,
) -> None:
    """Remove a user and sign them out everywhere (what they did stays in the audit log)."""
    with _writable(db) as store:
        if not store.remove_user(name.strip()):
            fail(f"no user {name.strip()}; see 'scrm users list'", code=2)
    console.print(f"removed {name.strip()}", highlight=False)


@app.command("reset")
def reset(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The user to change.")],
    role: Annotated[str | None, typer.Option(
        "--role", metavar="ROLE", help="Also give them this role.")] = None,
    password_stdin: StdinOption = False,
    enable: Annotated[bool | None, typer.Option(
        "--enable/--disable", help="Let them sign in again, or stop them.")] = None,
    keep_password: Annotated[bool, typer.Option(
        "--keep-password", help="Change only the role or enabled state.")] = False,
    db: DbOption = None,
) -> None:
    """Give a user a new password (and optionally another role); signs them out
    everywhere."""
    who = name.strip()
    with _writable(db) as store:
        user = store.get_user(who)
        if user is None:
            fail(f"no user {who}; see 'scrm users list'", code=2)
        new_hash = None if keep_password else hash_password(_password(password_stdin))
        saved = store.save_user(who, role=_role(role) if role else user["role"],
                                password_hash=new_hash,
                                disabled=None if enable is None else not enable)
        store.end_sessions(user=who)
    state = "disabled" if saved["disabled"] else "active"
    console.print(f"reset {who} ({saved['role']}, {state}); their sessions have ended",
                  highlight=False)
