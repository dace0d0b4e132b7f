"""Staff and brand accounts stay out of the advocate ranking and the awareness metrics,
and are listed as the team."""

from __future__ import annotations

import json
from pathlib import Path

from analytics.job import run_analysis
from analytics.metrics import compute_metrics
from graph.embedded import EmbeddedStore


def _top_advocates(store: EmbeddedStore, first: int = 20) -> list[str]:
    ranks = store.score_frame(columns=("advocate_rank",))["advocate_rank"].dropna()
    return [str(k) for k in ranks.sort_values().index[:first]]


def test_staff_by_domain_and_by_name_leave_the_rankings(demo_copy: Path) -> None:
    with EmbeddedStore(demo_copy) as store:
        before = _top_advocates(store)
        named, by_mail = before[0], before[1]
        accounts = store.account_frame(profile=False).set_index("key")
        customer = accounts.loc[by_mail, "customer_id"]
        email = store.customer_frame().set_index("customer_id").loc[customer, "email"]
        domain = str(email).rsplit("@", 1)[1]
        authors_before = compute_metrics(store).awareness.unique_authors
        brands = [a.key for a in store.brand_accounts()]
        store.set_brand(brands, {"brand.staff_domains": json.dumps([domain]),
                                 "brand.staff_accounts": json.dumps([named])})
        result = run_analysis(store)
        after = _top_advocates(store)
        team = {t["key"] for t in result.stats["team"]}
        assert {named, by_mail} <= team and set(brands) <= team
        assert not {named, by_mail} & set(after)
        assert compute_metrics(store).awareness.unique_authors < authors_before


def test_staff_from_a_crm_column_leave_the_rankings(demo_copy: Path, tmp_path: Path) -> None:
    """``scrm ingest crm FILE --staff-column is_staff``: the customers the column marks
    are staff (their accounts the team); re-importing with the mark gone undoes it."""
    import os
    import subprocess
    import sys

    with EmbeddedStore(demo_copy) as store:
        top = _top_advocates(store)[2]
        owner = str(store.account_frame(profile=False).set_index("key").loc[top, "customer_id"])
    crm = tmp_path / "crm.csv"
    crm.write_text(f"customer_id,is_staff\n{owner},Yes\nnobody-1,no\n")
    env = {k: v for k, v in os.environ.items() if k != "SCRM_NEO4J_URI"}

    def scrm(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "api.cli", *args, "--db", str(demo_copy)],
                              capture_output=True, text=True, env=env, timeout=300)

    done = scrm("ingest", "crm", str(crm), "--staff-column", "is_staff")
    assert done.returncode == 0, done.stderr
    assert "1 customer(s) marked staff" in done.stdout
    bad = scrm("ingest", "crm", str(crm), "--staff-column", "role")
    assert bad.returncode == 2 and "no 'role' column" in bad.stderr
    with EmbeddedStore(demo_copy) as store:
        result = run_analysis(store)
        assert top in {t["key"] for t in result.stats["team"]}
        assert top not in _top_advocates(store)
    crm.write_text(f"customer_id,department\n{owner},Sales\n")
    assert scrm("ingest", "crm", str(crm), "--staff-column", "department=Support|Marketing"
                ).returncode == 0
    with EmbeddedStore(demo_copy) as store:
        result = run_analysis(store)
        assert top not in {t["key"] for t in result.stats["team"]}
