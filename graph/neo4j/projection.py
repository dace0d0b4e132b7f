"""The analysis projection: frames read page by page for the analytics job."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pandas as pd

from graph.batch import PROFILE_COLUMNS, profile_frame
from graph.neo4j import queries as q
from graph.neo4j.base import Neo4jBase, Rows
from graph.neo4j.shared import chunks, timestamps
from graph.store import (
    ACCOUNT_PROFILE_COLUMNS,
)
from graph.understanding import tone, understanding_table
from graph.views import BRAND_AMONG_COLUMNS, POST_DETAIL_COLUMNS, brand_posts_among


class ProjectionMixin(Neo4jBase):
    """The analysis projection: frames read page by page for the analytics job."""


    def account_profiles(self, keys: Sequence[str]) -> pd.DataFrame:
        rows: Rows = []
        for chunk in chunks(list(dict.fromkeys(keys)), self.batch_size):
            rows.extend(self._read(q.ACCOUNT_PROFILES, {"keys": list(chunk)}))
        frame = pd.DataFrame(rows, columns=list(PROFILE_COLUMNS))
        frame["created_at"] = timestamps(frame["created_at"].tolist())
        return profile_frame(frame)

    def account_frame(self, *, profile: bool = True) -> pd.DataFrame:
        columns = ["key", "platform", "handle", "followers", "is_brand", "display_name",
                   "location", "description", "customer_id", "lifetime_value", "nps",
                   "link_confidence"]
        rows = [r for page in self._pages(q.ACCOUNT_FRAME_PAGE) for r in page]
        frame = pd.DataFrame(rows, columns=columns)
        spend: dict[str, float] = {}
        for page in self._pages(q.PURCHASE_PAGE):
            for r in page:
                spend[r["customer_id"]] = spend.get(r["customer_id"], 0.0) + float(r["amount"])
        for col in ("followers", "lifetime_value", "nps", "link_confidence"):
            # float64, as the embedded store gives: these columns have gaps
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        frame["purchases_total"] = frame["customer_id"].map(spend).astype("float64")
        frame["is_brand"] = frame["is_brand"].fillna(False).astype(bool)
        return frame if profile else frame.drop(columns=list(ACCOUNT_PROFILE_COLUMNS))

    def interaction_frame(self, *, sentiment: bool = True) -> pd.DataFrame:
        columns = ["src", "dst", "kind", "created_at", "sentiment", "sentiment_label"]
        rows: Rows = []
        for page in self._pages(q.POST_KEY_PAGE):
            keys = [r["key"] for r in page]
            for query in (q.REPLY_INTERACTIONS, q.MENTION_INTERACTIONS, q.SHARE_INTERACTIONS):
                rows.extend(self._read(query, {"keys": keys}))
        frame = pd.DataFrame(rows, columns=columns)
        # Replies, then mentions, then shares; each by post key and target (the queries'
        # order): the analysis numbers nodes and sums weights in this order, so two
        # analyses of one database agree bit for bit, as on the embedded store.
        order = {"reply": 0, "mention": 1, "share": 2, "quote": 2}
        frame = frame.iloc[frame["kind"].map(order).argsort(kind="stable")].reset_index(drop=True)
        frame["created_at"] = timestamps(frame["created_at"].tolist())
        if not sentiment:
            return frame.drop(columns=["sentiment", "sentiment_label"])
        frame["sentiment"] = pd.to_numeric(frame["sentiment"], errors="coerce").astype("float64")
        frame["tone"] = tone(frame["sentiment_label"].tolist(), frame["sentiment"].to_numpy())
        return frame.drop(columns="sentiment_label")

    def unscored_posts(self, batch_size: int = 100_000, *, model: str | None = None
                       ) -> Iterator[pd.DataFrame]:
        query = q.UNSCORED_POST_PAGE if model is None else q.UNSCORED_BY_MODEL_POST_PAGE
        params = {} if model is None else {"model": model}
        # Keyset pages stay correct while the caller scores the posts it was given.
        buffer: Rows = []
        for page in self._pages(query, params):
            buffer.extend(page)
            while len(buffer) >= batch_size:
                yield pd.DataFrame(buffer[:batch_size], columns=["key", "title", "text"])
                buffer = buffer[batch_size:]
        if buffer:
            yield pd.DataFrame(buffer, columns=["key", "title", "text"])

    def brand_posts(self, terms: Sequence[str]) -> pd.DataFrame:
        columns = ["key", "author_key", "sentiment", "created_at", "kind"]
        rows = (self._read(q.BRAND_MENTION_POSTS) + self._read(q.BRAND_REPLY_POSTS)
                + self._read(q.BRAND_CONVERSATION_POSTS))
        for term in dict.fromkeys(t.lower() for t in terms if t):
            rows.extend(self._read(q.TERM_POSTS, {"term": term}))
        frame = pd.DataFrame(rows, columns=columns).drop_duplicates("key")
        brand = {r["key"] for r in self._read(q.BRAND_ACCOUNT_KEYS)}
        # positions again: the times below are set by position (a brand post left out
        # of the middle made every later post's time NaT)
        frame = frame[~frame["author_key"].isin(brand)].reset_index(drop=True)
        frame["created_at"] = timestamps(frame["created_at"].tolist())
        frame["sentiment"] = pd.to_numeric(frame["sentiment"], errors="coerce").astype("float64")
        reply_keys = frame.loc[frame["kind"].isin(["reply", "comment"]), "key"].tolist()
        parents = pd.DataFrame(
            [r for chunk in chunks(reply_keys, self.batch_size)
             for r in self._read(q.PARENT_AUTHORS, {"keys": list(chunk)})],
            columns=["key", "parent_author_key"])
        frame = frame.merge(parents, on="key", how="left") if len(parents) else \
            frame.assign(parent_author_key=None)
        return frame.reset_index(drop=True)

    def brand_posts_among(self, terms: Sequence[str], keys: Sequence[str]) -> pd.DataFrame:
        keys = list(dict.fromkeys(keys))
        rows: Rows = []
        for chunk in chunks(keys, self.batch_size):
            rows.extend(self._read(q.POSTS_AMONG, {"keys": list(chunk)}))
        posts = pd.DataFrame(rows, columns=[*BRAND_AMONG_COLUMNS[:-1], "title"])
        brand = {r["key"] for r in self._read(q.BRAND_ACCOUNT_KEYS)}

        def keys_of(query: str, among: list[str]) -> set[str]:
            return {r["key"] for chunk in chunks(among, self.batch_size)
                    for r in self._read(query, {"keys": list(chunk)})}

        conversations = list(dict.fromkeys(posts["conversation_key"].dropna().astype(str)))
        written = posts.loc[posts["author_key"].isin(list(brand)), "key"].astype(str).tolist()
        thread = None
        if written:
            thread = pd.DataFrame([r for chunk in chunks(written, self.batch_size)
                                   for r in self._read(q.THREAD_POSTS_OF, {"keys": list(chunk)})],
                                  columns=list(BRAND_AMONG_COLUMNS[:-1]))
            thread["created_at"] = timestamps(thread["created_at"].tolist())
            thread["sentiment"] = pd.to_numeric(thread["sentiment"], errors="coerce").astype(
                "float64")
        posts["created_at"] = timestamps(posts["created_at"].tolist())
        posts["sentiment"] = pd.to_numeric(posts["sentiment"], errors="coerce").astype("float64")
        return brand_posts_among(
            posts, brand, terms, mentioning=keys_of(q.MENTIONING_BRAND_AMONG, keys),
            replying=keys_of(q.REPLYING_TO_BRAND_AMONG, keys),
            brand_started=keys_of(q.BRAND_POSTS_AMONG, conversations) if brand else set(),
            thread=thread)

    def replies_to(self, keys: Sequence[str]) -> list[str]:
        return list(dict.fromkeys(
            r["key"] for chunk in chunks(list(dict.fromkeys(keys)), self.batch_size)
            for r in self._read(q.REPLIES_TO, {"keys": list(chunk)})))

    def post_details(self, keys: Sequence[str]) -> pd.DataFrame:
        rows: Rows = []
        for chunk in chunks(list(dict.fromkeys(keys)), self.batch_size):
            rows.extend(self._read(q.POST_DETAILS, {"keys": list(chunk)}))
        return pd.DataFrame(rows, columns=list(POST_DETAIL_COLUMNS))

    def brand_reply_times(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._read(q.BRAND_REPLY_TIMES),
                             columns=["conversation_key", "last_brand_post_at"])
        frame["last_brand_post_at"] = timestamps(frame["last_brand_post_at"].tolist())
        return frame

    def author_activity(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._read(q.AUTHOR_ACTIVITY),
                             columns=["author_key", "posts", "last_post_at", "accepted_answers"])
        frame["posts"] = frame["posts"].astype("int64")
        frame["accepted_answers"] = pd.to_numeric(frame["accepted_answers"]).fillna(0).astype(
            "int64")
        frame["last_post_at"] = timestamps(frame["last_post_at"].tolist())
        return frame

    def write_post_sentiment(self, keys: Sequence[str], values: Sequence[float], model: str
                             ) -> None:
        rows = [{"key": k, "sentiment": float(v)} for k, v in zip(keys, values, strict=True)]
        for chunk in chunks(rows, self.batch_size):
            self._write(q.SET_POST_SENTIMENT, {"rows": list(chunk), "model": model})

    def write_post_understanding(self, keys: Sequence[str], frame: pd.DataFrame, model: str
                                 ) -> None:
        rows = understanding_table(keys, frame).to_pylist()
        for chunk in chunks(rows, self.batch_size):
            self._write(q.SET_POST_UNDERSTANDING, {"rows": list(chunk), "model": model})
