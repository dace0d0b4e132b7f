"""``scrm monitor``: follow live sources (Bluesky, Mastodon, Discourse, RSS, Reddit,
Twitter, Stack Exchange) and write what they post into the graph, exactly once.

``monitor add KIND`` has one sub-command per registered connector, its options generated
from the registry (:data:`ingest.connectors.CONNECTORS`).
"""

from __future__ import annotations

import inspect
import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.common import DbOption, console, err, fail, settings_for
from ingest.connectors import CONNECTORS, get_connector
from ingest.connectors.base import Connector
from ingest.connectors.http import source_url_refusal
from ingest.connectors.runner import PollOutcome, credentials_for, run_monitors
from ingest.connectors.state import MonitorFile

__all__ = ["app"]

app = typer.Typer(help="Follow live sources and load what they post, exactly once.",
                  no_args_is_help=True)
add_app = typer.Typer(help="Add a source to follow. One sub-command per kind.",
                      no_args_is_help=True)
app.add_typer(add_app, name="add")


def _monitors(db: Path | None) -> MonitorFile:
    return MonitorFile.beside(settings_for(db).db)


def _add_command(connector: Connector) -> None:
    """``monitor add <kind>`` with one ``--option`` per connector option."""

    def command(**values: Any) -> None:
        db, url, interval = values.pop("db"), values.pop("url"), values.pop("interval")
        defaults = {o.name: o.default for o in connector.options}
        # an option left at its default is not stored: a later default applies to it
        options = {k: str(v) for k, v in values.items()
                   if v is not None and v != defaults.get(k)}
        missing = [o.name for o in connector.options if o.required and o.name not in options]
        if missing:
            fail(f"{connector.kind}: give --{missing[0].replace('_', '-')}", code=2)
        settings = settings_for(db)
        configured = (getattr(settings, connector.base_url_setting, None)
                      if connector.base_url_setting else None)
        if not (url or configured or connector.base_url):
            fail(f"{connector.kind}: give --url (the site or feed to follow)", code=2)
        refusal = url and source_url_refusal(url, schemes=connector.schemes, resolve=False,
                                             allow_private=settings.monitor_allow_private)
        if refusal:
            fail(refusal, code=2)
        monitor = _monitors(db).add(connector.kind, options, url, interval)
        absent = [n for n in connector.credentials
                  if n not in credentials_for([n], settings.model_dump())]
        console.print(f"added [b]{monitor.id}[/] ({connector.kind}"
                      f"{', ' + url if url else ''}); run it with 'scrm monitor run'",
                      highlight=False)
        if absent:
            err.print("credentials not set (read from the environment or .env on every run): "
                      + ", ".join("SCRM_" + n.upper() for n in absent), highlight=False)

    params = [
        inspect.Parameter("db", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=DbOption),
        inspect.Parameter("url", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[str | None, typer.Option(
                              "--url", metavar="URL",
                              help="Base URL (instance, forum, feed, proxy) "
                              f"(default: SCRM_{(connector.base_url_setting or '').upper()} "
                              f"or {connector.base_url}).")]),
        inspect.Parameter("interval", inspect.Parameter.KEYWORD_ONLY, default=60.0,
                          annotation=Annotated[float, typer.Option(
                              "--interval", metavar="SECONDS", help="Seconds between polls.")]),
    ]
    for option in connector.options:
        params.append(inspect.Parameter(
            option.name, inspect.Parameter.KEYWORD_ONLY, default=option.default,
            annotation=Annotated[str | None, typer.Option(
                "--" + option.name.replace("_", "-"), metavar="TEXT", help=option.help)]))
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = connector.summary
    add_app.command(connector.kind, help=connector.summary)(command)


for _kind in CONNECTORS:
    _add_command(get_connector(_kind))


@app.command("list")
def list_monitors(db: DbOption = None,
                  as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False
                  ) -> None:
    """Every source with its state: last success, cursor, items taken, last error, next try."""
    monitors = _monitors(db).all()
    if as_json:
        from dataclasses import asdict

        console.print_json(json.dumps([asdict(m) for m in monitors]))
        return
    if not monitors:
        console.print("no sources; add one with 'scrm monitor add KIND'")
        return
    table = Table(title="Monitored sources")
    for col in ("id", "kind", "follows", "last success", "cursor", "items", "rejected",
                "last error", "next try", "may have a gap since"):
        table.add_column(col, overflow="fold")
    for m in monitors:
        s = m.state
        follows = " ".join(f"{k}={v}" for k, v in m.options.items())
        table.add_row(m.id + ("" if m.enabled else " (off)"), m.kind,
                      ((m.url or "") + " " + follows).strip(), s.last_success or "never",
                      s.cursor or "", f"{s.items:,}", f"{s.rejected:,}",
                      (s.last_error or "") + (f" ({s.failures}×)" if s.failures else ""),
                      s.next_try or "now", s.gap_since or "")
    console.print(table)


@app.command("remove")
def remove(monitor_id: Annotated[str, typer.Argument(
               metavar="ID", help="Id from 'scrm monitor list'.")],
           db: DbOption = None) -> None:
    """Stop following a source (what it loaded stays in the graph)."""
    if not _monitors(db).remove(monitor_id):
        fail(f"no source {monitor_id!r}; see 'scrm monitor list'", code=2)
    console.print(f"removed {monitor_id}")


@app.command("run")
def run(db: DbOption = None,
        once: Annotated[bool, typer.Option("--once", help="Poll every source once and exit.")]
        = False,
        max_pages: Annotated[int, typer.Option(
            "--max-pages", metavar="N",
            help="Pages a poll reads back towards its cursor.")] = 5) -> None:
    """Poll every enabled source when it is due (Ctrl-C stops)."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    settings = settings_for(db)
    states = _monitors(db)
    if not states.all():
        fail("no sources; add one with 'scrm monitor add KIND'", code=2)

    def report(outcome: PollOutcome) -> None:
        if outcome.error:
            err.print(f"{outcome.monitor_id}: {outcome.error}", highlight=False)
        else:
            err.print(f"{outcome.monitor_id}: {outcome.read} new, {outcome.loaded} loaded, "
                      f"{outcome.rejected} rejected", highlight=False)

    from api.cli.handoff import running_server
    from graph import open_store
    from graph.store import StoreBusyError, StoreError

    try:
        store = open_store(settings)
    except StoreBusyError as exc:
        url = running_server(settings.db)
        if url is None:
            fail(str(exc), code=3)
        _hand_over(url, states, once=once, max_pages=max_pages)
        return
    except StoreError as exc:
        fail(str(exc))
    from analytics.arrivals import ArrivalSentiment

    try:
        polls = run_monitors(store, states, settings=settings.model_dump(),
                             rejects_dir=settings.resolved_rejects_dir(), once=once,
                             timeout=settings.monitor_timeout, report=report,
                             max_pages=max_pages, prepare=ArrivalSentiment(store.location))
    except KeyboardInterrupt:
        err.print("stopped", highlight=False)
        return
    finally:
        store.close()
    err.print(f"{polls} poll(s)", highlight=False)


def _hand_over(url: str, states: MonitorFile, *, once: bool, max_pages: int) -> None:
    """Beside a running server (the one writer), each round is a ``monitor`` job there."""
    import time
    from datetime import UTC, datetime

    from api.cli.handoff import submit

    err.print(f"monitor: the database is served by {url}; each round runs there as a job",
              highlight=False)
    rounds = 0
    try:
        while True:
            # --once: every source once, due or not; otherwise only those due (a source
            # backing off, or put off until a platform's reset, waits as it does alone)
            payload: dict[str, Any] = {"kind": "monitor", "max_pages": max_pages}
            if not once:
                payload["due_only"] = True
            try:
                result = submit(url, payload, lambda m: None)
            except RuntimeError as exc:
                fail(f"the server could not run the round: {exc}")
            rounds += 1
            for m in result.get("monitors", []):
                err.print(f"{m['monitor']}: " + (m["error"] or f"{m['read']} new, "
                          f"{m['loaded']} loaded, {m['rejected']} rejected"), highlight=False)
            if once:
                break
            now = datetime.now(UTC)
            due = [datetime.fromisoformat(m.state.next_try) for m in states.all()
                   if m.enabled and m.state.next_try]
            wait = min(((d - now).total_seconds() for d in due), default=5.0)
            time.sleep(min(60.0, max(1.0, wait)))
    except KeyboardInterrupt:
        err.print("stopped", highlight=False)
    err.print(f"{rounds} round(s) run by the server", highlight=False)
