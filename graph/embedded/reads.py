"""Reads for the API: counts, accounts, customers, timelines, windows, metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from graph import views
from graph.batch import (
    ACCOUNT_FIELDS,
    CUSTOMER_FIELDS,
    select_timeline,
)
from graph.embedded import queries as q
from graph.embedded.base import EmbeddedBase
from graph.embedded.shared import (
    OWNERS,
    OWNERS_LOCK,
    WRITES,
    aware,
    naive_utc,
    utc_time,
)
from graph.store import AccountView, CustomerView, Interaction, LinkedAccount, TimelineFilter


class ReadsMixin(EmbeddedBase):
    """Reads for the API: counts, accounts, customers, timelines, windows, metrics."""


    def counts(self) -> dict[str, int]:
        def count(query: str) -> int:
            try:
                n: int = self._rows(query)[0]["n"]
            except RuntimeError as exc:
                # A database whose first writer was killed before it made the tables,
                # opened read-only (which cannot make them): it holds nothing yet.
                if "does not exist" not in str(exc):
                    raise
                return 0
            return n

        out: dict[str, int] = {}
        for label in ("Customer", "Account", "Post", "Conversation", "Purchase",
                      "IdentityCandidate"):
            out[label] = count(f"MATCH (n:{label}) RETURN count(*) AS n")
        for rel in ("OWNS", "POSTED", "REPLY_TO", "MENTIONS", "SHARES", "FOLLOWS"):
            out[rel] = count(f"MATCH ()-[r:{rel}]->() RETURN count(*) AS n")
        out["PendingEdge"] = count("MATCH (n:PendingEdge) RETURN count(*) AS n")
        return out

    _ACCOUNT_RETURN = ", ".join(f"a.{f} AS {f}" for f in ("key", *ACCOUNT_FIELDS))

    def brand_accounts(self) -> list[AccountView]:
        # the keys first, then each account by its key: the engine projected every
        # account's columns before filtering (0.26-0.37 s at 1M accounts; this 0.07 s),
        # and the care queue asks on every refresh
        found = self.get_accounts([r["k"] for r in self._rows(q.BRAND_ACCOUNT_KEYS)])
        return [found[k] for k in sorted(found)]

    def get_account(self, key: str) -> AccountView | None:
        return self.get_accounts([key]).get(key)

    def get_accounts(self, keys: Sequence[str]) -> dict[str, AccountView]:
        if not keys:
            return {}
        rows = self._rows(f"UNWIND $keys AS k MATCH (a:Account {{key: k}}) "
                          f"RETURN {self._ACCOUNT_RETURN}", {"keys": list(dict.fromkeys(keys))})
        return {r["key"]: views.account_view(r) for r in rows}

    _CUSTOMER_RETURN = "c.key AS key, " + ", ".join(f"c.{f} AS {f}" for f in CUSTOMER_FIELDS)

    def get_customer(self, customer_id: str) -> CustomerView | None:
        rows = self._rows(f"MATCH (c:Customer {{key: $k}}) RETURN {self._CUSTOMER_RETURN}",
                          {"k": customer_id})
        return views.customer_view(rows[0]) if rows else None

    def _owners(self) -> dict[str, str]:
        """Account key -> the customer of its most confident link (ties: the lower
        customer key), for every linked account, read once per process until something
        is written (``wrote``; read processes reopen, which counts).

        A ranking page asks who owns each of its accounts. Twenty `{key: $k}` look-ups
        through OWNS cost 1.1 ms a page at a million accounts (and `UNWIND $keys` there
        plans a scan: 29 ms); this map answers from memory. It holds the links only
        (10,000 at a million accounts: 40 ms to read, about 100 bytes each)."""
        path = str(self.path)
        with OWNERS_LOCK:
            writes = WRITES.get(path, 0)
            cached = OWNERS.get(path)
        if cached is not None and cached[0] == writes:
            return cached[1]
        table = self._arrow(q.OWNER_LINKS)
        best: dict[str, tuple[float, str]] = {}
        for a, c, w in zip(table.column("a").to_pylist(), table.column("c").to_pylist(),
                           table.column("w").to_pylist(), strict=True):
            score = (-(w or 0.0), c)
            if a not in best or score < best[a]:
                best[a] = score
        owners = {a: c for a, (_, c) in best.items()}
        with OWNERS_LOCK:
            if WRITES.get(path, 0) == writes:  # nothing was written while this was read
                OWNERS[path] = (writes, owners)
        return owners

    def customers_for_accounts(self, keys: Sequence[str]) -> dict[str, CustomerView]:
        owners = self._owners()
        owner_of = {k: owners[k] for k in dict.fromkeys(keys) if k in owners}
        if not owner_of:
            return {}
        rows = self._rows(f"UNWIND $keys AS k MATCH (c:Customer {{key: k}}) "
                          f"RETURN {self._CUSTOMER_RETURN}",
                          {"keys": list(dict.fromkeys(owner_of.values()))})
        customers = {r["key"]: views.customer_view(r) for r in rows}
        return {k: customers[c] for k, c in owner_of.items() if c in customers}

    def linked_accounts(self, customer_id: str) -> list[LinkedAccount]:
        rows = self._rows(
            "MATCH (c:Customer {key: $k})-[o:OWNS]->(a:Account) RETURN "
            f"{self._ACCOUNT_RETURN}, o.confidence AS confidence, o.method AS method, "
            "o.evidence AS evidence ORDER BY a.platform, a.handle", {"k": customer_id})
        return [views.linked_account(r, customer_id) for r in rows]

    def conversation_posts(self, conversation_key: str, limit: int = 1000
                           ) -> list[dict[str, Any]]:
        rows = self._rows(q.CONVERSATION_POSTS, {"k": conversation_key, "n": limit})
        return views.thread_posts(rows, aware)

    def purchases(self, customer_id: str) -> list[dict[str, Any]]:
        return views.purchase_rows(self._rows(q.PURCHASES, {"k": customer_id}), lambda v: v)

    # One account per query, and no OPTIONAL MATCH or EXISTS subquery: LadybugDB plans
    # `UNWIND $keys ... MATCH (s {key: k})-[...]`, `WHERE true`, an OPTIONAL MATCH or an
    # EXISTS on these paths as scans of whole relationship tables (seconds at 10M posts),
    # and `{key: $k}` with plain property conditions as index lookups (milliseconds). The
    # counterpart of a received interaction is its post's `author_key` (no join back to
    # the author); parent and shared posts' authors are looked up by primary key afterwards.
    #
    # Conditions on `p` or an ORDER BY ... LIMIT turn even these into a semi-masked scan of
    # the Post table and a top-k (1-4 ms each at 10M posts, for a handful of rows). So a
    # direction is read as it is, a few columns of every row (0.1-1.5 ms), and filtered,
    # ordered and cut here; only when it has more than _TIMELINE_CAP rows (a brand
    # account's mentions) does the database do that. The page's texts are read last, by
    # primary key, for the entries shown. (Limits are written into the text: a `LIMIT $n`
    # parameter costs LadybugDB 0.5-1 ms a query.)
    _TIMELINE_MATCH = {
        "authored": "MATCH (s:Account {key: $k})-[:POSTED]->(p:Post) ",
        "reply_received": "MATCH (s:Account {key: $k})-[:POSTED]->(:Post)<-[:REPLY_TO]-(p:Post) ",
        "mention_received": "MATCH (s:Account {key: $k})<-[:MENTIONS]-(p:Post) ",
        "share_received": "MATCH (s:Account {key: $k})-[:POSTED]->(:Post)<-[:SHARES]-(p:Post) ",
    }
    _TIMELINE_COLUMNS = ("p.key AS key, p.created_at AS time, p.platform AS platform, "
                         "p.kind AS kind, p.author_key AS author, p.parent_key AS parent_key, "
                         "p.shared_key AS shared_key, p.language AS language, "
                         "p.intents AS intents")
    _TIMELINE_CAP = 4096
    _TIMELINE_LIST_CONDITIONS = {
        "platforms": "list_contains($platforms, p.platform)",
        "kinds": "list_contains($kinds, p.kind)",
        "languages": "list_contains($languages, p.language)",
        "intents": "list_has_any(string_split(p.intents, '|'), $intents)",
    }
    _TIMELINE_DETAILS = ("UNWIND $keys AS k MATCH (p:Post {key: k}) RETURN p.key AS key, "
                         "p.text AS text, p.sentiment AS sentiment, "
                         "p.conversation_key AS conversation_key, p.url AS url, "
                         "p.sentiment_label AS sentiment_label, "
                         "p.intent_evidence AS intent_evidence")

    def _post_authors(self, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        return {r["k"]: r["a"] for r in self._rows(
            q.POST_AUTHORS,
            {"keys": list(dict.fromkeys(keys))})}

    def _timeline_candidates(self, key: str, direction: str, where: str,
                             params: dict[str, Any], passes: Callable[[dict[str, Any]], bool],
                             limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` rows of one direction that pass the filters, newest first."""
        match, cap = self._TIMELINE_MATCH[direction], int(self._TIMELINE_CAP)
        rows = self._rows(f"{match}RETURN {self._TIMELINE_COLUMNS} LIMIT {cap + 1}",
                          {"k": key})
        if len(rows) > cap:
            own = "" if direction == "authored" else " AND p.author_key <> $k"
            return self._rows(f"{match}{where}{own} RETURN {self._TIMELINE_COLUMNS} "
                              f"ORDER BY time DESC, key DESC LIMIT {int(limit)}",
                              {**params, "k": key})
        received = direction != "authored"
        rows = [r for r in rows if passes(r) and (
            not received or (r["author"] is not None and r["author"] != key))]
        rows.sort(key=lambda r: (r["time"], r["key"]), reverse=True)
        return rows[:limit]

    def _timeline_rows(self, key: str, direction: str, where: str, params: dict[str, Any],
                       passes: Callable[[dict[str, Any]], bool], wanted: int
                       ) -> list[dict[str, Any]]:
        """Up to ``wanted`` rows of one direction for one account. A mention that is also
        a reply to or share of their own post is left to that direction (asking for more
        when that thins a full page)."""
        limit = wanted
        while True:
            rows = self._timeline_candidates(key, direction, where, params, passes, limit)
            for r in rows:
                r["subject"] = key
                r["counterpart"] = None if direction == "authored" else r["author"]
            if direction == "authored":
                parents = self._post_authors([r["parent_key"] for r in rows if r["parent_key"]])
                for r in rows:
                    r["counterpart"] = parents.get(r["parent_key"] or "")
                return rows
            if direction != "mention_received":
                return rows
            refs = self._post_authors([x for r in rows for x in (r["parent_key"], r["shared_key"])
                                       if x])
            kept = [r for r in rows if key not in (refs.get(r["parent_key"] or ""),
                                                   refs.get(r["shared_key"] or ""))]
            if len(kept) >= wanted or len(rows) < limit:
                return kept
            limit *= 2

    def timeline(self, account_keys: Sequence[str], *, first: int,
                 before: tuple[datetime, str, str] | None = None,
                 filters: TimelineFilter | None = None) -> list[Interaction]:
        if not account_keys:
            return []
        f = filters or TimelineFilter()
        # the same conditions twice: in Cypher for directions the database orders, and in
        # Python (on naive UTC times, as stored) for those ordered here
        params: dict[str, Any] = {}
        conditions = ["p.created_at IS NOT NULL"]
        at = at_key = since = until = None
        if before is not None:
            conditions.append("(p.created_at < $t OR (p.created_at = $t AND p.key <= $pk))")
            at = params["t"] = naive_utc(before[0])
            at_key = params["pk"] = before[1]
        lists = views.timeline_lists(f)
        params.update(lists)
        conditions += [self._TIMELINE_LIST_CONDITIONS[name] for name in lists]
        platforms, kinds, languages, intents = (
            set(lists[name]) if name in lists else None
            for name in ("platforms", "kinds", "languages", "intents"))
        if f.since is not None:
            conditions.append("p.created_at >= $since")
            since = params["since"] = naive_utc(f.since)
        if f.until is not None:
            conditions.append("p.created_at < $until")
            until = params["until"] = naive_utc(f.until)
        where = "WHERE " + " AND ".join(conditions)

        def passes(r: dict[str, Any]) -> bool:
            t = r["time"]
            return t is not None and (
                at is None or t < at or (t == at and r["key"] <= at_key)) and (
                platforms is None or r["platform"] in platforms) and (
                kinds is None or r["kind"] in kinds) and (
                since is None or t >= since) and (until is None or t < until) and (
                languages is None or r["language"] in languages) and (
                intents is None or not intents.isdisjoint((r["intents"] or "").split("|")))

        rows: list[dict[str, Any]] = []
        for key in dict.fromkeys(account_keys):
            for direction in self._TIMELINE_MATCH:
                if f.directions and direction not in f.directions:
                    continue
                for r in self._timeline_rows(key, direction, where, params, passes, first + 3):
                    r["direction"] = direction
                    rows.append(r)
        items = select_timeline(rows, first=first, before=before, to_time=utc_time)
        details = {r["key"]: r for r in self._rows(
            self._TIMELINE_DETAILS, {"keys": list(dict.fromkeys(r["key"] for _, r in items))})
        } if items else {}
        counterparts = self.get_accounts([r["counterpart"] for _, r in items if r["counterpart"]])
        return [views.interaction(t, r, details.get(r["key"], {}), counterparts)
                for t, r in items]

    def active_accounts(self, keys: Sequence[str], since: datetime | None,
                        until: datetime | None) -> set[str]:
        if not keys:
            return set()
        conditions, params = self._window("p", since, until)
        params["keys"] = list(dict.fromkeys(keys))
        rows = self._rows("UNWIND $keys AS k MATCH (a:Account {key: k})-[:POSTED]->(p:Post) "
                          f"WHERE {conditions} RETURN DISTINCT k AS k", params)
        return {r["k"] for r in rows}

    @staticmethod
    def _window(var: str, since: datetime | None, until: datetime | None
                ) -> tuple[str, dict[str, Any]]:
        conditions, params = ["true"], {}
        if since is not None:
            conditions.append(f"{var}.created_at >= $since")
            params["since"] = naive_utc(since)
        if until is not None:
            conditions.append(f"{var}.created_at < $until")
            params["until"] = naive_utc(until)
        return " AND ".join(conditions), params

    def post_frame(self, since: datetime | None, until: datetime | None, *,
                   columns: Sequence[str] | None = None) -> pd.DataFrame:
        names = views.post_frame_columns(columns)
        conditions, params = self._window("p", since, until)
        returns = ", ".join(f"p.{c} AS {c}" for c in names)
        frame = self._df(f"MATCH (p:Post) WHERE {conditions} RETURN {returns}", params)
        return pd.DataFrame(columns=names) if frame.empty else frame

    def topic_authors(self, term: str) -> pd.DataFrame:
        frame = self._df(q.TOPIC_AUTHORS, {"t": term.lower()})
        return pd.DataFrame(columns=list(views.TOPIC_AUTHOR_COLUMNS)) if frame.empty else frame

    def newest_post_at(self) -> datetime | None:
        rows = self._rows(q.NEWEST_POST_AT)
        return aware(rows[0]["t"]) if rows else None

    def purchase_frame(self) -> pd.DataFrame:
        frame = self._df(q.PURCHASE_FRAME)
        return frame if not frame.empty else pd.DataFrame(
            columns=list(views.PURCHASE_FRAME_COLUMNS))

    def brand_engagements(self) -> pd.DataFrame:
        parts = [f for f in (self._df(q.BRAND_REPLY_ENGAGEMENTS),
                             self._df(q.BRAND_MENTION_ENGAGEMENTS)) if not f.empty]
        return views.first_engagements(pd.concat(parts, ignore_index=True) if parts
                                 else pd.DataFrame())
