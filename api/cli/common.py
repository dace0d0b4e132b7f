"""What every command shares: options, opening the store with human errors, output."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from graph import open_store
from graph.config import Settings, get_settings
from graph.store import GraphStore, StoreBusyError, StoreError

__all__ = ["DbOption", "console", "err", "fail", "open_for", "progress_printer", "settings_for"]

# Logs and pipes get wide tables instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar="SCRM_DB", help="Embedded database path [default: scrm.lbdb]."),
]


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_for(db: Path | None) -> Settings:
    settings = get_settings()
    if db is not None:
        settings = settings.model_copy(update={"db": db})
    return settings


@contextmanager
def open_for(db: Path | None, *, read_only: bool = False) -> Iterator[GraphStore]:
    """Open the configured store or exit with an error a person can act on."""
    settings = settings_for(db)
    try:
        store = open_store(settings, read_only=read_only)
    except StoreBusyError as exc:
        fail(str(exc), code=3)
    except StoreError as exc:
        fail(str(exc))
    try:
        yield store
    finally:
        store.close()


def progress_printer(label: str, total: float | None = None) -> Callable[..., None]:
    """A progress callback: a live line on a terminal, a log line every 2 s otherwise."""
    started = time.monotonic()
    last = [0.0]
    tty = sys.stderr.isatty()

    def show(message: str, _value: Any = None) -> None:
        now = time.monotonic()
        if tty:
            err.print(f"\r{label}: {message}  [{now - started:5.1f}s]", end="", highlight=False)
        elif now - last[0] >= 2.0 or message.startswith("done"):
            err.print(f"{label}: {message} [{now - started:.1f}s]", highlight=False)
            last[0] = now

    return show


def run_write_job(db: Path | None, payload: dict[str, Any], label: str) -> dict[str, Any]:
    """Run a write job here, or hand it to the ``scrm serve`` that holds the database."""
    from api.cli.handoff import running_server, stdin_to_file, submit
    from api.jobs import execute

    settings = settings_for(db)
    show = progress_printer(label)
    pool = settings.analyze_buffer_pool_mb if payload.get("kind") == "analyze" else None
    try:
        store = open_store(settings, buffer_pool_mb=pool)
    except StoreBusyError as exc:
        url = running_server(settings.db)
        if url is None:
            fail(str(exc), code=3)
        err.print(f"{label}: the database is served by {url}; sending the job there.",
                  highlight=False)
        if payload.get("paths"):
            payload["paths"] = [stdin_to_file() if p == "-" else str(Path(p).resolve())
                                for p in payload["paths"]]
        try:
            result = submit(url, payload, lambda m: show(m))
        except RuntimeError as job_error:
            fail(f"the server could not run the job: {job_error}")
        if sys.stderr.isatty():
            err.print()
        return result
    except StoreError as exc:
        fail(str(exc))
    try:
        return execute(store, payload, lambda m: show(m))
    except StoreError as exc:
        fail(str(exc))
    finally:
        if sys.stderr.isatty():
            err.print()
        store.close()
