"""Copy a whole store into another one, typically the embedded database into Neo4j.

Everything goes through the port: records are read with ``export_batches`` and written
with ``write_batch`` (idempotent, so a copy that was interrupted is simply run again and
picks up where it stopped, changing nothing that is already there); what understanding
found (language, sentiment and its label, intents and their evidence) with
``write_post_understanding``, and the sentiment of posts scored on arrival but not
understood yet with ``write_post_sentiment`` (so they still wait for understanding);
brand accounts and settings with ``set_brand``; analysis runs with ``import_run`` (a
MERGE on the run id) and their scores with ``write_scores``, only for runs whose scores
the target does not hold yet.

The file ledger (which input files were ingested) is not copied: re-ingesting a file
into the target is harmless, because writes are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graph.store import Conflict, GraphStore, StoreError

__all__ = ["migrate"]

_EXPORT_METHODS = ("export_batches", "export_post_understanding")
_KINDS = ("customers", "accounts", "posts", "links", "follows", "purchases")

Progress = Callable[[str, int], None]


def migrate(source: GraphStore, target: GraphStore, *, batch_size: int = 10_000,
            progress: Progress | None = None) -> dict[str, Any]:
    """Copy every record, post understanding and sentiment, brand setting, analysis run
    and score.

    Args:
        source: The store to read (it is not changed).
        target: The store to write; may already hold part or all of the copy.
        batch_size: Records per read page and per write transaction.
        progress: Called as ``progress(kind, copied_so_far)`` after each batch.

    Returns:
        What was copied: a count per record kind read from the source, ``created``
        (what the target did not have yet, per kind), ``sentiments`` (posts with a
        sentiment or an understanding), ``understood`` (of which understood), ``runs``,
        ``scores`` (rows written; 0 for runs the target already had) and
        ``conflicts`` (posts the target holds with other content, as (key, reason, kind)).

    Raises:
        StoreError: An adapter lacks the export methods, or the target holds a
            different number of scores for a run than the source.

    Example:
        >>> from graph.embedded import EmbeddedStore  # doctest: +SKIP
        >>> migrate(EmbeddedStore("scrm.lbdb"), open_store())  # doctest: +SKIP
        {'customers': 1000, 'accounts': 52000, ...}
    """
    for method in _EXPORT_METHODS:
        if not hasattr(source, method):
            raise StoreError(f"The {source.backend} store cannot export ({method} missing).")
    if not hasattr(target, "import_run"):
        raise StoreError(f"The {target.backend} store cannot import runs (import_run missing).")
    report: dict[str, Any] = dict.fromkeys(_KINDS, 0)
    report["created"] = {}
    conflicts: list[Conflict] = []

    def tell(kind: str, done: int) -> None:
        if progress is not None:
            progress(kind, done)

    for batch in source.export_batches(batch_size):  # type: ignore[attr-defined]
        result = target.write_batch(batch)
        conflicts.extend(result.conflicts)
        for kind in _KINDS:
            n = len(getattr(batch, kind))
            report[kind] += n
            if n:
                tell(kind, report[kind])
        for kind, n in result.created.items():
            report["created"][kind] = report["created"].get(kind, 0) + n

    report["sentiments"] = report["understood"] = 0
    for frame in source.export_post_understanding(batch_size):  # type: ignore[attr-defined]
        frame = frame.fillna({"sentiment_model": ""})
        understood = frame["language"].notna()
        for model, group in frame[understood].groupby("sentiment_model", sort=True):
            target.write_post_understanding(group["key"].tolist(),
                                            group.reset_index(drop=True), str(model))
        for model, group in frame[~understood].groupby("sentiment_model", sort=True):
            target.write_post_sentiment(group["key"].tolist(),
                                        group["sentiment"].astype(float).tolist(), str(model))
        report["sentiments"] += len(frame)
        report["understood"] += int(understood.sum())
        tell("sentiments", report["sentiments"])

    accounts = source.account_frame()
    brand_keys = accounts.loc[accounts["is_brand"], "key"].astype(str).tolist()
    target.set_brand(brand_keys, source.get_settings())
    report["brand_accounts"] = len(brand_keys)

    report["runs"] = report["scores"] = 0
    for run in reversed(source.runs(limit=1_000_000)):  # oldest first
        target.import_run(run)
        report["runs"] += 1
        scores = source.score_frame(run.run_id)
        if len(scores):
            held = len(target.score_frame(run.run_id, columns=("influence",)))
            if held == 0:
                target.write_scores(run.run_id, scores)
                report["scores"] += len(scores)
            elif held != len(scores):
                raise StoreError(
                    f"The target holds {held} scores for run {run.run_id}, the source "
                    f"{len(scores)}; delete that run's scores in the target and migrate again.")
        tell("runs", report["runs"])
    report["conflicts"] = conflicts
    return report
