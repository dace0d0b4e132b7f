"""Identity resolution data: customers, links, decisions, candidates."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from graph import views
from graph.embedded import queries as q
from graph.embedded.base import (
    EmbeddedBase,
)

_CANDIDATE_SCHEMA = pa.schema([
    ("key", pa.string()), ("customer_id", pa.string()), ("account_key", pa.string()),
    ("confidence", pa.float64()), ("evidence", pa.string()),
    ("created_at", pa.timestamp("us"))])


class IdentitiesMixin(EmbeddedBase):
    """Identity resolution data: customers, links, decisions, candidates."""


    def customer_frame(self) -> pd.DataFrame:
        return self._df(q.CUSTOMER_FRAME)

    def link_frame(self) -> pd.DataFrame:
        return self._df(q.LINK_FRAME)

    def record_decision(self, customer_id: str, account_key: str, decision: str) -> None:
        views.check_decision(decision)
        key = views.decision_key(customer_id, account_key)
        self._write(q.MERGE_DECISION, {"k": key, "c": customer_id, "a": account_key,
                                      "d": decision, "at": datetime.now(UTC).replace(tzinfo=None)})
        self._write(q.DELETE_CANDIDATE, {"k": key})

    def decision_frame(self) -> pd.DataFrame:
        return self._df(q.DECISION_FRAME)

    def replace_candidates(self, candidates: Sequence[dict[str, Any]]) -> None:
        """Replace the review list with these (customer_id, account_key, confidence,
        evidence list) rows."""
        now = datetime.now(UTC).replace(tzinfo=None)
        table = pa.Table.from_pylist(
            [{**r, "created_at": now} for r in views.candidate_rows(candidates)],
            schema=_CANDIDATE_SCHEMA)

        def work() -> None:
            self._write(q.DELETE_CANDIDATES)
            self._copy("IdentityCandidate", table)
        self._in_transaction(work)

    def pending_candidates(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._rows(q.PENDING_CANDIDATES,
                          {"n": limit})
        for r in rows:
            r["evidence"] = json.loads(r["evidence"] or "[]")
        return rows
