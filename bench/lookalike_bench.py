"""Lookalike prospects proven by hiding (issue 17).

    python bench/lookalike_bench.py demo [--trials 5] [--samples DIR]
    python bench/lookalike_bench.py network [--trials 20]

``demo``: builds the analysed demo (or the demo files in ``--samples``), then per trial
removes the CRM links of a random 20% of the linked customers, runs the analysis again
and ranks the prospects (``scrm top lookalikes``). Reported: the share of the hidden
customers' accounts that are prospects (seen in the social data: a post or an
interaction) and rank in the top 10% of prospects, against the 10% chance gives; the
ceiling a perfect ranking would reach; the ranking's ROC AUC for the hidden accounts;
and per hidden customer, whether any of its accounts is in the top 10% (chance
``1 - 0.9^k`` for ``k`` accounts).

``network``: the same hiding on a public network no one here generated, SNAP's
email-Eu-core (``../shared/data/networks``): the members of randomly drawn departments
are the "customers" (drawn until they are at least a fifth of the people), 20% of them
are hidden, and the others are ranked by the same features and model (neighbourhood,
proximity, community; the network carries no words or brand).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from analytics.job import prospect_lookalikes, run_analysis  # noqa: E402
from analytics.lookalike import Lookalikes, lookalike_features, lookalikes  # noqa: E402
from graph.embedded import EmbeddedStore  # noqa: E402

NETWORKS = Path(__file__).resolve().parents[2] / "shared" / "data" / "networks"


def measure(ranking: pd.DataFrame, by_unit: dict[str, set[str]]) -> dict[str, float]:
    """Where the hidden accounts (``by_unit``: hidden customer → its accounts) rank among
    the prospects in ``ranking`` (best first)."""
    from sklearn.metrics import roc_auc_score

    ranked_keys = ranking.index.astype(str)
    top = set(ranked_keys[: max(1, round(0.1 * len(ranking)))])
    hidden = set().union(*by_unit.values()) if by_unit else set()
    ranked_hidden = hidden & set(ranked_keys)
    share_top = len(ranked_hidden & top) / max(len(ranked_hidden), 1)
    units = [accounts & set(ranked_keys) for accounts in by_unit.values()]
    units = [u for u in units if u]
    found = float(np.mean([bool(u & top) for u in units])) if units else 0.0
    chance = float(np.mean([1 - 0.9 ** len(u) for u in units])) if units else 1.0
    truth = ranked_keys.isin(list(ranked_hidden))
    auc = float(roc_auc_score(truth, -np.arange(len(truth)))) if 0 < truth.sum() < len(
        truth) else float("nan")
    return {"customers": len(by_unit), "found_customers": len(units), "hidden": len(hidden),
            "ranked": len(ranked_hidden), "prospects": len(ranking), "top10_share": share_top,
            "lift": share_top / 0.1, "auc": auc, "customers_found": found,
            "customer_lift": found / chance,
            "ceiling": min(1.0, len(top) / max(len(ranked_hidden), 1)) / 0.1}


def hide_and_rank(path: Path, seed: int, share: float = 0.2) -> dict[str, float]:
    """Hide ``share`` of the linked customers in the database at ``path`` (chosen with
    ``seed``): remove their CRM links, re-analyse and measure where their accounts rank."""
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
        by_customer = {str(c): set(g.astype(str)) for c, g in
                       hidden_links.groupby("customer_id")["account_key"]}
        run_analysis(store)
        result = prospect_lookalikes(store)
        seen = set(store.post_frame(None, None)["author_key"].astype(str))
        inter = store.interaction_frame(sentiment=False)
        seen |= set(inter["src"].astype(str)) | set(inter["dst"].astype(str))
    out = measure(result.ranking, by_customer)
    out["seen"] = len(set(hidden_links["account_key"].astype(str)) & seen)
    return out


def network_trial(seed: int, share: float = 0.2, part: float = 0.2) -> dict[str, float]:
    """One hiding trial on email-Eu-core (see the module docstring)."""
    from analytics.community import louvain

    edges = pd.read_csv(NETWORKS / "email-Eu-core.txt", sep=r"\s+", header=None,
                        names=["src", "dst"])
    labels = pd.read_csv(NETWORKS / "email-Eu-core-department-labels.txt", sep=r"\s+",
                         header=None, names=["node", "dept"]).set_index("node")["dept"]
    edges = edges[edges["src"] != edges["dst"]]
    n = int(max(edges[["src", "dst"]].to_numpy().max(), labels.index.max())) + 1
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for dept in rng.permutation(labels.unique()):
        if labels.isin(chosen).sum() >= part * n:
            break
        chosen.append(int(dept))
    members = labels.index[labels.isin(chosen)].to_numpy()
    hidden = set(rng.choice(members, round(share * len(members)), replace=False).tolist())
    known = [m for m in members if m not in hidden]
    keys = pd.Index([str(i) for i in range(n)])
    customers = pd.Series(True, index=[str(i) for i in known])
    community, _ = louvain(n, edges["src"].to_numpy(), edges["dst"].to_numpy(), seed=0)
    scores = pd.DataFrame({"influence": 0.0, "reach": 0.0, "engagement": 0.0,
                           "brand_sentiment": 0.0, "brand_posts": 0.0,
                           "community": community}, index=keys)
    frame = pd.DataFrame({"src": edges["src"].astype(str), "dst": edges["dst"].astype(str),
                          "weight": 1.0})
    features = lookalike_features(scores, customers, set(), frame,
                                  pd.DataFrame({"author_key": [], "text": []}))
    seen = set(frame["src"]) | set(frame["dst"])
    result: Lookalikes = lookalikes(features, customers, exclude=set(),
                                    silent=set(keys) - seen)
    return measure(result.ranking, {str(h): {str(h)} for h in hidden})


def _row(trial: int, r: dict[str, float]) -> str:
    return (f"| {trial} | {r['customers']} ({r['hidden']}) | {r['ranked']} | "
            f"{r['prospects']} | {r['top10_share']:.0%} | **{r['lift']:.1f}** | "
            f"{r['ceiling']:.1f} | {r['auc']:.2f} | {r['customers_found']:.0%} | "
            f"{r['customer_lift']:.1f} |")


HEADER = ("| trial | hidden customers (their accounts) | hidden accounts seen (prospects) | "
          "prospects | hidden in top 10% | × chance | ceiling × | AUC | hidden customers "
          "with an account in top 10% | × their chance |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", nargs="?", choices=("demo", "network"), default="demo")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--samples", type=Path, default=None,
                        help="demo files to build from (default: the shipped demo)")
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args()
    print(HEADER)
    results = []
    if args.what == "network":
        for trial in range(args.first_seed, args.first_seed + args.trials):
            results.append(network_trial(trial))
            print(_row(trial, results[-1]), flush=True)
    else:
        from conftest import SAMPLES, build_demo

        with tempfile.TemporaryDirectory() as tmp:
            template = Path(tmp) / "template" / "demo.lbdb"
            template.parent.mkdir()
            build_demo(template, args.samples or SAMPLES)
            for trial in range(args.first_seed, args.first_seed + args.trials):
                work = Path(tmp) / f"t{trial}"
                shutil.copytree(template.parent, work)
                results.append(hide_and_rank(work / "demo.lbdb", seed=trial))
                print(_row(trial, results[-1]), flush=True)
                shutil.rmtree(work)
    frame = pd.DataFrame(results)
    print(f"\nmean over {len(frame)} trials: {frame['lift'].mean():.2f}× chance "
          f"(ceiling {frame['ceiling'].mean():.2f}×), AUC {frame['auc'].mean():.2f}; "
          f"per customer {frame['customer_lift'].mean():.2f}× their chance")


if __name__ == "__main__":
    main()
