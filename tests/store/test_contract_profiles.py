"""The store contract for what platforms say about an account (#17): when it was
opened, how many it follows, how many lists name it, the app it last posted from.
Both adapters (``store`` fixture); an old embedded database gains the columns."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from graph.embedded import EmbeddedStore
from graph.model import Account
from graph.store import GraphBatch, GraphStore

OPENED = datetime(2015, 6, 1, 8, 30, tzinfo=UTC)


def _profiles(store: GraphStore, *keys: str) -> dict[str, dict[str, object]]:
    frame = store.account_profiles(list(keys))
    return {str(r["key"]): r for r in frame.to_dict("records")}


def test_profile_fields_round_trip_and_stubs_keep_them(store: GraphStore) -> None:
    full = Account("twitter", "Bottish", followers=40, created_at=OPENED, following=4000,
                   listed=2, client="dlvr.it")
    result = store.write_batch(GraphBatch(accounts=[full, Account("twitter", "plain")]))
    assert result.created["accounts"] == 2
    got = _profiles(store, "twitter:bottish", "twitter:plain", "twitter:nobody")
    assert set(got) == {"twitter:bottish", "twitter:plain"}
    row = got["twitter:bottish"]
    assert (row["followers"], row["following"], row["listed"], row["client"]) == (
        40.0, 4000.0, 2.0, "dlvr.it")
    assert row["created_at"] == pd.Timestamp("2015-06-01 08:30:00")
    plain = got["twitter:plain"]
    assert pd.isna(plain["created_at"]) and pd.isna(plain["following"])
    assert plain["client"] is None
    # the same profile again changes nothing; a stub (a mention) erases nothing
    again = store.write_batch(GraphBatch(accounts=[full, Account("twitter", "bottish")]))
    assert again.updated.get("accounts", 0) == 0
    # a newer post from another app, with new counts, updates them
    store.write_batch(GraphBatch(accounts=[Account("twitter", "bottish", following=4100,
                                                   client="Twitter for iPhone")]))
    row = _profiles(store, "twitter:bottish")["twitter:bottish"]
    assert (row["following"], row["listed"], row["client"]) == (
        4100.0, 2.0, "Twitter for iPhone")
    assert row["created_at"] == pd.Timestamp("2015-06-01 08:30:00")


def test_profile_fields_are_exported(store: GraphStore) -> None:
    """``scrm migrate`` copies them: the export carries them."""
    store.write_batch(GraphBatch(accounts=[Account(
        "mastodon", "ann@example.social", created_at=OPENED, following=12, listed=None,
        client="Tusky")]))
    exported = [a for batch in store.export_batches(100)  # type: ignore[attr-defined]
                for a in batch.accounts]
    ann = next(a for a in exported if a.handle == "ann@example.social")
    assert (ann.created_at, ann.following, ann.listed, ann.client) == (
        OPENED, 12, None, "Tusky")


def test_an_old_database_gains_the_profile_columns(tmp_path: Path) -> None:
    import ladybug

    from graph.schema import ACCOUNT_PLATFORM_COLUMNS, EMBEDDED_SCHEMA

    path = tmp_path / "old.lbdb"
    db = ladybug.Database(str(path))
    conn = ladybug.Connection(db)
    for statement in EMBEDDED_SCHEMA:
        conn.execute(statement)
    conn.execute("CREATE (:Account {key: 'twitter:old', platform: 'twitter', "
                 "handle: 'old', followers: 7})")
    del conn, db
    with EmbeddedStore(path) as store:
        columns = set(store._df("CALL table_info('Account') RETURN *")["name"])
        assert {name for name, _ in ACCOUNT_PLATFORM_COLUMNS} <= columns
        row = _profiles(store, "twitter:old")["twitter:old"]
        assert row["followers"] == 7.0 and pd.isna(row["created_at"])
        store.write_batch(GraphBatch(accounts=[Account("twitter", "old", listed=3,
                                                       created_at=OPENED)]))
    with EmbeddedStore(path) as store:  # applied again: nothing to add
        row = _profiles(store, "twitter:old")["twitter:old"]
        assert (row["followers"], row["listed"]) == (7.0, 3.0)
        assert row["created_at"] == pd.Timestamp("2015-06-01 08:30:00")
