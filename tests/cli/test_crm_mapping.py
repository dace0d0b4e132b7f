"""CRM exports with other column names: presets and a mapping file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore


def _scrm(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("SCRM_NEO4J_URI", None)
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.mark.slow
def test_hubspot_preset_and_mapping_file(tmp_path: Path) -> None:
    hub = tmp_path / "hubspot.csv"
    hub.write_text("Record ID,Full Name,Email,Twitter Username,Total Revenue,Create Date\n"
                   "H1,Ann Lee,ann@x.com,@AnnLee,500,2024-02-03\n")
    mine = tmp_path / "mine.csv"
    mine.write_text("id;x\nM1;@bob\n".replace(";", ","))
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"customer_id": "id", "twitter": "x"}))
    db = tmp_path / "db.lbdb"
    assert _scrm("ingest", "crm", str(hub), "--preset", "hubspot", "--db", str(db)
                 ).returncode == 0
    assert _scrm("ingest", "crm", str(mine), "--mapping", str(mapping), "--db", str(db)
                 ).returncode == 0
    bad = _scrm("ingest", "crm", str(mine), "--preset", "zoho", "--db", str(db))
    assert bad.returncode == 2 and "unknown preset" in bad.stderr
    with EmbeddedStore(db, read_only=True) as store:
        ann = store.get_customer("H1")
        assert ann is not None and ann.lifetime_value == 500.0 and ann.name == "Ann Lee"
        assert [a.account.key for a in store.linked_accounts("H1")] == ["twitter:annlee"]
        assert [a.account.key for a in store.linked_accounts("M1")] == ["twitter:bob"]
