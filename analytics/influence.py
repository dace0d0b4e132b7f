"""Interaction weighting and influence within a group, on integer edge arrays.

Pure functions (no store): :func:`interaction_weights` is the one definition of how
much an interaction counts (its kind's weight times its time decay), used by the
analysis job and by the API's per-request graph alike; :func:`group_influence` ranks
accounts by personalised PageRank restarted from a seed group (a community, or the
authors on a topic).

References:
    Haveliwala. Topic-sensitive PageRank (WWW 2002).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from analytics.pagerank import pagerank, time_decay_weights

__all__ = [
    "DEFAULT_KIND_WEIGHTS",
    "INTERACTION_KINDS",
    "GroupRanking",
    "group_influence",
    "interaction_weights",
    "kind_weights_from_params",
]

INTERACTION_KINDS: tuple[str, ...] = ("reply", "mention", "share", "quote")
"""The interactions that count, in the order :func:`interaction_weights` reads codes."""

DEFAULT_KIND_WEIGHTS: Mapping[str, float] = {
    "reply": 1.0, "mention": 0.5, "share": 1.0, "quote": 1.0}


def kind_weights_from_params(params: Mapping[str, object]) -> dict[str, float]:
    """Per-kind weights from an analysis run's stored parameters (``reply_weight`` …).

    Args:
        params: A run's parameters; missing ones take :data:`DEFAULT_KIND_WEIGHTS`.

    Returns:
        ``{kind: weight}`` for every kind in :data:`INTERACTION_KINDS`.
    """
    out: dict[str, float] = {}
    for kind in INTERACTION_KINDS:
        value = params.get(f"{kind}_weight", DEFAULT_KIND_WEIGHTS[kind])
        out[kind] = float(value) if isinstance(value, int | float | str) else \
            DEFAULT_KIND_WEIGHTS[kind]
    return out


def interaction_weights(
    kind: np.ndarray,
    created_s: np.ndarray,
    *,
    weight: Mapping[str, float],
    half_life_days: float,
    valid: np.ndarray | None = None,
    floor: float = 0.0,
) -> np.ndarray:
    """How much each interaction counts: its kind's weight times its time decay.

    The decay is measured from the newest *valid* interaction (not the wall clock), so
    an old data set keeps its structure. ``floor`` bounds the decay from below: an era
    loaded beside much newer data (a 2014 thread beside 2026 posts is 40 half-lives
    back, a factor of 1e-12) still counts, at ``floor`` times its kind's weight, so
    its most-replied author keeps their engagement and its accounts their influence,
    while anything recent still outweighs it.

    Args:
        kind: Position of each interaction's kind in :data:`INTERACTION_KINDS`
            (-1 for any other kind, which weighs 0).
        created_s: Each interaction's time, seconds since the epoch.
        weight: ``{kind: weight}``; kinds left out weigh 0.
        half_life_days: An interaction loses half its weight every this many days.
        valid: Interactions that are part of the graph (both ends known, not a
            self-loop); ``None``: all. Only these set the reference time.
        floor: The least an interaction's decay can fall to (0: no floor; 1: no
            decay).

    Returns:
        One float weight per interaction (the invalid ones included, for the caller to
        mask).

    Example:
        >>> interaction_weights(np.array([0, 1]), np.array([0.0, 0.0]),
        ...                     weight={"reply": 1.0, "mention": 0.5}, half_life_days=90)
        array([1. , 0.5])
    """
    per_kind = np.array([float(weight.get(k, 0.0)) for k in INTERACTION_KINDS] + [0.0])
    codes = np.asarray(kind, dtype=np.int64)
    kind_weight = per_kind[np.where(codes >= 0, codes, len(INTERACTION_KINDS))]
    seconds = np.asarray(created_s, dtype=float)
    if not len(seconds):
        return np.zeros(0)
    if floor >= 1.0:  # a decay is at most 1: the floor is every interaction's
        return np.asarray(kind_weight * float(floor))
    ok = np.ones(len(seconds), dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    now_s = float(seconds[ok].max()) if ok.any() else 0.0
    decay = np.maximum(time_decay_weights(seconds, now_s, half_life_days), float(floor))
    return np.asarray(kind_weight * decay)


@dataclass(frozen=True)
class GroupRanking:
    """Accounts ranked by influence within a group.

    Attributes:
        positions: Node ids, most influential first.
        scores: Their personalised PageRank scaled so the first is 1.
        in_group: Whether each is a seed (a member of the group).
        seeds: How many nodes the walk restarts from.
    """

    positions: np.ndarray
    scores: np.ndarray
    in_group: np.ndarray
    seeds: int


def group_influence(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    *,
    weight: np.ndarray | None,
    seed: np.ndarray,
    alpha: float = 0.85,
    first: int = 20,
) -> GroupRanking:
    """Whose voice travels in a group: personalised PageRank restarted from ``seed``.

    Args:
        n: Number of nodes (ids 0..n-1).
        src, dst: Edge endpoints.
        weight: Edge weights (``None``: 1 each).
        seed: Non-negative restart mass per node (e.g. 1 per community member, or
            posts on a topic per author); normalised here. All zero: an empty ranking.
        alpha: Damping factor.
        first: How many accounts to return.

    Returns:
        The ``first`` best nodes with scores scaled to the best one.

    Example:
        >>> r = group_influence(3, np.array([0, 1]), np.array([1, 2]), weight=None,
        ...                     seed=np.array([1.0, 0.0, 0.0]), first=3)
        >>> r.positions.tolist(), r.seeds
        ([0, 1, 2], 1)
    """
    restart = np.asarray(seed, dtype=float)
    empty = np.zeros(0, dtype=np.int64)
    if n == 0 or not restart.any():
        return GroupRanking(empty, np.zeros(0), np.zeros(0, dtype=bool), 0)
    ppr = pagerank(n, src, dst, weight, alpha=alpha, personalization=restart)
    order = np.argsort(-ppr, kind="stable")[:first]
    top = float(ppr[order[0]]) if len(order) else 1.0
    scores = ppr[order] / top if top else np.zeros(len(order))
    return GroupRanking(positions=order.astype(np.int64), scores=scores,
                        in_group=restart[order] > 0, seeds=int((restart > 0).sum()))
