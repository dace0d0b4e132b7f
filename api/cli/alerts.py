"""``scrm alerts``: what changed (spikes, surges) and who to watch, now or at a past time.

It evaluates :mod:`analytics.alerts` on the store now (or ``--at`` a past time, to
replay one); see docs/alerts.md for the method.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import DbOption, console, fail, open_reader, pick, settings_for

__all__ = ["alerts"]

_KINDS = ("volume_spike", "negative_surge", "detractor_post", "customer_complaint")


def _when(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--at {value!r} is not an ISO time (e.g. 2026-10-15T09:00Z)", code=2)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def alerts(
    at: Annotated[str | None, typer.Option(
        "--at", metavar="TIME",
        help="Evaluate at this ISO time instead of now (replay a past day).")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", metavar="KIND",
        help=f"Only these kinds (repeatable): {', '.join(_KINDS)}.")] = None,
    term: Annotated[str | None, typer.Option(
        "--terms", metavar="TERMS",
        help="Terms to watch, comma-separated (default: SCRM_ALERT_TERMS, else the "
             "brand's competitors).")] = None,
    topics: Annotated[str | None, typer.Option(
        "--topics", metavar="JSON",
        help='Topics as JSON {"billing": ["refund"]} (default: SCRM_ALERT_TOPICS, else '
             "the routing rules' teams).")] = None,
    first: Annotated[int, typer.Option("--first", metavar="N",
                                       help="Show at most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    db: DbOption = None,
) -> None:
    """Volume spikes and negative surges (brand, terms, topics) against their own baseline,
    and negative posts by top-influence accounts or high-value customers."""
    from api.alerts import alert_settings, compute_alerts, watched_series
    from api.errors import UserError

    bad = [k for k in kind or [] if k not in _KINDS]
    if bad:
        fail(f"unknown alert kind {bad[0]!r}; known: {', '.join(_KINDS)}", code=2)
    when = _when(at)
    settings = settings_for(db)
    thresholds = alert_settings(settings)
    with open_reader(db) as store:
        try:
            series = watched_series(store.get_settings(), pick(term, settings.alert_terms),
                                    pick(topics, settings.alert_topics))
        except UserError as exc:
            fail(str(exc), code=2)
        found = compute_alerts(store, now=when, settings=thresholds, series=series)
    found = [a for a in found if not kind or a.kind in kind][:first]
    if as_json:
        console.print_json(json.dumps([asdict(a) for a in found], default=str))
        return
    if not found:
        console.print(f"no alerts at {when:%Y-%m-%d %H:%M} UTC "
                      f"(watching the brand and {len(series)} term/topic series)",
                      highlight=False)
        return
    table = Table(title=f"Alerts at {when:%Y-%m-%d %H:%M} UTC")
    for col in ("since", "kind", "subject", "what", "p"):
        table.add_column(col, overflow="fold")
    for a in found:
        table.add_row(f"{a.started_at:%m-%d %H:%M}", a.kind, a.subject, a.message,
                      f"{a.p_value:.1e}" if a.p_value is not None else "")
    console.print(table)


