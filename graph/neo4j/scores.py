"""Analysis runs and their scores: run records, score rows, rankings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from graph import runs, views
from graph.neo4j import queries as q
from graph.neo4j.base import Neo4jBase
from graph.neo4j.shared import native
from graph.store import AccountScores, AnalysisRunInfo, ScoredAccount


class ScoresMixin(Neo4jBase):
    """Analysis runs and their scores: run records, score rows, rankings."""


    def start_run(self, params: dict[str, Any]) -> str:
        run_id = runs.new_run_id()
        self._write(q.CREATE_RUN, {"run_id": run_id, "started_at": datetime.now(UTC),
                                   "params": runs.encode_json(params)})
        return run_id

    def write_scores(self, run_id: str, scores: pd.DataFrame) -> None:
        frame = runs.score_frame_columns(scores)
        keys = frame["account_key"].astype(str).tolist()
        columns: dict[str, list[Any]] = {}
        for c in runs.SCORE_COLUMNS:
            values = frame[c].tolist() if c in frame.columns else [None] * len(frame)
            convert: Callable[[Any], Any] = int if c in runs.INT_SCORE_COLUMNS else float
            columns[c] = [None if runs.missing_to_none(v) is None else convert(v) for v in values]
        explanations = frame["explanation"].astype(str).tolist()
        rows = [{"key": runs.score_key(run_id, k), "run_id": run_id, "account_key": k,
                 **{c: columns[c][i] for c in runs.SCORE_COLUMNS}, "explanation": explanations[i]}
                for i, k in enumerate(keys)]
        self._in_transaction(lambda run: self._unwind(run, q.MERGE_SCORES, rows))

    def finish_run(self, run_id: str, stats: dict[str, Any]) -> None:
        self._write(q.COMPLETE_RUN, {"run_id": run_id, "finished_at": datetime.now(UTC),
                                     "stats": runs.encode_json(stats)})
        old, failed = runs.runs_to_drop(self.runs(limit=1000), run_id)
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
        return runs.run_info(r, native)

    def latest_run(self) -> AnalysisRunInfo | None:
        rows = self._read(q.LATEST_RUN)
        return self._run_info(rows[0]) if rows else None

    def runs(self, limit: int = 20) -> list[AnalysisRunInfo]:
        return [self._run_info(r) for r in self._read(q.RUNS, {"limit": limit})]

    def _run_or_latest(self, run_id: str | None) -> str | None:
        return runs.run_or_latest(run_id, self.latest_run)

    def ranked_accounts(self, kind: str, *, first: int, after_rank: int = 0,
                        run_id: str | None = None) -> list[ScoredAccount]:
        runs.check_ranking(kind)
        run_id = self._run_or_latest(run_id)
        if run_id is None:
            return []
        rows = self._read(q.RANKED_ACCOUNTS[kind], {"run_id": run_id, "after": after_rank,
                                                    "upto": after_rank + first})
        return [runs.scored_account(kind, r, views.account_view(r)) for r in rows]

    def score_frame(self, run_id: str | None = None, columns: Sequence[str] | None = None
                    ) -> pd.DataFrame:
        """All of one run's scores (latest completed by default), indexed by account key."""
        every = [*runs.SCORE_COLUMNS, "run_id", "account_key", "explanation"]
        if columns is not None:
            runs.check_score_columns(columns)
        run_id = self._run_or_latest(run_id) or ""
        frame = pd.DataFrame(self._read(q.SCORE_FRAME, {"run_id": run_id}), columns=every)
        for c in runs.SCORE_COLUMNS:
            frame[c] = pd.to_numeric(frame[c], errors="coerce")
        if columns is not None:
            frame = frame[["account_key", *dict.fromkeys(columns)]]
        return frame.set_index("account_key") if len(frame) else frame

    def account_scores(self, account_key: str, run_id: str | None = None
                       ) -> AccountScores | None:
        run_id = self._run_or_latest(run_id)
        if run_id is None:
            return None
        rows = self._read(q.ACCOUNT_SCORE, {"key": runs.score_key(run_id, account_key)})
        return runs.scores_from_row(rows[0]) if rows else None

    def scores_for_accounts(self, account_keys: Sequence[str], run_id: str | None = None
                            ) -> dict[str, AccountScores]:
        run_id = self._run_or_latest(run_id)
        if run_id is None or not account_keys:
            return {}
        rows = self._read(q.ACCOUNT_SCORES, {"keys": [
            runs.score_key(run_id, k) for k in dict.fromkeys(account_keys)]})
        return {r["account_key"]: runs.scores_from_row(r) for r in rows}
