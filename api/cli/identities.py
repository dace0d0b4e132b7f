"""``scrm identities``: the links between CRM customers and social accounts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import (
    DbOption,
    console,
    fail,
    open_reader,
    pick,
    run_write_job,
    setting,
    settings_for,
)
from graph.errors import NotFoundError
from graph.model import account_key

__all__ = ["app", "link", "pending", "resolve", "show", "unlink"]

app = typer.Typer(help="Who is who: customer ↔ social account links.", no_args_is_help=True)

CustomerId = Annotated[str, typer.Argument(metavar="CUSTOMER_ID", help="The CRM customer id.")]
Account = Annotated[str, typer.Argument(metavar="PLATFORM:HANDLE",
                                        help="The social account, e.g. twitter:danarides.")]


def _no_customer(customer_id: str) -> str:
    return (f"no customer {customer_id!r}: check the id ('scrm identities pending' lists "
            "customers with candidate links) or ingest the CRM file that has it")


@app.command("show")
def show(customer_id: CustomerId, db: DbOption = None) -> None:
    """A customer's linked accounts with confidence, method and evidence."""
    with open_reader(db) as store:
        customer = store.get_customer(customer_id)
        if customer is None:
            raise NotFoundError(_no_customer(customer_id))
        links = store.linked_accounts(customer_id)
    console.print(f"{customer.customer_id} {customer.name or ''}", highlight=False)
    table = Table()
    for col in ("account", "confidence", "method", "evidence"):
        table.add_column(col)
    for link in links:
        table.add_row(f"{link.account.platform}:@{link.account.handle}",
                      f"{link.confidence:.2f}", link.method, link.evidence)
    console.print(table)


@app.command("link")
def link(customer_id: CustomerId, account: Account, db: DbOption = None) -> None:
    """Link an account to a customer by hand; manual decisions win over automatic ones."""
    if ":" not in account:
        fail("write the account as platform:handle, e.g. twitter:danarides", code=2)
    with open_reader(db) as store:
        if store.get_customer(customer_id) is None:
            raise NotFoundError(_no_customer(customer_id))
    platform, handle = account.split(":", 1)
    run_write_job(db, {"kind": "link", "link": {
        "customer_id": customer_id, "platform": platform, "handle": handle,
        "confidence": 1.0, "method": "manual", "evidence": "linked by hand"}}, "link")
    console.print(f"linked {account_key(platform, handle)} to {customer_id}", highlight=False)


@app.command("unlink")
def unlink(customer_id: CustomerId, account: Account, db: DbOption = None) -> None:
    """Remove a customer ↔ account link."""
    if ":" not in account:
        fail("write the account as platform:handle", code=2)
    key = account_key(*account.split(":", 1))
    result = run_write_job(db, {"kind": "unlink", "customer_id": customer_id,
                                "account_key": key}, "unlink")
    if not result["unlinked"]:
        fail(f"{key} was not linked to {customer_id}")
    console.print(f"unlinked {key} from {customer_id}", highlight=False)


@app.command("resolve")
def resolve(
    threshold: Annotated[float | None, setting(
        "identity_threshold",
        "Links at or above this confidence are applied; the rest wait for review.",
        "--threshold", metavar="CONFIDENCE", min=0.0, max=1.0)] = None,
    db: DbOption = None,
) -> None:
    """Find which social accounts belong to which customers (name, handle, e-mail,
    location, handle reuse across platforms)."""
    threshold = pick(threshold, settings_for(db).identity_threshold)
    result = run_write_job(db, {"kind": "identities", "params": {"threshold": threshold}},
                           "identities")
    console.print(f"{result['linked']:,} account(s) linked automatically (confidence ≥ "
                  f"{threshold}), {result['pending']:,} waiting for review "
                  "('scrm identities pending')", highlight=False)


@app.command("pending")
def pending(limit: Annotated[int, typer.Option("--limit", "-n", metavar="N", min=1,
                                              help="How many candidates to show.")] = 50,
            db: DbOption = None) -> None:
    """Candidate links below the threshold, best first; accept with 'scrm identities link',
    refuse with 'scrm identities unlink'."""
    with open_reader(db) as store:
        rows = store.pending_candidates(limit)
        customers = {r["customer_id"]: store.get_customer(r["customer_id"]) for r in rows}
    if not rows:
        console.print("nothing waiting for review")
        return
    table = Table()
    for col in ("customer", "account", "confidence", "evidence"):
        table.add_column(col)
    for r in rows:
        c = customers.get(r["customer_id"])
        table.add_row(f"{r['customer_id']} {c.name if c and c.name else ''}", r["account_key"],
                      f"{r['confidence']:.2f}", "; ".join(r["evidence"]))
    console.print(table)
