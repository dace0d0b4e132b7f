"""``scrm top lookalikes``: non-customers most like the best customers and advocates."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from api.cli.common import console
from graph.store import GraphStore

__all__ = ["lookalike_rows", "show"]


def lookalike_rows(store: GraphStore, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` lookalike prospects with their reasons."""
    from analytics.job import prospect_lookalikes

    result = prospect_lookalikes(store)
    ranking = result.ranking.iloc[:limit]
    accounts = store.get_accounts([str(k) for k in ranking.index])
    rows = []
    for key, row in ranking.iterrows():
        account = accounts.get(str(key))
        rows.append({
            "rank": int(row["rank"]), "score": round(float(row["score"]), 6),
            "account_key": str(key),
            "display_name": account.display_name if account else None,
            "followers": account.followers if account else None,
            "reasons": [{"factor": f, "contribution": c}
                        for f, c in result.reasons.get(str(key), [])]})
    return rows


def show(store: GraphStore, limit: int, as_json: bool) -> None:
    rows = lookalike_rows(store, limit)
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title="Lookalike prospects")
    for col in ("#", "score", "account", "why (largest contributions)"):
        table.add_column(col)
    for r in rows:
        why = ", ".join(f"{e['factor']} {e['contribution']:+.2f}" for e in r["reasons"])
        table.add_row(str(r["rank"]), f"{r['score']:.3f}", r["account_key"], why)
    console.print(table)
