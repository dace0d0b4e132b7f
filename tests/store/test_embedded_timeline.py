"""The embedded timeline's second way of reading a direction.

The embedded adapter reads each direction of a timeline whole and orders it in Python,
unless it has more than ``EmbeddedStore._TIMELINE_CAP`` rows (a brand account's
mentions), when the database filters, orders and cuts it. The contract suite's graphs
are small, so they take the first way; these run the same timeline contract tests with
the cap at zero, every direction ordered by the database, and compare both ways on
filters and cursors.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import test_contract as contract
import test_contract_timelines as timelines

from graph.embedded import EmbeddedStore
from graph.store import TimelineFilter


@pytest.fixture
def database_ordered(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[EmbeddedStore]:
    monkeypatch.setattr(EmbeddedStore, "_TIMELINE_CAP", 0)
    store = EmbeddedStore(tmp_path / "timeline.lbdb")
    try:
        yield store
    finally:
        store.close()


def test_newest_first_with_reply_over_mention(database_ordered: EmbeddedStore) -> None:
    timelines.test_timeline_newest_first_with_reply_over_mention(database_ordered)


@pytest.mark.parametrize("page_size", [1, 3])
def test_cursor_pages_have_no_gaps_or_duplicates(database_ordered: EmbeddedStore,
                                                 page_size: int) -> None:
    timelines.test_timeline_cursor_pages_have_no_gaps_or_duplicates(database_ordered, page_size)


def test_filters(database_ordered: EmbeddedStore) -> None:
    database_ordered.write_batch(contract.sample_batch())
    timelines.test_timeline_filters(database_ordered)


def test_intent_and_language_filters(database_ordered: EmbeddedStore) -> None:
    database_ordered.write_batch(contract.sample_batch())
    timelines.test_timeline_filters_by_intent_and_language(database_ordered)


def test_both_ways_agree(database_ordered: EmbeddedStore,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    store = database_ordered
    store.write_batch(timelines.timeline_batch())
    store.write_batch(contract.sample_batch())
    accounts = ["twitter:danaw", "twitter:brand", "twitter:sam"]
    everything = store.timeline(accounts, first=100)
    assert len(everything) > 8
    cursor = everything[4].cursor_key
    cases: list[dict[str, object]] = [
        {}, {"before": cursor},
        {"filters": TimelineFilter(kinds=("reply", "share"))},
        {"filters": TimelineFilter(platforms=("twitter",), directions=("mention_received",))},
        {"filters": TimelineFilter(since=contract.at(2), until=contract.at(6))},
    ]
    for case in cases:
        for first in (1, 4, 50):
            monkeypatch.setattr(EmbeddedStore, "_TIMELINE_CAP", 0)
            by_database = store.timeline(accounts, first=first, **case)  # type: ignore[arg-type]
            monkeypatch.setattr(EmbeddedStore, "_TIMELINE_CAP", 4096)
            in_python = store.timeline(accounts, first=first, **case)  # type: ignore[arg-type]
            assert in_python == by_database, (case, first)
            assert in_python, case
