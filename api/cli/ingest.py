"""``scrm ingest <source> PATH...``: load social exports and CRM files into the graph."""

from __future__ import annotations

import json
import time
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

Paths = Annotated[list[str] | None, typer.Argument(
    help="Files or folders; '-' reads standard input.")]
Watch = Annotated[Path | None, typer.Option(
    "--watch", help="Keep watching this folder and ingest each new file once.")]
WatchLimit = Annotated[float | None, typer.Option(
    "--watch-seconds", help="Stop watching after this many seconds (default: until Ctrl-C).")]
Force = Annotated[bool, typer.Option("--force", help="Re-read files already in the ledger.")]
Batch = Annotated[int, typer.Option("--batch-size", envvar="SCRM_BATCH_SIZE",
                                    help="Records per transaction.")]


def run_ingest(source: str, paths: list[str] | None, db: Path | None, force: bool,
               batch_size: int, options: dict[str, Any] | None = None,
               watch: Path | None = None, watch_seconds: float | None = None) -> dict[str, Any]:
    if watch is not None:
        return watch_folder(source, watch, db, batch_size, options, watch_seconds)
    if not paths:
        fail("name at least one file or folder ('-' for standard input), or use --watch DIR",
             code=2)
    try:
        check_paths(paths, folders=source == "stackexchange")
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


def watch_folder(source: str, folder: Path, db: Path | None, batch_size: int,
                 options: dict[str, Any] | None, seconds: float | None) -> dict[str, Any]:
    """Ingest each file that appears in ``folder``, once.

    A file is taken when its size has stopped changing between two polls (so a file
    still being written is not read half-way). Exactly-once across restarts comes from
    the ingest ledger: a file whose bytes were ingested before is skipped.
    """
    if not folder.is_dir():
        fail(f"{folder}: not a folder to watch", code=2)
    settings = settings_for(db)
    deadline = time.monotonic() + seconds if seconds is not None else None
    sizes: dict[Path, int] = {}
    done: set[tuple[Path, int, float]] = set()
    files: list[dict[str, Any]] = []
    err.print(f"watching {folder} for {source} files (Ctrl-C to stop)", highlight=False)
    try:
        while deadline is None or time.monotonic() < deadline:
            ready = []
            for path in sorted(p for p in folder.iterdir()
                               if p.is_file() and not p.name.startswith(".")):
                stat = path.stat()
                ident = (path, stat.st_size, stat.st_mtime)
                if ident in done:
                    continue
                if sizes.get(path) == stat.st_size:
                    ready.append(path)
                    done.add(ident)
                sizes[path] = stat.st_size
            if ready:
                payload = {"kind": "ingest", "source": source,
                           "paths": [str(p.resolve()) for p in ready],
                           "rejects_dir": str(settings.resolved_rejects_dir().resolve()),
                           "batch_size": batch_size, "force": False, "options": options}
                result = run_write_job(db, payload, f"ingest {source}")
                print_summary(result)
                files.extend(result["files"])
            time.sleep(0.5)
    except KeyboardInterrupt:
        err.print("stopped watching", highlight=False)
    return {"files": files, "rejects": None}


def print_summary(result: dict[str, Any]) -> None:
    table = Table(title="Ingest summary", show_lines=False)
    for col in ("file", "read", "loaded", "rejected", "note"):
        table.add_column(col, justify="right" if col in ("read", "loaded", "rejected") else "left",
                         overflow="fold")
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
def twitter(paths: Paths = None, db: DbOption = None, force: Force = False,
        batch_size: Batch = 200_000, watch: Watch = None, watch_seconds: WatchLimit = None
        ) -> None:
    """Twitter/X: API v2 pages, v2 flat tweets and v1.1 statuses (detected per line)."""
    run_ingest("twitter", paths, db, force, batch_size, watch=watch, watch_seconds=watch_seconds)


@app.command("reddit")
def reddit(paths: Paths = None, db: DbOption = None, force: Force = False,
        batch_size: Batch = 200_000, watch: Watch = None, watch_seconds: WatchLimit = None
        ) -> None:
    """Reddit: comments (t1) and submissions (t3), one JSON object per line; .gz/.zst ok."""
    run_ingest("reddit", paths, db, force, batch_size, watch=watch, watch_seconds=watch_seconds)


@app.command("stackexchange")
def stackexchange(paths: Paths = None, db: DbOption = None, force: Force = False,
                  batch_size: Batch = 200_000, watch: Watch = None,
                  watch_seconds: WatchLimit = None) -> None:
    """Stack Exchange data dump folders (Posts.xml, Users.xml, Comments.xml)."""
    run_ingest("stackexchange", paths, db, force, batch_size, watch=watch,
               watch_seconds=watch_seconds)


@app.command("generic")
def generic(paths: Paths = None, db: DbOption = None, force: Force = False,
            batch_size: Batch = 200_000, watch: Watch = None,
            watch_seconds: WatchLimit = None) -> None:
    """Any other channel, one interaction per line (see docs/ingest.md)."""
    run_ingest("generic", paths, db, force, batch_size, watch=watch,
               watch_seconds=watch_seconds)


@app.command("crm")
def crm(paths: Paths = None, db: DbOption = None, force: Force = False,
        batch_size: Batch = 200_000, watch: Watch = None, watch_seconds: WatchLimit = None,
        preset: Annotated[str | None, typer.Option(
            help="Column names of a known export: hubspot | salesforce.")] = None,
        mapping: Annotated[Path | None, typer.Option(
            help="A JSON file mapping scrm fields to your column names, e.g. "
                 '{"customer_id": "Contact ID", "twitter": "Twitter Handle"}.')] = None,
        ) -> None:
    """CRM contacts CSV: customer_id (required), name, email, twitter, reddit,
    lifetime_value, nps, signup_date (columns mapped by --preset or --mapping)."""
    run_ingest("crm", paths, db, force, batch_size, watch=watch, watch_seconds=watch_seconds,
               options=_mapping_options(preset, mapping))


def _mapping_options(preset: str | None, mapping: Path | None) -> dict[str, Any] | None:
    from ingest.crm import PRESETS

    columns: dict[str, str] = {}
    if preset:
        if preset.lower() not in PRESETS:
            fail(f"unknown preset {preset!r}; known: {', '.join(sorted(PRESETS))}", code=2)
        columns.update(PRESETS[preset.lower()])
    if mapping:
        try:
            loaded = json.loads(mapping.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            fail(f"{mapping}: cannot read the column mapping: {exc}", code=2)
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            fail(f"{mapping}: expected a JSON object of field → column name", code=2)
        columns.update(loaded)
    return {"mapping": columns} if columns else None


@app.command("orders")
def orders(paths: Paths = None, db: DbOption = None, force: Force = False,
        batch_size: Batch = 200_000, watch: Watch = None, watch_seconds: WatchLimit = None
        ) -> None:
    """Orders CSV: customer_id, order_id, amount, date (feeds customer value)."""
    run_ingest("orders", paths, db, force, batch_size, watch=watch, watch_seconds=watch_seconds)
