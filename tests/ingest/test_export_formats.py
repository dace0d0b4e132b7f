"""Formats people actually have (issue #17), on the real files in ../shared/data/formats:
Gnip Activity Streams tweets, API v2 output saved as data_*/users_* JSON files, JSON
arrays and pretty-printed JSON, and Reddit API listings and threads."""

from __future__ import annotations

import json
from pathlib import Path

from graph.embedded import EmbeddedStore
from ingest.pipeline import ingest_paths

FORMATS = "formats"


def _things(obj: object) -> set[str]:
    """The fullnames of every comment (t1) and submission (t3) in a Reddit response."""
    found: set[str] = set()
    if isinstance(obj, list):
        for item in obj:
            found |= _things(item)
    elif isinstance(obj, dict):
        if obj.get("kind") in ("t1", "t3") and isinstance(obj.get("data"), dict):
            found.add(obj["data"]["name"])
        for value in obj.values():
            found |= _things(value)
    return found


def test_gnip_activity_streams_load_as_the_same_tweets(tmp_path: Path,
                                                        shared_data: Path) -> None:
    folder = shared_data / FORMATS / "twitter-tweet-parser"
    gnip = folder / "tp_activity_streams_examples.json"
    activities = [json.loads(x) for x in gnip.read_text(encoding="utf-8").splitlines()]
    ids = {a["id"].rsplit(":", 1)[1] for a in activities}
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        reports, _ = ingest_paths(store, "twitter", [gnip], rejects_dir=tmp_path / "r")
        posts = store.post_details([f"twitter:{i}" for i in ids])
        # the same tweets in v1.1 form are the same posts, not conflicts
        v1, _ = ingest_paths(store, "twitter", [folder / "tp_original_format_examples.json"],
                             rejects_dir=tmp_path / "r")
    assert (reports[0].read, reports[0].loaded, reports[0].rejected) == (25, 25, 0)
    assert len(posts) == len(ids)
    assert (v1[0].loaded, v1[0].rejected) == (25, 0)


def test_academictwitter_data_and_users_files_load_with_their_authors(
        tmp_path: Path, shared_data: Path) -> None:
    folder = shared_data / FORMATS / "twitter-v2-folders"
    data_files = sorted(folder.glob("*_data_*.json"))
    tweets = [t for f in data_files for t in json.loads(f.read_text(encoding="utf-8"))]
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        reports, _ = ingest_paths(store, "twitter", [folder], rejects_dir=tmp_path / "r")
        posts = store.post_details([f"twitter:{t['id']}" for t in tweets])
        hk = json.loads(next(folder.glob("hk_users_*.json")).read_text(encoding="utf-8"))
        author = next(u for u in hk["users"] if u["id"] == tweets[-1]["author_id"]) \
            if any(u["id"] == tweets[-1]["author_id"] for u in hk["users"]) else None
        frame = store.account_frame()
    assert all(r.rejected == 0 for r in reports)
    assert sum(r.read for r in reports if "_data_" in r.source_file) == len(tweets)
    assert len(posts) == len({t["id"] for t in tweets})
    # authors come from the users file beside each data file, not as bare ids
    assert not posts["url"].str.contains("/id:").any()
    handles = set(frame["handle"])
    assert {u["username"].lower() for u in hk["users"]} <= handles
    if author is not None:
        assert author["username"].lower() in handles


def test_json_array_and_pretty_printed_files(tmp_path: Path) -> None:
    def page(tid: str) -> dict[str, object]:
        return {"data": [{"id": tid, "author_id": "1", "text": f"post {tid}",
                          "created_at": "2026-09-01T10:00:00.000Z"}],
                "includes": {"users": [{"id": "1", "username": "ada"}]}}

    array = tmp_path / "pages.json"
    array.write_text(json.dumps([page("1"), page("2")], indent=2), encoding="utf-8")
    pretty = tmp_path / "page.json"
    pretty.write_text(json.dumps(page("3"), indent=2), encoding="utf-8")
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        reports, _ = ingest_paths(store, "twitter", [array, pretty],
                                  rejects_dir=tmp_path / "r")
        assert store.counts()["Post"] == 3
    assert [(r.read, r.loaded, r.rejected) for r in reports] == [(2, 2, 0), (1, 1, 0)]


def test_reddit_api_listings_and_threads_load(tmp_path: Path, shared_data: Path) -> None:
    folder = shared_data / FORMATS / "reddit-api-listings"
    thread = json.loads((folder / "graw_thread.json").read_text(encoding="utf-8"))
    things = _things(thread)
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        reports, rejects = ingest_paths(store, "reddit", [folder], rejects_dir=tmp_path / "r")
        posts = store.post_details([f"reddit:{n}" for n in things])
        counts = store.counts()
    by_name = {Path(r.source_file).name: r for r in reports}
    assert by_name["graw_thread.json"].rejected == 0
    assert len(posts) == len(things) == 200  # the submission and its 199 comments
    assert (by_name["graw_subreddit.json"].loaded, by_name["graw_user.json"].loaded) == (1, 1)
    assert counts["Post"] >= 200 + 27
    # the inbox's private messages are named, not loaded as posts
    inbox = by_name["graw_inbox.json"]
    assert (inbox.loaded, inbox.rejected) == (1, 4)
    reasons = [json.loads(x)["reason"] for x in rejects.read_text("utf-8").splitlines()]
    assert all("private message (t4)" in r for r in reasons)


def test_a_reddit_listing_given_to_twitter_names_the_format(tmp_path: Path,
                                                            shared_data: Path) -> None:
    listing = shared_data / FORMATS / "reddit-api-listings" / "graw_subreddit.json"
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        try:
            ingest_paths(store, "twitter", [listing], rejects_dir=tmp_path / "r")
        except Exception as exc:  # nothing loaded: the error names the fix
            assert "scrm ingest reddit" in str(exc)
        else:
            raise AssertionError("a Reddit listing loaded as Twitter")
