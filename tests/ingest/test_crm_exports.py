"""CRM exports in the shapes HubSpot and Salesforce write (issue #17): presets read their
columns, first and last names are joined, and a bad optional field costs only that field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from graph.embedded import EmbeddedStore
from ingest.crm import PRESETS
from ingest.pipeline import ingest_paths

# HubSpot's contact export: "Create Date" in US 12-hour time.
HUBSPOT = """Record ID,First Name,Last Name,Email,Company Name,Create Date,Twitter Username
101,Ada,Lovelace,ada@example.com,Analytical Engines,3/15/2024 2:30 PM,@ada
102,Grace,Hopper,grace@example.com,Navy,sometime last spring,@grace
"""
# Salesforce's report export (UI labels) and its API / Data Loader export (field names).
SALESFORCE_REPORT = """Contact ID,First Name,Last Name,Email,Account Name,Created Date
003A,Alan,Turing,alan@example.com,Bletchley,2024-03-15
"""
SALESFORCE_API = """Id,FirstName,LastName,Email,AccountId,CreatedDate
003B,Katherine,Johnson,kj@example.com,001XYZ,2024-03-15T14:30:00.000+0000
"""


def _load(tmp_path: Path, text: str, preset: str) -> tuple[object, list[dict[str, object]],
                                                              dict[str, object]]:
    path = tmp_path / f"{preset}-{abs(hash(text))}.csv"
    path.write_text(text, encoding="utf-8")
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        reports, rejects = ingest_paths(store, "crm", [path], rejects_dir=tmp_path / "r",
                                        force=True, options={"mapping": PRESETS[preset]})
        customers = {c.customer_id: c for c in (
            store.get_customer(cid) for cid in ("101", "102", "003A", "003B")) if c}
    lines = [json.loads(x) for x in rejects.read_text(encoding="utf-8").splitlines()] \
        if rejects.exists() else []
    return reports[0], lines, customers


def test_hubspot_export_loads_with_a_bad_date_kept_as_a_warning(tmp_path: Path) -> None:
    report, lines, customers = _load(tmp_path, HUBSPOT, "hubspot")
    assert (report.read, report.loaded, report.rejected, report.warnings) == (2, 2, 0, 1)
    ada, grace = customers["101"], customers["102"]
    assert ada.name == "Ada Lovelace" and ada.company == "Analytical Engines"
    assert str(ada.signup_date) == "2024-03-15"
    assert grace.name == "Grace Hopper" and grace.signup_date is None
    (warning,) = lines
    assert warning["warning"] is True and warning["field"] == "signup_date"
    assert "Create Date" in str(warning["reason"]) and "kept" in str(warning["reason"])


def test_salesforce_report_and_api_exports_load(tmp_path: Path) -> None:
    report, lines, customers = _load(tmp_path, SALESFORCE_REPORT, "salesforce")
    assert (report.loaded, report.rejected, lines) == (1, 0, [])
    assert customers["003A"].name == "Alan Turing"
    assert customers["003A"].company == "Bletchley"
    report, lines, customers = _load(tmp_path, SALESFORCE_API, "salesforce")
    assert (report.loaded, report.rejected, lines) == (1, 0, [])
    kj = customers["003B"]
    assert kj.name == "Katherine Johnson" and kj.email == "kj@example.com"
    assert kj.company == "001XYZ" and str(kj.signup_date) == "2024-03-15"


def test_header_error_names_preset_and_mapping(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(HUBSPOT, encoding="utf-8")
    env = {**os.environ, "SCRM_DB": str(tmp_path / "db.lbdb")}
    env.pop("SCRM_NEO4J_URI", None)
    proc = subprocess.run([sys.executable, "-m", "api.cli", "ingest", "crm", str(path)],
                          text=True, capture_output=True, env=env, timeout=300)
    assert proc.returncode != 0
    assert "--preset" in proc.stderr and "--mapping" in proc.stderr
    assert "Record ID" in proc.stderr  # the header it found
