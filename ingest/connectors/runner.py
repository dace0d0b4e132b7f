"""Polling every enabled monitor: write what it found, then advance its cursor.

Order within one poll: read the items, commit them through the loader, then store
the cursor and the state (atomically). A process killed before the cursor is stored
reads the same items again next time and the loader's idempotence writes nothing
twice; killed after, it starts after them. One source failing only moves that
source's ``next_try`` (the platform's reset time, or exponential backoff with
jitter); the others go on in the same round.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from graph.model import Reject
from graph.store import GraphStore, StoreError
from ingest.connectors import get_connector
from ingest.connectors.base import PollContext
from ingest.connectors.http import Http, SourceUnavailable, backoff_seconds, source_url_refusal
from ingest.connectors.state import Monitor, MonitorState, MonitorStore
from ingest.loader import RejectsWriter, Unit, load_units, now_stamp

__all__ = ["PollOutcome", "poll_monitor", "run_monitors"]

log = logging.getLogger(__name__)
#: malformed items a source remembers having rejected (``MonitorState.rejects_seen``)
MAX_SEEN_REJECTS = 500
# httpx logs every request's full URL at INFO; a query may carry an API key
logging.getLogger("httpx").setLevel(logging.WARNING)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(slots=True)
class PollOutcome:
    """What one poll of one monitor did."""

    monitor_id: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    error: str | None = None


def credentials_for(names: tuple[str, ...] | list[str], secrets: Mapping[str, Any]
                    ) -> dict[str, str]:
    """The credential values that are set (SecretStr or str), by settings field name."""
    found: dict[str, str] = {}
    for name in names:
        value = secrets.get(name)
        if value is None:
            continue
        plain = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
        if plain:
            found[name] = plain
    return found


def poll_monitor(store: GraphStore, states: MonitorStore, monitor: Monitor, *,
                 client: httpx.Client, settings: Mapping[str, Any], rejects_dir: Path,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 rng: random.Random | None = None, max_pages: int = 5,
                 prepare: Callable[[list[Unit]], None] | None = None
                 ) -> PollOutcome:
    """Poll one monitor once and store its new state; never raises for the source's
    own failures (they go into the state), only for the database's. ``prepare`` sees
    the units before they are written (sentiment on arrival)."""
    connector = get_connector(monitor.kind)
    outcome = PollOutcome(monitor.id)
    state = replace(monitor.state)
    base = monitor.url or (settings.get(connector.base_url_setting)
                           if connector.base_url_setting else None) or connector.base_url
    if not base:  # a failure like any other: it backs off
        return _failed(states, monitor, state, outcome,
                       f"{monitor.kind}: no base URL; give --url", None, now(), rng)
    refusal = source_url_refusal(str(base), schemes=connector.schemes,
                                 allow_private=bool(settings.get("monitor_allow_private")))
    if refusal is not None:
        return _failed(states, monitor, state, outcome, refusal, None, now(), rng)
    creds = credentials_for(tuple(connector.credentials), settings)
    headers = connector.auth(creds) if connector.auth and creds else {}
    source_file = f"monitor:{monitor.id}"
    retried = False
    while True:
        ctx = PollContext(http=Http(client, str(base), headers), options=monitor.options,
                          cursor=state.cursor, source_file=source_file, max_pages=max_pages,
                          credentials=creds)
        try:
            result = connector.poll(ctx)
            break
        except SourceUnavailable as exc:
            if exc.expired_cursor and connector.refused is not None:
                exc = connector.refused(exc, str(base))  # the platform's reading of it
            if exc.expired_cursor and state.cursor is not None and not retried:
                # the platform no longer answers from this cursor: start from now and
                # say since when items may be missing
                log.warning("%s: cursor refused (%s); reading from the newest items",
                            monitor.id, exc.reason)
                state.gap_since = state.gap_since or state.last_success or _iso(now())
                state.cursor = None
                retried = True
                continue
            return _failed(states, monitor, state, outcome, exc.reason, exc.retry_at,
                           now(), rng)
        except Exception as exc:  # noqa: BLE001 - one source's surprise must not stop the rest
            return _failed(states, monitor, state, outcome,
                           f"unexpected response from {base}: {exc or type(exc).__name__}",
                           None, now(), rng)
    # a malformed item has no order key, so the cursor never passes it: one still listed
    # went to a rejects file at an earlier poll and is not written there again
    seen = set(state.rejects_seen)
    fresh: list[str] = []
    units = []
    for unit in result.units:
        mark = _malformed_mark(unit)
        if mark is None or mark not in seen:
            units.append(unit)
            if mark is not None:
                seen.add(mark)
                fresh.append(mark)
    result.units = units
    rejects = RejectsWriter(rejects_dir / f"monitor-{monitor.id}-{now_stamp()}.jsonl")
    try:
        if result.units:
            if prepare is not None:
                prepare(result.units)
            report = load_units(store, iter(result.units), source=connector.platform,
                                source_file=source_file, rejects=rejects)
            outcome.read, outcome.loaded, outcome.rejected = \
                report.read, report.loaded, report.rejected
    except StoreError:
        raise
    finally:
        rejects.close()
    # committed: only now may the cursor move past these items
    stamp = now()
    if result.gap and state.cursor is not None:
        state.gap_since = state.gap_since or state.last_success or _iso(stamp)
    state.cursor = result.cursor
    if fresh:
        state.rejects_seen = [*state.rejects_seen, *fresh][-MAX_SEEN_REJECTS:]
    state.last_success = _iso(stamp)
    state.items += outcome.loaded
    state.rejected += outcome.rejected
    state.last_error, state.failures = None, 0
    next_try = stamp + timedelta(seconds=monitor.interval)
    for limit in (ctx.http.not_before, ctx.not_before):  # a window used up, a backoff asked
        if limit is not None and limit > next_try:
            next_try = limit
    state.next_try = _iso(next_try)
    states.save_state(monitor.id, state)
    return outcome


def _malformed_mark(unit: Unit) -> str | None:
    """A malformed item's fingerprint (its unit is one reject), None for any other."""
    if len(unit.records) == 1 and isinstance(unit.records[0], Reject) \
            and not unit.records[0].warning:
        return hashlib.blake2b(unit.text().encode("utf-8", "surrogatepass"),
                               digest_size=12).hexdigest()
    return None


def _failed(states: MonitorStore, monitor: Monitor, state: MonitorState, outcome: PollOutcome,
            reason: str, retry_at: datetime | None, now: datetime,
            rng: random.Random | None) -> PollOutcome:
    state.failures += 1
    state.last_error = reason
    wait = backoff_seconds(state.failures, rng=rng)
    at = retry_at if retry_at is not None and retry_at > now else now + timedelta(seconds=wait)
    state.next_try = _iso(at)
    states.save_state(monitor.id, state)
    outcome.error = reason
    log.warning("%s: %s; next try %s", monitor.id, reason, state.next_try)
    return outcome


def run_monitors(store: GraphStore, states: MonitorStore, *, settings: Mapping[str, Any],
                 rejects_dir: Path, once: bool = False, timeout: float = 20.0,
                 report: Callable[[PollOutcome], None] | None = None,
                 stop: Callable[[], bool] = lambda: False, max_pages: int = 5,
                 prepare: Callable[[list[Unit]], None] | None = None,
                 due_only: bool = False, skip: Collection[str] = ()) -> int:
    """Poll every enabled monitor when it is due, until ``stop()`` (or one round with
    ``once``, which polls every enabled monitor once, due or not; with ``due_only`` too,
    only those that are due). ``skip``: ids of monitors followed elsewhere (the streams a
    server keeps open). Returns the number of polls made."""
    polls = 0
    with httpx.Client(timeout=timeout, follow_redirects=True,
                      headers={"User-Agent": "scrm-monitor/1"}) as client:
        while not stop():
            now = datetime.now(UTC)
            due = [m for m in states.all() if m.enabled and m.id not in skip
                   and ((once and not due_only) or (_parse(m.state.next_try) or now) <= now)]
            for monitor in due:
                outcome = poll_monitor(store, states, monitor, client=client,
                                       settings=settings, rejects_dir=rejects_dir,
                                       max_pages=max_pages, prepare=prepare)
                polls += 1
                if report is not None:
                    report(outcome)
                if stop():
                    break
            if once:
                break
            waits = [(_parse(m.state.next_try) or now) for m in states.all() if m.enabled]
            pause = max(0.2, min(((w - datetime.now(UTC)).total_seconds() for w in waits),
                                 default=5.0))
            time.sleep(min(pause, 5.0))
    return polls
