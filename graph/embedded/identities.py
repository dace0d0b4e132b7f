"""Identity resolution data: customers, links, decisions, candidates."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from graph.embedded import queries as q
from graph.embedded.base import (
    EmbeddedBase,
)
from graph.store import (
    StoreError,
)


class IdentitiesMixin(EmbeddedBase):
    """Identity resolution data: customers, links, decisions, candidates."""


    def customer_frame(self) -> pd.DataFrame:
        return self._df(q.CUSTOMER_FRAME)

    def link_frame(self) -> pd.DataFrame:
        return self._df(q.LINK_FRAME)

    def record_decision(self, customer_id: str, account_key: str, decision: str) -> None:
        if decision not in ("link", "reject"):
            raise StoreError(f"unknown identity decision {decision!r}")
        self._exec(q.MERGE_DECISION,
                   {"k": f"{customer_id}|{account_key}", "c": customer_id, "a": account_key,
                    "d": decision, "at": datetime.now(UTC).replace(tzinfo=None)})
        self._exec(q.DELETE_CANDIDATE,
                   {"k": f"{customer_id}|{account_key}"})

    def decision_frame(self) -> pd.DataFrame:
        return self._df(q.DECISION_FRAME)

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
            self._exec(q.DELETE_CANDIDATES)
            self._copy("IdentityCandidate", table)
        self._in_transaction(work)

    def pending_candidates(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._rows(q.PENDING_CANDIDATES,
                          {"n": limit})
        for r in rows:
            r["evidence"] = json.loads(r["evidence"] or "[]")
        return rows
