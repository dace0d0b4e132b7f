"""Analysis runs and their scores: run records, score rows, rankings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph import runs
from graph.embedded import queries as q
from graph.embedded.base import EmbeddedBase
from graph.embedded.shared import (
    RANK_LOCK,
    RANK_ORDER,
    aware,
)
from graph.store import AccountScores, AnalysisRunInfo, ScoredAccount

_SCORE_RETURN = ", ".join(f"s.{c} AS {c}" for c in runs.SCORE_COLUMNS) + \
    ", s.run_id AS run_id, s.account_key AS account_key, s.explanation AS explanation"


class ScoresMixin(EmbeddedBase):
    """Analysis runs and their scores: run records, score rows, rankings."""


    def start_run(self, params: dict[str, Any]) -> str:
        run_id = runs.new_run_id()
        self._write(q.CREATE_RUN,
                   {"id": run_id, "at": datetime.now(UTC).replace(tzinfo=None),
                    "params": runs.encode_json(params)})
        return run_id

    def write_scores(self, run_id: str, scores: pd.DataFrame) -> None:
        frame = runs.score_frame_columns(scores)
        account = pa.array(frame["account_key"].astype(str), pa.string())
        cols: dict[str, Any] = {
            # score_key(run_id, account), column-wise
            "key": pc.binary_join_element_wise(pa.scalar(run_id + "|"), account, ""),
            "run_id": pa.array(np.full(len(frame), run_id, dtype=object), pa.string()),
            "account_key": account,
        }
        for c in runs.SCORE_COLUMNS:
            values = frame[c] if c in frame.columns else pd.Series([None] * len(frame))
            if c in runs.INT_SCORE_COLUMNS:
                cols[c] = pa.array(values.astype("Int64"), pa.int64(), from_pandas=True)
            else:
                cols[c] = pa.array(values.astype("float64"), pa.float64(), from_pandas=True)
        cols["explanation"] = pa.array(frame["explanation"], pa.string())
        table = pa.table(cols)
        del frame, cols
        with self._batch_connection(release_heap=True):
            self._in_transaction(lambda: self._copy("AccountScore", table))

    def finish_run(self, run_id: str, stats: dict[str, Any]) -> None:
        self._write(q.COMPLETE_RUN,
                   {"id": run_id, "at": datetime.now(UTC).replace(tzinfo=None),
                    "stats": runs.encode_json(stats)})
        old, failed = runs.runs_to_drop(self.runs(limit=1000), run_id)
        for rid in old + failed:
            self._write(q.DELETE_RUN_SCORES, {"id": rid})
        for rid in old:
            self._write(q.EXPIRE_RUN, {"id": rid})

    def fail_run(self, run_id: str, error: str) -> None:
        self._write(q.DELETE_RUN_SCORES, {"id": run_id})
        self._write(q.FAIL_RUN,
                   {"id": run_id, "e": error, "at": datetime.now(UTC).replace(tzinfo=None)})

    @staticmethod
    def _run_info(r: dict[str, Any]) -> AnalysisRunInfo:
        return runs.run_info(r, aware)

    _RUN_RETURN = ("r.run_id AS run_id, r.started_at AS started_at, r.finished_at AS finished_at, "
                   "r.status AS status, r.params AS params, r.stats AS stats, r.error AS error")

    def latest_run(self) -> AnalysisRunInfo | None:
        rows = self._rows("MATCH (r:AnalysisRun) WHERE r.status = 'completed' RETURN "
                          + self._RUN_RETURN + " ORDER BY r.finished_at DESC LIMIT 1")
        return self._run_info(rows[0]) if rows else None

    def runs(self, limit: int = 20) -> list[AnalysisRunInfo]:
        rows = self._rows("MATCH (r:AnalysisRun) RETURN " + self._RUN_RETURN
                          + " ORDER BY r.started_at DESC LIMIT $n", {"n": limit})
        return [self._run_info(r) for r in rows]

    def _rank_order(self, run_id: str, kind: str) -> np.ndarray:
        """Account keys of a completed run's ranking, position = rank - 1, read once per
        process (a run's ranks never change): a page is then a slice and a handful of
        primary-key lookups, where a filtered scan of every score row took half a second
        at a million accounts."""
        cache_key = (str(self.path), run_id, kind)
        with RANK_LOCK:
            order = RANK_ORDER.get(cache_key)
        if order is not None:
            return order
        table = self._exec(f"MATCH (s:AccountScore) WHERE s.run_id = $run AND "
                           f"s.{kind}_rank IS NOT NULL RETURN s.{kind}_rank AS r, "
                           "s.account_key AS k", {"run": run_id}).get_as_arrow()
        ranks = table.column("r").to_numpy()
        order = np.full(int(ranks.max()) if len(ranks) else 0, None, dtype=object)
        order[ranks - 1] = table.column("k").to_pylist()
        with RANK_LOCK:
            for stale in [k for k in RANK_ORDER if k[0] == str(self.path) and k[1] != run_id]:
                del RANK_ORDER[stale]  # one run's rankings per database at a time
            RANK_ORDER[cache_key] = order
        return order

    def ranked_accounts(self, kind: str, *, first: int, after_rank: int = 0,
                        run_id: str | None = None) -> list[ScoredAccount]:
        runs.check_ranking(kind)
        run_id = runs.run_or_latest(run_id, self.latest_run)
        if run_id is None:
            return []
        order = self._rank_order(run_id, kind)
        page = [k for k in order[after_rank:after_rank + first] if k is not None]
        rows = self._rows(
            f"UNWIND $keys AS k MATCH (s:AccountScore {{key: k}}) RETURN {_SCORE_RETURN}",
            {"keys": [runs.score_key(run_id, k) for k in page]}) if page else []
        rows.sort(key=lambda r: r[f"{kind}_rank"])
        accounts = self.get_accounts([r["account_key"] for r in rows])
        return [runs.scored_account(kind, r, accounts[r["account_key"]]) for r in rows
                if r["account_key"] in accounts]

    def score_frame(self, run_id: str | None = None, columns: Sequence[str] | None = None
                    ) -> pd.DataFrame:
        """All of one run's scores (latest completed by default), indexed by account key."""
        run_id = runs.run_or_latest(run_id, self.latest_run) or ""
        if columns is None:
            returns = _SCORE_RETURN
        else:
            runs.check_score_columns(columns)
            returns = ", ".join(["s.account_key AS account_key",
                                 *(f"s.{c} AS {c}" for c in dict.fromkeys(columns))])
        with self._batch_connection(release_heap=True):
            frame = self._df(f"MATCH (s:AccountScore) WHERE s.run_id = $run RETURN {returns}",
                             {"run": run_id})
        return frame.set_index("account_key") if len(frame) else frame

    def account_scores(self, account_key: str, run_id: str | None = None
                       ) -> AccountScores | None:
        run_id = runs.run_or_latest(run_id, self.latest_run)
        if run_id is None:
            return None
        rows = self._rows(f"MATCH (s:AccountScore {{key: $k}}) RETURN {_SCORE_RETURN}",
                          {"k": runs.score_key(run_id, account_key)})
        return runs.scores_from_row(rows[0]) if rows else None

    def scores_for_accounts(self, account_keys: Sequence[str], run_id: str | None = None
                            ) -> dict[str, AccountScores]:
        run_id = runs.run_or_latest(run_id, self.latest_run)
        if run_id is None or not account_keys:
            return {}
        # UNWIND over primary keys: a lookup each (never ``IN $list`` on LadybugDB)
        rows = self._rows(f"UNWIND $keys AS k MATCH (s:AccountScore {{key: k}}) "
                          f"RETURN {_SCORE_RETURN}",
                          {"keys": [runs.score_key(run_id, k) for k in
                                    dict.fromkeys(account_keys)]})
        return {r["account_key"]: runs.scores_from_row(r) for r in rows}
