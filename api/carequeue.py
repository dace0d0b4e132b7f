"""The care queue kept ranked as writes happen, instead of ranked again on every read.

What ranks an item is decided once, in :mod:`analytics.care`: per waiting conversation
:func:`analytics.care.care_entries` gives everything that does not change while it waits
(its neediest unanswered post, that post's need, its author's weights, its ``base``
priority and team); only urgency grows with the waiting time, and :func:`analytics.care.rank`
applies it at read time over arrays (a few milliseconds for 60,000 conversations), so a
page of the queue is a slice of an order, not a recomputation.

:class:`CareQueueIndex` keeps those entries per database in this process. It is built once
(the first read after the process opened the store, and again whenever what weighs every
entry changed: a new analysis run, new understanding, the brand, the routing rules, an
erasure's new generation) and otherwise brought up to date from what was written since.
A writer that tells it what it wrote (:meth:`CareQueueIndex.writing`: the stream job, the
stream bench) has it brought up to date from those posts alone
(:meth:`CareQueueIndex._update_from`: ``brand_posts_among`` of the batch, which carries
the posts' details, the brand replies among it, the conversations it touches ranked
again), at a cost proportional to the batch. When the writer also hands over the new
posts as written (``WriteResult.written``) and they answer nothing outside their batch
and none is the brand's, that is worked out from them without a read of the store
(:meth:`CareQueueIndex._found_in_hand`), and the store's state (brand, terms, run, post
count) is read at most every ``STATE_SECONDS`` (5 s): a read waits while the writer's
checkpoint runs, and this update runs right after a stream's commit, when that happens
most (BENCHMARKS.md, issue 18). Posts nobody told of (another writer,
another process) or a parent that arrived after its replies are found by reading every
brand post and brand reply time: the brand-directed posts that are new, or whose
sentiment changed, have their details read (only they), and only the conversations they
(or a new brand reply) touch are ranked again. Both store adapters serve it through the
same port reads (``brand_posts``, ``brand_posts_among``, ``replies_to``, ``post_details``,
``brand_reply_times``, ``score_frame``); nothing is stored for it.
``tests/store/test_contract_care_queue.py`` checks, on both adapters, that the order kept
through arrivals, answers, assignments and resolutions, told or not, is the order a fresh
build gives.

Care cases (assignment, resolution) do not change the ranking: they are applied when a
view is read (:meth:`CareQueueIndex.view`), from one read of every case.

Reading costs a page, not the queue: what a read derives from one frame of entries is
kept beside it (``_ReadSide``: keys, teams and platforms as integer codes, a mask per
intent and language asked for), the cases become arrays of codes once per read of them
(``_Cases``), and the order at a new ``now`` is the last order sorted again (nearly
sorted: urgency only grows), which gives exactly :func:`analytics.care.rank`'s order. A
filter is a comparison of codes; a :class:`QueueView` gathers keys, states and teams only
for the rows asked for. At 1M accounts (239,000 items) a view takes ~30 ms, down from
0.6-0.9 s (BENCHMARKS.md, issue 19).
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.care import (
    AuthorWeights,
    CareItem,
    RoutingRules,
    care_entries,
    care_items,
    entry_times,
    needs_answer_on_arrival,
    waiting_hours,
)
from api.carequeue_read import _SIDES_LOCK, QueueRow, QueueView, _ReadSide, effective_status
from graph.model import Post
from graph.store import GraphStore, Tell, WrittenPosts
from graph.views import BRAND_AMONG_COLUMNS, POST_DETAIL_COLUMNS, brand_posts_among

__all__ = ["PREVIEW_SENTIMENT_LIMIT", "CareQueueIndex", "QueueRow", "QueueView", "care_index",
           "effective_status"]

PREVIEW_SENTIMENT_LIMIT = 2000
#: most post keys told (:meth:`CareQueueIndex.writing`) and kept until a refresh
MAX_TOLD = 200_000
_DETAIL_COLUMNS = [*POST_DETAIL_COLUMNS, "preview_sentiment"]
#: longest a queue kept up to date from what its writer wrote goes without reading the
#: store's state (the brand, the analysis run, the rules; the post count that shows a
#: write nobody told of): a change to them is taken within this while a stream flows.
#: Each such read may wait out a checkpoint; 5 s against 1 s: stream p99 0.96/1.85,
#: 1.43/1.53, 1.15/1.77 s in three alternating pairs (BENCHMARKS.md, issue 18)
STATE_SECONDS = 5.0
_clock = time.monotonic  # (tests move it)


def utc_times(values: pd.Series) -> pd.Series:
    """``pd.to_datetime(values, utc=True)``, without its element-by-element path for the
    store's Arrow timestamps (1-2 s for 140,000 brand posts at 100k accounts; this takes
    a millisecond). A timestamp without a zone is UTC."""
    dtype = values.dtype
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_timestamp(dtype.pyarrow_dtype):
        kind = dtype.pyarrow_dtype
        if kind.tz is None:
            return values.astype(f"datetime64[{kind.unit}]").dt.tz_localize("UTC")
        return values.astype(f"datetime64[{kind.unit}, {kind.tz}]").dt.tz_convert("UTC")
    return pd.to_datetime(values, utc=True)


@functools.cache
def _vader() -> Any:
    from analytics.sentiment import VaderScorer

    return VaderScorer()


def _preview(details: pd.DataFrame, posts: pd.DataFrame) -> pd.DataFrame:
    """Posts that arrived with neither understanding nor a sentiment score (not scored on
    arrival, not analysed yet) are understood provisionally (language, VADER sentiment,
    rule intents) so that a complaint reaches the queue as it arrives; the analysis
    writes the real results. Skipped when more than ``PREVIEW_SENTIMENT_LIMIT`` arrive
    at once (a database never analysed)."""
    from analytics.understanding import understand

    details = details.assign(preview_sentiment=np.nan)
    if details.empty or "language" not in details:
        return details
    unscored = set(posts.loc[posts["sentiment"].isna(), "key"])
    if not unscored:  # a stream's posts: scored on arrival
        return details
    fresh = details["language"].isna() & details["key"].isin(unscored)
    count = int(fresh.sum())
    if count == 0 or count > PREVIEW_SENTIMENT_LIMIT:
        return details
    found = understand(details.loc[fresh, "text"].fillna("").tolist(), sentiment=_vader())
    details = details.astype(dict.fromkeys(
        ("language", "sentiment_label", "intents", "intent_evidence"), object))
    for column in ("language", "sentiment_label", "intents", "intent_evidence"):
        details.loc[fresh, column] = found[column].to_numpy()
    details.loc[fresh, "preview_sentiment"] = found["sentiment"].to_numpy(dtype=float)
    return details


def _same_keys(have: pd.Series | pd.Index, keys: Sequence[str]) -> bool:
    """Whether ``have`` is ``keys``, in order (the rows of a batch's posts, usually):
    compared only when the lengths match, never every kept key."""
    return len(have) == len(keys) and have.tolist() == list(keys)


def _details_frame(columns: dict[str, np.ndarray], posts: pd.DataFrame | None
                   ) -> pd.DataFrame | None:
    """The kept details of posts (:data:`POST_DETAIL_COLUMNS` as object arrays) made from
    their arrays, as :meth:`CareQueueIndex._read_details` makes them through its frames
    (a stream batch's: a third of its update's time went to those frames' copies); None
    when that is not so simple: a key twice, or ``posts`` (their kept rows, in the same
    order; None: not known) not all scored, so that some may want a preview."""
    keys = columns["key"].tolist()
    if posts is None or len(set(keys)) < len(keys) or posts["sentiment"].isna().any():
        return None
    frame = pd.DataFrame({c: pd.Series(columns[c], dtype=object) if c == "conversation_key"
                          else columns[c] for c in _DETAIL_COLUMNS[1:-1]})
    frame["preview_sentiment"] = np.nan
    return frame.set_axis(_key_index(keys), axis=0)


def _key_index(keys: list[str]) -> pd.Index:
    """Kept rows' index: their keys as Python strings (see :func:`_keyed`)."""
    return pd.Index(np.array(keys, dtype=object), dtype=object, name="key")


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` indexed by its ``key`` column as Python strings: every update asks which
    kept rows are among a batch's, and ``isin`` over pandas' own string dtype took six
    times as long (0.13 s for 5,000 keys among 100,000)."""
    return frame.drop(columns="key").set_axis(_strings(pd.Index(frame["key"], name="key")),
                                              axis=0)


def _strings(index: pd.Index) -> pd.Index:
    return pd.Index(index.to_numpy(dtype=object), dtype=object, name=index.name)


def _stacked(first: pd.DataFrame, *more: pd.DataFrame) -> pd.DataFrame:
    """Kept rows and new ones, still indexed by Python strings (``pd.concat`` of two
    such indexes makes pandas' string dtype)."""
    frames = (first, *more)
    both = pd.concat(frames, ignore_index=True)  # (its index append: 35 ms)
    return both.set_axis(pd.Index(np.concatenate([f.index.to_numpy(dtype=object)
                                                  for f in frames]),
                                  dtype=object, name=first.index.name), axis=0)


MAX_PARTS = 64  # kept frames appended before they are joined into one


def _joined(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The one frame of ``parts`` (joined once, in place, when there are several)."""
    if len(parts) > 1:
        parts[:] = [_stacked(*parts)]
    return parts[0]


def _reply_times(replies: pd.DataFrame) -> pd.Series:
    """The latest brand post per conversation (conversation_key, last_brand_post_at
    rows), indexed by Python strings (see :func:`_keyed`)."""
    times = pd.Series(utc_times(replies["last_brand_post_at"]).to_numpy(),
                      index=replies["conversation_key"].astype(str).to_numpy(dtype=object),
                      dtype="datetime64[ns, UTC]").groupby(level=0).max()
    return pd.Series(times.to_numpy(), index=_strings(times.index), dtype="datetime64[ns, UTC]")


def _file_by_conversation(details: pd.DataFrame, by_conversation: dict[str, list[str]]
                          ) -> set[str]:
    """Add each detail row's post key under its conversation; the conversations named."""
    named: set[str] = set()
    for key, conversation in zip(details.index.tolist(), details["conversation_key"].tolist(),
                                 strict=True):
        if isinstance(conversation, str):
            by_conversation.setdefault(conversation, []).append(key)
            named.add(conversation)
    return named


class CareQueueIndex:
    """One database's care queue, kept ranked (see the module's docstring)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._state: tuple[Any, ...] | None = None
        self._probe: Any = None
        self._terms: list[str] = []
        self._rules = RoutingRules.load()
        self._weights = AuthorWeights(pd.Series(dtype=float), pd.Series(dtype=float))
        # the kept posts and their details, each kept as the parts that updates from
        # batches appended (see :meth:`_append`), joined when a whole frame is asked for
        self._posts_parts = [pd.DataFrame(columns=["author_key", "sentiment", "created_at"])]
        self._details_parts = [pd.DataFrame(columns=_DETAIL_COLUMNS).set_index("key")]
        self._replies = pd.Series(dtype="datetime64[ns, UTC]")
        self._entries = care_entries(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                                     self._weights)
        self.rebuilds = 0  # how often it was built from scratch (for tests and benches)
        self.updates = 0  # how often it was brought up to date from a delta
        self.batch_updates = 0  # of those, how many from the batches told (:meth:`writing`)
        self.hand_updates = 0  # of those, how many from the posts as written, store unread
        # batches told since the last refresh (their post keys, how many posts they
        # created) and the writes under way that will tell theirs
        # the kept posts' keys and each conversation's (see :meth:`_kept`)
        self._kept_keys: set[str] | None = None
        self._by_conversation: dict[str, list[str]] | None = None
        self._told_lock = threading.Lock()
        self._told: list[tuple[list[str], int, list[WrittenPosts] | None]] = []
        self._state_read = 0.0  # when the state was last read (time.monotonic())
        self._writing = 0

    # ------------------------------------------------------------------ keeping it
    @property
    def _posts(self) -> pd.DataFrame:
        """The kept brand posts: key (the index), author_key, sentiment, created_at."""
        return _joined(self._posts_parts)

    @_posts.setter
    def _posts(self, frame: pd.DataFrame) -> None:
        self._posts_parts = [frame]

    @property
    def _details(self) -> pd.DataFrame:
        """The kept posts' details (``_DETAIL_COLUMNS``, indexed by key)."""
        return _joined(self._details_parts)

    @_details.setter
    def _details(self, frame: pd.DataFrame) -> None:
        self._details_parts = [frame]

    def _append(self, posts: pd.DataFrame, details: pd.DataFrame) -> None:
        """New posts and their details after the kept ones, without copying the kept
        rows: an update from a batch then costs the batch, not the queue's size."""
        first = self._posts_parts[0]
        if len(first) and not posts.dtypes.equals(first.dtypes):
            posts = posts.astype(first.dtypes.to_dict())
        for parts, frame in ((self._posts_parts, posts), (self._details_parts, details)):
            if not any(len(p) for p in parts):
                parts[:] = [frame]
            else:
                parts.append(frame)
                if len(parts) > MAX_PARTS:
                    _joined(parts)

    def _read_state(self, store: GraphStore) -> tuple[tuple[Any, ...], Any]:
        settings = store.get_settings()
        terms = json.loads(settings.get("brand.terms", "[]")) + (
            [settings["brand.name"]] if settings.get("brand.name") else [])
        run = store.latest_run()
        rules = RoutingRules.load()
        brand = tuple(sorted(a.key for a in store.brand_accounts()))
        state = (tuple(terms), brand, run.run_id if run else None, rules,
                 settings.get("understanding.generation"),
                 settings.get("projection.generation"))
        return state, store.post_count()

    @contextmanager
    def writing(self) -> Iterator[Tell]:
        """Around a write of posts: the writer calls what this gives with the keys of the
        posts it wrote, how many of them were new (``WriteResult.created["posts"]``) and,
        when it has them, the new posts as written (``WriteResult.written``) once they
        are committed, and the next :meth:`refresh` brings the queue up to date
        from those posts alone (:meth:`_update_from`) instead of reading every brand post.
        A refresh that sees more posts than were told while a write is under way applies
        what was told and leaves the rest to that write's telling; one that sees posts
        nobody told of, with no write under way, reads everything (:meth:`_update`)."""
        with self._told_lock:
            self._writing += 1

        def tell(keys: Sequence[str], created: int,
                 written: Sequence[WrittenPosts] | None = None) -> None:
            with self._told_lock:
                self._told.append((list(keys), int(created),
                                   None if written is None else list(written)))
                if sum(len(k) for k, _, _ in self._told) > MAX_TOLD:
                    # nobody refreshed for a long while: forget them (the next refresh
                    # then reads everything) rather than hold every key written
                    self._told.clear()

        try:
            yield tell
        finally:
            with self._told_lock:
                self._writing -= 1

    def waits_on_arrival(self) -> Callable[[Post], bool]:
        """Which posts just arrived this queue shows (or changes for) as soon as they are
        written: the negative ones (:func:`analytics.care.needs_answer_on_arrival`), and
        the brand's own, whose answer takes a conversation out of it. A stream writes
        them before the rest of their batch (``ingest.connectors.streaming.care_first``)."""
        brand = frozenset(self._state[1]) if self._state is not None else frozenset()
        return lambda post: post.author_key in brand or needs_answer_on_arrival(post.sentiment)

    def refresh(self, store: GraphStore) -> None:
        """Bring the queue up to date with what ``store`` holds now: built afresh when
        what weighs every entry changed, else from the batches told (:meth:`writing`)
        when they are all that was written since, else from every brand post."""
        with self._lock:
            with self._told_lock:
                told, self._told = self._told, []
            in_hand = [w for _, _, written in told for w in written or ()] \
                if told and all(written is not None for _, _, written in told) else None
            if in_hand is not None and self._state is not None \
                    and _clock() - self._state_read < STATE_SECONDS:
                # what the writer wrote is all there is to know (checked against the
                # store's state at least every STATE_SECONDS)
                found = self._found_in_hand(in_hand)
                if found is not None:
                    # the new posts' keys: a post told again unchanged changes nothing
                    self._update_from(store, [k for w in in_hand for k in w.posts["key"]],
                                      found=found, written=in_hand)
                    self._probe = (self._probe or 0) + sum(n for _, n, _ in told)
                    self.hand_updates += 1
                    return
            state, probe = self._read_state(store)
            self._state_read = _clock()
            if state != self._state:
                self._rebuild(store, state)
            elif probe != self._probe:
                expected = (self._probe or 0) + sum(n for _, n, _ in told)
                with self._told_lock:
                    under_way = self._writing > 0 or bool(self._told)
                    if under_way and not (told and probe >= expected):
                        self._told[:0] = told  # told soon: until then, as it was
                        return
                if told and (probe == expected or under_way and probe > expected):
                    self._update_from(store, [k for keys, _, _ in told for k in keys],
                                      written=in_hand)
                    # what is more was committed by a write that tells it next (a writer
                    # that is always writing would otherwise never be caught up with)
                    probe = expected
                else:
                    self._update(store)
            else:
                return
            self._state, self._probe = state, probe

    def _read_posts(self, store: GraphStore) -> pd.DataFrame:
        return self._posts_frame(store.brand_posts(self._terms))

    @staticmethod
    def _posts_frame(posts: pd.DataFrame) -> pd.DataFrame:
        """Brand posts as kept: key (the index), author_key, sentiment, created_at (UTC)."""
        keys = posts["key"].tolist()
        if len(set(keys)) < len(keys):
            posts = posts.drop_duplicates("key")
            keys = posts["key"].tolist()
        # made from its columns' arrays: the frame's copies, drops and re-indexing took
        # most of a stream batch's update
        return pd.DataFrame({
            "author_key": posts["author_key"].astype(str).array,
            "sentiment": pd.to_numeric(posts["sentiment"], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan),
            "created_at": utc_times(posts["created_at"]).array}, index=_key_index(keys))

    def _read_details(self, store: GraphStore, keys: Sequence[str], posts: pd.DataFrame,
                      known: pd.DataFrame | None = None) -> pd.DataFrame:
        """The details of these posts (``known``: read already, with ``brand_posts_among``,
        so not read again), previewed where unscored, indexed by key."""
        # (the posts of a batch: all of them, usually)
        whole = _same_keys(posts.index, keys)
        if known is not None:
            rows = known if _same_keys(known["key"], keys) \
                else known[known["key"].isin(list(keys))]
            # as post_details gives them: Python objects, None for nothing
            columns = {c: rows[c].to_numpy(dtype=object, na_value=None)
                       for c in POST_DETAIL_COLUMNS}
            made = _details_frame(columns, posts if whole else None)
            if made is not None:
                return made
            details = pd.DataFrame(columns)
        elif len(keys):
            details = store.post_details(list(keys))
        else:
            details = pd.DataFrame(columns=_DETAIL_COLUMNS[:-1])
        # a mask over the kept index, not an intersection: that hashes every kept key
        details = _preview(details, (posts if whole else
                                     posts[posts.index.isin(list(keys))]).reset_index())
        for column in _DETAIL_COLUMNS:
            if column not in details:
                details[column] = None
        details = details.loc[:, _DETAIL_COLUMNS].astype({"key": object,
                                                          "conversation_key": object})
        return _keyed(details.drop_duplicates("key"))

    def _read_replies(self, store: GraphStore) -> pd.Series:
        replies = store.brand_reply_times()
        return _reply_times(replies)

    def _rebuild(self, store: GraphStore, state: tuple[Any, ...]) -> None:
        self._terms, self._rules = list(state[0]), state[3]
        self._weights = AuthorWeights.of(store.score_frame(columns=("influence",
                                                                   "customer_value")))
        self._posts = self._read_posts(store)
        self._details = self._read_details(store, self._posts.index.tolist(), self._posts)
        self._replies = self._read_replies(store)
        self._entries = self._entries_of(None)
        self._kept_keys = self._by_conversation = None
        self.rebuilds += 1

    def _update(self, store: GraphStore) -> None:
        posts = self._read_posts(store)
        before = self._posts
        kept = len(before)
        if len(posts) >= kept and posts.index[:kept].equals(before.index):
            # the usual case: posts were only added, after the kept ones; compared by
            # position (matching 100,000 keys by value took most of an update's time)
            new, common, removed = posts.index[kept:], before.index, before.index[:0]
            old, now = before, posts.iloc[:kept]
        else:
            new = posts.index.difference(before.index)
            common = posts.index.intersection(before.index)
            old, now = before.loc[common], posts.loc[common]
            removed = before.index.difference(posts.index)
        same = ((old["sentiment"].to_numpy() == now["sentiment"].to_numpy())
                | (old["sentiment"].isna().to_numpy() & now["sentiment"].isna().to_numpy()))
        changed = common[~same | np.asarray(old["created_at"].array != now["created_at"].array)
                         | (old["author_key"].to_numpy() != now["author_key"].to_numpy())]
        # posts filed under a provisional conversation (their parent's key) move when the
        # parent arrives: read their details again
        moved = self._details.index[self._details["conversation_key"].isin(set(new))]
        fetch = new.union(changed).union(moved)
        touched = set(self._details["conversation_key"][
            self._details.index.isin(fetch.union(removed))].dropna())
        details = self._read_details(store, fetch.tolist(), posts)
        touched |= set(details["conversation_key"].dropna())
        kept = self._details[~self._details.index.isin(fetch.union(removed))]
        self._details = _stacked(kept, details) if len(kept) else details
        replies = self._read_replies(store)
        both = pd.concat([self._replies.rename("a"), replies.rename("b")], axis=1)
        touched |= set(both.index[~((both["a"] == both["b"])
                                    | (both["a"].isna() & both["b"].isna()))])
        self._posts, self._replies = posts, replies
        self._kept_keys = self._by_conversation = None
        if touched:
            entries = self._entries
            entries = entries[~entries["conversation_key"].isin(touched)]
            fresh = self._entries_of(touched)
            self._entries = pd.concat([entries, fresh], ignore_index=True) \
                if len(entries) and len(fresh) else (fresh if len(fresh) else
                                                     entries.reset_index(drop=True))
        self.updates += 1

    def _found_in_hand(self, written: Sequence[WrittenPosts]) -> pd.DataFrame | None:
        """:meth:`GraphStore.brand_posts_among` of the written posts from what their
        writer wrote, without reading the store; None when that does not tell: the write
        changed stored posts (``late``), holds a brand post (its thread may hold stored
        posts), or a post answers or joins a thread outside it (a brand post's?)."""
        if any(w.late for w in written):
            return None
        if not written:
            return pd.DataFrame(columns=list(BRAND_AMONG_COLUMNS))
        posts = written[0].posts if len(written) == 1 else pd.concat(
            [w.posts for w in written], ignore_index=True)
        brand = frozenset(self._state[1]) if self._state is not None else frozenset()
        keys = set(posts["key"].tolist())
        if any(a in brand for a in posts["author_key"].tolist()) \
                or any(c not in keys for c in posts["conversation_key"].tolist()) \
                or any(isinstance(p, str) and p not in keys for p in posts["parent_key"].tolist()):
            return None
        return brand_posts_among(posts, brand, self._terms,
                                 mentioning={p for w in written for p, a in w.mentions
                                             if a in brand},
                                 replying=(), brand_started=(), thread=None)

    def _update_from(self, store: GraphStore, keys: Sequence[str], *,
                     found: pd.DataFrame | None = None,
                     written: Sequence[WrittenPosts] | None = None) -> None:
        """Up to date from the posts of the batches told (``keys``): what the store holds
        about them alone (:meth:`GraphStore.brand_posts_among`), the details of those that
        address the brand, and the conversations they touch ranked again; the cost is the
        batch's, not the database's (kept rows are found through :meth:`_kept`, not by
        matching every kept key). A parent that arrived after its replies (it moves
        them, and may make them brand posts) is read the whole way (:meth:`_update`)."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return
        late = any(w.late for w in written) if written is not None \
            else bool(set(store.replies_to(keys)) - set(keys))
        if late or set(keys) & set(self._replies.index):
            self._update(store)  # a late parent: its replies moved with it
            return
        if found is None:
            found = store.brand_posts_among(self._terms, keys)
        by_brand = found["by_brand"].astype(bool)
        brand, addressing = found[by_brand], found[~by_brand]
        posts = self._posts_frame(addressing)
        kept_keys, by_conversation = self._kept()
        # kept posts told again (a copy, a fuller text), and kept posts filed under a
        # provisional conversation (their parent's key) that moved when it arrived
        again = [k for k in keys if k in kept_keys]
        moved = [k for c in keys for k in by_conversation.get(c, ())]
        in_hand = None
        unseen: set[str] = set()
        if again or moved:
            touched = self._replace(store, keys, posts, again, moved)
        else:  # the usual case: new posts only, appended
            details = self._read_details(store, posts.index.tolist(), posts, addressing)
            in_hand = (posts, details)
            if len(posts):
                self._append(posts, details)
            kept_keys.update(posts.index)
            # conversations no kept post is in have no entry to take out (every entry's
            # conversation is a kept post's)
            unseen = {c for c in details["conversation_key"].tolist()
                      if isinstance(c, str) and c not in by_conversation}
            touched = _file_by_conversation(details, by_conversation)
        if len(brand):
            times = _reply_times(brand.rename(columns={"created_at": "last_brand_post_at"}))
            replies = pd.concat([self._replies, times]).groupby(level=0).max() \
                if len(self._replies) else times
            touched |= set(times.index)
            self._replies = pd.Series(replies.to_numpy(), index=_strings(replies.index),
                                      dtype="datetime64[ns, UTC]")
        if touched:
            entries = self._entries
            if not touched <= unseen:
                entries = entries[~entries["conversation_key"].isin(touched)]
            by_conversation = self._kept()[1]  # made again when _replace replaced rows
            fresh = self._entries_of(touched, [k for c in touched
                                               for k in by_conversation.get(c, ())],
                                     written=in_hand)
            self._entries = pd.concat([entries, fresh], ignore_index=True) \
                if len(entries) and len(fresh) else (fresh if len(fresh) else
                                                     entries.reset_index(drop=True))
        self.updates += 1
        self.batch_updates += 1

    def _kept(self) -> tuple[set[str], dict[str, list[str]]]:
        """The kept posts' keys, and the kept keys of each conversation (made from the
        kept details when they were replaced wholesale, then kept with them)."""
        if self._by_conversation is None or self._kept_keys is None:
            self._kept_keys = set(self._posts.index)
            self._by_conversation = {}
            _file_by_conversation(self._details, self._by_conversation)
        return self._kept_keys, self._by_conversation

    def _replace(self, store: GraphStore, keys: list[str], posts: pd.DataFrame,
                 again: list[str], moved: list[str]) -> set[str]:
        """:meth:`_update_from` when kept posts were told again or moved: their rows are
        replaced (a pass over the kept rows); the conversations touched."""
        before = self._posts
        # a told post that no longer addresses the brand (its text was replaced) leaves
        gone = pd.Index([k for k in again if k not in posts.index], dtype=object)
        fetch = _strings(posts.index.union(gone).union(pd.Index(moved, dtype=object)))
        stale = self._details.index.isin(fetch)
        touched = set(self._details["conversation_key"][stale].dropna())
        old = before.index.isin(posts.index) | before.index.isin(gone)
        kept_posts = before[~old] if old.any() else before
        posts = posts.astype(kept_posts.dtypes.to_dict()) if len(kept_posts) else posts
        self._posts = _stacked(kept_posts, posts) if len(kept_posts) else posts
        details = self._read_details(store, fetch.difference(gone).tolist(), self._posts)
        touched |= set(details["conversation_key"].dropna())
        kept = self._details[~stale] if stale.any() else self._details
        self._details = _stacked(kept, details) if len(kept) else details
        self._kept_keys = self._by_conversation = None
        return touched

    def _entries_of(self, conversations: set[str] | None,
                    keys: Collection[str] | None = None,
                    written: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> pd.DataFrame:
        """The entries of these conversations (all when None) from the kept posts (those
        of ``keys``, their kept posts, when the caller knows them; ``written``: the
        posts and details of some of them, in hand, so not looked for among the kept)."""
        if keys is not None:
            have = set(written[1].index) if written is not None else set()
            others = [k for k in keys if k not in have]
            # the kept details only when some of the posts are not in hand
            details = self._details[self._details.index.isin(others)] if others else (
                written[1] if written is not None else self._details).iloc[:0]
            if written is not None:
                details = _stacked(details, written[1]) if len(details) else written[1]
        elif conversations is not None:
            details = self._details[self._details["conversation_key"].isin(conversations)]
        else:
            details = self._details
        if written is not None and keys is not None:
            posts = written[0]
            if len(details) > len(written[1]):
                posts = _stacked(self._posts[self._posts.index.isin(
                    details.index.difference(written[0].index))], posts)
            posts = posts[posts.index.isin(details.index)].reset_index()
        else:
            posts = self._posts[self._posts.index.isin(details.index)].reset_index()
        details = details.reset_index()
        if details["preview_sentiment"].notna().any():
            previewed = posts["key"].map(details.set_index("key")["preview_sentiment"]
                                         ).astype(float)
            posts["sentiment"] = posts["sentiment"].fillna(previewed)
        replies = self._replies.rename("last_brand_post_at").rename_axis(
            "conversation_key").reset_index()
        if conversations is not None:
            replies = replies[replies["conversation_key"].isin(conversations)]
        return care_entries(posts, details.drop(columns="preview_sentiment"), replies,
                            self._weights, rules=self._rules)

    # ------------------------------------------------------------------ reading it
    # What a read derives from the kept entries (:class:`_ReadSide`) is made once per
    # entries frame (refresh and update make a new one), the cases' arrays once per read
    # of the cases, and the order once per ``now``, from the last order (see ``_order``).
    _read: _ReadSide | None = None

    @property
    def size(self) -> int:
        return len(self._entries)

    def _side(self) -> _ReadSide:
        # not under the index's lock, which a refresh holds while it reads the store
        # (the events check's, after every write: the brand's accounts alone took
        # 0.3-0.6 s at 1M accounts); a refresh only ever replaces the entries frame
        entries, side = self._entries, self._read
        if side is not None and side.entries is entries:
            return side
        with _SIDES_LOCK:
            side = self._read
            if side is None or side.entries is not entries:
                side = self._read = _ReadSide(entries)
            return side

    def items(self, now: datetime, positions: Sequence[int] | np.ndarray | None = None
              ) -> list[CareItem]:
        """The queue's items at ``now``, most urgent first (all, or those at these
        positions of :meth:`view`'s rows, in that order)."""
        side = self._side()
        picked = side.order(now) if positions is None else np.asarray(positions, dtype=int)
        columns = side.columns(picked)
        return care_items(columns, now)

    def waiting_posts(self) -> tuple[np.ndarray, np.ndarray]:
        """Every queued conversation's waiting post, unordered: the post keys (objects)
        and their times (UTC epoch seconds), as arrays (the stream bench asks after every
        batch, and a Python pair per entry held the GIL it measures)."""
        with self._lock:
            entries = self._entries
        keys = entries["key"].astype(str).to_numpy(dtype=object)
        return keys, entry_times(entries).astype("int64") / 1e9

    def item(self, conversation_key: str, now: datetime) -> CareItem | None:
        """The queued item of one conversation (None when it waits for nothing)."""
        found = self._side().positions_of([conversation_key])
        return self.items(now, found[:1])[0] if len(found) else None

    def view(self, now: datetime, cases: dict[str, dict[str, Any]], *,
             team: str | None = None, status: str | None = None,
             assignee: str | None = None, intent: str | None = None,
             language: str | None = None, platform: str | None = None,
             conversations: Collection[str] | None = None) -> QueueView:
        """The open items, most urgent first, with their cases applied (a resolved
        conversation is left out) and filtered (``conversations``: only these); each
        names its entry for :meth:`items`.

        Every filter is a comparison of small integer codes (or a mask kept per intent
        and language) over the entries, and the order at ``now`` is the last order
        sorted again (nearly sorted already), so a view costs a few passes over arrays;
        its keys, states and teams are gathered only for the rows asked for."""
        side = self._side()
        order = side.order(now)
        cased = side.cased(cases)
        keep = cased.states != cased.code_of("state", "resolved")
        if platform is not None:
            keep &= side.platforms == side.platform_code(platform)
        if conversations is not None:
            wanted = np.zeros(len(keep), dtype=bool)
            wanted[side.positions_of(conversations)] = True
            keep &= wanted
        if intent is not None:
            keep &= side.intent_mask(intent)
        if language is not None:
            keep &= side.language_mask(language)
        if team:
            keep &= cased.teams == cased.code_of("team", team.lower())
        if status is not None:
            keep &= cased.states == cased.code_of("state", status)
        if assignee is not None:
            keep &= cased.who == cased.code_of("who", assignee)
        return QueueView(order[keep[order]], side, cased)

    def backlog(self, now: datetime, cases: dict[str, dict[str, Any]]
                ) -> list[dict[str, Any]]:
        """The whole queue's backlog per team (most items first, then by name): how many
        wait, how many of them are open and assigned, their median and longest waiting
        time in hours; from the codes, without ordering the queue."""
        side = self._side()
        cased = side.cased(cases)
        keep = cased.states != cased.code_of("state", "resolved")
        teams, states = cased.teams[keep], cased.states[keep]
        hours = waiting_hours(side.times[keep], now)
        opened, assigned = cased.code_of("state", "open"), cased.code_of("state", "assigned")
        rows: list[dict[str, Any]] = []
        for code in np.unique(teams):
            mine = teams == code
            rows.append({"team": str(cased.team_names[code]), "waiting": int(mine.sum()),
                         "open": int((states[mine] == opened).sum()),
                         "assigned": int((states[mine] == assigned).sum()),
                         "median_hours": float(np.median(hours[mine])),
                         "max_hours": float(hours[mine].max())})
        rows.sort(key=lambda r: str(r["team"]))
        return sorted(rows, key=lambda r: -int(r["waiting"]))


_INDEXES_LOCK = threading.Lock()


def care_index(store: GraphStore) -> CareQueueIndex:
    """This process's index of the database ``store`` reads, shared by the handles of
    one open database (an embedded store and its siblings; a Neo4j driver's stores)."""
    holder: Any = getattr(store, "_family", None) or getattr(store, "_driver", None) or store
    with _INDEXES_LOCK:
        index = getattr(holder, "_scrm_care_index", None)
        if index is None:
            index = CareQueueIndex()
            holder._scrm_care_index = index
        return index
