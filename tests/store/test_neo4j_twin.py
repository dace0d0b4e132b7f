"""The Neo4j adapter's write planning against the embedded store's, without a server.

The Neo4j contract cases that read back need a server. Here the Neo4j adapter writes
each batch through a driver whose look-ups (which posts, accounts, conversations and
pending edges exist) are answered by an embedded store holding the same records (the
same statements: they are plain Cypher both databases run), and what it sends is
compared with what the embedded store then does with the same batch: the same
counts, conflicts and pending edges, and every post under the same conversation. A
divergence in planning (the orphan reply's conversation key, say) shows here.

The contract suite's ``neo4j`` cases go further without a server
(``neo4j_twin_driver.py`` runs every statement on LadybugDB); this file keeps the
side-by-side comparison of the two adapters' plans for the same batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Record
from neo4j_recording import RecordingDriver
from test_contract import sample_batch, tw

from graph.embedded import EmbeddedStore
from graph.model import Account, Customer, Follow, OwnsLink, PostKind
from graph.neo4j import Neo4jStore
from graph.neo4j import queries as q
from graph.store import GraphBatch

# The look-ups a post and account batch makes, answered by the embedded database.
LOOKUPS = (q.EXISTING_CUSTOMERS, q.EXISTING_ACCOUNTS, q.EXISTING_POSTS, q.POST_CONVERSATIONS,
           q.EXISTING_CONVERSATIONS, q.PENDING_TOTAL, q.EXISTING_PENDING, q.EXISTING_LINKS,
           q.REJECTED_LINKS, q.EXISTING_FOLLOWS, q.EXISTING_PURCHASES)


class TwinDriver(RecordingDriver):
    """Records what the Neo4j adapter sends; answers its look-ups from ``twin``."""

    def __init__(self, twin: EmbeddedStore) -> None:
        super().__init__()
        self.twin = twin

    def _record(self, query: str, params: dict[str, Any] | None) -> list[Record]:
        super()._record(query, params)
        params = dict(params or {})
        if query in LOOKUPS:
            return [Record(r) for r in self.twin._rows(query, params)]
        if query == q.PENDING_FOR_TARGETS:  # by a property LadybugDB does not index
            wanted = set(params["keys"])
            rows = self.twin._rows("MATCH (e:PendingEdge) RETURN e.key AS key, e.rel AS rel, "
                                   "e.from_key AS from_key, e.to_key AS to_key, "
                                   "e.share_kind AS share_kind")
            return [Record(r) for r in rows if r["to_key"] in wanted]
        return []


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "twin.lbdb")
    try:
        yield store
    finally:
        store.close()


def _same_plan(twin: EmbeddedStore, batch: GraphBatch) -> None:
    # Links and purchases check their customer inside the transaction, which on Neo4j
    # sees the batch's own new customers; the twin answers with the state before the
    # batch, so with new customers those two parts are not compared.
    new_customers = {c.customer_id for c in batch.customers} - {
        r["key"] for r in twin._rows(q.EXISTING_CUSTOMERS, {
            "keys": [c.customer_id for c in batch.customers]})}
    driver = TwinDriver(twin)
    sent = Neo4jStore(driver, "scrm", batch_size=1000, apply_schema=False).write_batch(batch)
    done = twin.write_batch(batch)
    skip = {"links", "purchases"} if new_customers else set()

    def outcome(result: Any) -> tuple[Any, ...]:
        return ({k: v for k, v in result.created.items() if k not in skip},
                {k: v for k, v in result.updated.items() if k not in skip},
                sorted(c for c in result.conflicts if not skip or "CRM" not in c[1]),
                result.pending_edges)

    assert outcome(sent) == outcome(done)
    filed = {r["key"]: r["conversation_key"] for r in driver.rows_sent(q.MERGE_POSTS)}
    if filed:
        stored = {r["key"]: r["c"] for r in twin._rows(
            "UNWIND $keys AS k MATCH (p:Post {key: k}) RETURN p.key AS key, "
            "p.conversation_key AS c", {"keys": list(filed)})}
        assert filed == stored
    moved = {r["from_key"]: r["to_key"] for r in driver.rows_sent(q.MOVE_CONVERSATION_POSTS)}
    assert all(not twin.conversation_posts(k) for k in moved)  # the embedded store moved too


SCENARIOS: dict[str, list[GraphBatch]] = {
    "sample batch, twice": [sample_batch(), sample_batch()],
    "reply before parent": [
        GraphBatch(posts=[tw("c", "danaw", 2, kind=PostKind.REPLY, parent_id="p")]),
        GraphBatch(posts=[tw("p", "sam", 1, kind=PostKind.REPLY, parent_id="r",
                             conversation_id="r")]),
        GraphBatch(posts=[tw("r", "brand", 0)])],
    "chain in reverse": [
        GraphBatch(posts=[tw("g", "danaw", 2, kind=PostKind.REPLY, parent_id="c")]),
        GraphBatch(posts=[tw("c", "sam", 1, kind=PostKind.REPLY, parent_id="r")]),
        GraphBatch(posts=[tw("r", "brand", 0)])],
    "conflicts": [
        GraphBatch(posts=[tw("1", "brand", 0, "a")]),
        GraphBatch(posts=[tw("1", "brand", 0, "b"), tw("2", "sam", 1, "x"),
                          tw("2", "sam", 1, "y")])],
    "links, accounts and follows after the CRM": [
        sample_batch(),
        GraphBatch(
            accounts=[Account("twitter", "sam", followers=40, display_name="Sam"),
                      Account("twitter", "newbie")],
            links=[OwnsLink("c1", "twitter", "danaw", confidence=0.6, method="fuzzy"),
                   OwnsLink("c2", "twitter", "sam", confidence=0.9, method="email"),
                   OwnsLink("c2", "twitter", "newbie", method="manual"),
                   OwnsLink("c9", "twitter", "newbie", confidence=0.5, method="fuzzy")],
            follows=[Follow("twitter", "newbie", "brand"), Follow("twitter", "sam", "brand")],
            customers=[Customer("c2", nps=8)])],
    "shares wait": [
        GraphBatch(posts=[tw("q", "sam", 5, "so true", kind=PostKind.QUOTE, shared_id="o")]),
        GraphBatch(posts=[tw("q", "sam", 5, "so true", kind=PostKind.QUOTE, shared_id="o")]),
        GraphBatch(posts=[tw("o", "brand", 0, "news")])],
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_neo4j_adapter_plans_each_batch_as_the_embedded_store_does(
        twin: EmbeddedStore, name: str) -> None:
    for batch in SCENARIOS[name]:
        _same_plan(twin, batch)
