"""Bluesky Jetstream: the firehose as JSON over a WebSocket, filtered to the brand.

A poll subscribes to ``/subscribe?wantedCollections=app.bsky.feed.post`` from the stored
cursor (Jetstream's ``time_us``) rewound by ``--rewind-seconds`` (5 s, as Jetstream's docs
advise: events arrive only roughly in ``time_us`` order, and replaying a few seconds makes
the playback gapless; what is read twice is written as nothing new), reads for
``--seconds`` (or up to ``--max-events``), and keeps the post creates that reply to,
quote or mention one of ``--dids`` (the brand's accounts). The cursor is the highest
``time_us`` read. A dropped connection ends the poll early; the next one resumes from the
cursor. Jetstream keeps about a day of events: a cursor older than that resumes from the
oldest it has, and the state records a possible gap.

Jetstream names authors by DID only, so accounts of posts read here are keyed by DID
(``bluesky:did:plc:…``), not by handle as the REST connector's are.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from ingest.connectors.base import Connector, Option, Poll, PollContext, item_unit
from ingest.connectors.bluesky import jetstream_records
from ingest.connectors.http import SourceUnavailable

__all__ = ["CONNECTOR", "concerns"]

_GAP_US = 60 * 1_000_000


def concerns(event: dict[str, Any], dids: set[str]) -> bool:
    """Whether a post create replies to, quotes or mentions one of ``dids``."""
    commit = event.get("commit") or {}
    record = commit.get("record") if isinstance(commit, dict) else None
    if not isinstance(record, dict):
        return False
    if event.get("did") in dids:
        return True
    uris = [((record.get("reply") or {}).get(k) or {}).get("uri") for k in ("parent", "root")]
    embed = record.get("embed") or {}
    inner = embed.get("record") if isinstance(embed, dict) else None
    if isinstance(inner, dict):
        uris.append(inner.get("uri") or (inner.get("record") or {}).get("uri"))
    if any(isinstance(u, str) and u.split("/")[2] in dids for u in uris if u
           and u.startswith("at://")):
        return True
    for facet in record.get("facets") or []:
        for feature in (facet.get("features") or []) if isinstance(facet, dict) else []:
            if isinstance(feature, dict) and feature.get("did") in dids:
                return True
    return False


def poll(ctx: PollContext) -> Poll:
    """Post events concerning the brand since the cursor."""
    # here, not at the top: every CLI start imports the registry
    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
    from websockets.sync.client import connect

    dids = {d.strip() for d in ctx.options.get("dids", "").split(",") if d.strip()}
    if not dids:
        raise ValueError("give --dids (the brand accounts' DIDs, comma-separated)")
    seconds = float(ctx.options.get("seconds") or 20)
    max_events = int(ctx.options.get("max_events") or 100_000)
    rewind = int(float(ctx.options.get("rewind_seconds") or 5) * 1_000_000)
    since = int(ctx.cursor) if ctx.cursor else None
    query = {"wantedCollections": "app.bsky.feed.post"}
    if since is not None:
        query["cursor"] = str(max(0, since - rewind))
    url = f"{ctx.http.base_url}/subscribe?{urlencode(query)}"
    kept: list[dict[str, Any]] = []
    newest, first, read = since, None, 0
    deadline = time.monotonic() + seconds
    try:
        with connect(url, open_timeout=10, max_size=2**22) as ws:
            while read < max_events and (left := deadline - time.monotonic()) > 0:
                try:
                    message = ws.recv(timeout=left)
                except TimeoutError:
                    break
                read += 1
                try:
                    event = json.loads(message)
                    stamp = int(event["time_us"])
                except (ValueError, KeyError, TypeError):
                    kept.append({"unreadable": str(message)[:2000]})
                    continue
                first = stamp if first is None else min(first, stamp)
                newest = stamp if newest is None else max(newest, stamp)
                if concerns(event, dids):
                    kept.append(event)
    except ConnectionClosed:
        pass  # dropped: what was read stands, the next poll resumes from the cursor
    except (OSError, InvalidHandshake, InvalidURI) as exc:
        raise SourceUnavailable(f"could not subscribe to {ctx.http.base_url}: "
                                f"{type(exc).__name__}") from None

    def records(event: dict[str, Any]) -> Any:
        if "unreadable" in event:
            raise ValueError("not a Jetstream event (malformed JSON or no 'time_us')")
        return jetstream_records(event)

    units = [item_unit(n, e, records, ctx.source_file) for n, e in enumerate(kept, start=1)]
    gap = since is not None and first is not None and first - since > _GAP_US + rewind
    return Poll(units, str(newest) if newest is not None else None, gap=gap)


CONNECTOR = Connector(
    kind="jetstream", platform="bluesky",
    summary="Bluesky's firehose (Jetstream): posts that reply to, quote or mention --dids.",
    options=(Option("dids", "The brand accounts' DIDs, comma-separated.", required=True),
             Option("seconds", "How long each poll listens.", default="20"),
             Option("max_events", "Most events a poll reads.", default="100000"),
             Option("rewind_seconds", "Replay this much before the cursor.", default="5")),
    base_url="wss://jetstream2.us-east.bsky.network", base_url_setting="jetstream_url",
    poll=poll,
)
