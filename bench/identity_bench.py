"""Identity resolution quality on the demo data set's labelled links, and its speed.

The demo generator hides 7% of customers' Twitter handles from the CRM (the
accounts still post, with the customer's name as display name) and writes the
truth to ingest/samples/demo/identity_truth.csv. Every other unlinked account
(prospects, namesakes) is a negative.

    python bench/identity_bench.py [--db bench/out/identity.lbdb]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from graph.embedded import EmbeddedStore
from ingest.identity import resolve

SAMPLES = Path(__file__).resolve().parents[1] / "ingest" / "samples" / "demo"


def evaluate(store: EmbeddedStore, truth: set[tuple[str, str]], thresholds: list[float]
             ) -> list[dict[str, float]]:
    customers, accounts = store.customer_frame(), store.account_frame()
    links, decisions = store.link_frame(), store.decision_frame()
    rows = []
    for t in thresholds:
        started = time.monotonic()
        found = resolve(customers, accounts, links, decisions, threshold=t)
        seconds = time.monotonic() - started
        auto = {(c.customer_id, c.account_key) for c in found if c.status == "auto"}
        review = {(c.customer_id, c.account_key) for c in found}
        rows.append({
            "threshold": t, "auto": len(auto),
            "precision": len(auto & truth) / len(auto) if auto else 1.0,
            "recall": len(auto & truth) / len(truth),
            "review_recall": len(review & truth) / len(truth), "seconds": seconds})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("bench/out/identity.lbdb"))
    args = ap.parse_args()
    if args.db.exists():
        shutil.rmtree(args.db) if args.db.is_dir() else args.db.unlink()
    subprocess.run([sys.executable, "-m", "api.cli", "demo", "--no-serve", "--db",
                    str(args.db)], check=True, capture_output=True)
    with (SAMPLES / "identity_truth.csv").open() as fh:
        truth = {(r["customer_id"], r["account_key"]) for r in csv.DictReader(fh)}
    with EmbeddedStore(args.db, read_only=True) as store:
        rows = evaluate(store, truth, [0.6, 0.7, 0.8, 0.85, 0.9, 0.95])
    print(f"Labelled links: {len(truth)} hidden customer accounts among "
          f"{len(rows) and rows[0]['auto']}+ candidates\n")
    print("| threshold | auto links | precision | recall (auto) | recall (auto + review) |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['threshold']:.2f} | {r['auto']} | {r['precision']:.3f} | "
              f"{r['recall']:.3f} | {r['review_recall']:.3f} |")
    print(f"\nresolve() took {rows[-1]['seconds'] * 1000:.0f} ms per run")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
