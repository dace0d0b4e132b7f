"""Ingest keeps what real exports say: the same tweet from two endpoints, embedded copies
that disagree, orders for customers the CRM does not have (issues #17 and #15)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.planning import shortened_of
from ingest.pipeline import ingest_paths

PARSER = "formats/twitter-tweet-parser"
FULL = "tp_original_format_examples.json"  # statuses with extended_tweet.full_text
COMPAT = "tp_public_api_sample.json"  # the same tweets, some with truncated "compat" text
LONG_TWEET = "twitter:867479301360205824"


def _rejects(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines()]


def _full_text(shared_data: Path, tweet_id: str) -> str:
    for line in (shared_data / PARSER / FULL).read_text(encoding="utf-8").splitlines():
        status = json.loads(line)
        if status["id_str"] == tweet_id:
            return str(status["extended_tweet"]["full_text"])
    raise AssertionError(f"{tweet_id} not in {FULL}")


@pytest.mark.parametrize("order", [(FULL, COMPAT), (COMPAT, FULL)], ids=["full-first",
                                                                         "compat-first"])
def test_same_tweet_from_two_endpoints_is_one_tweet(tmp_path: Path, shared_data: Path,
                                                    order: tuple[str, str]) -> None:
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        reports = [ingest_paths(store, "twitter", [shared_data / PARSER / name],
                                rejects_dir=tmp_path / "rejects")[0][0] for name in order]
        text = store.post_details([LONG_TWEET])["text"].iloc[0]
    assert [r.rejected for r in reports] == [0, 0]
    assert [r.loaded for r in reports] == ([25, 20] if order[0] == FULL else [20, 25])
    assert all(r.warnings == 0 for r in reports)
    full = _full_text(shared_data, "867479301360205824")
    # In either order one tweet with the full text, and nothing rejected or warned of:
    # the fuller text replaced the shortened one, or the shortened copy was dropped.
    assert text == full and not shortened_of(text, full)
    assert _rejects(tmp_path / "rejects") == []


def test_both_endpoints_in_one_file_store_the_fuller_text(tmp_path: Path,
                                                          shared_data: Path) -> None:
    mixed = tmp_path / "mixed.jsonl"
    compat = (shared_data / PARSER / COMPAT).read_text(encoding="utf-8")
    full = (shared_data / PARSER / FULL).read_text(encoding="utf-8")
    mixed.write_text(compat + full, encoding="utf-8")
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        reports, _ = ingest_paths(store, "twitter", [mixed], rejects_dir=tmp_path / "rejects")
        text = store.post_details([LONG_TWEET])["text"].iloc[0]
    assert (reports[0].read, reports[0].loaded, reports[0].rejected) == (45, 45, 0)
    assert text == _full_text(shared_data, "867479301360205824")


def _status(tweet_id: str, text: str, user: str = "alice", **extra: object) -> dict[str, object]:
    return {"id_str": tweet_id, "created_at": "Wed May 24 20:35:57 +0000 2017", "text": text,
            "user": {"id_str": f"u-{user}", "screen_name": user}, **extra}


def test_an_embedded_copy_that_conflicts_never_costs_the_outer_post(tmp_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps(_status("100", "the original words")) + "\n", encoding="utf-8")
    later = tmp_path / "later.jsonl"
    edited = _status("100", "the words as another endpoint gave them")
    later.write_text("\n".join(json.dumps(s) for s in (
        _status("200", "RT @alice: the words", "bob", retweeted_status=edited),
        _status("300", "quoting this", "carol", quoted_status=edited),
    )) + "\n", encoding="utf-8")
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        ingest_paths(store, "twitter", [first], rejects_dir=tmp_path / "rejects")
        reports, _ = ingest_paths(store, "twitter", [later], rejects_dir=tmp_path / "rejects")
        details = store.post_details(["twitter:100", "twitter:200", "twitter:300"])
    assert (reports[0].loaded, reports[0].rejected) == (2, 0)
    texts = dict(zip(details["key"], details["text"], strict=True))
    assert texts["twitter:100"] == "the original words"
    assert set(texts) == {"twitter:100", "twitter:200", "twitter:300"}


def test_a_real_conflict_of_outer_posts_is_still_rejected(tmp_path: Path) -> None:
    path = tmp_path / "conflict.jsonl"
    path.write_text(json.dumps(_status("1", "first")) + "\n"
                    + json.dumps(_status("1", "changed")) + "\n", encoding="utf-8")
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        reports, rejects = ingest_paths(store, "twitter", [path], rejects_dir=tmp_path / "r")
    assert (reports[0].loaded, reports[0].rejected) == (1, 1)
    assert "conflicting content" in _rejects(tmp_path / "r")[0]["reason"]


def test_orders_for_unknown_customers_are_rejected_with_a_reason(tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text("customer_id,name\nC1,Ada\n", encoding="utf-8")
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,order_id,amount,date\nC1,o1,10,2026-01-02\n"
                      "C404,o2,20,2026-01-03\n", encoding="utf-8")
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        ingest_paths(store, "crm", [crm], rejects_dir=tmp_path / "r")
        reports, _ = ingest_paths(store, "orders", [orders], rejects_dir=tmp_path / "r")
        counts = store.counts()
    assert (reports[0].read, reports[0].loaded, reports[0].rejected) == (2, 1, 1)
    assert counts["Purchase"] == 1
    (reject,) = _rejects(tmp_path / "r")
    assert reject["field"] == "customer_id" and "C404" in str(reject["reason"])
    assert "scrm ingest crm" in str(reject["reason"])


def test_stack_exchange_tag_wikis_are_not_conversations(tmp_path: Path) -> None:
    dump = tmp_path / "dump"
    dump.mkdir()
    rows = [
        '<row Id="1" PostTypeId="1" CreationDate="2020-01-01T00:00:00.000" Title="Q" '
        'Body="&lt;p&gt;why?&lt;/p&gt;" OwnerUserId="7" />',
        '<row Id="2" PostTypeId="2" ParentId="1" CreationDate="2020-01-02T00:00:00.000" '
        'Body="because" OwnerUserId="8" />',
        '<row Id="3" PostTypeId="4" CreationDate="2020-01-01T00:00:00.000" '
        'Body="A tag about things" OwnerUserId="-1" />',
        '<row Id="4" PostTypeId="5" CreationDate="2020-01-01T00:00:00.000" Body="" '
        'OwnerUserId="-1" />',
    ]
    (dump / "Posts.xml").write_text("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<posts>\n"
                                    + "\n".join(f"  {r}" for r in rows) + "\n</posts>\n",
                                    encoding="utf-8")
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        reports, _ = ingest_paths(store, "stackexchange", [dump], rejects_dir=tmp_path / "r")
        counts = store.counts()
    assert (reports[0].read, reports[0].loaded, reports[0].rejected) == (2, 2, 0)
    assert (counts["Post"], counts["Conversation"]) == (2, 1)
