"""``scrm webhooks``: send events (care items, alerts, assignments, responses and their
delivery, resolutions) to other systems, signed with HMAC-SHA256 and retried.

Subscriptions and the delivery log live in the store; adding or removing one is a write,
handed to a running ``scrm serve`` like any other (docs/alerts.md has the signature
header and how to verify it).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import DbOption, console, fail, open_reader, run_write_job, settings_for

__all__ = ["app"]

app = typer.Typer(help="Send events (care items, alerts, assignments, responses and "
                       "their delivery, resolutions) to other systems, signed and retried.",
                  no_args_is_help=True)


@app.command("add")
def add(url: Annotated[str, typer.Argument(metavar="URL", help="The receiver's http(s) URL.")],
        event: Annotated[list[str], typer.Option(
            "--event", metavar="KIND",
            help="Event kind (repeatable): care_item, alert, assignment, response, "
                 "resolution, response_sent, response_failed.")],
        secret: Annotated[str | None, typer.Option(
            "--secret", metavar="SECRET",
            help="Signing secret (default: a new random one, shown once).")]
        = None,
        description: Annotated[str, typer.Option(
            "--description", metavar="TEXT", help="What the receiver is, for people.")] = "",
        db: DbOption = None) -> None:
    """Subscribe a URL to events; prints the signing secret."""
    from api.webhooks import WebhookError, check_url, new_subscription

    settings = settings_for(db)
    try:
        check_url(url, allow_private=settings.webhook_allow_private)
        sub = new_subscription(url, event, secret=secret, description=description)
    except WebhookError as exc:
        fail(str(exc), code=2)
    run_write_job(db, {"kind": "webhook", "action": "save", "webhook": asdict(sub)},
                  "webhooks")
    console.print(f"added {sub.id} → {url} for {', '.join(sub.events)}", highlight=False)
    if not secret:  # made here (an empty --secret too): the receiver needs it
        console.print(f"signing secret (shown once): {sub.secret}", highlight=False)


@app.command("list")
def list_hooks(db: DbOption = None,
               as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False
               ) -> None:
    """Every subscription (secrets are not shown)."""
    from api.webhooks import StoreWebhooks

    with open_reader(db) as store:
        subs = StoreWebhooks(store).subscriptions()
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


@app.command("remove")
def remove(subscription_id: Annotated[str, typer.Argument(
               metavar="ID", help="Id from 'scrm webhooks list'.")],
           db: DbOption = None) -> None:
    """Stop sending events to a URL."""
    result = run_write_job(db, {"kind": "webhook", "action": "remove",
                                "webhook": {"id": subscription_id}}, "webhooks")
    if not result.get("removed"):
        fail(f"no webhook {subscription_id!r}; see 'scrm webhooks list'", code=2)
    console.print(f"removed {subscription_id}")


@app.command("log")
def delivery_log(subscription_id: Annotated[str | None, typer.Argument(
                     metavar="ID", help="Only this subscription's deliveries.")] = None,
                 limit: Annotated[int, typer.Option(
                     "--limit", metavar="N", help="Show at most this many tries.")] = 50,
                 db: DbOption = None) -> None:
    """The latest delivery tries, newest first: outcome, HTTP status, error."""
    from api.webhooks import StoreWebhooks

    with open_reader(db) as store:
        rows = StoreWebhooks(store).deliveries(limit=limit, subscription_id=subscription_id)
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


@app.command("test")
def test_hook(subscription_id: Annotated[str, typer.Argument(
                  metavar="ID", help="Id from 'scrm webhooks list'.")],
              db: DbOption = None) -> None:
    """Send one signed ping event now (one try, not logged) and say what the receiver
    answered."""
    import httpx

    from api.webhooks import Event, StoreWebhooks, attempt_once, shown_url

    settings = settings_for(db)
    with open_reader(db) as store:
        sub = next((s for s in StoreWebhooks(store).subscriptions()
                    if s.id == subscription_id), None)
    if sub is None:
        fail(f"no webhook {subscription_id!r}; see 'scrm webhooks list'", code=2)
    event = Event(sub.events[0], {"ping": True})
    with httpx.Client(timeout=settings.webhook_timeout) as client:
        row, _, _ = attempt_once(sub, event, client=client, attempt=1,
                                 allow_private=settings.webhook_allow_private)
    if row.outcome != "delivered":
        fail(f"{shown_url(sub.url)}: {row.error or row.outcome}")
    console.print(f"{shown_url(sub.url)} answered HTTP {row.status} in "
                  f"{row.duration_ms:.0f} ms", highlight=False)
