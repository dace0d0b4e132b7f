"""``scrm ingest <source> PATH...``: load social exports and CRM files into the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.common import DbOption, console, err, fail, run_write_job, settings_for
from ingest.errors import IngestError
from ingest.pipeline import check_paths

__all__ = ["app"]

app = typer.Typer(help="Load data into the graph. Re-running an ingest is idempotent.",
                  no_args_is_help=True)

Paths = Annotated[list[str], typer.Argument(help="Files or folders; '-' reads standard input.")]
Force = Annotated[bool, typer.Option("--force", help="Re-read files already in the ledger.")]
Batch = Annotated[int, typer.Option("--batch-size", envvar="SCRM_BATCH_SIZE",
                                    help="Records per transaction.")]


def run_ingest(source: str, paths: list[str], db: Path | None, force: bool, batch_size: int,
               options: dict[str, Any] | None = None) -> dict[str, Any]:
    try:
        check_paths(paths)
    except IngestError as exc:
        fail(str(exc), code=2)
    settings = settings_for(db)
    payload = {"kind": "ingest", "source": source, "paths": list(paths),
               "rejects_dir": str(settings.resolved_rejects_dir().resolve()),
               "batch_size": batch_size, "force": force, "options": options}
    try:
        result = run_write_job(db, payload, f"ingest {source}")
    except IngestError as exc:
        fail(str(exc), code=2)
    print_summary(result)
    return result


def print_summary(result: dict[str, Any]) -> None:
    table = Table(title="Ingest summary", show_lines=False)
    for col in ("file", "read", "loaded", "rejected", "note"):
        table.add_column(col, justify="right" if col in ("read", "loaded", "rejected") else "left")
    totals = [0, 0, 0]
    for f in result["files"]:
        note = "already ingested (use --force to re-read)" if f["skipped"] else \
            f"{f['seconds']:.1f}s"
        table.add_row(f["file"], f"{f['read']:,}", f"{f['loaded']:,}", f"{f['rejected']:,}", note)
        totals = [totals[0] + f["read"], totals[1] + f["loaded"], totals[2] + f["rejected"]]
    if len(result["files"]) > 1:
        table.add_row("[b]total[/]", *(f"{t:,}" for t in totals), "")
    console.print(table)
    if result.get("rejects"):
        err.print(f"{totals[2]:,} rejected record(s) written to {result['rejects']} "
                  "(JSON lines: source_file, line, field, reason, raw)", highlight=False)


@app.command("twitter")
def twitter(paths: Paths, db: DbOption = None, force: Force = False,
            batch_size: Batch = 50_000) -> None:
    """Twitter/X: API v2 pages, v2 flat tweets and v1.1 statuses (detected per line)."""
    run_ingest("twitter", paths, db, force, batch_size)


@app.command("reddit")
def reddit(paths: Paths, db: DbOption = None, force: Force = False,
           batch_size: Batch = 50_000) -> None:
    """Reddit: comments (t1) and submissions (t3), one JSON object per line; .gz/.zst ok."""
    run_ingest("reddit", paths, db, force, batch_size)


@app.command("crm")
def crm(paths: Paths, db: DbOption = None, force: Force = False,
        batch_size: Batch = 50_000) -> None:
    """CRM contacts CSV: customer_id (required), name, email, twitter, reddit,
    lifetime_value, nps, signup_date."""
    run_ingest("crm", paths, db, force, batch_size)


@app.command("orders")
def orders(paths: Paths, db: DbOption = None, force: Force = False,
           batch_size: Batch = 50_000) -> None:
    """Orders CSV: customer_id, order_id, amount, date (feeds customer value)."""
    run_ingest("orders", paths, db, force, batch_size)
