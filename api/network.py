"""The network view: which accounts and interactions to draw, from the store's projection.

Pure selection over frames (no store access), shared by the ``/explore`` page, its
JSON endpoint and ``scrm viz``. A selection larger than ``limit`` nodes is shown
as communities (super-nodes sized by members, edges summed between communities)
instead of a hairball; clicking one expands it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from analytics.influence import INTERACTION_KINDS, interaction_weights, kind_weights_from_params
from graph.erasure import ANONYMOUS_PREFIX
from graph.store import GraphStore
from graph.understanding import NEGATIVE_AT, POSITIVE_AT

__all__ = [
    "NETWORK_CACHE",
    "NetworkCache",
    "NetworkFrames",
    "NetworkView",
    "build_network",
    "class_colour",
    "sentiment_colour",
]

COMMUNITY_COLOURS = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f",
    "#e15759", "#8cd17d", "#86bcb6", "#d37295", "#a0cbe8", "#ffbe7d", "#bab0ac", "#499894",
)


def class_colour(negative: float, neutral: float, positive: float) -> str:
    """The colour of an edge's most common sentiment class among its posts (the model's
    classes, not a band on the mean score): red negative, green positive, grey neutral,
    a tie or none scored."""
    if negative > max(neutral, positive):
        return "#d62728"
    if positive > max(neutral, negative):
        return "#2ca02c"
    return "#b0b0b0"


def sentiment_colour(value: float | None) -> str:
    """Red for negative, grey for neutral or unknown, green for positive."""
    if value is None or np.isnan(value):
        return "#b0b0b0"
    if value <= NEGATIVE_AT:
        return "#d62728"
    if value >= POSITIVE_AT:
        return "#2ca02c"
    return "#b0b0b0"


@dataclass
class NetworkFrames:
    """What a view is built from: one consistent read of the store."""

    run_id: str | None
    accounts: pd.DataFrame  # key, platform, handle, display_name, followers, is_brand,
    # customer_id
    interactions: pd.DataFrame  # src, dst, kind, created_at, sentiment; neg, neu, pos: 1
    # when the post's sentiment class is that one
    scores: pd.DataFrame  # indexed by account key
    customers: dict[str, str] = field(default_factory=dict)  # customer_id -> name
    _derived: dict[str, Any] = field(default_factory=dict)

    def cached(self, name: str, build: Callable[[], Any]) -> Any:
        """Something computed from these frames once (e.g. the integer graph)."""
        if name not in self._derived:
            self._derived[name] = build()
        return self._derived[name]

    @classmethod
    def load(cls, store: GraphStore) -> NetworkFrames:
        run = store.latest_run()
        accounts = store.account_frame()
        raw = store.interaction_frame()
        tone = pd.to_numeric(raw["tone"], errors="coerce").to_numpy(dtype=float) \
            if "tone" in raw else np.full(len(raw), np.nan)
        interactions = raw
        interactions = pd.DataFrame({
            "src": interactions["src"].astype(str), "dst": interactions["dst"].astype(str),
            "kind": interactions["kind"].astype(str),
            "created_at": pd.to_datetime(interactions["created_at"]),
            "sentiment": pd.to_numeric(interactions["sentiment"], errors="coerce"),
        })
        del raw
        interactions["neg"] = (tone < 0).astype(float)
        interactions["neu"] = (tone == 0).astype(float)
        interactions["pos"] = (tone > 0).astype(float)
        # an erased person's anonymous accounts take no place in the explorer
        erased = f":{ANONYMOUS_PREFIX}"
        accounts = accounts[~accounts["key"].astype(str).str.contains(erased, regex=False)]
        interactions = interactions[
            ~(interactions["src"].str.contains(erased, regex=False)
              | interactions["dst"].str.contains(erased, regex=False))]
        scores = store.score_frame(run.run_id, columns=(
            "influence", "advocate", "influencer", "detractor", "bridge", "community",
            "brand_sentiment")) if run else pd.DataFrame()
        customers = store.customer_frame()
        names = dict(zip(customers["customer_id"], customers["name"], strict=True)) \
            if len(customers) else {}
        return cls(run_id=run.run_id if run else None, accounts=accounts,
                   interactions=interactions, scores=scores, customers=names)


@dataclass
class InteractionGraph:
    """The analysis graph as integer arrays over ``keys`` (positions), for algorithms."""

    keys: pd.Index
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray


def interaction_graph(frames: NetworkFrames, params: dict[str, Any]) -> InteractionGraph:
    """Weighted, time-decayed account graph with the weights an analysis run used
    (``params``: its stored parameters)."""
    keys = pd.Index(frames.accounts["key"].astype(str).unique())
    inter = frames.interactions
    src = pd.Categorical(inter["src"], categories=keys).codes.astype(np.int64)
    dst = pd.Categorical(inter["dst"], categories=keys).codes.astype(np.int64)
    kind = pd.Categorical(inter["kind"].astype(str), categories=INTERACTION_KINDS).codes
    seconds = inter["created_at"].astype("datetime64[us]").astype(np.int64).to_numpy() / 1e6
    ok = (src >= 0) & (dst >= 0) & (src != dst)
    weight = interaction_weights(kind, seconds, weight=kind_weights_from_params(params),
                                 half_life_days=float(params.get("half_life_days", 90.0)),
                                 valid=ok, floor=float(params.get("decay_floor", 0.0)))
    return InteractionGraph(keys=keys, src=src[ok], dst=dst[ok], weight=weight[ok])


@dataclass
class NetworkView:
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    aggregated: bool
    total_nodes: int
    run_id: str | None
    communities: list[int]

    def as_dict(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "edges": self.edges, "aggregated": self.aggregated,
                "total_nodes": self.total_nodes, "run_id": self.run_id,
                "communities": self.communities}


def _score(scores: pd.DataFrame, key: str, column: str) -> float:
    if scores.empty or key not in scores.index or column not in scores.columns:
        return 0.0
    value = scores.at[key, column]
    return 0.0 if value is None or pd.isna(value) else float(value)


def build_network(
    frames: NetworkFrames,
    *,
    center: str | None = None,
    depth: int = 1,
    community: int | None = None,
    platform: str | None = None,
    min_score: float = 0.0,
    since: datetime | None = None,
    until: datetime | None = None,
    top: int | None = None,
    min_weight: int = 1,
    limit: int = 2000,
    expand_community: int | None = None,
    latest_posts: Callable[[str], list[str]] | None = None,
) -> NetworkView:
    """Select accounts and their interactions, and describe them for drawing.

    Parameters:
        center: Account key to centre on; with ``depth`` hops around it.
        community: Only this community.
        platform: Only this platform.
        min_score: Only accounts whose best score (advocate, influencer, detractor) is
            at least this.
        since / until: Only interactions in this window.
        top: Only the ``top`` most influential accounts of the selection (the centre
            always stays).
        min_weight: Only account pairs with at least this many interactions.
        limit: Above this many nodes, show communities as super-nodes.
        expand_community: With an aggregated view, draw this community's members.
        latest_posts: ``key -> [text, ...]`` for tooltips (called for drawn nodes).
    """
    inter = frames.interactions
    accounts = frames.accounts.set_index("key")
    scores = frames.scores
    if since is not None:
        inter = inter[inter["created_at"] >= pd.Timestamp(since).tz_localize(None)]
    if until is not None:
        inter = inter[inter["created_at"] <= pd.Timestamp(until).tz_localize(None)]
    inter = inter[(inter["src"] != inter["dst"]) & inter["src"].isin(accounts.index)
                  & inter["dst"].isin(accounts.index)]
    edges = (inter.groupby(["src", "dst"])
             .agg(weight=("kind", "size"), sentiment=("sentiment", "mean"),
                  neg=("neg", "sum"), neu=("neu", "sum"), pos=("pos", "sum"))
             .reset_index())
    if min_weight > 1:
        edges = edges[edges["weight"] >= min_weight]
    keys = pd.Index(pd.unique(pd.concat([edges["src"], edges["dst"]])))
    if center is not None:
        if center not in accounts.index:
            return NetworkView([], [], False, 0, frames.run_id, [])
        frontier, seen = {center}, {center}
        for _ in range(max(depth, 0)):
            step = edges[edges["src"].isin(frontier) | edges["dst"].isin(frontier)]
            frontier = (set(step["src"]) | set(step["dst"])) - seen
            seen |= frontier
        keys = pd.Index(sorted(seen))
    if platform:
        keys = keys[accounts.loc[keys, "platform"].to_numpy() == platform.lower()]
    community_of = scores["community"] if "community" in scores else pd.Series(dtype=float)
    if community is not None:
        keys = keys[community_of.reindex(keys).to_numpy() == community]
    if min_score > 0 and not scores.empty:
        best = scores[["advocate", "influencer", "detractor"]].max(axis=1).reindex(keys)
        keys = keys[(best.fillna(0).to_numpy() >= min_score) | (keys == center)]
    influence = scores["influence"].reindex(keys).fillna(0.0) if "influence" in scores \
        else pd.Series(0.0, index=keys)
    if top is not None:
        ranked = (influence.drop(index=[center], errors="ignore") if center is not None
                  else influence).sort_values(ascending=False)
        keep = top - 1 if center is not None and center in keys else top
        keys = pd.Index(([center] if center is not None and center in keys else [])
                        + list(ranked.index[:max(keep, 0)]))
    edges = edges[edges["src"].isin(keys) & edges["dst"].isin(keys)]
    communities = sorted({int(c) for c in community_of.reindex(keys).dropna()})
    if len(keys) > limit and expand_community is None:
        return _aggregate(frames, keys, edges, community_of, communities)
    if expand_community is not None:
        keys = keys[community_of.reindex(keys).to_numpy() == expand_community]
        edges = edges[edges["src"].isin(keys) & edges["dst"].isin(keys)]
    return _detailed(frames, keys, edges, community_of, communities, center, latest_posts)


def _kind(row: pd.Series) -> str:
    if bool(row.get("is_brand")):
        return "brand"
    return "customer" if isinstance(row.get("customer_id"), str) else "prospect"


def _detailed(frames: NetworkFrames, keys: pd.Index, edges: pd.DataFrame,
              community_of: pd.Series, communities: list[int], center: str | None,
              latest_posts: Callable[[str], list[str]] | None) -> NetworkView:
    accounts = frames.accounts.drop_duplicates("key").set_index("key")
    scores = frames.scores
    nodes = []
    for key in keys:
        row = accounts.loc[key]
        c = community_of.get(key)
        community = None if c is None or pd.isna(c) else int(c)
        customer_id = row.get("customer_id") if isinstance(row.get("customer_id"), str) \
            else None
        nodes.append({
            "id": key, "handle": row["handle"], "platform": row["platform"],
            "display_name": row.get("display_name") if isinstance(row.get("display_name"), str)
            else None,
            "kind": _kind(row), "community": community,
            "colour": COMMUNITY_COLOURS[community % len(COMMUNITY_COLOURS)]
            if community is not None else "#cccccc",
            "influence": _score(scores, key, "influence"),
            "advocate": _score(scores, key, "advocate"),
            "influencer": _score(scores, key, "influencer"),
            "detractor": _score(scores, key, "detractor"),
            "bridge": _score(scores, key, "bridge"),
            "followers": None if pd.isna(row.get("followers")) else int(row["followers"]),
            "customer_id": customer_id,
            "customer_name": frames.customers.get(customer_id) if customer_id else None,
            "latest_posts": latest_posts(key) if latest_posts else [],
            "center": key == center,
        })
    edge_list = [{"from": r.src, "to": r.dst, "weight": int(r.weight),
                  "sentiment": None if pd.isna(r.sentiment) else round(float(r.sentiment), 3),
                  "colour": class_colour(r.neg, r.neu, r.pos)}
                 for r in edges.itertuples(index=False)]
    return NetworkView(nodes, edge_list, False, len(keys), frames.run_id, communities)


def _aggregate(frames: NetworkFrames, keys: pd.Index, edges: pd.DataFrame,
               community_of: pd.Series, communities: list[int]) -> NetworkView:
    member = community_of.reindex(keys).fillna(-1).astype(int)
    sizes = member.value_counts()
    influence = frames.scores["influence"].reindex(keys).fillna(0.0) \
        if "influence" in frames.scores else pd.Series(0.0, index=keys)
    totals = influence.groupby(member.to_numpy()).sum()
    nodes = [{"id": f"community:{c}", "handle": f"community {c}", "platform": "",
              "kind": "community", "community": int(c), "members": int(n),
              "colour": COMMUNITY_COLOURS[int(c) % len(COMMUNITY_COLOURS)] if c >= 0
              else "#cccccc", "influence": float(totals.get(c, 0.0)), "aggregated": True}
             for c, n in sizes.items()]
    e = edges.assign(a=member.reindex(edges["src"]).to_numpy(),
                     b=member.reindex(edges["dst"]).to_numpy())
    e = e[e["a"] != e["b"]]
    grouped = e.groupby(["a", "b"]).agg(weight=("weight", "sum"), sentiment=("sentiment",
                                                                              "mean"),
                                        neg=("neg", "sum"), neu=("neu", "sum"),
                                        pos=("pos", "sum"))
    edge_list = [{"from": f"community:{a}", "to": f"community:{b}", "weight": int(r.weight),
                  "sentiment": None if pd.isna(r.sentiment) else round(float(r.sentiment), 3),
                  "colour": class_colour(r.neg, r.neu, r.pos)}
                 for (a, b), r in grouped.iterrows()]
    return NetworkView(nodes, edge_list, True, len(keys), frames.run_id, communities)


class NetworkCache:
    """Keeps one :class:`NetworkFrames` per store and analysis run, reloaded when a run
    completes (or after :meth:`clear`)."""

    def __init__(self) -> None:
        self._frames: NetworkFrames | None = None
        self._key: tuple[str, str | None] | None = None
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget the frames (after personal data was erased)."""
        with self._lock:
            self._frames = None

    def get(self, store: GraphStore) -> NetworkFrames:
        run = store.latest_run()
        run_id = run.run_id if run else None
        key = (store.location, run_id)
        with self._lock:
            if self._frames is None or self._key != key:
                self._frames = NetworkFrames.load(store)
                self._key = key
            return self._frames


# One per process: the explorer and the GraphQL ``network`` query share it.
NETWORK_CACHE = NetworkCache()
