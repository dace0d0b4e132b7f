"""``scrm info`` and ``scrm brand``: what is in the store, and who the brand is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.analyze import _exists
from api.cli.common import DbOption, console, fail, open_for, run_write_job
from graph.model import account_key

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("info")(info)
    app.command("brand")(brand)


def info(db: DbOption = None) -> None:
    """Which store is in use, what it holds, and the latest analysis run."""
    with open_for(db, read_only=_exists(db)) as store:
        counts = store.counts()
        run = store.latest_run()
        settings = store.get_settings()
    console.print(f"store: [b]{store.backend}[/] at {store.location}", highlight=False)
    table = Table(show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    for k, v in counts.items():
        table.add_row(k, f"{v:,}")
    console.print(table)
    if settings.get("brand.name"):
        console.print(f"brand: {settings['brand.name']}", highlight=False)
    if run:
        console.print(f"latest run: {run.run_id} finished {run.finished_at:%Y-%m-%d %H:%M:%S} "
                      f"UTC", highlight=False)
    else:
        console.print("no analysis run yet ('scrm analyze')")


def brand(
    name: Annotated[str | None, typer.Option(help="Brand name, also matched in post text.")]
    = None,
    account: Annotated[list[str] | None, typer.Option(
        help="Brand account as platform:handle (repeatable).")] = None,
    term: Annotated[list[str] | None, typer.Option(help="Extra term that names the brand.")]
    = None,
    competitor: Annotated[list[str] | None, typer.Option(help="Competitor name.")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="A brand.json with name, accounts, terms, competitors.")] = None,
    staff_domain: Annotated[list[str] | None, typer.Option(
        help="E-mail domain of the team (repeatable): their accounts are not ranked.")] = None,
    staff_account: Annotated[list[str] | None, typer.Option(
        help="A team member's account as platform:handle (repeatable).")] = None,
    db: DbOption = None,
) -> None:
    """Say who the brand is: its accounts (brand responses) and the names that address it."""
    data: dict[str, object] = {}
    if config is not None:
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            fail(f"{config}: cannot read the brand file: {exc}", code=2)
    accounts = list(account or data.get("accounts", []))  # type: ignore[call-overload]
    bad = [a for a in accounts if ":" not in a]
    if bad:
        fail(f"brand accounts must be written platform:handle, e.g. twitter:acme (got {bad[0]})",
             code=2)
    keys = [account_key(*a.split(":", 1)) for a in accounts]
    settings = {
        "brand.name": name or str(data.get("name") or ""),
        "brand.terms": json.dumps(list(term or data.get("terms", []))),  # type: ignore[call-overload]
        "brand.competitors": json.dumps(list(competitor or data.get("competitors", []))),  # type: ignore[call-overload]
        "brand.staff_domains": json.dumps(list(staff_domain or data.get("staff_domains", []))),  # type: ignore[call-overload]
        "brand.staff_accounts": json.dumps([account_key(*a.split(":", 1)) for a in (
            staff_account or data.get("staff_accounts", [])) if ":" in a]),  # type: ignore[attr-defined]
    }
    run_write_job(db, {"kind": "brand", "accounts": keys, "settings": settings}, "brand")
    console.print(f"brand {settings['brand.name']!r}: {len(keys)} account(s) marked",
                  highlight=False)
