"""What a connector is: one module with a ``CONNECTOR`` entry, and what a poll returns.

A connector reads the items newer than its cursor, newest page first, back to the
cursor (or at most ``max_pages`` pages), and returns them as loader units in the
order they were written, with the cursor to store *after* they are committed. The
runner writes them through :func:`ingest.loader.load_units` (same idempotence,
rejects and forgotten-person filter as file ingest), and only then stores the cursor,
so a process killed at any moment redoes at most one poll, which writes nothing new.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from graph.model import Record, Reject
from ingest.connectors.http import Http, SourceUnavailable
from ingest.loader import Unit

__all__ = ["Connector", "Option", "Poll", "PollContext", "collect_newer", "item_unit", "parse_time"]


@dataclass(frozen=True, slots=True)
class Option:
    """An option of ``scrm monitor add KIND``: ``--name VALUE``."""

    name: str
    help: str
    required: bool = False
    default: str | None = None


@dataclass(slots=True)
class PollContext:
    """What a poll needs: HTTP bound to the base URL, the source's options, its cursor."""

    http: Http
    options: dict[str, str]
    cursor: str | None
    source_file: str
    max_pages: int = 5
    credentials: dict[str, str] = field(default_factory=dict)
    not_before: datetime | None = None


@dataclass(slots=True)
class Poll:
    """The outcome of one poll.

    Attributes:
        units: Items to write, oldest first, one unit per item (its records or a reject).
        cursor: The cursor to store once ``units`` are committed.
        gap: True when the poll stopped at ``max_pages`` before reaching the old cursor,
            or the platform could not go back that far: items may be missing.
    """

    units: list[Unit] = field(default_factory=list)
    cursor: str | None = None
    gap: bool = False


@dataclass(frozen=True, slots=True)
class Connector:
    """One registry entry: a platform's kind, its options, how to poll it.

    Attributes:
        kind: Name used in ``scrm monitor add KIND``.
        platform: Platform name in account and post keys.
        summary: One line for ``--help``.
        options: Options of ``monitor add`` (``--url`` is always there).
        base_url: The public service, used when ``--url`` is not given.
        base_url_setting: ``Settings`` field that overrides ``base_url`` (proxies, tests).
        credentials: ``Settings`` fields (secrets) sent as credentials, when set.
        auth: Turns the credential values into request headers.
        poll: Reads one round.
        refused: What a refusal (HTTP 400, 410 or 422, which ``Http.get`` takes for a
            refused cursor) means on this platform: given that error and the source's
            base URL, the one the runner acts on (a refused cursor is read again from
            the newest items, with a gap).
    """

    kind: str
    platform: str
    summary: str
    options: Sequence[Option]
    base_url: str | None
    base_url_setting: str | None
    poll: Callable[[PollContext], Poll]
    credentials: Sequence[str] = ()
    auth: Callable[[dict[str, str]], dict[str, str]] | None = None
    refused: Callable[[SourceUnavailable, str], SourceUnavailable] | None = None

    @property
    def schemes(self) -> tuple[str, ...]:
        """The URL schemes its base URL may have: a WebSocket stream's (``wss://``, the
        Jetstream firehose) or a web API's."""
        return ("ws", "wss") if (self.base_url or "").startswith("ws") else ("http", "https")


def item_unit(n: int, item: Any, to_records: Callable[[Any], list[Record]],
              source_file: str) -> Unit:
    """One API item as a loader unit; a malformed item becomes a reject with the reason
    and the item's JSON, never an exception that stops the poll."""
    try:
        records = to_records(item)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        reason = exc.args[0] if isinstance(exc, ValueError) and exc.args else \
            f"unexpected structure: {exc!r}"
        raw = _item_text(item)
        return Unit(n, raw, [Reject(source_file, n, str(reason), raw)])
    # its JSON only if the loader rejects one of its records (a stream's items almost
    # never are, and serialising each took a sixth of the time spent parsing them)
    return Unit(n, "", records, reread=functools.partial(_item_text, item))


def _item_text(item: Any) -> str:
    """An API item as the text a rejects file keeps."""
    return item if isinstance(item, str) else orjson.dumps(item, default=str).decode()


def parse_time(value: Any, name: str = "created_at") -> datetime:
    """An ISO time as an aware datetime, or ValueError naming the field."""
    from datetime import UTC

    if not isinstance(value, str):
        raise ValueError(f"field {name!r} is missing or not a string")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"field {name!r} is not an ISO time: {value!r}") from None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def collect_newer(pages: Iterator[list[tuple[Any, Any]]], since: Any, max_pages: int,
                  *, inclusive: bool = False) -> tuple[list[Any], Any, bool]:
    """Walk newest-first pages of ``(order key, item)`` back to ``since``.

    Returns the items newer than ``since`` (``inclusive``: not older, for time cursors
    where two items may share a time), oldest first; each id key once, but with
    ``inclusive`` every distinct item of a time (several may share it); the newest key
    seen (``since`` when nothing is new); and whether the walk reached ``since`` (or the
    end of the listing) rather than stopping at ``max_pages``. An item whose key is
    None (malformed) is kept, first, so it reaches the rejects file.
    """
    found: dict[Any, list[Any]] = {}
    bad: list[Any] = []
    newest = since
    reached = False
    for n, page in enumerate(pages, start=1):
        older = False
        for key, item in page:
            if key is None:
                bad.append(item)
                continue
            if since is not None and (key < since or (key == since and not inclusive)):
                older = True
                continue
            same = found.setdefault(key, [])
            if not same or (inclusive and item not in same):
                same.append(item)
            newest = key if newest is None or key > newest else newest
        if older or not page:
            reached = True
            break
        if n >= max_pages:
            break
    else:
        reached = True
    return [*bad, *(i for k in sorted(found) for i in found[k])], newest, reached
