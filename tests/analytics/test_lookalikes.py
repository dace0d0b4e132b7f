"""Lookalike prospects proven by hiding: customers whose CRM link is removed (chosen at
random) should rank among the top prospects far more often than chance."""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from lookalike_bench import NETWORKS, hide_and_rank, network_trial  # noqa: E402

from analytics.lookalike import lookalikes  # noqa: E402


@pytest.mark.slow
def test_hidden_customers_rank_high_among_prospects(demo_template: Path,
                                                   tmp_path: Path) -> None:
    # Issue 17: hide a random 20% of the linked customers (random seeds), three times;
    # their accounts should rank in the top 10% of prospects at least three times as
    # often as chance on average. 4-7 s a trial (BENCHMARKS.md, Lookalike prospects).
    rng = random.SystemRandom()
    results = []
    for trial in range(3):
        work = tmp_path / f"t{trial}"
        work.mkdir()
        for f in demo_template.parent.iterdir():
            if f.name.startswith(demo_template.name):
                shutil.copy(f, work / f.name)
        seed = rng.randrange(1 << 30)
        result = hide_and_rank(work / demo_template.name, seed=seed)
        # Every hidden account seen in the social data (a post or an interaction) is offered.
        assert result["ranked"] == result["seen"] > 0, (seed, result)
        results.append((seed, result["lift"]))
    assert float(np.mean([lift for _seed, lift in results])) >= 3.0, results


@pytest.mark.skipif(not (NETWORKS / "email-Eu-core.txt").exists(),
                    reason="the SNAP email-Eu-core files are not in ../shared/data/networks")
def test_hidden_members_rank_high_on_a_public_network() -> None:
    # Departments of email-Eu-core as the "customers", 20% of them hidden at random.
    rng = random.SystemRandom()
    lifts = [network_trial(seed=rng.randrange(1 << 30))["lift"] for _ in range(3)]
    assert float(np.mean(lifts)) >= 3.0, lifts


def test_silent_accounts_are_neither_learned_from_nor_offered() -> None:
    keys = [f"a{i}" for i in range(40)]
    rng = np.random.default_rng(0)
    features = pd.DataFrame({"talks with customers": rng.random(40)}, index=keys)
    features.loc["a0", "talks with customers"] = 0.0
    customers = pd.Series(features["talks with customers"] > 0.5)
    result = lookalikes(features, customers, exclude={"a1"}, silent={"a0", "a2"})
    offered = set(result.ranking.index)
    assert offered and not offered & {"a0", "a1", "a2"} and not offered & set(
        customers.index[customers])
    assert list(result.ranking["rank"]) == list(range(1, len(offered) + 1))


def test_top_lookalikes_cli(demo_copy: Path) -> None:
    from api.cli import app

    out = CliRunner().invoke(app, ["top", "lookalikes", "--db", str(demo_copy), "-n", "5",
                                   "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert len(rows) == 5 and rows[0]["rank"] == 1 and rows[0]["reasons"]


def test_the_demo_customers_the_crm_does_not_list_top_its_lookalikes(demo_copy: Path) -> None:
    # The demo's customers posting from a Twitter account the CRM does not name
    # (identity_truth.csv) are not linked, so they are offered as prospects; they write
    # and mix as customers do, so they should lead the ranking.
    import csv

    from analytics.job import prospect_lookalikes
    from graph.embedded import EmbeddedStore

    samples = Path(__file__).resolve().parents[2] / "ingest" / "samples" / "demo"
    with (samples / "identity_truth.csv").open(encoding="utf-8") as fh:
        unlisted = {row["account_key"] for row in csv.DictReader(fh)}
    with EmbeddedStore(demo_copy) as store:
        ranking = prospect_lookalikes(store).ranking
    top = list(ranking.index.astype(str)[:10])
    assert len(unlisted & set(top)) >= 8, top
