"""``scrm ingest <source> PATH...``: load social exports and CRM files into the graph.

One command per source of the registry (:data:`ingest.sources.SOURCES`): adding a source
there adds its command here, with the source's description as its help.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.common import DbOption, console, err, fail, pick, run_write_job, setting, settings_for
from graph.errors import UserError
from ingest.errors import IngestError
from ingest.pipeline import check_paths
from ingest.sources import SOURCES, Source

__all__ = ["app", "print_summary", "run_ingest"]

app = typer.Typer(help="Load data into the graph. Re-running an ingest is idempotent.",
                  no_args_is_help=True)

Paths = Annotated[list[str] | None, typer.Argument(
    metavar="PATH", help="Files or folders; '-' reads standard input.")]
Watch = Annotated[Path | None, typer.Option(
    "--watch", metavar="DIR", help="Keep watching this folder and ingest each new file once.")]
WatchLimit = Annotated[float | None, typer.Option(
    "--watch-seconds", metavar="SECONDS",
    help="Stop watching after this many seconds (default: until Ctrl-C).")]
Force = Annotated[bool, typer.Option("--force", help="Re-read files already in the ledger.")]
Batch = Annotated[int | None, setting("batch_size", "Records per transaction.", "--batch-size",
                                      metavar="N", min=1)]
Preset = Annotated[str | None, typer.Option(
    metavar="NAME", help="Column names of a known export: hubspot | salesforce.")]
Mapping = Annotated[Path | None, typer.Option(
    metavar="FILE", help="A JSON file mapping scrm fields to your column names, e.g. "
    '{"customer_id": "Contact ID", "twitter": "Twitter Handle"}.')]

StaffColumn = Annotated[str | None, typer.Option(
    metavar="COLUMN[=VALUE]", help="A CRM column that marks staff (their accounts are the "
    "team: not ranked): 'is_staff' (yes, true, 1, x, staff, employee) or "
    "'department=Support|Sales'.")]


def run_ingest(source: str, paths: list[str] | None, db: Path | None, force: bool,
               batch_size: int | None, options: dict[str, Any] | None = None,
               watch: Path | None = None, watch_seconds: float | None = None) -> dict[str, Any]:
    """Ingest ``paths`` (or watch a folder) with one source, and print the summary."""
    batch_size = pick(batch_size, settings_for(db).batch_size)
    if watch is not None:
        return watch_folder(source, watch, db, batch_size, options, watch_seconds)
    if not paths:
        fail("name at least one file or folder ('-' for standard input), or use --watch DIR",
             code=2)
    try:
        check_paths(paths, folders=SOURCES[source].kind == "folder")
    except IngestError as exc:
        fail(str(exc), code=2)
    settings = settings_for(db)
    payload = {"kind": "ingest", "source": source, "paths": list(paths),
               "rejects_dir": str(settings.resolved_rejects_dir().resolve()),
               "batch_size": batch_size, "force": force, "options": options}
    result = run_write_job(db, payload, f"ingest {source}")
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
                try:
                    result = run_write_job(db, payload, f"ingest {source}")
                except UserError as exc:  # a bad file stops nothing: say so, watch on
                    err.print(f"error: {exc}", highlight=False, soft_wrap=True, markup=False)
                    continue
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


def _command(source: Source) -> Callable[..., None]:
    """The ``scrm ingest <source>`` command of one registered source."""

    def ingest_source(paths: Paths = None, db: DbOption = None, force: Force = False,
                      batch_size: Batch = None, watch: Watch = None,
                      watch_seconds: WatchLimit = None) -> None:
        run_ingest(source.name, paths, db, force, batch_size, watch=watch,
                   watch_seconds=watch_seconds)

    def ingest_mapped(paths: Paths = None, db: DbOption = None, force: Force = False,
                      batch_size: Batch = None, watch: Watch = None,
                      watch_seconds: WatchLimit = None, preset: Preset = None,
                      mapping: Mapping = None, staff_column: StaffColumn = None) -> None:
        options = _mapping_options(preset, mapping)
        if staff_column and (watch is not None or not paths or "-" in paths):
            fail("--staff-column reads the named files again: name them (no --watch, no '-')",
                 code=2)
        run_ingest(source.name, paths, db, force, batch_size, watch=watch,
                   watch_seconds=watch_seconds, options=options)
        if staff_column and paths:
            _mark_staff(paths, staff_column, (options or {}).get("mapping"), db)

    command = ingest_mapped if source.column_mapping else ingest_source
    command.__doc__ = source.description + "."
    return command


def _mark_staff(paths: list[str], column: str, mapping: dict[str, str] | None,
                db: Path | None) -> None:
    """Customers the files' staff column names are staff from the next analysis on
    (setting ``brand.staff_customers``); the files' other customers are not."""
    from api.cli.common import open_reader
    from ingest.crm import staff_customers
    from ingest.errors import SourceFormatError

    staff: set[str] = set()
    others: set[str] = set()
    try:
        for path in paths:
            found, rest = staff_customers(path, column, mapping)
            staff, others = (staff - rest) | found, (others - found) | rest
    except (OSError, SourceFormatError) as exc:
        fail(str(exc), code=2)
    with open_reader(db) as store:
        known = set(json.loads(store.get_settings().get("brand.staff_customers", "[]")))
        brand = [a.key for a in store.brand_accounts()]
    marked = sorted((known - others) | staff)
    run_write_job(db, {"kind": "brand", "accounts": brand,
                       "settings": {"brand.staff_customers": json.dumps(marked)}}, "staff")
    console.print(f"{len(staff):,} customer(s) marked staff by column {column!r} "
                  f"({len(marked):,} in all): their accounts are the team, not ranked",
                  highlight=False)


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


for _source in SOURCES.values():
    app.command(_source.name)(_command(_source))
