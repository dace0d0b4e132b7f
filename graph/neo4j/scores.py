"""Analysis runs and their scores: run records, score rows, rankings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from graph.neo4j import queries as q
from graph.runs import (
    INT_SCORE_COLUMNS,
    SCORE_COLUMNS,
    check_ranking,
    check_score_columns,
    encode_json,
    missing_to_none,
    new_run_id,
    run_info,
    runs_to_drop,
    score_frame_columns,
    score_key,
    scored_account,
    scores_from_row,
)
from graph.store import (
    AccountScores,
    AnalysisRunInfo,
    ScoredAccount,
)

if TYPE_CHECKING:
    pass

from graph.neo4j.base import Neo4jBase
from graph.neo4j.shared import native


class ScoresMixin(Neo4jBase):
    """Analysis runs and their scores: run records, score rows, rankings."""


    def start_run(self, params: dict[str, Any]) -> str:
        run_id = new_run_id()
        self._write(q.CREATE_RUN, {"run_id": run_id, "started_at": datetime.now(UTC),
                                   "params": encode_json(params)})
        return run_id

    def write_scores(self, run_id: str, scores: pd.DataFrame) -> None:
        frame = score_frame_columns(scores)
        keys = frame["account_key"].astype(str).tolist()
        columns: dict[str, list[Any]] = {}
        for c in SCORE_COLUMNS:
            values = frame[c].tolist() if c in frame.columns else [None] * len(frame)
            convert: Callable[[Any], Any] = int if c in INT_SCORE_COLUMNS else float
            columns[c] = [None if missing_to_none(v) is None else convert(v) for v in values]
        explanations = frame["explanation"].astype(str).tolist()
        rows = [{"key": score_key(run_id, k), "run_id": run_id, "account_key": k,
                 **{c: columns[c][i] for c in SCORE_COLUMNS}, "explanation": explanations[i]}
                for i, k in enumerate(keys)]
        self._in_transaction(lambda run: self._unwind(run, q.MERGE_SCORES, rows))

    def finish_run(self, run_id: str, stats: dict[str, Any]) -> None:
        self._write(q.COMPLETE_RUN, {"run_id": run_id, "finished_at": datetime.now(UTC),
                                     "stats": encode_json(stats)})
        old, failed = runs_to_drop(self.runs(limit=1000), run_id)
        for rid in old + failed:
            self._write(q.DELETE_RUN_SCORES, {"run_id": rid})
        for rid in old:
            self._write(q.EXPIRE_RUN, {"run_id": rid})

    def fail_run(self, run_id: str, error: str) -> None:
        self._write(q.DELETE_RUN_SCORES, {"run_id": run_id})
        self._write(q.FAIL_RUN, {"run_id": run_id, "error": error,
                                 "finished_at": datetime.now(UTC)})

    @staticmethod
    def _run_info(r: dict[str, Any]) -> AnalysisRunInfo:
        return run_info(r, native)

    def latest_run(self) -> AnalysisRunInfo | None:
        rows = self._read(q.LATEST_RUN)
        return self._run_info(rows[0]) if rows else None

    def runs(self, limit: int = 20) -> list[AnalysisRunInfo]:
        return [self._run_info(r) for r in self._read(q.RUNS, {"limit": limit})]

    def _run_or_latest(self, run_id: str | None) -> str | None:
        if run_id is not None:
            return run_id
        run = self.latest_run()
        return run.run_id if run else None

    def ranked_accounts(self, kind: str, *, first: int, after_rank: int = 0,
                        run_id: str | None = None) -> list[ScoredAccount]:
        check_ranking(kind)
        run_id = self._run_or_latest(run_id)
        if run_id is None:
            return []
        rows = self._read(q.RANKED_ACCOUNTS[kind], {"run_id": run_id, "after": after_rank,
                                                    "upto": after_rank + first})
        return [scored_account(kind, r, self._account(r)) for r in rows]

    def score_frame(self, run_id: str | None = None, columns: Sequence[str] | None = None
                    ) -> pd.DataFrame:
        """All of one run's scores (latest completed by default), indexed by account key."""
        every = [*SCORE_COLUMNS, "run_id", "account_key", "explanation"]
        if columns is not None:
            check_score_columns(columns)
        run_id = self._run_or_latest(run_id) or ""
        frame = pd.DataFrame(self._read(q.SCORE_FRAME, {"run_id": run_id}), columns=every)
        for c in SCORE_COLUMNS:
            frame[c] = pd.to_numeric(frame[c], errors="coerce")
        if columns is not None:
            frame = frame[["account_key", *dict.fromkeys(columns)]]
        return frame.set_index("account_key") if len(frame) else frame

    def account_scores(self, account_key: str, run_id: str | None = None
                       ) -> AccountScores | None:
        run_id = self._run_or_latest(run_id)
        if run_id is None:
            return None
        rows = self._read(q.ACCOUNT_SCORE, {"key": score_key(run_id, account_key)})
        return scores_from_row(rows[0]) if rows else None
