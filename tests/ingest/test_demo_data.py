"""The shipped demo data is exactly what the seeded generator writes, and is well-formed."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ingest.demo_data import SHIPPED, generate


def test_shipped_files_equal_a_fresh_generation(tmp_path: Path) -> None:
    files = generate(tmp_path / "a")
    again = generate(tmp_path / "b")
    for name, path in files.items():
        assert path.read_bytes() == again[name].read_bytes(), f"{name} is not deterministic"
        assert path.read_bytes() == (SHIPPED / name).read_bytes(), (
            f"ingest/samples/demo/{name} drifted from the generator: "
            "run 'python -m ingest.demo_data'")


def test_pages_are_real_v2_shape_with_every_user_included() -> None:
    for line in (SHIPPED / "twitter.jsonl").read_text(encoding="utf-8").splitlines():
        page = json.loads(line)
        users = {u["id"] for u in page["includes"]["users"]}
        for tweet in page["data"] + page["includes"]["tweets"]:
            assert tweet["author_id"] in users
            for m in tweet.get("entities", {}).get("mentions", []):
                assert m["id"] in users
                assert tweet["text"][m["start"]:m["end"]] == "@" + m["username"]


def test_planted_customers_are_in_the_crm() -> None:
    with (SHIPPED / "crm.csv").open(encoding="utf-8") as fh:
        rows = {r["customer_id"]: r for r in csv.DictReader(fh)}
    assert rows["C00001"]["name"] == "Dana Whitfield" and rows["C00001"]["nps"] == "10"
    assert rows["C00002"]["twitter"].lower().lstrip("@") == "grumpygus"
    assert len(rows) == 300
