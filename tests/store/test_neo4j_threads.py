"""The thread rule on the Neo4j adapter, judged by what it sends (no server needed).

The contract suite (``test_contract.py``) reads threads back, which needs a Neo4j
server; here each step answers the adapter's look-ups with the state a store would
hold at that point and checks the conversation it writes each post under and the
provisional conversations it moves, so a planning divergence between the adapters
shows without one. The statements themselves are linted in ``test_cypher_lint.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j_recording import RecordingDriver

from graph.model import Post, PostKind
from graph.neo4j import Neo4jStore
from graph.neo4j import queries as q
from graph.store import GraphBatch

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def tw(post_id: str, minutes: int, **kw: Any) -> Post:
    return Post(platform="twitter", post_id=post_id, author_handle="sam",
                created_at=T0 + timedelta(minutes=minutes), text=f"post {post_id}", **kw)


def write(posts: list[Post], *, stored: dict[str, str] | None = None,
          conversations: tuple[str, ...] = ()) -> RecordingDriver:
    """Write ``posts`` to a Neo4j adapter whose store holds the ``stored`` posts (key →
    conversation key) and the ``conversations``; the driver that recorded it."""
    stored = stored or {}
    driver = RecordingDriver(answers={
        q.EXISTING_POSTS: [{"key": k, "content_hash": 0} for k in stored],
        q.POST_CONVERSATIONS: [{"key": k, "conversation_key": c} for k, c in stored.items()],
        q.EXISTING_CONVERSATIONS: [{"key": k} for k in conversations],
        q.PENDING_TOTAL: [{"n": 0}],
    })
    Neo4jStore(driver, "scrm", batch_size=1000).write_batch(GraphBatch(posts=posts))
    return driver


def filed(driver: RecordingDriver) -> dict[str, str]:
    return {r["key"]: r["conversation_key"] for r in driver.rows_sent(q.MERGE_POSTS)}


def moved(driver: RecordingDriver) -> list[tuple[str, str]]:
    return [(r["from_key"], r["to_key"]) for r in driver.rows_sent(q.MOVE_CONVERSATION_POSTS)]


def test_a_reply_naming_no_thread_joins_its_stored_parents_conversation() -> None:
    driver = write([tw("c", 2, kind=PostKind.REPLY, parent_id="p")],
                   stored={"twitter:p": "twitter:r", "twitter:r": "twitter:r"},
                   conversations=("twitter:r",))
    assert filed(driver) == {"twitter:c": "twitter:r"}
    assert moved(driver) == []


def test_a_reply_before_its_parent_is_filed_under_the_parents_key() -> None:
    driver = write([tw("c", 2, kind=PostKind.REPLY, parent_id="p")])
    assert filed(driver) == {"twitter:c": "twitter:p"}
    assert [r["to_key"] for r in driver.rows_sent(q.MERGE_PENDING)] == ["twitter:p"]


def test_the_parent_arriving_moves_its_replies_to_its_conversation() -> None:
    driver = write([tw("p", 1, kind=PostKind.REPLY, parent_id="r", conversation_id="r")],
                   stored={"twitter:c": "twitter:p"}, conversations=("twitter:p",))
    assert filed(driver) == {"twitter:p": "twitter:r"}
    assert moved(driver) == [("twitter:p", "twitter:r")]
    assert driver.rows_sent(q.DELETE_CONVERSATIONS) == [{"key": "twitter:p"}]
    # the move runs after the real conversation was merged with the new post
    order = [sent for sent, _ in driver.calls]
    assert order.index(q.MERGE_POSTS) < order.index(q.MOVE_CONVERSATION_POSTS)


def test_a_chain_arriving_in_reverse_moves_one_step_at_a_time() -> None:
    first = write([tw("g", 2, kind=PostKind.REPLY, parent_id="c")])
    assert filed(first) == {"twitter:g": "twitter:c"}
    second = write([tw("c", 1, kind=PostKind.REPLY, parent_id="r")],
                   stored={"twitter:g": "twitter:c"}, conversations=("twitter:c",))
    assert filed(second) == {"twitter:c": "twitter:r"}
    assert moved(second) == [("twitter:c", "twitter:r")]
    third = write([tw("r", 0)], stored={"twitter:g": "twitter:r", "twitter:c": "twitter:r"},
                  conversations=("twitter:r",))
    assert filed(third) == {"twitter:r": "twitter:r"}
    assert moved(third) == []


def test_a_chain_in_one_batch_in_reverse_order_is_one_conversation() -> None:
    driver = write([tw("g", 2, kind=PostKind.REPLY, parent_id="c"),
                    tw("c", 1, kind=PostKind.REPLY, parent_id="r"), tw("r", 0)])
    assert filed(driver) == dict.fromkeys(("twitter:g", "twitter:c", "twitter:r"), "twitter:r")
    assert moved(driver) == []
