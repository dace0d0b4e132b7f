"""GraphQL reads over the whole graph: ``network``, ``communities`` and ``metrics``.

``network`` and ``communities`` work on the same per-run projection as the
explorer (:data:`api.network.NETWORK_CACHE`), so the first call after an analysis
run loads it and later calls are in-memory selections.
"""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
import pandas as pd
import strawberry

from analytics.influence import group_influence
from analytics.metrics import compute_metrics
from api.auth import CONTENT
from api.context import Info
from api.errors import UserError
from api.network import NETWORK_CACHE, NetworkFrames, build_network, interaction_graph
from api.types.insights import (
    Communities,
    Community,
    GroupInfluence,
    GroupInfluencer,
    Metrics,
    NetworkEdge,
    NetworkGraph,
    NetworkNode,
)
from graph.model import account_key
from graph.store import GraphStore

__all__ = ["MAX_NETWORK_NODES", "communities", "influence_within", "metrics", "network"]

MAX_NETWORK_NODES = 2000


# ---------------------------------------------------------------------- network
def _center_key(center: str) -> str:
    text = center.strip()
    if ":" in text:
        platform, _, handle = text.partition(":")
        return account_key(platform, handle)
    return account_key("twitter", text)


async def network(info: Info, center: str | None = None, depth: int = 1, limit: int = 200,
                  min_weight: int = 1, platform: str | None = None) -> NetworkGraph:
    if not 0 <= depth <= 4:
        raise UserError("depth must be between 0 and 4")
    if not 1 <= limit <= MAX_NETWORK_NODES:
        raise UserError(f"limit must be between 1 and {MAX_NETWORK_NODES}")
    if min_weight < 1:
        raise UserError("minWeight must be at least 1")
    key = _center_key(center) if center else None

    def work(store: GraphStore) -> tuple[Any, int]:
        frames = NETWORK_CACHE.get(store)
        whole = build_network(frames, center=key, depth=depth, platform=platform,
                              min_weight=min_weight, limit=10**9)
        view = build_network(frames, center=key, depth=depth, platform=platform,
                             min_weight=min_weight, top=limit, limit=10**9)
        return view, whole.total_nodes

    if key is not None:
        found = await info.context.accounts.load(key)
        if found is None:
            raise UserError(f"no account {center!r}")
    view, total = await info.context.store.call(work)
    nodes = [NetworkNode.from_domain(n) for n in view.nodes]
    edges = [NetworkEdge.from_domain(e) for e in view.edges]
    return NetworkGraph(nodes=nodes, edges=edges, total_nodes=total,
                        truncated=total > len(nodes), run_id=view.run_id)


# ------------------------------------------------------------------ communities
def _community_table(frames: NetworkFrames, top: int) -> list[Community]:
    scores = frames.scores
    if scores.empty or "community" not in scores:
        return []
    member = scores["community"].dropna().astype(int)
    inter = frames.interactions
    a = inter["src"].map(member)
    b = inter["dst"].map(member)
    internal = inter[(a == b) & a.notna()].groupby(a[(a == b) & a.notna()]).size()
    crossing = (a != b) & a.notna() & b.notna()
    external = pd.concat([a[crossing], b[crossing]]).value_counts()
    sentiment = scores["brand_sentiment"] if "brand_sentiment" in scores else None
    out = []
    for c, keys in member.groupby(member).groups.items():
        sub = scores.loc[keys]
        top_keys = sub["influence"].sort_values(ascending=False).index[:top].tolist()
        bridge = sub["bridge"].dropna() if "bridge" in sub else pd.Series(dtype=float)
        bridge_keys = bridge[bridge > 0].sort_values(ascending=False).index[:top].tolist()
        mean = sentiment.loc[keys].mean() if sentiment is not None else None
        out.append(Community(
            id=int(c), size=len(keys), internal_interactions=int(internal.get(c, 0)),
            external_interactions=int(external.get(c, 0)),
            mean_brand_sentiment=None if mean is None or pd.isna(mean) else round(float(mean), 4),
            top_member_keys=top_keys, bridge_keys=bridge_keys))
    out.sort(key=lambda x: (-x.size, x.id))
    return out


async def communities(info: Info, first: int = 20, min_size: int = 1, top: int = 5
                      ) -> Communities:
    if not 0 <= first <= 500:
        raise UserError("first must be between 0 and 500")
    if not 1 <= top <= 50:
        raise UserError("top must be between 1 and 50")
    run = await info.context.latest_run()
    if run is None:
        return Communities(run_id=None, modularity=None, total=0, communities=[])

    def work(store: GraphStore) -> list[Community]:
        return _community_table(NETWORK_CACHE.get(store), top)

    table = [c for c in await info.context.store.call(work) if c.size >= min_size]
    modularity = run.stats.get("modularity")
    return Communities(run_id=run.run_id,
                       modularity=float(modularity) if modularity is not None else None,
                       total=len(table), communities=table[:first])


# -------------------------------------------------- influence within a group
def _group_influence(store: GraphStore, community: int | None, topic: str | None, first: int
                     ) -> GroupInfluence:
    frames = NETWORK_CACHE.get(store)
    run = store.latest_run()
    if run is None:
        return GroupInfluence(run_id=None, seeds=0, accounts=[])
    graph = frames.cached("graph", lambda: interaction_graph(frames, run.params))
    n = len(graph.keys)
    seed = np.zeros(n)
    if community is not None:
        members = frames.scores.index[frames.scores["community"] == community]
        positions = graph.keys.get_indexer(members)
        seed[positions[positions >= 0]] = 1.0
    else:
        authors = store.topic_authors(topic or "")
        positions = graph.keys.get_indexer(authors["author_key"].astype(str))
        found = positions >= 0
        np.add.at(seed, positions[found], authors["posts"].to_numpy(dtype=float)[found])
    ranking = group_influence(n, graph.src, graph.dst, weight=graph.weight, seed=seed,
                              alpha=float(run.params.get("alpha", 0.85)), first=first)
    return GroupInfluence(run_id=run.run_id, seeds=ranking.seeds, accounts=[
        GroupInfluencer(rank=i + 1, score=float(score), in_group=bool(member),
                        account_key=str(graph.keys[j]))
        for i, (j, score, member) in enumerate(
            zip(ranking.positions, ranking.scores, ranking.in_group, strict=True))])


async def influence_within(info: Info, community: int | None = None, topic: str | None = None,
                           first: int = 20) -> GroupInfluence:
    if (community is None) == (topic is None or not topic.strip()):
        raise UserError("give either 'community' or 'topic'")
    if not 1 <= first <= 100:
        raise UserError("first must be between 1 and 100")
    term = topic.strip() if topic else None
    result: GroupInfluence = await info.context.store.call(
        lambda s: _group_influence(s, community, term, first))
    return result


# ---------------------------------------------------------------------- metrics
METRICS_MEMO_SECONDS = 600.0


def _utc(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


async def metrics(info: Info, since: datetime | None = None, until: datetime | None = None,
                  while_updating: Annotated[bool, strawberry.argument(description=(
                      "After a write, answer at once with the figures from before it "
                      "(marked updating) while the new ones are computed, instead of "
                      "waiting for them."))] = False
                  ) -> Metrics:
    start, end = _utc(since), _utc(until)
    if start and end and start >= end:
        raise UserError("'since' must be before 'until'")
    # The dashboard's figures read posts, scores, links, purchases and the brand settings:
    # kept until a write of those ("content"; a care note, an assignment, a resolution
    # or a saved reply is not one). Without a write they are a function of the data
    # alone (the default window ends at the newest post, not now), so the lifetime is
    # only a bound on what a write that did not say so could leave stale. They take
    # seconds at a million accounts: computed aside, never holding up other store calls.
    memo = await info.context.store.memoized_aside(
        f"metrics:{start}:{end}", METRICS_MEMO_SECONDS,
        lambda s: compute_metrics(s, start, end), reads=frozenset({CONTENT}),
        wait=not while_updating)
    return Metrics.from_domain(memo.answer, computed_at=memo.computed_at,
                               updating=memo.updating)
