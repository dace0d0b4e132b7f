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


class _View:
    """A view's arrays, as :class:`api.carequeue.QueueView` has them."""

    def __init__(self, items: dict[str, tuple[str, str | None, int]]) -> None:
        import numpy as np

        self.total = len(items)
        self.keys = np.array(list(items), dtype=object)
        self.states = np.array([v[0] for v in items.values()], dtype=object)
        self.assignees = np.array([v[1] for v in items.values()], dtype=object)
        self.times = np.array([v[2] for v in items.values()], dtype=np.int64)


def test_changes_found_over_arrays_are_those_of_whole_views() -> None:
    import random

    from api.workspace.events import differing

    rng = random.Random(7)
    for _ in range(200):
        keys = [f"k{n}" for n in rng.sample(range(40), rng.randint(0, 30))]
        before = {k: (rng.choice(["open", "assigned"]), rng.choice([None, "ana"]),
                      rng.randint(1, 3)) for k in keys}
        after = {k: v for k, v in before.items() if rng.random() < 0.8}
        for k in rng.sample(list(after), min(len(after), 3)):
            after[k] = ("assigned", "bob", after[k][2])
        after.update({f"n{n}": ("open", None, n) for n in range(rng.randint(0, 3))})
        order = list(after)
        rng.shuffle(order)
        after = {k: after[k] for k in order}
        was, now = differing(_View(before), _View(after))
        for grew, shrank in ((True, False), (False, True), (False, False)):
            assert changes(was, now, {"k1"}, grew=grew, shrank=shrank) == changes(
                before, after, {"k1"}, grew=grew, shrank=shrank)
