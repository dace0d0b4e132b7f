"""``scrm forget``: erase a customer's personal data on request."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import DbOption, console, fail, run_write_job

__all__ = ["forget"]


def forget(
    customer_id: Annotated[str | None, typer.Argument(metavar="CUSTOMER_ID",
                                                      help="The CRM customer id.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do it without asking.")] = False,
    purge: Annotated[bool, typer.Option(
        "--purge", help="Only rewrite the database file so that nothing erased stays on "
                        "disk (when an erasure could not, e.g. for lack of space).")] = False,
    db: DbOption = None,
) -> None:
    """Erase a customer's personal data (right to erasure): CRM fields, their accounts'
    handles and profiles, their post texts, and their name and words in other posts, notes,
    responses and retweets; the database file is rewritten, rejects files and caches are
    cleaned, and a sentiment model their texts trained is deleted (it says so). Anonymous
    aggregates stay, and later imports skip the person. Cannot be undone."""
    if purge:
        done = run_write_job(db, {"kind": "purge"}, "purge")
        console.print("rewrote the database file: nothing erased stays in it" if
                      done.get("compacted") else "nothing to rewrite: this store deletes "
                      "by itself (see the README on Neo4j's transaction logs)", highlight=False)
        return
    if customer_id is None:
        fail("give the CUSTOMER_ID to erase (or --purge)", code=2)
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
        f"blanked in other people's posts, {counts.get('copies_blanked', 0)} share(s) of "
        f"their words blanked, {counts.get('notes_redacted', 0)} care note(s) redacted, "
        f"{counts['purchases']} order(s) kept as anonymous amounts, "
        f"{counts.get('reject_lines_removed', 0)} rejected line(s) removed"
        + ("; the database file was rewritten without them" if counts.get("compacted") else ""),
        highlight=False)
    if counts.get("files_removed"):
        console.print("removed " + ", ".join(counts["files_removed"]) + " (caches are rebuilt "
                      "when needed; run 'scrm viz' again for an export)", highlight=False)
    if counts.get("model"):
        console.print(counts["model"], highlight=False)
