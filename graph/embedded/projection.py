"""The analysis projection and its cache files beside the database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.batch import profile_frame
from graph.embedded import queries as q
from graph.embedded.base import EmbeddedBase
from graph.embedded.shared import (
    LARGE_BATCH,
    add_activity,
    group_activity,
)
from graph.store import (
    ACCOUNT_PROFILE_COLUMNS,
)
from graph.understanding import UNDERSTANDING_FIELDS, tone, understanding_table
from graph.views import POST_DETAIL_COLUMNS, brand_posts_among


class ProjectionMixin(EmbeddedBase):
    """The analysis projection and its cache files beside the database."""


    def account_profiles(self, keys: Sequence[str]) -> pd.DataFrame:
        frame = self._df(q.ACCOUNT_PROFILES, {"keys": list(dict.fromkeys(keys))})
        return profile_frame(frame)

    def account_frame(self, *, profile: bool = True) -> pd.DataFrame:
        columns = [c for c in ("key", "platform", "handle", "followers", "is_brand",
                               "display_name", "location", "description")
                   if profile or c not in ACCOUNT_PROFILE_COLUMNS]
        accounts = self._df("MATCH (a:Account) RETURN offset(id(a)) AS o, "
                            + ", ".join(f"a.{c} AS {c}" for c in columns))
        # in storage order, whatever order the engine's threads hand rows over in: the
        # analysis numbers its graph's nodes by this order (two analyses of one
        # database then agree on every community)
        accounts = accounts.iloc[np.argsort(accounts["o"].to_numpy(), kind="stable")
                                 ].drop(columns="o").reset_index(drop=True)
        links = self._df(
            q.ACCOUNT_OWNER_LINKS)
        spend = self._df(q.CUSTOMER_SPEND)
        if len(links):
            links = links.sort_values("link_confidence", ascending=False).drop_duplicates("key")
            links = links.merge(spend, on="customer_id", how="left") if len(spend) else \
                links.assign(purchases_total=float("nan"))
        else:
            links = pd.DataFrame(columns=["key", "customer_id", "lifetime_value", "nps",
                                          "link_confidence", "purchases_total"])
        frame = accounts.merge(links, on="key", how="left")
        frame["is_brand"] = frame["is_brand"].fillna(False).astype(bool)
        return frame

    _INTERACTIONS = (
        ("REPLY_TO", "MATCH (a:Account)-[:POSTED]->(p:Post)-[:REPLY_TO]->(:Post)"
                     "<-[:POSTED]-(b:Account)", "0"),
        ("MENTIONS", "MATCH (a:Account)-[:POSTED]->(p:Post)-[:MENTIONS]->(b:Account)", "1"),
        ("SHARES", "MATCH (a:Account)-[:POSTED]->(p:Post)-[s:SHARES]->(:Post)"
                   "<-[:POSTED]-(b:Account)", "CASE WHEN s.kind = 'quote' THEN 3 ELSE 2 END"),
    )
    _INTERACTION_KINDS = ("reply", "mention", "share", "quote")

    @property
    def _projection_path(self) -> Path:
        return self._cache_path("projection")

    def _projection_state(self) -> dict[str, Any]:
        """What a cached projection must match: the edge counts per type and the
        generation (bumped by any write that re-keys accounts, e.g. forgetting one)."""
        state: dict[str, Any] = {rel: self._rows(
            f"MATCH ()-[r:{rel}]->() RETURN count(*) AS n")[0]["n"]
            for rel, _, _ in self._INTERACTIONS}
        state["generation"] = self._generation()
        return state

    def _interaction_rows(self, after_post: int | None) -> pa.Table:
        """Interactions as account and post offsets, from posts after ``after_post``, in
        one order whatever order the engine's threads hand them over in (by post, kind,
        target): the analysis sums weights in this order, and graph detection numbers
        nodes by it, so two analyses of one database agree bit for bit."""
        return _canonical(self._unordered_interaction_rows(after_post))

    def _unordered_interaction_rows(self, after_post: int | None) -> pa.Table:
        if after_post is None:
            table = self._interaction_scan()
            if table is not None:
                return table
        where = "" if after_post is None else "WHERE offset(id(p)) > $mark "
        tables = []
        for _, pattern, code in self._INTERACTIONS:
            tables.append(self._exec(
                f"{pattern} {where}RETURN offset(id(a)) AS src, offset(id(b)) AS dst, "
                f"CAST({code}, 'INT8') AS kind, offset(id(p)) AS post, "
                "p.created_at AS created_at",
                {"mark": after_post} if after_post is not None else None).get_as_arrow())
        return pa.concat_tables(tables).combine_chunks()

    def _interaction_scan(self) -> pa.Table | None:
        """Every interaction, from one scan per relationship table joined by post offset
        in NumPy: the same rows as the ``_INTERACTIONS`` patterns, in a third of the
        time (the engine's two-hop joins walk ten million posts twice) and without the
        engine's join tables in the buffer pool. None when a post has more than one
        author, which only the patterns count right."""
        posted = self._exec(
            q.POST_AUTHOR_OFFSETS
        ).get_as_arrow()
        post = posted.column("p").to_numpy()
        size = int(post.max()) + 1 if len(post) else 0
        author = np.full(size, -1, dtype=np.int64)
        author[post] = posted.column("a").to_numpy()
        if np.count_nonzero(author >= 0) != len(post):
            return None
        del posted, post
        times = self._exec(q.POST_TIME_OFFSETS
                           ).get_as_arrow()
        created_type = times.schema.field("t").type
        created = np.zeros(max(size, int(pc.max(times.column("p")).as_py() or 0) + 1),
                           dtype=np.int64)
        created[times.column("p").to_numpy()] = pc.fill_null(
            pc.cast(times.column("t"), pa.int64()), 0).to_numpy()
        del times

        def of(posts: np.ndarray) -> np.ndarray:
            inside = posts < size
            return np.where(inside, author[np.where(inside, posts, 0)], -1)

        parts = []
        for query, kind in (
            ("MATCH (p:Post)-[:REPLY_TO]->(q:Post) RETURN offset(id(p)) AS p, "
             "offset(id(q)) AS q", None),
            ("MATCH (p:Post)-[:MENTIONS]->(b:Account) RETURN offset(id(p)) AS p, "
             "offset(id(b)) AS b", None),
            ("MATCH (p:Post)-[s:SHARES]->(q:Post) RETURN offset(id(p)) AS p, "
             "offset(id(q)) AS q, s.kind = 'quote' AS quote", "share"),
        ):
            rows = self._arrow(query)
            p = rows.column("p").to_numpy()
            src = of(p)
            dst = rows.column("b").to_numpy() if "b" in rows.column_names else \
                of(rows.column("q").to_numpy())
            if kind == "share":
                quote = pc.fill_null(rows.column("quote"), False).to_numpy(zero_copy_only=False)
                code = np.where(quote, 3, 2).astype(np.int8)
            else:
                code = np.full(len(p), 0 if "q" in rows.column_names else 1, dtype=np.int8)
            del rows
            keep = (src >= 0) & (dst >= 0)
            p = p[keep]
            parts.append(pa.table({
                "src": pa.array(src[keep]), "dst": pa.array(dst[keep]),
                "kind": pa.array(code[keep]), "post": pa.array(p),
                "created_at": pa.array(created[p]).cast(created_type)}))
        return pa.concat_tables(parts).combine_chunks()

    def _cached_interactions(self, state: dict[str, Any]) -> pa.Table:
        """The projection, read incrementally: the rows cached by the last call plus the
        interactions of posts written since. When the cache cannot be trusted (edge
        counts do not add up, e.g. a reply reached an old post; or accounts were
        re-keyed) it is rebuilt from scratch."""
        mark = self._rows(q.LAST_POST_OFFSET)[0]["m"]
        table: pa.Table | None = None
        found = self._read_cache("projection")
        if found is not None:
            cached, meta = found
            if meta.get("generation") == state["generation"] and meta.get("mark") is not None:
                delta = self._interaction_rows(int(meta["mark"]))
                if cached.num_rows + delta.num_rows == sum(
                        state[rel] for rel, _, _ in self._INTERACTIONS):
                    try:
                        table = pa.concat_tables([cached, delta]).combine_chunks()
                    except pa.ArrowInvalid:
                        table = None  # kept by another version: rebuilt, never trusted
        if table is None:
            table = self._interaction_rows(None)
        if mark is not None:
            self._write_cache("projection", table,
                              {"mark": int(mark), "generation": state["generation"]})
        return table

    def interaction_frame(self, *, sentiment: bool = True) -> pd.DataFrame:
        """src and dst come back as categoricals over the account keys: the engine
        hands over node offsets (integers), never ten million key strings; and the
        rows already read by an earlier call are kept beside the database, so after
        a small ingest only the new posts' interactions are queried. Read on a
        connection of its own, so that nothing of it stays behind in the driver."""
        with self._batch_connection(release_heap=True):
            return self._interaction_frame(sentiment)

    def _interaction_frame(self, with_sentiment: bool) -> pd.DataFrame:
        accounts = self._exec(q.ACCOUNT_OFFSETS
                              ).get_as_arrow()
        # by offset: the categories' order is the analysis's node numbering (the engine
        # hands rows over in the order its threads finish)
        accounts = accounts.take(np.argsort(accounts.column("o").to_numpy(), kind="stable"))
        offsets = accounts.column("o").to_numpy()
        position = np.full(int(offsets.max()) + 1 if len(offsets) else 0, -1, dtype=np.int64)
        position[offsets] = np.arange(len(offsets))
        categories = pd.Index(accounts.column("key").to_pylist(), dtype=object)
        table = self._cached_interactions(self._projection_state())
        sentiment = classes = np.zeros(0)
        if with_sentiment:
            sentiment_rows = self._arrow(q.POST_SENTIMENT_OFFSETS)
            post_offsets = sentiment_rows.column("o").to_numpy()
            sentiment = np.full(int(post_offsets.max()) + 1 if len(post_offsets) else 0,
                                np.nan)
            scores = np.asarray(sentiment_rows.column("s").to_numpy(zero_copy_only=False),
                                dtype=float)
            sentiment[post_offsets] = scores
            classes = np.full(len(sentiment), np.nan)
            classes[post_offsets] = tone(sentiment_rows.column("l").to_pylist(), scores)
            del sentiment_rows
        src = table.column("src").to_numpy()
        dst = table.column("dst").to_numpy()
        inside = (src < len(position)) & (dst < len(position))  # an account since removed
        src_codes = np.where(inside, position[np.where(inside, src, 0)], -1)
        dst_codes = np.where(inside, position[np.where(inside, dst, 0)], -1)
        keep = (src_codes >= 0) & (dst_codes >= 0)
        post = table.column("post").to_numpy()[keep]
        columns: dict[str, Any] = {
            "src": pd.Categorical.from_codes(src_codes[keep], categories=categories),
            "dst": pd.Categorical.from_codes(dst_codes[keep], categories=categories),
            "kind": pd.Categorical.from_codes(
                table.column("kind").to_numpy().astype(np.int64)[keep],
                categories=list(self._INTERACTION_KINDS)),
            "created_at": np.asarray(table.column("created_at").cast(pa.timestamp("us"))
                                     .to_numpy(), dtype="datetime64[us]")[keep],
        }
        if with_sentiment:
            columns["sentiment"] = sentiment[post] if len(sentiment) else \
                np.full(len(post), np.nan)
            columns["tone"] = classes[post] if len(classes) else np.full(len(post), np.nan)
        return pd.DataFrame(columns)

    def unscored_posts(self, batch_size: int = 100_000, *, model: str | None = None
                       ) -> Iterator[pd.DataFrame]:
        where = "p.language IS NULL" if model is None else \
            "(p.language IS NULL OR p.sentiment_model IS NULL OR p.sentiment_model <> $model)"
        frame = self._df(f"MATCH (p:Post) WHERE {where} RETURN p.key AS key, "
                         "p.title AS title, p.text AS text", {"model": model} if model else None)
        for start in range(0, len(frame), batch_size):
            yield frame.iloc[start:start + batch_size].reset_index(drop=True)

    def brand_posts(self, terms: Sequence[str]) -> pd.DataFrame:
        with self._batch_connection(release_heap=True):
            return self._brand_posts(terms)

    def _brand_posts(self, terms: Sequence[str]) -> pd.DataFrame:
        """Brand posts, kept beside the database like the projection: the next call
        looks only at posts written since (and at the few replies to brand posts),
        and takes every kept post's current sentiment. The kept rows are used only
        while the brand accounts, terms and generation are the same and no old post
        got a new reply or mention edge (a late parent: its counts would not add up);
        a brand post newer than the kept rows that starts a thread is looked for among
        all posts."""
        terms = list(dict.fromkeys(t.lower() for t in terms if t))
        brand = sorted(r["k"] for r in self._rows(q.BRAND_ACCOUNT_KEYS))
        mark = self._rows(q.LAST_POST_OFFSET)[0]["m"]
        edges = {rel: self._rows(f"MATCH ()-[r:{rel}]->() RETURN count(*) AS n")[0]["n"]
                 for rel in ("REPLY_TO", "MENTIONS")}
        state = {"generation": self._generation(), "brand": brand, "terms": terms}
        since: int | None = None
        kept: pa.Table | None = None
        found = self._read_cache("brandposts")
        if found is not None:
            table, meta = found
            if all(meta.get(k) == v for k, v in state.items()) and meta.get("mark") is not None:
                old = int(meta["mark"])
                if all(int(meta.get(rel, -1)) + self._rows(
                        f"MATCH (p:Post)-[:{rel}]->() WHERE offset(id(p)) > $mark "
                        "RETURN count(*) AS n", {"mark": old})[0]["n"] == n
                        for rel, n in edges.items()):
                    since, kept = old, table
        if kept is not None and not {"post", "sentiment", "author_key"} <= set(kept.column_names):
            since, kept = None, None  # kept by another version: rebuilt
        frame = self._brand_post_rows(terms, since)
        if kept is not None and since is not None:
            frame = pd.concat([self._with_current_sentiment(kept, since), frame],
                              ignore_index=True)
        # by post offset: the engine's threads hand rows over in any order, and the
        # analysis sums each author's sentiment in the frame's order
        frame = frame.sort_values("post", kind="stable").drop_duplicates("post")
        frame = frame[~frame["author_key"].isin(set(brand))].reset_index(drop=True)
        if mark is not None:
            # Posts committed by another connection after ``mark`` was read may be among
            # the rows: they are returned, but kept only up to the mark, so the next call
            # reads them again as new (kept past it, they broke that call's sentiment
            # look-up: a care-queue read while a live source commits)
            kept_rows = frame[frame["post"].astype("int64") <= int(mark)]
            self._write_cache("brandposts", pa.Table.from_pandas(kept_rows,
                                                                 preserve_index=False),
                              {**state, **edges, "mark": int(mark)})
        return frame.drop(columns="post")

    def _brand_post_rows(self, terms: list[str], since: int | None) -> pd.DataFrame:
        """Posts that address the brand, among those written after ``since`` (all when
        None), plus every reply to a brand post and, for a brand post written after
        ``since``, its whole thread."""
        # Each part brings its posts' parent author along (one OPTIONAL MATCH per row
        # found) rather than looking a million parents up afterwards (the posts written
        # since the kept rows: ``_new_brand_post_rows``); the brand's threads are found by
        # the conversation_key property (a scan) rather than through IN_CONVERSATION,
        # which LadybugDB walks from the wrong end.
        cols = ("p.key AS key, p.author_key AS author_key, p.sentiment AS sentiment, "
                "p.created_at AS created_at, p.kind AS kind, q.author_key AS parent_author_key, "
                "offset(id(p)) AS post")  # duplicates are found by this number, not the key
        parent = "OPTIONAL MATCH (p)-[:REPLY_TO]->(q:Post)"
        parts = [
            self._arrow_df("MATCH (q:Post)<-[:REPLY_TO]-(p:Post), (q)<-[:POSTED]-(b:Account) "
                           f"WHERE b.is_brand RETURN {cols}"),
        ]
        roots = self._rows(q.BRAND_ROOT_POSTS)
        old_roots = [r["key"] for r in roots if since is not None and r["o"] <= since]
        new_roots = [r["key"] for r in roots if since is None or r["o"] > since]
        thread = f"list_contains($keys, p.conversation_key) {parent} RETURN {cols}"
        if new_roots:
            parts.append(self._arrow_df(f"MATCH (p:Post) WHERE {thread}", {"keys": new_roots}))
        if since is not None:
            parts.append(self._new_brand_post_rows(terms, since, old_roots))
        else:
            parts.append(self._arrow_df(f"MATCH (p:Post)-[:MENTIONS]->(b:Account) WHERE "
                                        f"b.is_brand {parent} RETURN {cols}"))
            for term in terms:
                parts.append(self._arrow_df(
                    f"MATCH (p:Post) WHERE (lower(p.text) CONTAINS $t OR lower(p.title) "
                    f"CONTAINS $t) {parent} RETURN {cols}", {"t": term}))
        found = [p for p in parts if len(p)]
        return pd.concat(found, ignore_index=True) if found else parts[0]

    def _new_brand_post_rows(self, terms: list[str], since: int, old_roots: list[str]
                             ) -> pd.DataFrame:
        """Of the posts written after ``since``: those that mention a brand account, name
        a term or join a thread a brand post at or before ``since`` started, with their
        parent's author; the columns of ``_brand_post_rows``' parts."""
        params = {"mark": since, "terms": terms, "roots": old_roots}
        rows = self._each_new_post_once(self._arrow(q.NEW_POSTS_ADDRESSING_BY_AUTHOR, params),
                                        since)
        if rows is None:
            rows = self._arrow(q.NEW_POSTS_ADDRESSING, params)
        mentioning = self._arrow(q.NEW_POSTS_MENTIONING_BRAND, {"mark": since})
        hit = pc.or_(pc.or_(pc.fill_null(rows.column("named"), False),
                            pc.fill_null(rows.column("threaded"), False)),
                     pc.is_in(rows.column("post"), value_set=mentioning.column("post")))
        rows = rows.filter(hit).drop_columns(["named", "threaded"])
        parents = self._arrow(q.NEW_REPLY_PARENT_AUTHORS, {"mark": since})
        if rows.num_rows and parents.num_rows:
            rows = rows.join(parents, "post", join_type="left outer")
        else:
            rows = rows.append_column(
                "parent_author_key",
                pa.nulls(rows.num_rows, parents.schema.field("parent_author_key").type))
        frame: pd.DataFrame = rows.select(
            ["key", "author_key", "sentiment", "created_at", "kind", "parent_author_key",
             "post"]).to_pandas(types_mapper=pd.ArrowDtype)
        return frame

    def _with_current_sentiment(self, kept: pa.Table, upto: int) -> pd.DataFrame:
        """Kept brand posts (all at or below offset ``upto``) with the sentiment their
        posts have now (scored or rescored since they were kept)."""
        rows = self._exec(q.POST_SENTIMENT_UPTO,
                          {"mark": upto}).get_as_arrow()
        current = np.full(upto + 1, np.nan)
        current[rows.column("o").to_numpy()] = np.asarray(
            rows.column("s").to_numpy(zero_copy_only=False), dtype=float)
        del rows
        post = kept.column("post").to_numpy()
        if len(post) and int(post.max()) > upto:  # kept past its mark by an older version
            kept = kept.filter(pa.array(post <= upto))
            post = kept.column("post").to_numpy()
        sentiment = pa.array(current[post], type=kept.schema.field("sentiment").type,
                             from_pandas=True)
        index = kept.schema.get_field_index("sentiment")
        frame: pd.DataFrame = kept.set_column(index, "sentiment", sentiment).to_pandas(
            types_mapper=pd.ArrowDtype)
        return frame

    def brand_posts_among(self, terms: Sequence[str], keys: Sequence[str]) -> pd.DataFrame:
        keys = list(dict.fromkeys(keys))
        posts = self._arrow_df(q.POSTS_AMONG, {"keys": keys})
        brand = {r["k"] for r in self._rows(q.BRAND_ACCOUNT_KEYS)}
        if posts.empty:
            return brand_posts_among(posts, brand, terms,
                                     mentioning=(), replying=(), brand_started=(),
                                     thread=None)
        conversations = list(dict.fromkeys(posts["conversation_key"].dropna().astype(str)))
        started = {r["key"] for r in self._rows(q.BRAND_POSTS_AMONG,
                                                {"keys": conversations})} \
            if conversations and brand else set()
        written = posts.loc[posts["author_key"].isin(list(brand)), "key"].astype(str).tolist()
        return brand_posts_among(
            posts, brand, terms,
            mentioning={r["key"] for r in self._rows(q.MENTIONING_BRAND_FROM, {
                "low": int(posts["o"].min())})} & set(keys),
            replying={r["key"] for r in self._rows(q.REPLYING_TO_BRAND_AMONG, {"keys": keys})},
            brand_started=started,
            thread=self._arrow_df(q.THREAD_POSTS_OF, {"keys": written}) if written else None)

    def replies_to(self, keys: Sequence[str]) -> list[str]:
        return [r["key"] for r in self._rows(q.REPLIES_TO,
                                             {"keys": list(dict.fromkeys(keys))})]

    def post_details(self, keys: Sequence[str]) -> pd.DataFrame:
        frame = self._df(
            q.POST_DETAILS, {"keys": list(dict.fromkeys(keys))})
        if frame.empty:
            return pd.DataFrame(columns=list(POST_DETAIL_COLUMNS))
        return frame

    def brand_reply_times(self) -> pd.DataFrame:
        frame = self._df(q.BRAND_REPLY_TIMES)
        if frame.empty:
            return pd.DataFrame(columns=["conversation_key", "last_brand_post_at"])
        return frame

    def author_activity(self) -> pd.DataFrame:
        """Grouped in Arrow, not by the engine (its hash aggregate over ten million
        posts by a string key needed more than a 1 GB buffer pool), and kept beside the
        database like the projection: the next call groups only the posts written
        since and adds them in. Old posts never change author, time or accepted flag
        except when a customer is forgotten, which changes the generation; a post
        count that does not add up rebuilds it too."""
        with self._batch_connection(release_heap=True):
            found = self._rows(q.POST_MARK_AND_COUNT)
            mark, posts = found[0]["m"], int(found[0]["n"])
            generation = self._generation()
            grouped: pa.Table | None = None
            cached = self._read_cache("activity")
            if cached is not None:
                table, meta = cached
                if meta.get("generation") == generation and meta.get("mark") is not None:
                    delta = self._activity_rows(int(meta["mark"]))
                    if int(meta.get("posts", -1)) + delta.num_rows == posts:
                        try:
                            grouped = add_activity(table, group_activity(delta))
                        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, KeyError):
                            grouped = None  # kept by another version: rebuilt
            if grouped is None:
                grouped = group_activity(self._activity_rows(None))
            if mark is not None:
                self._write_cache("activity", grouped, {
                    "mark": int(mark), "generation": generation, "posts": posts})
        frame: pd.DataFrame = grouped.to_pandas()
        return frame

    def _each_new_post_once(self, rows: pa.Table, since: int) -> pa.Table | None:
        """``rows`` (a ``post`` offset column) when they hold every post after ``since``
        exactly once, which a read of the posts through their POSTED edge does when
        each has one author (as every write makes it); else None."""
        posts = rows.column("post")
        if len(posts) != self._rows(q.NEW_POST_COUNT, {"mark": since})[0]["n"] or \
                len(posts) != len(pc.unique(posts)):
            return None
        return rows

    def _activity_rows(self, after_post: int | None) -> pa.Table:
        if after_post is not None:
            by_author = self._each_new_post_once(self._arrow(
                q.NEW_POST_ACTIVITY_BY_AUTHOR, {"mark": after_post}), after_post)
            if by_author is not None:
                return by_author.drop_columns(["post"])
        where = "" if after_post is None else "WHERE offset(id(p)) > $mark "
        rows: pa.Table = self._exec(
            f"MATCH (p:Post) {where}RETURN p.author_key AS author_key, "
            "p.created_at AS last_post_at, p.accepted AS accepted",
            {"mark": after_post} if after_post is not None else None).get_as_arrow()
        return rows

    def write_post_sentiment(self, keys: Sequence[str], values: Sequence[float], model: str
                             ) -> None:
        """Scores scanned from an Arrow table (no dict per post), on a connection of its
        own (the driver would keep the table for as long as a connection lives)."""
        scores = pa.table({"k": pa.array(keys, pa.string()),
                           "s": pa.array(np.asarray(values, dtype=float), pa.float64())})
        with self._batch_connection(release_heap=len(scores) >= LARGE_BATCH):
            for i in range(0, len(scores), 50_000):
                self._write(q.SET_POST_SENTIMENT, {"scan": scores.slice(i, 50_000),
                                                      "m": model})

    def write_post_understanding(self, keys: Sequence[str], frame: pd.DataFrame, model: str
                                 ) -> None:
        """Scanned from an Arrow table like ``write_post_sentiment``. A column with no
        value at all (``intent_model_label`` without an intent model) is not set from
        the scan: a second statement clears it only on the posts that have one (each
        column set costs about as much as finding the posts: 8 columns 0.3 s, 7 and
        the check 0.23 s, for 10,000 posts)."""
        table = understanding_table(keys, frame)
        empty = [name for name, _ in UNDERSTANDING_FIELDS
                 if table.column(name).null_count == len(table)]
        statements: list[tuple[str, pa.Table]] = []
        if not empty:
            statements.append((q.SET_POST_UNDERSTANDING, table))
        else:
            sets = ", ".join(["p.sentiment_model = $m"] + [
                f"p.{name} = {name}" for name, _ in UNDERSTANDING_FIELDS if name not in empty])
            statements.append((f"LOAD FROM $scan MATCH (p:Post {{key: key}}) SET {sets}",
                               table.drop_columns(empty)))
            statements.append((
                "LOAD FROM $scan MATCH (p:Post {key: key}) WHERE "
                + " OR ".join(f"p.{name} IS NOT NULL" for name in empty)
                + " SET " + ", ".join(f"p.{name} = NULL" for name in empty),
                table.select(["key"])))
        with self._batch_connection(release_heap=len(table) >= LARGE_BATCH):
            for query, rows in statements:
                for i in range(0, len(rows), 50_000):
                    params: dict[str, Any] = {"scan": rows.slice(i, 50_000)}
                    if "$m" in query:
                        params["m"] = model
                    self._write(query, params)


def _canonical(table: pa.Table) -> pa.Table:
    """Interaction rows sorted by post, kind and target (one row per triple)."""
    if table.num_rows < 2:
        return table
    order = np.lexsort((table.column("dst").to_numpy(), table.column("kind").to_numpy(),
                        table.column("post").to_numpy()))
    if np.array_equal(order, np.arange(len(order))):
        return table
    return table.take(order)
