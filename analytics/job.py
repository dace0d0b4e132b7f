"""The analysis job: projection from the store → pure algorithms → scores written back.

The job is the only place that knows both the store port and the algorithms
(GDS's stream-vs-write split): it pulls the account interaction graph, scores
sentiment of posts not yet scored, computes influence, communities, bridges and
the three rankings, and writes them back under a new run id with the
parameters used. A failed run is marked failed and its partial scores dropped;
the previous run stays the one every reader sees until a new run completes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics.advocacy import fit_advocate_model, nps_labels
from analytics.bots import FLAG_AT, BotScores, behaviour_scores
from analytics.community import (
    RESOLUTION,
    extend_partition,
    louvain,
    participation_coefficient,
    undirected,
)
from analytics.community import modularity as community_modularity
from analytics.influence import (
    INTERACTION_KINDS,
    interaction_weights,
    kind_weights_from_params,
)
from analytics.lookalike import Lookalikes, lookalike_features, lookalikes
from analytics.pagerank import pagerank
from analytics.scoring import Scored, ScoreWeights, score_accounts
from analytics.sentiment import TrainedSentimentModel, VaderScorer
from analytics.team import (
    excluded_authors,
    staff_customer_ids,
    staff_settings,
    team_accounts,
)
from graph.erasure import ANONYMOUS_PREFIX
from graph.errors import UserError
from graph.schema import SCORE_KINDS
from graph.store import GraphStore

__all__ = [
    "NO_BRAND",
    "AnalysisParams",
    "AnalysisResult",
    "NothingToAnalyzeError",
    "explanation_json",
    "prospect_lookalikes",
    "run_analysis",
    "sentiment_model_path",
    "understand_posts",
]

Progress = Callable[[str, float], None]

_IGNORED_HANDLES = ("[deleted]", "[removed]")
_ACCOUNT_COLUMNS = ("key", "followers", "is_brand", "customer_id", "lifetime_value", "nps",
                    "purchases_total")


@dataclass(frozen=True)
class AnalysisParams:
    """Everything a run depends on; stored with the run.

    Attributes:
        reply_weight / mention_weight / share_weight / quote_weight: Edge weight of
            one interaction of that kind in the account graph.
        half_life_days: An interaction loses half its weight every this many days,
            counted back from the newest interaction in the data (not the wall
            clock, so an archive analysed later ranks the same).
        understand_per_run: Posts an analysis understands at most (0: all); the rest wait
            for the next run or the ``understand`` job.
        bot_window_days: Bot behaviour is read from the posts of this many days before the
            newest post (recent behaviour, at a cost that follows recent volume).
        decay_floor: The least an interaction's decay can fall to, so that an older era
            loaded beside newer data is outranked but never erased (see
            :func:`analytics.influence.interaction_weights`). Communities and bridges
            do not decay at all: they describe who talks with whom, whenever.
        alpha: PageRank damping factor.
        seed: Community detection seed.
        resolution: Modularity resolution of community detection (the modularity
            reported is the standard one, at 1.0).
        rescore_sentiment: Score every post again, not only new ones.
        warm_start: Start PageRank and community detection from the latest run's
            results (far fewer iterations after a small amount of new data).
        community_refresh: With ``warm_start``, keep the previous run's communities
            (placing new accounts by their neighbours) until the interactions have grown
            by more than this fraction since communities were last detected; 0 detects
            them on every run.
    """

    reply_weight: float = 1.0
    mention_weight: float = 0.5
    share_weight: float = 1.0
    quote_weight: float = 1.0
    half_life_days: float = 90.0
    decay_floor: float = 0.05
    bot_window_days: float = 60.0
    understand_per_run: int = 50_000
    alpha: float = 0.85
    seed: int = 0
    resolution: float = RESOLUTION
    rescore_sentiment: bool = False
    warm_start: bool = True
    community_refresh: float = 0.05
    weights: ScoreWeights = field(default_factory=ScoreWeights)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["weights"] = self.weights.as_dict()
        return out


@dataclass
class AnalysisResult:
    run_id: str
    stats: dict[str, Any]


class NothingToAnalyzeError(UserError):
    """The store holds no social accounts or interactions to analyze yet."""


NO_BRAND = ("no brand is configured, so no post addresses it and the advocate and detractor "
            "rankings are empty: name it with 'scrm brand --name NAME --account "
            "platform:handle', then run 'scrm analyze'")


def sentiment_model_path(location: str) -> Path:
    """Where a trained sentiment model is kept: beside the database."""
    p = Path(location)
    return p.parent / (p.name + ".sentiment.joblib")


def _brand_terms(settings: dict[str, str]) -> list[str]:
    terms = json.loads(settings.get("brand.terms", "[]"))
    name = settings.get("brand.name")
    if name:
        terms.append(name)
    return sorted({t.lower() for t in terms if t})


def run_analysis(
    store: GraphStore,
    params: AnalysisParams | None = None,
    *,
    progress: Progress | None = None,
) -> AnalysisResult:
    """Run one analysis and write its scores; returns the run id and statistics."""
    params = params or AnalysisParams()
    say: Progress = progress or (lambda _step, _frac: None)
    started = time.monotonic()
    timings: dict[str, float] = {}

    def mark(step: str, t0: float) -> float:
        timings[step] = round(time.monotonic() - t0, 3)
        return time.monotonic()

    run_id = store.start_run(params.as_dict())
    try:
        t = time.monotonic()
        say("projection", 0.0)
        accounts = store.account_frame(profile=False)
        accounts = accounts.loc[~accounts["handle"].isin(_IGNORED_HANDLES),
                                [c for c in _ACCOUNT_COLUMNS if c in accounts]
                                ].reset_index(drop=True)  # names and texts are not needed
        keys = pa.array(accounts["key"].astype(str).tolist(), pa.string())
        interactions = store.interaction_frame(sentiment=False)
        if len(keys) == 0 or len(interactions) == 0:
            raise NothingToAnalyzeError(
                "no social accounts yet: ingest posts first (the analysis needs replies, "
                "mentions or shares between accounts)")
        n = len(keys)
        src, dst = _ends(interactions, keys)
        ok = (src >= 0) & (dst >= 0) & (src != dst)
        kind = _positions(interactions["kind"], pa.array(INTERACTION_KINDS))
        created_s = _epoch_seconds(interactions["created_at"])
        share = ok & (kind == INTERACTION_KINDS.index("share"))
        key_text = np.asarray(keys.to_numpy(zero_copy_only=False), dtype=object)
        # one categorical over the accounts: the bots step counts pairs by their codes
        account_type = pd.CategoricalDtype(pd.Index(key_text, dtype=object))
        shares = pd.DataFrame({
            "src": pd.Categorical.from_codes(src[share], dtype=account_type),
            "dst": pd.Categorical.from_codes(dst[share], dtype=account_type)})
        # The projection's Arrow buffers live in the database's buffer pool: release them
        # before the next queries need the room.
        del interactions
        t = mark("projection", t)

        say("sentiment", 0.15)
        settings = store.get_settings()
        brand_keys = set(accounts.loc[accounts["is_brand"], "key"].astype(str))
        sentiment_model, scored = _score_sentiment(store, params)
        brand_posts = store.brand_posts(_brand_terms(settings))
        activity = store.author_activity()
        t = mark("sentiment", t)

        say("bots", 0.4)
        # behaviour in the last weeks of data: what a bot does now, at a cost that follows
        # recent volume rather than the whole history (every post's text at 10M posts)
        newest = store.newest_post_at()
        since = newest - timedelta(days=params.bot_window_days) if newest else None
        bots, bot_posts_read = _bot_scores(store, params, since, newest, shares,
                                           int(activity["posts"].sum()) if len(activity) else 0)
        decisions = json.loads(settings.get("bots.decisions", "{}"))
        flagged = bots.flagged(decisions, FLAG_AT) - brand_keys
        domains, named = staff_settings(settings)
        staff_ids = staff_customer_ids(settings)
        team = (team_accounts(accounts, store.customer_frame() if domains else pd.DataFrame(),
                              domains=domains, named=named, staff_ids=staff_ids) | brand_keys) \
            if domains or named or staff_ids else set(brand_keys)
        flagged -= team
        del shares
        t = mark("bots", t)

        say("influence", 0.45)
        per_kind = kind_weights_from_params(params.as_dict())
        weight = interaction_weights(kind, created_s, weight=per_kind,
                                     half_life_days=params.half_life_days, valid=ok,
                                     floor=params.decay_floor)[ok]
        # Communities are structure, not recency: detected on undecayed weights, an old
        # thread keeps its communities beside data years newer (decayed 1e-12, its
        # edges would add nothing to modularity and be merged at random).
        structure = interaction_weights(kind, created_s, weight=per_kind,
                                        half_life_days=params.half_life_days, valid=ok,
                                        floor=1.0)[ok]
        src, dst = src[ok].astype(np.int64), dst[ok].astype(np.int64)
        latest = store.latest_run()
        previous = _aligned(store.score_frame(columns=("influence", "community")), keys) \
            if params.warm_start else pd.DataFrame()
        start, initial = _warm_start(previous)
        influence = pagerank(n, src, dst, weight, alpha=params.alpha, start=start) if n \
            else np.zeros(0)
        engagement = np.bincount(dst, weights=weight, minlength=n) if n else np.zeros(0)
        t = mark("influence", t)

        say("communities", 0.6)
        base = _community_base(store, params, previous, int(ok.sum()))
        if len(src):
            adjacency = undirected(n, src, dst, structure)
            if base is not None and initial is not None:
                membership = extend_partition(adjacency, initial, base)
                modularity = community_modularity(n, src, dst, structure, membership,
                                                  adjacency=adjacency)
            else:
                membership, _ = louvain(n, src, dst, structure, seed=params.seed,
                                        resolution=params.resolution,
                                        initial_membership=initial, adjacency=adjacency)
                modularity = community_modularity(n, src, dst, structure, membership,
                                                  adjacency=adjacency)
            bridge = participation_coefficient(n, src, dst, structure, membership,
                                               adjacency=adjacency)
            del adjacency
        else:
            membership, modularity = np.arange(n), 0.0
            bridge = np.zeros(n)
        edges = int(len(src))
        del src, dst, weight, structure, kind, created_s, ok  # the graph is no longer needed
        t = mark("communities", t)

        say("scores", 0.75)
        features = _features(accounts, keys, brand_posts, activity, influence, engagement,
                             brand_keys)
        indexed = features.set_index("key")
        ranked = score_accounts(indexed, params.weights)
        labels = nps_labels(pd.Series(accounts["nps"].to_numpy(), index=indexed.index))
        model, learned = fit_advocate_model(indexed, labels, seed=params.seed)
        if model is not None:
            p, names, matrix = model.parts(indexed)
            brand = indexed["is_brand"].to_numpy(dtype=bool)
            matrix[brand] = 0.0
            ranked.scores["advocate"] = np.where(brand, 0.0, p)
            ranked.parts["advocate"] = (names, matrix)
        _leave_out(ranked, indexed.index, flagged | (team - brand_keys))
        frame = _score_frame(features, ranked, membership, bridge)
        posts_addressing = int(len(brand_posts))
        # Only the score rows are written: let the rest go before the write-back.
        del accounts, features, indexed, ranked, brand_posts, activity, previous
        t = mark("scores", t)

        say("write", 0.85)
        store.write_scores(run_id, frame)
        t = mark("write", t)
        stats = {
            "accounts": int(n), "interactions": edges, "brand_posts": posts_addressing,
            "posts_scored": scored, "sentiment_model": sentiment_model,
            "brand_accounts": sorted(brand_keys), "modularity": round(float(modularity), 6),
            "notes": [] if brand_keys or _brand_terms(settings) else [NO_BRAND],
            "communities": int(len(np.unique(membership))) if n else 0,
            "scoring": (f"advocate: classifier on {learned['labelled']} NPS-labelled customers "
                        f"(cross-validated ROC AUC {learned['cv_roc_auc']:.3f})"
                        if model is not None else
                        f"transparent weighted formula ({learned['reason']})"),
            "advocate_model": learned,
            "warm_start": start is not None,
            "bots": _bot_list(bots.likelihood, bots.reasons, flagged, decisions),
            "bot_posts_read": bot_posts_read,
            "team": [{"key": k, "brand": k in brand_keys} for k in sorted(team)],
            "communities_from": "carried over from the previous run, new accounts placed by "
            "their neighbours" if base is not None else "detected",
            "communities_detected_at": edges if base is None else int(
                (latest.stats if latest else {}).get("communities_detected_at", edges)),
            "seconds": round(time.monotonic() - started, 3), "timings": timings,
        }
        store.finish_run(run_id, stats)
        say("done", 1.0)
        return AnalysisResult(run_id=run_id, stats=stats)
    except BaseException as exc:
        try:
            store.fail_run(run_id, f"{type(exc).__name__}: {exc}")
        except Exception:  # noqa: BLE001 - e.g. a full disk: the first error is the news
            pass
        raise


def _bot_scores(store: GraphStore, params: AnalysisParams, since: datetime | None,
                newest: datetime | None, shares: pd.DataFrame, total: int
                ) -> tuple[BotScores, int]:
    """Bot likelihoods from behaviour in the window, and from the trained model kept
    beside the database (``scrm bots train``) when there is one, which reads the
    authors' profiles; and how many posts were read. The window's post signatures are
    kept beside an embedded database, so a warm start reads only the newest posts
    (:func:`analytics.bots.window_signatures`; ``total``: the posts the store holds)."""
    from analytics.bots import (
        POST_COLUMNS,
        BotModel,
        bot_cache_path,
        bot_model_path,
        window_signatures,
    )

    embedded = store.backend == "embedded"
    posts, read = window_signatures(
        lambda start: store.post_frame(start, None, columns=POST_COLUMNS), since, newest,
        cache=bot_cache_path(store.location) if embedded else None,
        identity=f"window {params.bot_window_days} days",
        reuse=params.warm_start, total=total)
    path = bot_model_path(store.location)
    if not path.exists() or posts.empty:
        return behaviour_scores(posts, shares), read
    authors = posts["author"].astype(str).unique().tolist()
    return behaviour_scores(posts, shares, model=BotModel.load(path),
                            profiles=store.account_profiles(authors)), read


def _leave_out(ranked: Scored, index: pd.Index, accounts: set[str]) -> None:
    """Scores of ``accounts`` (flagged bots) set to 0, explanations with them: they are
    listed on their own, not ranked."""
    out = index.isin(list(accounts))
    if not out.any():
        return
    for kind in list(ranked.scores):
        values = ranked.scores[kind].to_numpy(dtype=float).copy()
        values[out] = 0.0
        ranked.scores[kind] = pd.Series(values, index=ranked.scores[kind].index)
        if kind in ranked.parts:
            names, matrix = ranked.parts[kind]
            matrix = matrix.copy()
            matrix[out] = 0.0
            ranked.parts[kind] = (names, matrix)


def _bot_list(likelihood: pd.Series, reasons: dict[str, dict[str, float]],
              flagged: set[str], decisions: dict[str, str], limit: int = 1000
              ) -> list[dict[str, Any]]:
    """The flagged accounts, most likely first, with their reasons and any person's
    decision (kept in the run's statistics: ``scrm bots list``)."""
    rows: list[dict[str, Any]] = [{"key": k, "likelihood": round(float(likelihood.get(k, 1.0)), 3),
             "reasons": reasons.get(k, {}), "decision": decisions.get(k)}
            for k in flagged]
    rows.sort(key=lambda r: (-float(r["likelihood"]), str(r["key"])))
    return rows[:limit]


def _score_sentiment(store: GraphStore, params: AnalysisParams) -> tuple[str, int]:
    """Understand the posts not understood yet (all of them with ``rescore_sentiment``):
    language, sentiment (the trained model kept beside the database, or VADER, which
    reads English only) and intents (the default rules; the trained intent model's
    class beside them when one is kept), written through ``write_post_understanding``."""
    return understand_posts(store, rescore=params.rescore_sentiment,
                            limit=params.understand_per_run or None)


class _AnyLanguage(frozenset[str]):
    """Every language: a trained model is taken to read what it was trained on."""

    def __contains__(self, item: object) -> bool:
        return True


def understand_posts(store: GraphStore, *, rescore: bool = False,
                     limit: int | None = None) -> tuple[str, int]:
    """Understand the posts that have no language yet (and, with ``rescore``, those whose
    sentiment another model decided); the step ``scrm analyze`` runs first. At most
    ``limit`` posts (in batches) when given: an analysis stays bounded on a database whose
    millions of posts were never understood, and the next runs (or the ``understand``
    job) take the rest.

    Returns:
        The sentiment model's name and how many posts were understood.
    """
    from analytics.understanding import understand
    from analytics.understanding.model import TextClassifier, intent_model_path

    model_path = sentiment_model_path(store.location)
    scorer: Any
    languages: Any
    if model_path.exists():
        scorer = TrainedSentimentModel.load(model_path)
        model_name = f"trained:{model_path.name}"
        languages = getattr(scorer, "languages", None) or _AnyLanguage()
    else:
        scorer = VaderScorer()
        model_name = "vader"
        from analytics.understanding import VADER_LANGUAGES

        languages = VADER_LANGUAGES
    intent_path = intent_model_path(store.location)
    intent_model = TextClassifier.load(intent_path) if intent_path.exists() else None
    scored = 0
    for frame in store.unscored_posts(model=model_name if rescore else None):
        if limit is not None:
            if scored >= limit:
                break
            frame = frame.iloc[:limit - scored]
        text = (frame["title"].fillna("") + " " + frame["text"].fillna("")).str.strip()
        understood = understand(text.tolist(), sentiment=scorer, sentiment_languages=languages,
                                intent_model=intent_model)
        store.write_post_understanding(frame["key"].tolist(), understood, model_name)
        scored += len(frame)
    if scored:
        # old posts' understanding changed: a kept care queue (api.carequeue) builds afresh
        import uuid

        store.save_settings({"understanding.generation": uuid.uuid4().hex})
    return model_name, scored


def _features(accounts: pd.DataFrame, keys: pa.Array, brand_posts: pd.DataFrame,
              activity: pd.DataFrame, influence: np.ndarray, engagement: np.ndarray,
              brand_keys: set[str]) -> pd.DataFrame:
    f = pd.DataFrame({
        "key": accounts["key"].astype(str),
        "influence": influence,
        "reach": pd.to_numeric(accounts["followers"], errors="coerce").astype(float),
        "engagement": engagement,
        "is_customer": accounts["customer_id"].notna().to_numpy(),
        "is_brand": accounts["is_brand"].astype(bool).to_numpy(),
    })
    ltv = pd.to_numeric(accounts["lifetime_value"], errors="coerce").astype(float)
    spend = pd.to_numeric(accounts["purchases_total"], errors="coerce").astype(float) \
        if "purchases_total" in accounts else ltv * np.nan
    f["customer_value"] = ltv.fillna(spend).to_numpy()
    f.loc[~f["is_customer"], "customer_value"] = np.nan
    # Per-author sums by position (bincount), not by key: mapping a million keys
    # through pandas took seconds.
    n = len(keys)
    author = _positions(brand_posts["author_key"], keys)
    sentiment = pd.to_numeric(brand_posts["sentiment"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan)
    scored = (author >= 0) & ~np.isnan(sentiment)
    count = np.bincount(author[scored], minlength=n)
    total = np.bincount(author[scored], weights=sentiment[scored], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        f["brand_sentiment"] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    f["brand_posts"] = count.astype(int)
    # Helping: replies in brand conversations to other customers (not to the brand),
    # in a friendly tone. Accepted answers count double where a forum says so.
    parent = brand_posts["parent_author_key"]
    helpful = (author >= 0) & (parent.notna() & ~parent.isin(brand_keys)).to_numpy(
        dtype=bool) & (np.nan_to_num(sentiment, nan=0.0) >= 0)
    f["helpfulness"] = np.bincount(author[helpful], minlength=n).astype(float)
    if len(activity):
        at = _positions(activity["author_key"], keys)
        known = at >= 0
        accepted = pd.to_numeric(activity["accepted_answers"]).to_numpy(
            dtype=float, na_value=np.nan)
        extra = np.zeros(n)
        extra[at[known]] = np.nan_to_num(accepted[known], nan=0.0)
        f["helpfulness"] += 2.0 * extra
        last = pd.to_datetime(activity["last_post_at"])
        days = ((last.max() - last).dt.total_seconds() / 86400.0).to_numpy(dtype=float)
        idle = np.full(n, np.nan)
        idle[at[known]] = days[known]
        f["last_active_days"] = idle
    else:
        f["last_active_days"] = np.nan
    return f


def _aligned(previous: pd.DataFrame, keys: pa.Array) -> pd.DataFrame:
    """The previous run's score columns row by row with today's accounts ``keys`` (NaN
    for an account it did not score), matched by position in Arrow rather than by a
    pandas reindex on a million keys."""
    if previous.empty:
        return previous
    at = _positions(pd.Series(previous.index.to_numpy(dtype=object)), keys)
    found = at >= 0
    out = pd.DataFrame(index=pd.RangeIndex(len(keys)))
    for name in previous.columns:
        values = np.full(len(keys), np.nan)
        values[at[found]] = pd.to_numeric(previous[name], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)[found]
        out[name] = values
    return out


def _community_base(store: GraphStore, params: AnalysisParams, previous: pd.DataFrame,
                    interactions: int) -> np.ndarray | None:
    """Which accounts keep their community from the previous run (``previous``: its
    scores aligned to today's accounts), or None to detect communities afresh: when
    there is no previous partition, when more than ``community_refresh`` of the
    interactions or 1% of the accounts are new since communities were last
    detected."""
    if not params.warm_start or params.community_refresh <= 0 or previous.empty \
            or "community" not in previous:
        return None
    run = store.latest_run()
    detected_at = (run.stats if run else {}).get("communities_detected_at")
    if not detected_at or interactions > detected_at * (1 + params.community_refresh):
        return None
    known = ~np.isnan(previous["community"].to_numpy(dtype=float))
    if known.mean() < 0.99:
        return None
    return np.asarray(known, dtype=bool)


def _warm_start(previous: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The previous run's influence and communities (aligned to today's accounts) as
    starting points. New accounts start at the mean influence and in a community of
    their own.
    """
    if previous.empty or "influence" not in previous:
        return None, None
    influence = previous["influence"].to_numpy(dtype=float)
    known = ~np.isnan(influence)
    if known.sum() < 0.5 * len(influence):
        return None, None  # too much has changed for the old answer to help
    start = np.where(known, influence, np.nanmean(influence) if known.any() else 1.0)
    community = previous["community"].to_numpy(dtype=float).copy()
    missing = np.isnan(community)
    top = int(np.nanmax(community)) + 1 if (~missing).any() else 0
    community[missing] = top + np.arange(int(missing.sum()))
    return start, community.astype(np.int64)


def _epoch_seconds(column: pd.Series) -> np.ndarray:
    """Timestamps as float seconds since the epoch, without a trip through Python objects."""
    if isinstance(column.dtype, pd.ArrowDtype):
        values = pc.cast(column.array._pa_array, pa.timestamp("us"))  # noqa: SLF001
        micros = pc.cast(values, pa.int64()).to_numpy(zero_copy_only=False)
    else:
        micros = np.asarray(pd.to_datetime(column).to_numpy(), dtype="datetime64[us]").astype(
            np.int64)
    return np.asarray(micros, dtype=np.float64) / 1e6


def _positions(column: pd.Series, keys: pa.Array) -> np.ndarray:
    """Index of each key in ``keys`` (-1 where absent), hashed in Arrow, not Python.
    A categorical column is looked up once per category, then by its codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        per_category = _positions(pd.Series(column.cat.categories), keys)
        codes = column.cat.codes.to_numpy()
        return np.where(codes >= 0, per_category[np.maximum(codes, 0)], -1)
    values = pa.array(column) if not isinstance(column.dtype, pd.ArrowDtype) else \
        column.array._pa_array  # noqa: SLF001 - zero-copy view of the Arrow data
    found = pc.index_in(values, value_set=keys)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _ends(interactions: pd.DataFrame, keys: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``keys`` of each interaction's ``src`` and ``dst``; when both are
    categoricals over one index (the embedded store's), its keys are looked up once."""
    src, dst = interactions["src"], interactions["dst"]
    if isinstance(src.dtype, pd.CategoricalDtype) and isinstance(dst.dtype, pd.CategoricalDtype) \
            and src.cat.categories is dst.cat.categories:
        per_category = _positions(pd.Series(src.cat.categories), keys)
        src_codes, dst_codes = src.cat.codes.to_numpy(), dst.cat.codes.to_numpy()
        return (np.where(src_codes >= 0, per_category[np.maximum(src_codes, 0)], -1),
                np.where(dst_codes >= 0, per_category[np.maximum(dst_codes, 0)], -1))
    return _positions(src, keys), _positions(dst, keys)


def _score_frame(features: pd.DataFrame, scored: Scored, membership: np.ndarray,
                 bridge: np.ndarray) -> pd.DataFrame:
    frame = features.set_index("key")[
        ["influence", "reach", "engagement", "brand_sentiment", "brand_posts", "customer_value"]
    ].copy()
    frame["community"] = membership
    frame["bridge"] = bridge
    for kind in SCORE_KINDS:
        frame[kind] = np.nan_to_num(scored.scores[kind].to_numpy(dtype=float), nan=0.0)
    frame["explanation"] = pd.arrays.ArrowExtensionArray(explanation_json(scored.parts))
    # An erased person's anonymous accounts count in others' scores, never by themselves:
    # no score row, no rank, no figure that could point back at them.
    erased = features["key"].astype(str).str.contains(f":{ANONYMOUS_PREFIX}", regex=False)
    frame = frame[~erased.to_numpy()]
    for kind in SCORE_KINDS:
        order = np.argsort(-frame[kind].to_numpy(), kind="stable")
        ranked = order[frame[kind].to_numpy()[order] > 0]
        ranks = np.zeros(len(frame), dtype=np.int64)
        ranks[ranked] = np.arange(1, len(ranked) + 1)
        rank = pd.array(ranks, dtype="Int64")
        rank[ranks == 0] = pd.NA  # unranked: this score is 0
        frame[f"{kind}_rank"] = rank
    frame.index.name = "account_key"
    return frame


def explanation_json(parts: dict[str, tuple[list[str], np.ndarray]]) -> pa.Array:
    """Every account's explanations as one JSON object each,
    ``{"advocate": [["brand sentiment", 0.12], ...], ...}``, built column-wise in Arrow
    (no Python object per account). Factors that add nothing are left out; readers
    order the rest by size."""
    # Each kind's list is built factor by factor (while it is, no more than two of its
    # million-row string columns are alive, beside the finished lists of the kinds
    # before it), from the accounts the factor counts for: a value
    # is formatted only where it is not zero (a third of them, or fewer) and set into a
    # column of empty strings (100k accounts: 0.3 against 0.45 s).
    rows = len(next(iter(parts.values()))[1]) if parts else 0
    empty = pa.repeat(pa.scalar("", pa.string()), rows)
    kinds = []
    for i, (kind, (names, matrix)) in enumerate(parts.items()):
        body = empty
        for j, name in enumerate(names):
            values = np.round(np.nan_to_num(matrix[:, j], nan=0.0), 6)
            counts = values != 0
            if not counts.any():
                continue
            item = pc.binary_join_element_wise(
                pa.scalar(f"[{json.dumps(name)}, "),
                pc.cast(pa.array(values[counts]), pa.string()), pa.scalar("], "), "")
            body = pc.binary_join_element_wise(
                body, pc.replace_with_mask(empty, pa.array(counts), item), "")
            del item
        kinds.append(pc.binary_join_element_wise(
            pa.scalar(f"{', ' if i else ''}{json.dumps(kind)}: ["),
            pc.utf8_rtrim(body, characters=", "), pa.scalar("]"), ""))
        del body
    return pc.binary_join_element_wise(pa.scalar("{"), *kinds, pa.scalar("}"), "")


def prospect_lookalikes(store: GraphStore, *, advocates: int = 20, seed: int = 0
                        ) -> Lookalikes:
    """Lookalike prospects from the latest run's scores, the customer links, the
    interactions (undecayed kind weights) and the posts' words; the brand, the team,
    flagged bots and accounts with no posts or interactions are never offered
    (:func:`analytics.lookalike.lookalikes`)."""
    run = store.latest_run()
    scores = store.score_frame(columns=("influence", "reach", "engagement",
                                        "brand_sentiment", "brand_posts", "community",
                                        "advocate_rank"))
    accounts = store.account_frame(profile=False)
    customers = pd.Series(accounts["customer_id"].notna().to_numpy(dtype=bool),
                          index=accounts["key"].astype(str))
    ranks = pd.to_numeric(scores["advocate_rank"], errors="coerce").dropna()
    best = {str(k) for k in ranks.sort_values().index[:advocates]}
    inter = store.interaction_frame(sentiment=False)
    per_kind = kind_weights_from_params(run.params if run else {})
    edges = pd.DataFrame({"src": inter["src"].astype(str), "dst": inter["dst"].astype(str),
                          "weight": inter["kind"].astype(str).map(per_kind).fillna(0.0)})
    texts = store.post_frame(None, None)[["author_key", "text"]]
    brand = set(accounts.loc[accounts["is_brand"].astype(bool), "key"].astype(str))
    features = lookalike_features(scores, customers, best, edges, texts, brand)
    exclude = excluded_authors(run.stats if run else {}) | brand
    # Accounts nothing was seen from (named only by a CRM file) are no one's lookalike.
    seen = set(texts["author_key"].astype(str)) | set(edges["src"]) | set(edges["dst"])
    silent = set(features.index.astype(str)) - seen
    return lookalikes(features, customers, exclude=exclude, silent=silent, seed=seed)
