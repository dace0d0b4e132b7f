"""The care queue's read side (see :mod:`api.carequeue`): the order, filters and cases
of the kept entries as arrays, so a page of the inbox costs a page, not the queue.

:class:`_ReadSide` holds one set of entries as arrays (keys, times, base priorities,
coded teams, platforms, intents and languages) and keeps the last order at a time, sorted
again from it (urgency only grows with waiting); :class:`_Cases` applies the care cases
(assignment, resolution) as coded arrays; :class:`QueueView` is one filtered order, and
builds only the rows asked for.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics.care import CareItem, care_items, entry_times, urgency, waiting_hours

__all__ = ["QueueRow", "QueueView", "effective_status"]


def effective_status(case: dict[str, Any] | None, waiting_since: datetime | None) -> str:
    """The status an item shows: a resolution covers only posts made before it."""
    if case is None:
        return "open"
    if case["status"] == "resolved":
        resolved = case["resolved_at"]
        if resolved is not None and waiting_since is not None and waiting_since > resolved:
            return "open"  # someone wrote again after it was resolved
        return "resolved"
    return str(case["status"])


@dataclass(frozen=True)
class QueueRow:
    """One item of a view: the entry's place in the index, its status, team, assignee."""

    position: int
    conversation_key: str
    status: str
    team: str
    assignee: str | None


class QueueView:
    """The items a view keeps, most urgent first: their positions in the index; their
    keys, states, teams, assignees and waiting times are gathered for the rows asked for
    (:meth:`rows`), or as whole arrays only when a caller reads those."""

    def __init__(self, positions: np.ndarray, side: _ReadSide, cased: _Cases) -> None:
        self.positions = positions
        self._side, self._cased = side, cased

    @property
    def total(self) -> int:
        return len(self.positions)

    @functools.cached_property
    def keys(self) -> np.ndarray:
        keys: np.ndarray = self._side.keys[self.positions]
        return keys

    @functools.cached_property
    def states(self) -> np.ndarray:
        states: np.ndarray = self._cased.state_names[self._cased.states[self.positions]]
        return states

    @functools.cached_property
    def teams(self) -> np.ndarray:
        teams: np.ndarray = self._cased.team_names[self._cased.teams[self.positions]]
        return teams

    @functools.cached_property
    def assignees(self) -> np.ndarray:
        assignees: np.ndarray = self._cased.who_names[self._cased.who[self.positions]]
        return assignees

    @functools.cached_property
    def times(self) -> np.ndarray:
        """When each item's waiting post was made (UTC epoch nanoseconds)."""
        times: np.ndarray = self._side.times[self.positions]
        return times

    def items(self, now: datetime, rows: Sequence[QueueRow]) -> list[CareItem]:
        """The items of these rows at ``now``, from the entries this view was made of
        (a refresh meanwhile makes the index's positions those of new entries)."""
        columns = self._side.columns(np.asarray([r.position for r in rows], dtype=int))
        return care_items(columns, now)

    def rows(self, offset: int = 0, count: int | None = None) -> list[QueueRow]:
        end = self.total if count is None else min(self.total, offset + count)
        picked = self.positions[offset:end]
        cased = self._cased
        return [QueueRow(int(p), str(k), str(s), str(t), a) for p, k, s, t, a in zip(
            picked.tolist(), self._side.keys[picked], cased.state_names[cased.states[picked]],
            cased.team_names[cased.teams[picked]], cased.who_names[cased.who[picked]],
            strict=True)]


_SIDES_LOCK = threading.Lock()  # one read side made at a time


def _codes(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Each value's code (int32) and the values by code (missing values are a value)."""
    codes, names = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int32), list(names)


class _ReadSide:
    """What the read side derives from one frame of entries: the keys, the ranking's
    arrays, teams and platforms as codes; the order at the last ``now`` asked for; the
    masks per intent and language asked for; the cases' arrays of the last cases."""

    MASKS_KEPT = 32  # per kind: intents and languages asked for

    def __init__(self, entries: pd.DataFrame) -> None:
        self.entries = entries
        self.keys = entries["conversation_key"].astype(str).to_numpy(dtype=object)
        self.base = entries["base"].to_numpy(dtype=float)
        self.times = entry_times(entries)
        self.teams, self.team_names = _codes(entries["team"].to_numpy(dtype=object))
        self.platforms, platform_names = _codes(entries["platform"].to_numpy(dtype=object))
        self._platform_codes = {v: n for n, v in enumerate(platform_names)}
        self._lock = threading.Lock()
        self._ordered: tuple[datetime, np.ndarray] | None = None
        self._tiebreak: np.ndarray | None = None
        self._key_index: pd.Index | None = None
        self._masks: dict[tuple[str, str], np.ndarray] = {}
        self._cased: _Cases | None = None

    def platform_code(self, platform: str) -> int:
        """The code of a platform (-2, which no entry has, for one no entry is on)."""
        return self._platform_codes.get(platform, -2)

    def positions_of(self, keys: Collection[str]) -> np.ndarray:
        """The entries of these conversation keys (those queued), in no set order."""
        with self._lock:
            if self._key_index is None:
                self._key_index = pd.Index(self.keys)
            index = self._key_index
        wanted = list(keys)
        if not wanted:
            return np.zeros(0, dtype=int)
        if index.is_unique:
            found: np.ndarray = index.get_indexer(wanted)
            return found[found >= 0]
        return np.flatnonzero(index.isin(wanted)).astype(int)

    def order(self, now: datetime) -> np.ndarray:
        """The entries' order at ``now``, most urgent first: what
        :func:`analytics.care.rank` gives. The first is ranked in full; the next ones
        sort the last order again: urgency only grows with waiting, so it is nearly
        sorted and a stable sort (timsort) takes a pass or two, after which only runs of
        equal priorities out of their keys' order (``rank``'s tie-break) are sorted."""
        with self._lock:
            last = self._ordered
        if last is not None and last[0] == now:
            return last[1]
        priority = self.base * urgency(waiting_hours(self.times, now))
        if last is None:
            order = np.lexsort((self.tiebreak(), -priority))
        else:
            order = last[1][np.argsort(-priority[last[1]], kind="stable")]
            order = self._mend_ties(order, priority[order])
        with self._lock:
            self._ordered = (now, order)
        return order

    def tiebreak(self) -> np.ndarray:
        """Each entry's place among the keys (ascending; Arrow compares UTF-8 bytes,
        which is the order of Python's strings)."""
        with self._lock:
            if self._tiebreak is None:
                ranks = pc.rank(pa.array(self.keys, type=pa.string()),
                                sort_keys="ascending", tiebreaker="first")
                self._tiebreak = ranks.to_numpy().astype(np.int64) - 1
            return self._tiebreak

    def _mend_ties(self, order: np.ndarray, ranked: np.ndarray) -> np.ndarray:
        nan = np.isnan(ranked)
        same = (ranked[1:] == ranked[:-1]) | (nan[1:] & nan[:-1])
        if not same.any():
            return order
        tiebreak = self.tiebreak()
        places = tiebreak[order]
        bad = same & (places[1:] < places[:-1])
        if not bad.any():
            return order
        # the runs of equal priorities (order[start:end + 1]) holding a pair out of order
        edges = np.diff(np.concatenate(([0], same.astype(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        runs = np.unique(np.searchsorted(starts, np.flatnonzero(bad), side="right") - 1)
        order = order.copy()
        for run in runs.tolist():
            start, end = int(starts[run]), int(ends[run]) + 1
            segment = order[start:end]
            order[start:end] = segment[np.argsort(tiebreak[segment], kind="stable")]
        return order

    def columns(self, picked: np.ndarray) -> dict[str, np.ndarray]:
        """Every column of these entries, as object arrays (what ``care_items`` reads)."""
        return {c: self.entries[c].take(picked).to_numpy(dtype=object)
                for c in self.entries.columns}

    def _mask(self, kind: str, value: str) -> np.ndarray:
        with self._lock:
            found = self._masks.get((kind, value))
        if found is not None:
            return found
        column = self.entries["intents" if kind == "intent" else "language"]
        mask: np.ndarray
        if kind == "intent":
            wrapped = "|" + column.fillna("").astype(str) + "|"
            mask = wrapped.str.contains(f"|{value}|", regex=False).to_numpy(dtype=bool)
        else:
            mask = (column.fillna("").astype(str).str.lower() == value).to_numpy(dtype=bool)
        with self._lock:
            if len(self._masks) >= 2 * self.MASKS_KEPT:
                self._masks.clear()
            self._masks[(kind, value)] = mask
        return mask

    def intent_mask(self, intent: str) -> np.ndarray:
        return self._mask("intent", intent.lower())

    def language_mask(self, language: str) -> np.ndarray:
        return self._mask("language", language.lower())

    def cased(self, cases: dict[str, dict[str, Any]]) -> _Cases:
        """The cases applied (kept while the same cases are asked with)."""
        with self._lock:
            found = self._cased
        if found is not None and found.cases is cases:
            return found
        found = _Cases(self, cases)
        with self._lock:
            self._cased = found
        return found


class _Cases:
    """Each entry's status, team and assignee with the cases applied, as codes."""

    def __init__(self, side: _ReadSide, cases: dict[str, dict[str, Any]]) -> None:
        self.cases = cases
        size = len(side.keys)
        names: dict[str, list[Any]] = {"state": ["open"], "team": list(side.team_names),
                                       "who": []}
        self._codes = {kind: {v: n for n, v in enumerate(values)}
                       for kind, values in names.items()}
        self.states = np.zeros(size, dtype=np.int32)
        self.teams = side.teams.copy()
        self.who = np.full(size, -1, dtype=np.int32)
        for position in side.positions_of(cases).tolist():
            case = cases[side.keys[position]]
            since = pd.Timestamp(int(side.times[position]), tz="UTC").to_pydatetime()
            state = effective_status(case, since)
            self.states[position] = self._code(names, "state", state)
            if case.get("team"):
                self.teams[position] = self._code(names, "team", case["team"])
            if state == "assigned" and case.get("assignee") is not None:
                self.who[position] = self._code(names, "who", case["assignee"])
        self.state_names = np.array(names["state"] + [None], dtype=object)
        self.team_names = np.array(names["team"] + [None], dtype=object)
        self.who_names = np.array(names["who"] + [None], dtype=object)  # -1: nobody

    def _code(self, names: dict[str, list[Any]], kind: str, value: Any) -> int:
        codes = self._codes[kind]
        if value not in codes:
            codes[value] = len(names[kind])
            names[kind].append(value)
        return codes[value]

    def code_of(self, kind: str, value: Any) -> int:
        """The code of a value (-2, which no entry has, for a value no entry has)."""
        return self._codes[kind].get(value, -2)
