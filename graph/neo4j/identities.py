"""Identity resolution data: customers, links, decisions, candidates."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from graph import views
from graph.neo4j import queries as q
from graph.neo4j.base import Neo4jBase, Runner


class IdentitiesMixin(Neo4jBase):
    """Identity resolution data: customers, links, decisions, candidates."""


    def customer_frame(self) -> pd.DataFrame:
        rows = [r for page in self._pages(q.CUSTOMER_FRAME_PAGE) for r in page]
        return pd.DataFrame(rows, columns=["customer_id", "name", "email", "location",
                                           "company"])

    def link_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self._read(q.LINK_FRAME),
                            columns=["customer_id", "account_key", "method", "confidence"])

    def record_decision(self, customer_id: str, account_key: str, decision: str) -> None:
        views.check_decision(decision)
        self._write(q.RECORD_DECISION, {"key": views.decision_key(customer_id, account_key),
                                        "customer_id": customer_id,
                                        "account_key": account_key, "decision": decision})

    def decision_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self._read(q.DECISION_FRAME),
                            columns=["customer_id", "account_key", "decision"])

    def replace_candidates(self, candidates: Sequence[dict[str, Any]]) -> None:
        rows = views.candidate_rows(candidates)

        def work(run: Runner) -> None:
            run(q.DELETE_CANDIDATES, {})
            self._unwind(run, q.CREATE_CANDIDATES, rows)
        self._in_transaction(work)

    def pending_candidates(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._read(q.PENDING_CANDIDATES, {"limit": limit})
        for r in rows:
            r["evidence"] = json.loads(r["evidence"] or "[]")
        return rows
