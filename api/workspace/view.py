"""Shaping GraphQL answers for the templates: the inbox's reasons, the thread tree, the
timeline, backlog by team, and the scores' reasons read through the store port."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from api.context import StoreRunner
from graph.store import GraphStore

__all__ = ["account_reasons", "inbox_items", "thread_tree",
           "timeline_rows"]

# what the ranking model's factors mean to an agent
FACTOR_NAMES = {
    "sentiment": "negative sentiment", "negativity": "negative sentiment",
    "influence": "author influence", "customer_value": "customer value",
    "waiting": "waiting", "waiting_time": "waiting", "waiting hours": "waiting",
}


def factor_label(name: str) -> str:
    """A factor's name as people say it."""
    return FACTOR_NAMES.get(name, name.replace("_", " "))


def inbox_items(edges: list[dict[str, Any]], *, platform: str | None) -> list[dict[str, Any]]:
    """The queue's items (most urgent first, as the queue ranks them) with their reasons
    as labels and shares of the priority, optionally of one platform only."""
    items = []
    for edge in edges:
        node = dict(edge["node"])
        if platform and node["platform"] != platform:
            continue
        node["why"] = [{"label": factor_label(r["factor"]),
                        "value": _reason_value(r["factor"], r["contribution"])}
                       for r in node["reasons"]]
        author = node["author"] or {}
        node["influence"] = (author.get("scores") or {}).get("influence")
        node["status"] = node["status"].lower()
        items.append(node)
    return items


def _reason_value(factor: str, value: float) -> str:
    # the queue's factors: normalised 0..1 (sentiment's negativity, influence, value) and
    # the waiting time in hours; the priority multiplies them
    if "hour" in factor or "waiting" in factor:
        return f"{value:,.0f} h" if value < 72 else f"{value / 24:,.0f} days"
    return f"{value:.2f}"


def thread_tree(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Posts in reply-tree order (each post followed by its replies, oldest first)."""
    ids = {p["postId"] for p in posts}
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for post in posts:
        parent = post["parentId"] if post["parentId"] in ids else None
        children[parent].append(post)
    ordered: list[dict[str, Any]] = []

    def walk(parent: str | None, depth: int) -> None:
        for post in sorted(children.get(parent, []), key=lambda p: p["time"]):
            ordered.append(dict(post, level=depth))
            walk(post["postId"], depth + 1)

    walk(None, 0)
    return ordered


def timeline_rows(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A person's cross-channel interactions, newest first."""
    return [edge["node"] for edge in edges]


async def account_reasons(runner: StoreRunner, keys: list[str]
                          ) -> dict[str, dict[str, list[tuple[str, float]]]]:
    """Each account's scores explained (factor, contribution; largest first), read through
    the store port's ``account_scores``."""

    def work(store: GraphStore) -> dict[str, dict[str, list[tuple[str, float]]]]:
        out = {}
        for key in keys[:20]:
            scores = store.account_scores(key)
            if scores is not None:
                out[key] = {kind: [(factor_label(name), value) for name, value in parts[:5]]
                            for kind, parts in scores.explanations.items()}
        return out

    result: dict[str, dict[str, list[tuple[str, float]]]] = await runner.call(work)
    return result
