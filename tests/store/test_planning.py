"""The write plan both adapters follow (``graph.planning``), without a store."""

from __future__ import annotations

from datetime import UTC, datetime

from graph.model import Post, PostKind
from graph.planning import PostEdge, PostPlan, content_hash, split_edges
from graph.store import WriteResult

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def tw(post_id: str, text: str = "", **kw: object) -> Post:
    return Post(platform="twitter", post_id=post_id, author_handle="sam", created_at=T0,
                text=text or f"post {post_id}", **kw)  # type: ignore[arg-type]


def plan(posts: list[Post], stored_hashes: dict[str, int] | None = None,
         parents: dict[str, str | None] | None = None) -> tuple[PostPlan, WriteResult]:
    result = WriteResult()
    p = PostPlan.of(posts, result)
    p.keep_new(stored_hashes or {}, result)
    p.assign_conversations(parents or {})
    return p, result


def test_new_conflicting_and_repeated_posts() -> None:
    same = tw("1")
    p, result = plan([same, same, tw("2"), tw("2", "other"), tw("3")],
                     stored_hashes={"twitter:1": content_hash(same), "twitter:3": 0})
    assert p.new_keys == ["twitter:2"]
    assert sorted(k for k, _ in result.conflicts) == ["twitter:2", "twitter:3"]
    assert result.created["posts"] == 1


def test_conversations_follow_parents_in_the_batch_and_in_the_store() -> None:
    p, _ = plan([tw("a", kind=PostKind.REPLY, parent_id="x"),
                 tw("b", kind=PostKind.REPLY, parent_id="y"),
                 tw("c", kind=PostKind.REPLY, parent_id="b"),
                 tw("d", kind=PostKind.REPLY, parent_id="x", conversation_id="t")],
                parents={"twitter:x": "twitter:root"})
    assert p.parents_to_look_up() == ["twitter:x", "twitter:y"]
    assert p.conversations == ["twitter:root", "twitter:y", "twitter:y", "twitter:t"]
    # every new reply's own key may have posts filed under it provisionally
    assert p.moves({"twitter:b", "twitter:z"}) == {"twitter:b": "twitter:y"}


def test_a_cycle_of_replies_does_not_loop() -> None:
    p, _ = plan([tw("a", kind=PostKind.REPLY, parent_id="b"),
                 tw("b", kind=PostKind.REPLY, parent_id="a")])
    assert len(set(p.conversations)) == 1


def test_edges_wait_for_targets_not_present() -> None:
    p, _ = plan([tw("a", kind=PostKind.REPLY, parent_id="b"),
                 tw("b", kind=PostKind.QUOTE, shared_id="z")])
    edges = p.post_edges()
    assert p.targets_to_look_up(edges) == ["twitter:z"]
    ready, waiting = split_edges(edges, {*p.new_keys})
    assert ready == [PostEdge("REPLY_TO", "twitter:a", "twitter:b", None)]
    assert waiting == [PostEdge("SHARES", "twitter:b", "twitter:z", "quote")]
