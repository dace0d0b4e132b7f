"""Analysis runs and their scores, as both adapters keep them.

Run ids, which runs keep their scores, the score columns of an ``AccountScore`` row
and how a stored row becomes the port's :class:`AccountScores` live here once; the
adapters only read and write the rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from graph.batch import parse_explanation
from graph.schema import SCORE_KINDS
from graph.store import AccountScores, AccountView, AnalysisRunInfo, ScoredAccount, StoreError

__all__ = ["INT_SCORE_COLUMNS", "KEEP_RUNS", "SCORE_COLUMNS", "check_ranking",
           "check_score_columns", "encode_json", "missing_to_none", "new_run_id", "run_info",
           "run_or_latest", "runs_to_drop", "score_frame_columns", "score_key", "scored_account",
           "scores_from_row"]

# Completed runs whose scores are kept: the newest is read, the two before it let a
# reader compare and a running analysis never leaves the API without scores.
KEEP_RUNS = 3

SCORE_COLUMNS = (
    "influence", "reach", "engagement", "brand_sentiment", "brand_posts", "customer_value",
    "community", "bridge", "advocate", "influencer", "detractor",
    "advocate_rank", "influencer_rank", "detractor_rank",
)
INT_SCORE_COLUMNS = frozenset({"brand_posts", "community", "advocate_rank", "influencer_rank",
                               "detractor_rank"})


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by start time (UTC seconds) and is unique (random tail)."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def run_or_latest(run_id: str | None, latest: Callable[[], AnalysisRunInfo | None]
                  ) -> str | None:
    """The run a read means: the one named, else the latest completed (None: no run
    has completed)."""
    if run_id is not None:
        return run_id
    run = latest()
    return run.run_id if run else None


def score_key(run_id: str, account_key: str) -> str:
    """The key of one account's ``AccountScore`` row in one run."""
    return f"{run_id}|{account_key}"


def encode_json(value: dict[str, Any]) -> str:
    """A run's params or stats as stored: sorted keys, anything else as its text."""
    return json.dumps(value, sort_keys=True, default=str)


def runs_to_drop(runs: Sequence[AnalysisRunInfo], finished: str
                 ) -> tuple[list[str], list[str]]:
    """After run ``finished`` completed: the completed runs that expire (all but the
    newest :data:`KEEP_RUNS`, ``runs`` newest first) and the other unfinished or failed
    runs, whose scores go too.

    Returns:
        ``(expired, failed)`` run ids; both lose their scores, the expired are marked so.
    """
    expired = [r.run_id for r in runs if r.status == "completed"][KEEP_RUNS:]
    failed = [r.run_id for r in runs if r.status != "completed" and r.run_id != finished]
    return expired, failed


def run_info(r: dict[str, Any], to_time: Callable[[Any], datetime | None]) -> AnalysisRunInfo:
    """A stored ``AnalysisRun`` row as the port's view; ``to_time`` makes the
    adapter's timestamps aware."""
    return AnalysisRunInfo(
        run_id=r["run_id"], started_at=to_time(r["started_at"]) or datetime.now(UTC),
        finished_at=to_time(r["finished_at"]), status=r["status"],
        params=json.loads(r["params"] or "{}"), stats=json.loads(r["stats"] or "{}"),
        error=r["error"])


def missing_to_none(value: Any) -> Any:
    """``None`` for a missing value of any flavour (None, NaN, NA), else the value."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def scores_from_row(r: dict[str, Any]) -> AccountScores:
    """A stored ``AccountScore`` row (the score columns, ``run_id``, ``account_key``,
    ``explanation``) as the port's view; missing scores read as zero where the view
    has no room for "unknown"."""
    return AccountScores(
        run_id=r["run_id"], account_key=r["account_key"], influence=r["influence"] or 0.0,
        reach=r["reach"] or 0.0, engagement=r["engagement"] or 0.0,
        brand_sentiment=missing_to_none(r["brand_sentiment"]),
        brand_posts=r["brand_posts"] or 0,
        customer_value=missing_to_none(r["customer_value"]),
        community=missing_to_none(r["community"]), bridge=missing_to_none(r["bridge"]),
        advocate=r["advocate"] or 0.0, influencer=r["influencer"] or 0.0,
        detractor=r["detractor"] or 0.0,
        ranks={k: r[f"{k}_rank"] for k in SCORE_KINDS if r[f"{k}_rank"] is not None},
        explanations=parse_explanation(r["explanation"]))


def scored_account(kind: str, r: dict[str, Any], account: AccountView) -> ScoredAccount:
    """One ranking entry from a score row and its account."""
    return ScoredAccount(kind=kind, rank=r[f"{kind}_rank"], score=r[kind], account=account,
                         scores=scores_from_row(r))


def check_ranking(kind: str) -> None:
    """Refuse a ranking that is not one of :data:`graph.schema.SCORE_KINDS`."""
    if kind not in SCORE_KINDS:
        raise StoreError(f"Unknown ranking {kind!r}; choose one of {', '.join(SCORE_KINDS)}")


def check_score_columns(columns: Sequence[str]) -> None:
    """Refuse score columns an ``AccountScore`` row does not have."""
    unknown = set(columns) - {*SCORE_COLUMNS, "run_id", "explanation"}
    if unknown:
        raise StoreError(f"unknown score columns: {', '.join(sorted(unknown))}")


def score_frame_columns(scores: pd.DataFrame) -> pd.DataFrame:
    """The analysis's scores (indexed by account key) as a frame with an
    ``account_key`` column, ready to be written as rows."""
    frame = scores.reset_index(drop=False)
    if "account_key" not in frame.columns:
        frame = frame.rename(columns={frame.columns[0]: "account_key"})
    return frame
