"""``scrm forget``: erase a customer's personal data on request."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import DbOption, console, fail, run_write_job

__all__ = ["forget"]


def forget(
    customer_id: Annotated[str, typer.Argument(metavar="CUSTOMER_ID",
                                               help="The CRM customer id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do it without asking.")] = False,
    db: DbOption = None,
) -> None:
    """Erase a customer's personal data (right to erasure): CRM fields, their accounts'
    handles and profiles, their post texts. Anonymous aggregates stay, and later imports
    skip the person. Cannot be undone."""
    if not yes and not typer.confirm(
            f"Erase every personal detail of customer {customer_id}? This cannot be undone"):
        fail("nothing erased", code=1)
    try:
        counts = run_write_job(db, {"kind": "forget", "customer_id": customer_id}, "forget")
    except ValueError as exc:
        fail(str(exc))
    console.print(
        f"forgot {customer_id}: {counts['accounts']} account(s) made anonymous, "
        f"{counts['posts']} post text(s) erased, {counts['mentions_redacted']} mention(s) "
        f"blanked in other people's posts, {counts['purchases']} order(s) kept as anonymous "
        "amounts", highlight=False)
