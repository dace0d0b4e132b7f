"""Edges waiting for their target (a reply before its parent) in the embedded store: read
whole while they are few, asked for one by one past ``PENDING_READ_ALL`` (a stream of
replies to posts never seen makes them grow without end), with the same results."""

from __future__ import annotations

from typing import Any

import pytest

from graph.embedded import queries as q
from graph.embedded import writes
from graph.model import PostKind
from graph.store import GraphBatch
from tests.store.test_contract import tw


def test_pending_edges_past_the_threshold_are_asked_for_not_read_whole(
        embedded_store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store = embedded_store
    monkeypatch.setattr(writes, "PENDING_READ_ALL", 0)
    replies = [tw(f"r{p}", "danaw", 5, "same here", kind=PostKind.REPLY, parent_id=p)
               for p in ("a", "b", "c")]
    assert store.write_batch(GraphBatch(posts=replies)).pending_edges == 3
    # from now on every pending edge is asked for: reading them all would fail
    monkeypatch.setattr(q, "PENDING_EDGES", "RETURN read_them_all_is_not_expected")
    second = [tw("a", "brand", 0, "a?"), tw("rd", "sam", 6, "me too", kind=PostKind.REPLY,
                                            parent_id="d")]
    result = store.write_batch(GraphBatch(posts=second))
    assert result.pending_edges == 3  # a resolved, d waits
    counts = store.counts()
    assert (counts["PendingEdge"], counts["REPLY_TO"]) == (3, 1)
    result = store.write_batch(GraphBatch(posts=[tw(p, "brand", 0, "?") for p in "bcd"]))
    assert result.pending_edges == 0
    counts = store.counts()
    assert (counts["PendingEdge"], counts["REPLY_TO"]) == (0, 4)
    assert sorted(map(tuple, store.interaction_frame()[["src", "dst"]].values.tolist())) == \
        [("twitter:danaw", "twitter:brand")] * 3 + [("twitter:sam", "twitter:brand")]
