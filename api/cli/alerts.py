"""``scrm alerts`` (what changed, who to watch) and ``scrm webhooks`` (who is told).

``scrm alerts`` evaluates :mod:`analytics.alerts` on the store now (or ``--at`` a past
time, to replay one); ``scrm webhooks`` manages the URLs that receive events signed
with HMAC-SHA256 (see :mod:`api.webhooks` for the header and how to verify it).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import DbOption, console, fail, open_for, settings_for

__all__ = ["register"]

webhooks_app = typer.Typer(help="Send events (care items, alerts, assignments, responses, "
                                "resolutions) to other systems, signed and retried.",
                           no_args_is_help=True)

_KINDS = ("volume_spike", "negative_surge", "detractor_post", "customer_complaint")


def register(app: typer.Typer) -> None:
    app.command("alerts")(alerts)
    app.add_typer(webhooks_app, name="webhooks")


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
        "--at", help="Evaluate at this ISO time instead of now (replay a past day).")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help=f"Only these kinds (repeatable): {', '.join(_KINDS)}.")] = None,
    term: Annotated[str | None, typer.Option(
        "--terms", envvar="SCRM_ALERT_TERMS",
        help="Terms to watch, comma-separated [default: the brand's competitors].")] = None,
    topics: Annotated[str | None, typer.Option(
        "--topics", envvar="SCRM_ALERT_TOPICS",
        help='Topics as JSON {"billing": ["refund", "charged"]} [default: the routing '
             "rules' teams].")] = None,
    first: Annotated[int, typer.Option("--first", help="Show at most this many.")] = 50,
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
    exists = settings.db.exists() or settings.backend != "embedded"
    with open_for(db, read_only=exists) as store:
        try:
            series = watched_series(store.get_settings(), term or settings.alert_terms,
                                    topics or settings.alert_topics)
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


@webhooks_app.command("add")
def add(url: Annotated[str, typer.Argument(help="The receiver's http(s) URL.")],
        event: Annotated[list[str], typer.Option(
            "--event", help="Event kind (repeatable): care_item, alert, assignment, "
                            "response, resolution.")],
        secret: Annotated[str | None, typer.Option(
            "--secret", envvar="SCRM_WEBHOOK_NEW_SECRET",
            help="Signing secret [default: a new random one, shown once].")] = None,
        description: Annotated[str, typer.Option("--description")] = "",
        db: DbOption = None) -> None:
    """Subscribe a URL to events; prints the signing secret."""
    from api.webhooks import WebhookError, WebhookFile, check_url

    settings = settings_for(db)
    try:
        check_url(url, allow_private=settings.webhook_allow_private)
        sub = WebhookFile.beside(settings.db).subscribe(url, event, secret=secret,
                                                        description=description)
    except WebhookError as exc:
        fail(str(exc), code=2)
    console.print(f"added [b]{sub.id}[/] → {url} for {', '.join(sub.events)}", highlight=False)
    if secret is None:
        console.print(f"signing secret (shown once): {sub.secret}", highlight=False)


@webhooks_app.command("list")
def list_hooks(db: DbOption = None,
               as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False
               ) -> None:
    """Every subscription (secrets are not shown)."""
    from api.webhooks import WebhookFile

    subs = WebhookFile.beside(settings_for(db).db).subscriptions()
    if as_json:
        console.print_json(json.dumps([{**asdict(s), "secret": None} for s in subs]))
        return
    if not subs:
        console.print("no webhooks; add one with 'scrm webhooks add URL --event alert'")
        return
    table = Table(title="Webhooks")
    for col in ("id", "url", "events", "enabled", "since"):
        table.add_column(col, overflow="fold")
    for s in subs:
        table.add_row(s.id, s.url, ", ".join(s.events), "yes" if s.enabled else "no",
                      s.created_at)
    console.print(table)


@webhooks_app.command("remove")
def remove(subscription_id: Annotated[str, typer.Argument(help="Id from 'scrm webhooks list'.")],
           db: DbOption = None) -> None:
    """Stop sending events to a URL."""
    from api.webhooks import WebhookFile

    if not WebhookFile.beside(settings_for(db).db).unsubscribe(subscription_id):
        fail(f"no webhook {subscription_id!r}; see 'scrm webhooks list'", code=2)
    console.print(f"removed {subscription_id}")


@webhooks_app.command("log")
def delivery_log(subscription_id: Annotated[str | None, typer.Argument(
                     help="Only this subscription's deliveries.")] = None,
                 limit: Annotated[int, typer.Option("--limit")] = 50,
                 db: DbOption = None) -> None:
    """The latest delivery tries, newest first: outcome, HTTP status, error."""
    from api.webhooks import WebhookFile

    rows = WebhookFile.beside(settings_for(db).db).deliveries(
        limit=limit, subscription_id=subscription_id)
    if not rows:
        console.print("no deliveries yet")
        return
    table = Table(title="Webhook deliveries")
    for col in ("at", "webhook", "event", "kind", "try", "outcome", "status", "error", "ms"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r.at, r.subscription_id, r.event_id, r.kind, str(r.attempt), r.outcome,
                      str(r.status or ""), r.error or "", f"{r.duration_ms:.0f}")
    console.print(table)


@webhooks_app.command("test")
def test_hook(subscription_id: Annotated[str, typer.Argument(help="Id from 'scrm webhooks "
                                                                  "list'.")],
              db: DbOption = None) -> None:
    """Send one signed ``ping`` event now (one try) and say what the receiver answered."""
    import httpx

    from api.webhooks import Event, WebhookFile, attempt_once

    settings = settings_for(db)
    hooks = WebhookFile.beside(settings.db)
    sub = next((s for s in hooks.subscriptions() if s.id == subscription_id), None)
    if sub is None:
        fail(f"no webhook {subscription_id!r}; see 'scrm webhooks list'", code=2)
    event = Event(sub.events[0], {"ping": True})
    with httpx.Client(timeout=settings.webhook_timeout) as client:
        row, _, _ = attempt_once(sub, event, client=client, attempt=1,
                                 allow_private=settings.webhook_allow_private)
    hooks.record(row)
    if row.outcome != "delivered":
        fail(f"{sub.url}: {row.error or row.outcome}")
    console.print(f"{sub.url} answered HTTP {row.status} in {row.duration_ms:.0f} ms",
                  highlight=False)
