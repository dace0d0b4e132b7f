"""Stack Exchange dumps and the generic JSON-lines format, through the real loader."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from ingest.errors import SourceFormatError
from ingest.pipeline import ingest_paths


def test_stackexchange_dump_loads_every_post_comment_and_user(tmp_path: Path,
                                                               shared_data: Path) -> None:
    dump = shared_data / "stackexchange-meta-history"
    rows = {name: len(re.findall(r"^\s*<row ", (dump / name).read_text(encoding="utf-8-sig"),
                                 re.M)) for name in ("Posts.xml", "Comments.xml", "Users.xml")}
    assert rows["Posts.xml"] == 1657 and rows["Comments.xml"] == 3454
    # six rows are tag wikis and their excerpts (PostTypeId 4 and 5): not conversations
    wikis = len(re.findall(r'PostTypeId="[45]"', (dump / "Posts.xml").read_text("utf-8-sig")))
    assert wikis == 6
    with EmbeddedStore(tmp_path / "se.lbdb") as store:
        reports, _ = ingest_paths(store, "stackexchange", [dump], rejects_dir=tmp_path)
        counts = store.counts()
        frame = store.account_frame()
        assert store.post_details(["stackexchange:p215", "stackexchange:p216"]).empty
    report = reports[0]
    assert report.rejected == 0 and report.read == sum(rows.values()) - wikis
    assert counts["Post"] == rows["Posts.xml"] - wikis + rows["Comments.xml"]
    # every answer and comment replies to a post in the dump
    assert counts["REPLY_TO"] + counts["PendingEdge"] == counts["Post"] - counts["Conversation"]
    users = set(re.findall(r'<row Id="(-?\d+)"', (dump / "Users.xml").read_text("utf-8-sig")))
    assert users <= set(frame["handle"])


def test_stackexchange_accepted_answer_is_marked(tmp_path: Path) -> None:
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "Users.xml").write_text('<users>\n  <row Id="1" DisplayName="Asker" />\n'
                                    '  <row Id="2" DisplayName="Helper" />\n</users>\n')
    (dump / "Posts.xml").write_text(
        "<posts>\n"
        '  <row Id="10" PostTypeId="1" AcceptedAnswerId="11" CreationDate="2024-01-01T00:00:00" '
        'Score="1" Body="&lt;p&gt;How?&lt;/p&gt;" OwnerUserId="1" Title="Q" />\n'
        '  <row Id="11" PostTypeId="2" ParentId="10" CreationDate="2024-01-02T00:00:00" '
        'Score="3" Body="Like this" OwnerUserId="2" />\n'
        '  <row Id="12" PostTypeId="2" ParentId="10" CreationDate="not a date" />\n'
        "</posts>\n")
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        reports, rejects = ingest_paths(store, "stackexchange", [dump], rejects_dir=tmp_path)
        timeline = store.timeline(["stackexchange:2"], first=5)
    assert (reports[0].read, reports[0].loaded, reports[0].rejected) == (5, 4, 1)
    reject = json.loads(rejects.read_text())
    assert reject["line"] == 4 and reject["field"] == "CreationDate"
    assert timeline[0].text == "Like this" and timeline[0].counterpart.display_name == "Asker"


def test_stackexchange_needs_a_folder(tmp_path: Path) -> None:
    f = tmp_path / "Posts.xml"
    f.write_text("<posts/>")
    with EmbeddedStore(tmp_path / "db.lbdb") as store, pytest.raises(SourceFormatError):
        ingest_paths(store, "stackexchange", [f], rejects_dir=tmp_path)


def test_generic_lines_load_and_bad_ones_say_which_field(tmp_path: Path) -> None:
    f = tmp_path / "reviews.jsonl"
    lines = [
        {"platform": "Trustpilot", "id": "r1", "author": "jo_k", "time": "2026-09-03T08:00:00Z",
         "title": "Great bikes", "text": "Three months in and no issues. @brightloop"},
        {"platform": "trustpilot", "id": "r2", "author": "brightloop", "time": 1788422400,
         "reply_to": "r1", "text": "Thanks Jo!", "mentions": ["jo_k"]},
        {"platform": "trustpilot", "id": "r3", "author": "x", "time": "yesterday"},
        {"platform": "trustpilot", "author": "x", "time": "2026-09-03T08:00:00Z"},
        {"platform": "trustpilot", "id": "r5", "author": "x", "time": "2026-09-03T08:00:00Z",
         "mentions": "jo_k"},
    ]
    f.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        reports, rejects = ingest_paths(store, "generic", [f], rejects_dir=tmp_path)
        timeline = store.timeline(["trustpilot:jo_k"], first=5)
        counts = store.counts()
    assert (reports[0].read, reports[0].loaded, reports[0].rejected) == (5, 2, 3)
    fields = [json.loads(x)["field"] for x in rejects.read_text().splitlines()]
    assert fields == ["time", "id", "mentions"]
    assert counts["REPLY_TO"] == 1 and counts["Conversation"] == 1
    assert {i.direction for i in timeline} == {"authored", "reply_received"}
