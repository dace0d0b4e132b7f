"""The write plan both adapters follow (``graph.planning``), without a store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from graph.model import Post, PostKind
from graph.planning import PostEdge, PostPlan, content_hash, split_edges
from graph.store import Conflict, WriteResult

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def tw(post_id: str, text: str = "", **kw: object) -> Post:
    return Post(platform="twitter", post_id=post_id, author_handle="sam", created_at=T0,
                text=text or f"post {post_id}", **kw)  # type: ignore[arg-type]


def plan(posts: list[Post], stored_hashes: dict[str, int] | None = None,
         parents: dict[str, str | None] | None = None,
         stored_texts: dict[str, str] | None = None) -> tuple[PostPlan, WriteResult]:
    result = WriteResult()
    p = PostPlan.of(posts, result)
    p.keep_new(stored_hashes or {}, result)
    p.settle(stored_texts or {}, result)
    p.assign_conversations(parents or {})
    return p, result


def test_new_conflicting_and_repeated_posts() -> None:
    same = tw("1")
    p, result = plan([same, same, tw("2"), tw("2", "other"), tw("3")],
                     stored_hashes={"twitter:1": content_hash(same), "twitter:3": 0})
    assert p.new_keys == ["twitter:2"]
    assert sorted(k for k, *_ in result.conflicts) == ["twitter:2", "twitter:3"]
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


FULL = "The whole story of the new roast, every word of it"
CUT = "The whole story of the new… https://t.co/abc123"


def test_a_full_text_replaces_a_stored_shortened_one() -> None:
    p, result = plan([tw("1", FULL)], stored_hashes={"twitter:1": content_hash(tw("1", CUT))},
                     stored_texts={"twitter:1": CUT})
    assert result.conflicts == [] and p.new_keys == []
    assert p.replacements == [("twitter:1", FULL, content_hash(tw("1", FULL)), None, None)]
    assert result.updated["posts"] == 1
    scored = replace(tw("1", FULL), sentiment=-0.5, sentiment_model="vader")
    p, _ = plan([scored], stored_hashes={"twitter:1": content_hash(tw("1", CUT))},
                stored_texts={"twitter:1": CUT})
    assert p.replacements[0][3:] == (-0.5, "vader")  # scored on arrival: kept


def test_a_shortened_or_embedded_copy_after_the_full_one_is_no_conflict() -> None:
    full = tw("1", FULL)
    stored = {"twitter:1": content_hash(full)}
    for copy in (tw("1", CUT), tw("1", "The whole", truncated=True),
                 tw("1", "anything at all", embedded=True)):
        p, result = plan([copy], stored_hashes=stored, stored_texts={"twitter:1": FULL})
        assert result.conflicts == [] and p.replacements == [] and p.new_keys == []


def test_other_author_or_text_is_a_stored_conflict() -> None:
    p, result = plan([tw("1", FULL)], stored_hashes={"twitter:1": 1},
                     stored_texts={"twitter:1": CUT})
    assert result.conflicts == [Conflict("twitter:1", result.conflicts[0].reason, "stored")]
    assert p.replacements == []


def test_copies_in_one_batch_keep_the_fuller_one() -> None:
    for posts in ([tw("1", CUT), tw("1", FULL)], [tw("1", FULL), tw("1", CUT)],
                  [tw("1", "other", embedded=True), tw("1", FULL)]):
        p, result = plan(posts)
        assert result.conflicts == [] and [x.text for x in p.posts] == [FULL]
    _, result = plan([tw("1", FULL), tw("1", "edited")])
    assert [(c.key, c.kind) for c in result.conflicts] == [("twitter:1", "in_batch")]
