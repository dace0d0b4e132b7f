"""The workspace's pure pieces: mentions in notes, and naming a queue's changes."""

from __future__ import annotations

from api.workspace.collab import delivery, highlight_mentions, mentions
from api.workspace.events import changes


def test_mentions_are_names_after_an_at_sign() -> None:
    assert mentions("ask @Bob.k and @alice, not mail@example.com.") == {"bob.k", "alice"}
    assert str(highlight_mentions("<b>@bob</b> see")) == (
        '&lt;b&gt;<mark class="mention">@bob</mark>&lt;/b&gt; see')


def test_recorded_responses_wait_to_be_sent_by_hand() -> None:
    assert delivery({"postId": "twitter:scrm-0a1b"}) == "by hand"
    assert delivery({"postId": "twitter:2095926784559467069"}) is None


def test_changes_name_what_the_write_did() -> None:
    before = {"a": ("OPEN", None, "t1"), "b": ("OPEN", None, "t1"), "c": ("OPEN", None, "t1")}
    after = {"a": ("ASSIGNED", "bob", "t1"), "c": ("OPEN", None, "t2"), "d": ("OPEN", None, "t")}
    found = changes(before, after, {"b"}, grew=True, shrank=False)
    assert sorted(found) == [("assignment", "a"), ("care-item", "c"), ("care-item", "d"),
                             ("resolution", "b")]
    # a page move (one leaves the first page as another enters) is not news
    moved = changes({"a": ("OPEN", None, "t")}, {"b": ("OPEN", None, "t")}, set(),
                    grew=False, shrank=False)
    assert moved == [("queue", "b"), ("queue", "a")]
