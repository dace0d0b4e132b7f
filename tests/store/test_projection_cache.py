"""The embedded store keeps the interaction projection beside the database and reads only
what changed; whatever happens in between, the frame equals one built from scratch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from graph.embedded import EmbeddedStore
from graph.model import Customer, OwnsLink, Post, PostKind
from graph.store import GraphBatch

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def post(pid: str, author: str, minutes: int, **kw: object) -> Post:
    return Post(platform="twitter", post_id=pid, author_handle=author,
                created_at=T0 + timedelta(minutes=minutes), text=f"post {pid}",
                **kw)  # type: ignore[arg-type]


def frame(store: EmbeddedStore) -> pd.DataFrame:
    f = store.interaction_frame().astype({"src": str, "dst": str, "kind": str})
    return f.sort_values(["src", "dst", "kind", "created_at"]).reset_index(drop=True)


def fresh(store: EmbeddedStore) -> pd.DataFrame:
    store._projection_path.unlink(missing_ok=True)  # noqa: SLF001 - the cache under test
    return frame(store)


def test_cache_follows_new_posts_late_edges_forgetting_and_damage(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        store.write_batch(GraphBatch(
            customers=[Customer("c1", name="Ann")],
            links=[OwnsLink("c1", "twitter", "ann")],
            posts=[post("1", "ann", 0), post("2", "bob", 1, kind=PostKind.REPLY, parent_id="1",
                                                 mentions=("ann",))]))
        first = frame(store)
        assert store._projection_path.exists() and len(first) == 2  # noqa: SLF001
        # new posts: only they are read, the result is complete
        store.write_batch(GraphBatch(posts=[post("3", "cat", 2, kind=PostKind.REPLY,
                                                 parent_id="2"), post("4", "ann", 3,
                                                 kind=PostKind.QUOTE, shared_id="2")]))
        assert frame(store).equals(fresh(store)) and len(frame(store)) == 4
        # a reply that arrived before its parent: the edge lands on an old post later
        store.write_batch(GraphBatch(posts=[post("6", "dan", 5, kind=PostKind.REPLY,
                                                 parent_id="5")]))
        frame(store)  # cached without the edge (the parent is not there yet)
        store.write_batch(GraphBatch(posts=[post("5", "ann", 4)]))
        late = frame(store)
        assert late.equals(fresh(store))
        assert (late["src"] == "twitter:dan").sum() == 1
        # sentiment is always current, even for cached rows
        store.write_post_sentiment(["twitter:2"], [0.5], "vader")
        assert frame(store).loc[lambda f: f["src"] == "twitter:bob", "sentiment"].eq(0.5).all()
        # forgetting re-keys an account: the cache is rebuilt, nothing points at the old key
        store.forget_customer("c1")
        after = frame(store)
        assert after.equals(fresh(store)) and len(after) == len(late)
        assert "twitter:ann" not in set(after["src"]) | set(after["dst"])
        # a damaged cache file is rebuilt, not trusted
        store._projection_path.write_bytes(b"not arrow")  # noqa: SLF001
        assert frame(store).equals(fresh(store))


def test_read_only_handles_use_but_do_not_write_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "db.lbdb"
    with EmbeddedStore(path) as store:
        store.write_batch(GraphBatch(posts=[post("1", "ann", 0),
                                            post("2", "bob", 1, kind=PostKind.REPLY,
                                                 parent_id="1")]))
    with EmbeddedStore(path, read_only=True) as reader:
        assert len(reader.interaction_frame()) == 1
    assert not (tmp_path / "db.lbdb.projection.arrow").exists()


def test_a_database_rebuilt_at_the_same_path_ignores_the_old_cache(tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "db.lbdb"
    batch = [post("1", "ann", 0), post("2", "bob", 1, kind=PostKind.REPLY, parent_id="1")]
    with EmbeddedStore(path) as store:
        store.write_batch(GraphBatch(posts=batch))
        frame(store)
    for f in tmp_path.iterdir():  # rebuild: same path, same edge count, other people
        if f.name != "db.lbdb.projection.arrow":
            shutil.rmtree(f) if f.is_dir() else f.unlink()
    with EmbeddedStore(path) as store:
        store.write_batch(GraphBatch(posts=[post("1", "cat", 0), post(
            "2", "dan", 1, kind=PostKind.REPLY, parent_id="1")]))
        assert frame(store)["src"].tolist() == ["twitter:dan"]


def activity(store: EmbeddedStore) -> pd.DataFrame:
    return store.author_activity().sort_values("author_key").reset_index(drop=True)


def fresh_activity(store: EmbeddedStore) -> pd.DataFrame:
    store._cache_path("activity").unlink(missing_ok=True)  # noqa: SLF001 - the cache under test
    return activity(store)


def test_author_activity_is_kept_and_follows_new_posts_and_forgetting(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        store.write_batch(GraphBatch(
            customers=[Customer("c1", name="Ann")],
            links=[OwnsLink("c1", "twitter", "ann")],
            posts=[post("1", "ann", 0), post("2", "bob", 1, kind=PostKind.REPLY, parent_id="1",
                                                 accepted=True)]))
        first = activity(store)
        assert store._cache_path("activity").exists()  # noqa: SLF001
        assert first.set_index("author_key")["accepted_answers"].to_dict() == {
            "twitter:ann": 0, "twitter:bob": 1}
        store.write_batch(GraphBatch(posts=[post("3", "ann", 5), post("4", "cat", 2)]))
        grown = activity(store)
        assert grown.equals(fresh_activity(store))
        ann = grown.set_index("author_key").loc["twitter:ann"]
        assert ann["posts"] == 2 and ann["last_post_at"] == pd.Timestamp(
            T0.replace(tzinfo=None) + timedelta(minutes=5))
        store.forget_customer("c1")
        assert not store._cache_path("activity").exists()  # noqa: SLF001 - it named ann
        after = activity(store)
        assert after.equals(fresh_activity(store))
        assert "twitter:ann" not in set(after["author_key"])
        store._cache_path("activity").write_bytes(b"not arrow")  # noqa: SLF001
        assert activity(store).equals(fresh_activity(store))


def brand(store: EmbeddedStore, terms: tuple[str, ...] = ("roast",)) -> pd.DataFrame:
    return store.brand_posts(list(terms)).sort_values("key").reset_index(drop=True)


def fresh_brand(store: EmbeddedStore, terms: tuple[str, ...] = ("roast",)) -> pd.DataFrame:
    store._cache_path("brandposts").unlink(missing_ok=True)  # noqa: SLF001 - the cache under test
    return brand(store, terms)


def test_brand_posts_are_kept_and_follow_new_posts_threads_sentiment_and_brand(
        tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        store.write_batch(GraphBatch(posts=[
            post("1", "shop", 0), post("2", "ann", 1, kind=PostKind.REPLY, parent_id="1"),
            post("3", "bob", 2, mentions=("shop",)), post("4", "cat", 3),
            post("5", "cat", 4, kind=PostKind.REPLY, parent_id="4")]))
        store.set_brand(["twitter:shop"], {})
        first = brand(store)
        assert store._cache_path("brandposts").exists()  # noqa: SLF001
        assert first["key"].tolist() == ["twitter:2", "twitter:3"]
        # new posts: a mention, a reply to the brand, a reply that names the term
        store.write_batch(GraphBatch(posts=[
            post("6", "dan", 5, mentions=("shop",)),
            post("7", "eve", 6, kind=PostKind.REPLY, parent_id="1"),
            Post(platform="twitter", post_id="8", author_handle="fay",
                 created_at=T0 + timedelta(minutes=7), text="the ROAST is great",
                 kind=PostKind.REPLY, parent_id="4")]))
        grown = brand(store)
        assert grown.equals(fresh_brand(store))
        assert grown["key"].tolist() == ["twitter:2", "twitter:3", "twitter:6", "twitter:7",
                                         "twitter:8"]
        # sentiment scored after the rows were kept is the current one
        store.write_post_sentiment(["twitter:2", "twitter:8"], [0.5, -0.5], "vader")
        scored = brand(store)
        assert scored.equals(fresh_brand(store))
        assert scored.set_index("key").loc[["twitter:2", "twitter:8"], "sentiment"].tolist() \
            == [0.5, -0.5]
        # a reply that arrived before its parent, the brand's post: an old post gains
        # an edge, so the kept rows are not trusted
        store.write_batch(GraphBatch(posts=[post("10", "gus", 9, kind=PostKind.REPLY,
                                                 parent_id="9")]))
        brand(store)
        store.write_batch(GraphBatch(posts=[post("9", "shop", 8)]))
        late = brand(store)
        assert late.equals(fresh_brand(store)) and "twitter:10" in set(late["key"])
        # a thread the brand starts late: older posts in it join
        store.write_batch(GraphBatch(posts=[Post(
            platform="twitter", post_id="11", author_handle="hal",
            created_at=T0 + timedelta(minutes=10), text="where is it", conversation_id="12")]))
        brand(store)
        store.write_batch(GraphBatch(posts=[Post(
            platform="twitter", post_id="12", author_handle="shop",
            created_at=T0 + timedelta(minutes=11), text="we start", conversation_id="12")]))
        threaded = brand(store)
        assert threaded.equals(fresh_brand(store)) and "twitter:11" in set(threaded["key"])
        # another brand account or other terms: read afresh
        store.set_brand(["twitter:shop", "twitter:dan"], {})
        assert brand(store).equals(fresh_brand(store))
        assert "twitter:6" not in set(brand(store)["key"])
        assert brand(store, ("great",)).equals(fresh_brand(store, ("great",)))


def test_brand_posts_read_while_another_connection_commits(tmp_path: Path) -> None:
    """A post committed between the cache's mark and its rows (a live source writing while
    the care queue reads) is returned, kept out of the cache, and read again next time."""
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        store.set_brand(["twitter:brand"], {})
        store.write_batch(GraphBatch(posts=[post("1", "ann", 0, mentions=("brand",))]))
        assert len(brand(store)) == 1
        writer = store.sibling()
        original = store._brand_post_rows  # noqa: SLF001 - the race under test
        sneaked = iter([post("2", "bob", 1, mentions=("brand",)),
                        post("3", "cy", 2, mentions=("brand",))])

        def rows_after_a_commit(*args: object) -> pd.DataFrame:
            nxt = next(sneaked, None)
            if nxt is not None:
                writer.write_batch(GraphBatch(posts=[nxt]))
            return original(*args)  # type: ignore[arg-type]

        store._brand_post_rows = rows_after_a_commit  # type: ignore[method-assign, assignment]
        assert sorted(brand(store)["key"]) == ["twitter:1", "twitter:2"]
        assert sorted(brand(store)["key"]) == ["twitter:1", "twitter:2", "twitter:3"]
        store._brand_post_rows = original  # type: ignore[method-assign]
        assert brand(store).equals(fresh_brand(store))
        writer.close()


def test_a_database_from_before_understanding_gains_its_columns(tmp_path: Path) -> None:
    """Opening an old database adds the post understanding columns; its posts are then
    the ones left to understand, and new posts still load."""
    import ladybug
    from test_contract import sample_batch

    from graph.schema import EMBEDDED_SCHEMA, POST_UNDERSTANDING_COLUMNS

    path = tmp_path / "old.lbdb"
    db = ladybug.Database(str(path))
    conn = ladybug.Connection(db)
    for statement in EMBEDDED_SCHEMA:
        conn.execute(statement)
    conn.execute("CREATE (:Post {key: 'twitter:1', text: 'is it broken?', sentiment: 0.2})")
    del conn, db
    with EmbeddedStore(path) as store:
        columns = set(store._df("CALL table_info('Post') RETURN *")["name"])
        assert {name for name, _ in POST_UNDERSTANDING_COLUMNS} <= columns
        assert pd.concat(store.unscored_posts())["key"].tolist() == ["twitter:1"]
        store.write_batch(sample_batch())
    with EmbeddedStore(path) as store:  # applied again: nothing to add
        assert "twitter:2" in set(pd.concat(store.unscored_posts())["key"])


def test_new_posts_without_one_author_edge_are_read_by_their_author_key(
        tmp_path: Path) -> None:
    """The kept activity and brand posts read the new posts' authors through POSTED only
    when each new post has exactly one such edge; a post with none, or with two, is read
    by its author_key, as from scratch."""
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        store.write_batch(GraphBatch(posts=[post("1", "shop", 0),
                                            post("2", "ann", 1, mentions=("shop",))]))
        store.set_brand(["twitter:shop"], {})
        brand(store)
        activity(store)
        store.write_batch(GraphBatch(posts=[post("3", "bob", 2, mentions=("shop",))]))
        store._write(  # noqa: SLF001 - a post no write makes: no author edge
            "CREATE (:Post {key: 'twitter:4', author_key: 'twitter:zed', "
            "text: 'the roast', kind: 'post', created_at: timestamp('2024-03-01 00:03:00')})")
        assert "twitter:4" in set(brand(store)["key"])
        assert brand(store).equals(fresh_brand(store))
        assert "twitter:zed" in set(activity(store)["author_key"])
        assert activity(store).equals(fresh_activity(store))
        store.write_batch(GraphBatch(posts=[post("5", "cat", 4, mentions=("shop",))]))
        store._write(  # noqa: SLF001 - and a post with two author edges
            "MATCH (a:Account {key: 'twitter:ann'}), (p:Post {key: 'twitter:5'}) "
            "CREATE (a)-[:POSTED]->(p)")
        grown = brand(store)
        assert grown.set_index("key").loc["twitter:5", "author_key"] == "twitter:cat"
        assert grown.equals(fresh_brand(store))
        assert activity(store).equals(fresh_activity(store))
