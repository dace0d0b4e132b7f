"""What every command shares: options, settings, opening the store, output.

Commands raise the product's errors (:mod:`graph.errors`); :func:`api.cli.main` turns
them into one line and an exit code. :func:`fail` is the short way to raise one.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from graph import open_store
from graph.config import Settings, env_name, get_settings
from graph.errors import EXIT_BUSY, EXIT_USER, BusyError, Failure, NotFoundError, UserError
from graph.store import GraphStore, StoreBusyError

__all__ = [
    "DbOption",
    "console",
    "err",
    "fail",
    "open_for",
    "open_reader",
    "pick",
    "print_evaluation",
    "progress_printer",
    "run_write_job",
    "setting",
    "settings_for",
]

# Logs and pipes get wide tables instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)

T = TypeVar("T")


def setting(field: str, help: str, *names: str, metavar: str | None = None,
            **kwargs: Any) -> Any:
    """A ``typer.Option`` whose default is the setting ``field`` (environment or ``.env``).

    The option's value is ``None`` when not given; :func:`pick` then takes the setting.
    The help names the variable and its built-in default.
    """
    default = Settings.model_fields[field].default
    shown = "unset" if default is None else default
    return typer.Option(*names, metavar=metavar,
                        help=f"{help.rstrip('.')} (default: {env_name(field)}, else {shown}).",
                        **kwargs)


def pick(value: T | None, configured: T) -> T:
    """The option's value when given on the command line, else the configured setting."""
    return configured if value is None else value


DbOption = Annotated[Path | None, setting("db", "Embedded database path", "--db",
                                          metavar="PATH")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Stop the command with ``message``: exit 2 is the person's mistake, 3 the database
    is busy, anything else a failure (see :mod:`graph.errors`)."""
    if code == EXIT_USER:
        raise UserError(message)
    if code == EXIT_BUSY:
        raise BusyError(message)
    raise Failure(message)


def settings_for(db: Path | None) -> Settings:
    settings = get_settings()
    if db is not None:
        settings = settings.model_copy(update={"db": db})
    return settings


@contextmanager
def open_for(db: Path | None, *, read_only: bool = False) -> Iterator[GraphStore]:
    """Open the configured store (its errors are the product's, see :mod:`graph.errors`)."""
    settings = settings_for(db)
    store = open_store(settings, read_only=read_only,
                       buffer_pool_mb=settings.buffer_pool_mb)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def open_reader(db: Path | None) -> Iterator[GraphStore]:
    """Open the store to read it; a missing embedded database is an error, never created."""
    settings = settings_for(db)
    if settings.backend == "embedded" and not settings.db.exists():
        raise NotFoundError(
            f"no database at {settings.db}: create one with 'scrm ingest' or 'scrm demo', "
            "or point --db (or SCRM_DB) at an existing one")
    with open_for(db, read_only=settings.backend == "embedded") as store:
        yield store


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
    from api.jobs import execute

    settings = settings_for(db)
    show = progress_printer(label)
    pool = settings.analyze_buffer_pool_mb if payload.get("kind") == "analyze" \
        else settings.buffer_pool_mb
    try:
        store = open_store(settings, buffer_pool_mb=pool)
    except StoreBusyError:
        from api.cli.handoff import running_server, stdin_to_file, submit  # its web client

        url = running_server(settings.db)
        if url is None:
            raise
        err.print(f"{label}: the database is served by {url}; sending the job there.",
                  highlight=False)
        if payload.get("paths"):
            payload["paths"] = [stdin_to_file() if p == "-" else str(Path(p).resolve())
                                for p in payload["paths"]]
        try:
            result = submit(url, payload, lambda m: show(m))
        except RuntimeError as job_error:
            raise Failure(f"the server could not run the job: {job_error}") from job_error
        if sys.stderr.isatty():
            err.print()
        return result
    try:
        return execute(store, payload, lambda m: show(m))
    finally:
        if sys.stderr.isatty():
            err.print()
        store.close()


def print_evaluation(result: dict[str, Any], *, as_json: bool = False) -> None:
    """Print an evaluation (``analytics.understanding.metrics.classification_report``
    plus ``model`` and, when known, ``decision``): JSON, or the macro figures, each
    class's precision, recall and F1, and the confusion matrix."""
    if as_json:
        print(json.dumps(result, indent=2))
        return
    decision = f"; decision: {result['decision']}" if result.get("decision") else ""
    console.print(f"model {result['model']} on {result['n']:,} posts: accuracy "
                  f"{result['accuracy']:.3f}, macro F1 {result['macro_f1']:.3f}, macro recall "
                  f"{result['macro_recall']:.3f} (over {', '.join(result['classes'])}"
                  f"{decision})", highlight=False)
    for label, row in result["per_class"].items():
        console.print(f"  {label}: precision {row['precision']:.3f}, recall "
                      f"{row['recall']:.3f}, F1 {row['f1']:.3f}, {row['support']:,} posts",
                      highlight=False)
    console.print("confusion (rows = truth, columns = predicted): " + ", ".join(
        f"{label}: {row}" for label, row in zip(result["labels"], result["confusion"],
                                                strict=True)), highlight=False)
