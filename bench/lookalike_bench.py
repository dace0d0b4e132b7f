"""Lookalike prospects proven by hiding, on the demo data.

    python bench/lookalike_bench.py [--trials 5]

Builds the analysed demo, then per trial removes the CRM link of a random 20% of the
linked customers' accounts, runs the analysis again and ranks the prospects
(``scrm top lookalikes``): the share of hidden accounts in the top 10% of prospects,
against the 10% chance gives.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from analytics.job import prospect_lookalikes, run_analysis  # noqa: E402
from graph.embedded import EmbeddedStore  # noqa: E402


def hide_and_rank(path: Path, seed: int, share: float = 0.2) -> dict[str, float]:
    """Hide ``share`` of the customer links in the database at ``path`` (chosen with
    ``seed``), re-analyse and measure where the hidden accounts rank."""
    with EmbeddedStore(path) as store:
        links = store.link_frame()
        rng = np.random.default_rng(seed)
        customers = sorted(links["customer_id"].astype(str).unique())
        picked = set(rng.choice(customers, max(1, round(share * len(customers))),
                                replace=False).tolist())
        hidden_links = links[links["customer_id"].astype(str).isin(picked)]
        # an account also linked to a customer not hidden stays a customer's: skip it
        others = set(links.loc[~links["customer_id"].astype(str).isin(picked),
                               "account_key"].astype(str))
        hidden_links = hidden_links[~hidden_links["account_key"].astype(str).isin(others)]
        for row in hidden_links.itertuples():
            store.unlink_account(str(row.customer_id), str(row.account_key))
        hidden = set(hidden_links["account_key"].astype(str))
        by_customer = hidden_links.groupby("customer_id")["account_key"].agg(
            lambda s: set(s.astype(str)))
        run_analysis(store)
        result = prospect_lookalikes(store)
    ranking = result.ranking
    top = set(ranking.index[: max(1, round(0.1 * len(ranking)))].astype(str))
    ranked_hidden = hidden & set(ranking.index.astype(str))
    share_top = len(ranked_hidden & top) / max(len(ranked_hidden), 1)
    found = float(np.mean([bool(accounts & top) for accounts in by_customer]))
    chance = float(np.mean([1 - (1 - 0.1) ** len(accounts) for accounts in by_customer]))
    return {"customers": len(by_customer), "hidden": len(hidden), "ranked": len(ranked_hidden),
            "prospects": len(ranking), "top10_share": share_top, "lift": share_top / 0.1,
            "customers_found": found, "customer_chance": chance,
            "ceiling": min(1.0, len(top) / max(len(ranked_hidden), 1)) / 0.1}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    from conftest import build_demo

    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template" / "demo.lbdb"
        template.parent.mkdir()
        build_demo(template)
        print("| trial | hidden customers (accounts) | prospects | hidden accounts in top "
              "10% | × chance (ceiling) | hidden customers with an account in top 10% | "
              "× chance |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        lifts = []
        for trial in range(args.trials):
            work = Path(tmp) / f"t{trial}"
            shutil.copytree(template.parent, work)
            r = hide_and_rank(work / "demo.lbdb", seed=trial)
            lifts.append(r["lift"])
            print(f"| {trial} | {r['customers']} ({r['hidden']}) | {r['prospects']} | "
                  f"{r['top10_share']:.0%} | {r['lift']:.1f} ({r['ceiling']:.1f}) | "
                  f"{r['customers_found']:.0%} | "
                  f"{r['customers_found'] / r['customer_chance']:.1f} |", flush=True)
        print(f"\nmean {np.mean(lifts):.1f}× chance over {args.trials} trials")


if __name__ == "__main__":
    main()
