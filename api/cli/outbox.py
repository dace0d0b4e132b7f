"""``scrm outbox``: the replies recorded in scrm on their way to the platforms.

A public reply on Mastodon, Bluesky or Discourse is sent through the platform's API when
its credentials are set (README "Sending replies"); the rest are to send by hand.
``scrm serve`` sends in the background; ``scrm outbox send`` does it here, or hands each
round to the running server (the one writer), like every write.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import DbOption, console, fail, open_reader, run_write_job

__all__ = ["app"]

app = typer.Typer(help="Replies recorded in scrm, sent through Mastodon, Bluesky and "
                       "Discourse (or left to send by hand).", no_args_is_help=True)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else ""


@app.command("list")
def list_items(state: Annotated[list[str] | None, typer.Option(
                   "--state", metavar="STATE",
                   help="Only this state (repeatable): queued, sending, sent, failed, "
                        "'by hand', erased.")] = None,
               limit: Annotated[int, typer.Option("--limit", metavar="N",
                                                  help="Show at most this many.")] = 50,
               as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
               db: DbOption = None) -> None:
    """Recorded replies, newest first: state, where they went or why not."""
    from graph.outbox import STATES, OutboxItem

    unknown = [s for s in state or [] if s not in STATES]
    if unknown:
        fail(f"unknown state {unknown[0]!r}; known: {', '.join(STATES)}", code=2)
    with open_reader(db) as store:
        rows = store.outbox_items(states=state, limit=limit) if state else \
            store.outbox_items(limit=limit)
    items = [OutboxItem.from_row(r) for r in rows]
    if as_json:
        console.print_json(json.dumps([i.row() for i in items], default=str))
        return
    if not items:
        console.print("no replies recorded yet")
        return
    table = Table(title="Outbox")
    for col in ("reply", "answers", "state", "tries", "sent as / reason", "next try"):
        table.add_column(col, overflow="fold")
    for i in items:
        table.add_row(i.key, i.target_key, i.state, str(i.attempts),
                      (i.remote_url or i.remote_id or "") if i.state == "sent"
                      else (i.error or ""), _when(i.next_try))
    console.print(table)


@app.command("send")
def send(once: Annotated[bool, typer.Option(
             "--once", help="One round, then stop (default: until nothing is waiting).")]
         = False,
         db: DbOption = None) -> None:
    """Send the queued replies now (and retry failed ones whose time has come)."""
    total: dict[str, int] = {"sent": 0, "failed": 0, "by_hand": 0}
    while True:
        result = run_write_job(db, {"kind": "outbox"}, "outbox")
        for name in total:
            total[name] += int(result.get(name) or 0)
        if once:
            break
        with open_reader(db) as store:
            waiting = store.outbox_items(states=("queued", "sending", "failed"))
        if not waiting:
            break
        soonest = min((r["next_try"] for r in waiting if r["next_try"] is not None),
                      default=None)
        pause = 1.0 if soonest is None else (soonest - datetime.now(UTC)).total_seconds()
        time.sleep(min(60.0, max(0.5, pause)))
    console.print(f"sent {total['sent']}, failed {total['failed']} (retried later), "
                  f"to send by hand {total['by_hand']}", highlight=False)


@app.command("retry")
def retry(key: Annotated[str, typer.Argument(
              metavar="REPLY", help="The reply's key from 'scrm outbox list'.")],
          db: DbOption = None) -> None:
    """Queue a failed or by-hand reply again (after fixing credentials, say); it is looked
    for on the platform before it is posted again."""
    result = run_write_job(db, {"kind": "outbox", "action": "retry", "outbox_key": key},
                           "outbox")
    console.print(f"queued {result['queued']} again", highlight=False)
