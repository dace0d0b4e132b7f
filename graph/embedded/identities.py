"""Identity resolution data: customers, links, decisions, candidates."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from graph.embedded.base import (
    EmbeddedBase,
)
from graph.store import (
    StoreError,
)


class IdentitiesMixin(EmbeddedBase):
    """Identity resolution data: customers, links, decisions, candidates."""


    def customer_frame(self) -> pd.DataFrame:
        return self._df("MATCH (c:Customer) RETURN c.key AS customer_id, c.name AS name, "
                        "c.email AS email, c.location AS location, c.company AS company")

    def link_frame(self) -> pd.DataFrame:
        return self._df("MATCH (c:Customer)-[o:OWNS]->(a:Account) RETURN c.key AS customer_id, "
                        "a.key AS account_key, o.method AS method, o.confidence AS confidence")

    def record_decision(self, customer_id: str, account_key: str, decision: str) -> None:
        if decision not in ("link", "reject"):
            raise StoreError(f"unknown identity decision {decision!r}")
        self._exec("MERGE (d:IdentityDecision {key: $k}) SET d.customer_id = $c, "
                   "d.account_key = $a, d.decision = $d, d.decided_at = $at",
                   {"k": f"{customer_id}|{account_key}", "c": customer_id, "a": account_key,
                    "d": decision, "at": datetime.now(UTC).replace(tzinfo=None)})
        self._exec("MATCH (x:IdentityCandidate {key: $k}) DELETE x",
                   {"k": f"{customer_id}|{account_key}"})

    def decision_frame(self) -> pd.DataFrame:
        return self._df("MATCH (d:IdentityDecision) RETURN d.customer_id AS customer_id, "
                        "d.account_key AS account_key, d.decision AS decision")

    def replace_candidates(self, candidates: Sequence[dict[str, Any]]) -> None:
        """Replace the review list with these (customer_id, account_key, confidence,
        evidence list) rows."""
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = {f"{c['customer_id']}|{c['account_key']}": c for c in candidates}
        table = pa.table({
            "key": list(rows), "customer_id": [c["customer_id"] for c in rows.values()],
            "account_key": [c["account_key"] for c in rows.values()],
            "confidence": pa.array([float(c["confidence"]) for c in rows.values()],
                                   pa.float64()),
            "evidence": [json.dumps(list(c["evidence"])) for c in rows.values()],
            "created_at": pa.array([now] * len(rows), pa.timestamp("us"))})

        def work() -> None:
            self._exec("MATCH (x:IdentityCandidate) DELETE x")
            self._copy("IdentityCandidate", table)
        self._in_transaction(work)

    def pending_candidates(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._rows("MATCH (x:IdentityCandidate) RETURN x.customer_id AS customer_id, "
                          "x.account_key AS account_key, x.confidence AS confidence, "
                          "x.evidence AS evidence ORDER BY x.confidence DESC, x.key LIMIT $n",
                          {"n": limit})
        for r in rows:
            r["evidence"] = json.loads(r["evidence"] or "[]")
        return rows
