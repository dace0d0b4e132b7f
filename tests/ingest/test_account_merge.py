"""How the accounts a batch names are merged before either store writes them."""

from __future__ import annotations

from datetime import UTC, datetime

from graph.batch import GIVEN_ACCOUNT_FIELDS, account_changes, merge_account_values, merge_accounts
from graph.model import Account, Post
from graph.store import GraphBatch


def _values(**given: object) -> tuple[object, ...]:
    return tuple(given.get(f) for f in GIVEN_ACCOUNT_FIELDS)


def test_later_known_fields_win_and_unknown_ones_keep_earlier_values() -> None:
    batch = GraphBatch(accounts=[
        Account("twitter", "Dana", user_id="7", followers=10, is_brand=True),
        Account("twitter", "@dana", display_name="Dana W", followers=12),
        Account("twitter", "dana", user_id="7", followers=12, display_name="Dana W"),
    ])
    merged = merge_account_values(batch)
    assert merged == {"twitter:dana": _values(user_id="7", display_name="Dana W", followers=12,
                                              is_brand=True)}
    assert merge_accounts(batch) == {"twitter:dana": {
        "key": "twitter:dana", "platform": "twitter", "handle": "dana", "user_id": "7",
        "display_name": "Dana W", "followers": 12, "is_brand": True}}


def test_stubs_give_nothing_and_never_override_a_given_account() -> None:
    post = Post("Twitter", "1", "Sam", datetime(2026, 1, 1, tzinfo=UTC), mentions=("Dana",))
    merged = merge_accounts(GraphBatch(posts=[post], accounts=[
        Account("twitter", "dana", followers=0)]))
    assert merged["twitter:sam"] == {"key": "twitter:sam", "platform": "twitter",
                                     "handle": "sam"}
    assert merged["twitter:dana"]["followers"] == 0  # zero is a value, not "unknown"
    assert "is_brand" not in merged["twitter:dana"]  # only set_brand marks a brand


def test_a_change_is_a_given_field_that_differs() -> None:
    stored = _values(user_id="7", display_name="Dana", followers=10, is_brand=True)
    assert account_changes(_values(), stored) == ()
    assert account_changes(_values(followers=10, is_brand=False), stored) == ()
    assert account_changes(_values(followers=11), stored) == ("followers",)
    assert account_changes(_values(location="Oslo"), stored) == ("location",)
    assert account_changes(_values(followers=11, location="Oslo"), stored) == (
        "followers", "location")
