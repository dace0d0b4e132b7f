"""One settings object: the README's table equals it, and ``.env`` reaches every command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from clirun import scrm

from graph.config import Settings, env_name

README = Path(__file__).resolve().parents[2] / "README.md"


def _documented() -> set[str]:
    rows = [line for line in README.read_text(encoding="utf-8").splitlines()
            if line.startswith("| `SCRM_")]
    return {name for row in rows for name in re.findall(r"`(SCRM_[A-Z0-9_]+)`",
                                                         row.split("|")[1])}


def test_the_readme_table_is_the_settings_object() -> None:
    declared = {env_name(field) for field in Settings.model_fields}
    documented = _documented()
    assert declared - documented == set(), "settings missing from the README's table"
    assert documented - declared == set(), "README rows with no setting behind them"


def test_no_module_reads_scrm_variables_around_the_settings() -> None:
    root = README.parent
    offenders = []
    for package in ("api", "graph", "ingest", "analytics"):
        for path in (root / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"envvar=\"SCRM_|os\.environ(\.get)?\(?\[?\"SCRM_", text):
                offenders.append(str(path.relative_to(root)))
    assert offenders == []


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_dot_env_sets_the_database_and_option_defaults(in_tmp: Path) -> None:
    samples = Path(__file__).resolve().parents[2] / "ingest" / "samples" / "demo"
    (in_tmp / ".env").write_text("SCRM_DB=from-dotenv.lbdb\nSCRM_BATCH_SIZE=150\n")
    run = scrm("ingest", "crm", samples / "crm.csv")
    assert run.code == 0, run.err
    assert (in_tmp / "from-dotenv.lbdb").exists()
    assert scrm("info").code == 0


def test_the_environment_wins_over_dot_env_and_options_over_both(in_tmp: Path) -> None:
    (in_tmp / ".env").write_text("SCRM_IDENTITY_THRESHOLD=0.5\n")
    assert Settings().identity_threshold == 0.5
    run = scrm("info", "--db", in_tmp / "nothing.lbdb", env={"SCRM_DB": "other.lbdb"})
    assert "nothing.lbdb" in run.err


def test_help_shows_where_an_option_default_comes_from() -> None:
    run = scrm("analyze", "--help")
    assert "SCRM_HALF_LIFE_DAYS" in run.out and "SCRM_DB" in run.out


@pytest.mark.slow  # two analyses
def test_dot_env_reaches_the_analysis_and_the_care_routing(in_tmp: Path) -> None:
    from analytics.care import RoutingRules
    from graph.config import get_settings
    from graph.embedded import EmbeddedStore

    samples = Path(__file__).resolve().parents[2] / "ingest" / "samples" / "demo"
    rules = in_tmp / "rules.json"
    rules.write_text(json.dumps({"default": "care", "rules": [
        {"team": "press", "terms": ["journalist"]}]}))
    (in_tmp / ".env").write_text("SCRM_DB=a.lbdb\nSCRM_MENTION_WEIGHT=0.25\n"
                                 "SCRM_HALF_LIFE_DAYS=30\nSCRM_COMMUNITY_REFRESH=0.2\n"
                                 f"SCRM_ROUTING_RULES={rules}\n")
    assert scrm("ingest", "twitter", samples / "twitter.jsonl").code == 0
    assert scrm("analyze").code == 0
    with EmbeddedStore(in_tmp / "a.lbdb", read_only=True) as store:
        run = store.latest_run()
    assert run is not None
    assert (run.params["mention_weight"], run.params["half_life_days"],
            run.params["community_refresh"]) == (0.25, 30.0, 0.2)
    assert scrm("analyze", "--mention-weight", "0.75").code == 0  # an option wins
    with EmbeddedStore(in_tmp / "a.lbdb", read_only=True) as store:
        latest = store.latest_run()
    assert latest is not None and latest.params["mention_weight"] == 0.75
    get_settings.cache_clear()
    try:
        loaded = RoutingRules.load()
    finally:
        get_settings.cache_clear()
    assert loaded.default_team == "care" and loaded.rules[0].team == "press"
