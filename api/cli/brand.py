"""``scrm brand``: say who the brand is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import DbOption, console, fail, run_write_job
from graph.model import account_key

__all__ = ["brand"]


def brand(
    name: Annotated[str | None, typer.Option(
        metavar="NAME", help="Brand name, also matched in post text.")] = None,
    account: Annotated[list[str] | None, typer.Option(
        metavar="PLATFORM:HANDLE", help="Brand account as platform:handle (repeatable).")
    ] = None,
    term: Annotated[list[str] | None, typer.Option(
        metavar="TERM", help="Extra term that names the brand (repeatable).")] = None,
    competitor: Annotated[list[str] | None, typer.Option(
        metavar="NAME", help="Competitor name (repeatable).")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", metavar="FILE", help="A brand.json with name, accounts, terms, competitors.")
    ] = None,
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
    }
    run_write_job(db, {"kind": "brand", "accounts": keys, "settings": settings}, "brand")
    console.print(f"brand {settings['brand.name']!r}: {len(keys)} account(s) marked",
                  highlight=False)
