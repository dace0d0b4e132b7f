"""What writing a batch of posts means, decided once for both adapters.

An adapter asks a :class:`PostPlan` what to look up (stored content hashes, the
conversations of parents outside the batch, which conversation keys already exist),
hands the answers back, and writes what the plan then says: the new posts with their
conversation, the conversations to create, the provisional conversations to move,
and the post-to-post edges to write now or keep pending. Database I/O stays in the
adapters; the decisions (what is new, what conflicts, which thread a post joins)
live here.

The thread rule: a post that names its conversation is in it; a post with no parent
is its own conversation's root; a reply that names no thread joins its parent's
conversation. When that parent is not stored yet, the reply is filed under the
parent's key provisionally, and when the parent arrives in another conversation,
everything filed under the parent's key moves there (replies can arrive before their
roots, a whole chain of them in reverse).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, partial
from typing import NamedTuple
from zlib import adler32, crc32

import pandas as pd

from graph.model import Post, account_key, post_key
from graph.store import Conflict, WriteResult, WrittenPosts

#: the columns of :attr:`graph.store.WrittenPosts.posts`: what
#: ``GraphStore.brand_posts_among`` reads of a post (its understanding is empty when it
#: is new), its title and its parent's key
WRITTEN_COLUMNS = ("key", "author_key", "sentiment", "created_at", "kind",
                   "conversation_key", "platform", "text", "url", "language",
                   "sentiment_label", "intents", "intent_evidence", "title", "parent_key")

__all__ = ["PostEdge", "PostPlan", "content_hash", "pending_edge_key", "post_fingerprint",
           "shortened_of", "split_edges"]

IN_BATCH_CONFLICT = "duplicate id with conflicting content in the same batch"
STORED_CONFLICT = "an already stored post with this id has different author, time or text"


_SHORTENED_TAIL = re.compile(r"(?:\s*https?://t\.co/\w+)*\s*$")


def shortened_of(short: str, full: str) -> bool:
    """Whether ``short`` is a platform's shortened copy of ``full``: its text up to an
    ellipsis (``…``), then at most links, and ``full`` starts with that text."""
    head = _SHORTENED_TAIL.sub("", short)
    if not head.endswith(("…", "...")):
        return False
    head = head.rstrip("….").rstrip()
    return bool(head) and full.startswith(head) and len(full) > len(head)


def _shorter_copy(short: Post, full: Post) -> bool:
    """Whether ``short`` is the same post as ``full`` with a shortened text: the same
    author, time and title, and marked truncated (``full`` not) or visibly cut."""
    if (short.author_key, short.created_at, short.title) != (
            full.author_key, full.created_at, full.title):
        return False
    return (short.truncated and not full.truncated) or shortened_of(short.text, full.text)


def _gives_way(copy: Post, other: Post) -> bool:
    """Whether ``copy`` yields to ``other`` without a conflict: it is a copy carried
    inside another record (a retweeted or quoted status), or a shortened one."""
    return copy.embedded or _shorter_copy(copy, other)


def content_hash(post: Post) -> int:
    """A 63-bit fingerprint of what makes a post that post (not its counters)."""
    return post_fingerprint(post.author_key, post.created_at, post.text, post.title)


def post_fingerprint(author_key: str, created_at: datetime, text: str | None,
                     title: str | None) -> int:
    """The :func:`content_hash` of a post given by its parts (a stored row, a redaction).

    Args:
        author_key: The author's account key.
        created_at: When the post was written.
        text: Its text, if any.
        title: Its title, if any.

    Returns:
        A non-negative 63-bit integer; equal posts give equal values in every process
        (no per-process hash seed), so stored hashes stay comparable.
    """
    joined = "\x1f".join((author_key, created_at.isoformat(), text or "", title or ""))
    data = joined.encode("utf-8", "surrogatepass")
    return (crc32(data) << 31) ^ adler32(data)


class PostEdge(NamedTuple):
    """A post-to-post edge a new post makes: a reply or a share of another post."""

    rel: str  # "REPLY_TO" or "SHARES"
    from_key: str
    to_key: str
    share_kind: str | None  # "retweet" or "quote" for SHARES


def pending_edge_key(edge: PostEdge) -> str:
    """The key of the ``PendingEdge`` that holds ``edge`` until its target arrives."""
    return f"{edge.rel}|{edge.from_key}|{edge.to_key}"


def split_edges(edges: Iterable[PostEdge], present: Collection[str],
                stored: Collection[str] = ()) -> tuple[list[PostEdge], list[PostEdge]]:
    """Edges whose target is ``present`` or ``stored`` (written now) and the rest (kept
    pending). Two collections, so a batch's keys need not be copied into one."""
    ready: list[PostEdge] = []
    waiting: list[PostEdge] = []
    for e in edges:
        to = e[2]  # e.to_key
        (ready if to in present or to in stored else waiting).append(e)
    return ready, waiting


# A PostEdge from its four values without the Python-level __new__ of a NamedTuple.
_edge = partial(tuple.__new__, PostEdge)


@dataclass
class PostPlan:
    """The posts of one batch, from first sight to what to write.

    Use: :meth:`of` (in-batch duplicates and conflicts), :meth:`keep_new` with the
    stored hashes of :attr:`keys`, :meth:`assign_conversations` with the stored
    conversations of :meth:`parents_to_look_up`, then :meth:`moves` with the existing
    ones among :meth:`conversation_keys_to_look_up`. The column lists (``new_keys``,
    ``posts``, ``authors`` ...) are parallel, one entry per new post, in batch order.
    """

    seen: dict[str, tuple[Post, str, int]]
    new_keys: list[str] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    hashes: list[int] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    parent_keys: list[str | None] = field(default_factory=list)
    shared_keys: list[str | None] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)
    # provisional conversation key -> the conversation it belongs to now
    redirects: dict[str, str] = field(default_factory=dict)
    # stored posts this batch holds other content for: key -> stored content hash
    differing: dict[str, int | None] = field(default_factory=dict)
    # stored posts whose shortened text the batch's full text replaces: key, text, hash,
    # and the sentiment the batch brings for it (scored on arrival; else None): what was
    # understood of the shortened text is cleared, so the next analysis understands the
    # post again
    replacements: list[tuple[str, str, int, float | None, str | None]] = field(
        default_factory=list)

    @classmethod
    def of(cls, posts: Sequence[Post], result: WriteResult) -> PostPlan:
        """The batch's posts by key. Copies of one key that differ: an embedded or
        shortened copy gives way to the other (the fuller copy is kept, no conflict);
        otherwise the later one is an ``in_batch`` conflict (reported in ``result``).
        The same content again is harmless."""
        seen: dict[str, tuple[Post, str, int]] = {}
        for p in posts:
            platform = p.platform
            key, author = post_key(platform, p.post_id), account_key(platform, p.author_handle)
            # content_hash(p), inline: this runs for every post of every batch
            data = "\x1f".join((author, p.created_at.isoformat(), p.text or "",
                                p.title or "")).encode("utf-8", "surrogatepass")
            h = (crc32(data) << 31) ^ adler32(data)
            earlier = seen.get(key)
            if earlier is not None:
                if earlier[2] != h:
                    if _gives_way(p, earlier[0]):
                        continue
                    if not _gives_way(earlier[0], p):
                        result.conflicts.append(Conflict(key, IN_BATCH_CONFLICT, "in_batch"))
                        continue
                elif p.embedded:  # the same: keep the own copy
                    continue
            seen[key] = (p, author, h)
        return cls(seen)

    @cached_property
    def new_key_set(self) -> frozenset[str]:
        """:attr:`new_keys` as a set (read after :meth:`keep_new`)."""
        return frozenset(self.new_keys)

    @property
    def keys(self) -> list[str]:
        """Every distinct post key of the batch: look their stored hashes up."""
        return list(self.seen)

    def keep_new(self, stored_hashes: Mapping[str, int | None], result: WriteResult) -> None:
        """Keep the posts not stored yet. A stored post with other content is compared
        by :meth:`settle` (an embedded copy of it is dropped at once, no conflict); the
        same content again, new counters included, is nothing to do."""
        for key, (p, author, h) in self.seen.items():
            if key not in stored_hashes:
                self.new_keys.append(key)
                self.posts.append(p)
                self.authors.append(author)
                self.hashes.append(h)
            elif stored_hashes[key] != h and not p.embedded:
                self.differing[key] = stored_hashes[key]
        # Columns straight from the records: no dict per row.
        self.platforms = [p.platform for p in self.posts]
        self.kinds = [str(p.kind) for p in self.posts]
        self.parent_keys = [post_key(p.platform, p.parent_id) if p.parent_id else None
                            for p in self.posts]
        self.shared_keys = [post_key(p.platform, p.shared_id) if p.shared_id else None
                            for p in self.posts]
        result.created["posts"] = len(self.new_keys)

    def texts_to_look_up(self) -> list[str]:
        """Stored posts the batch holds other content for: their stored text decides."""
        return list(self.differing)

    def settle(self, stored_texts: Mapping[str, str | None], result: WriteResult) -> None:
        """Decide each post of :meth:`texts_to_look_up` from its stored text.

        Only the text may differ for anything but a conflict: a full text replaces a
        stored shortened one (:attr:`replacements`, counted as updated posts), and a
        shortened copy of a stored full text is dropped. Anything else is a
        ``stored`` conflict and the stored post stands.
        """
        for key, stored_hash in self.differing.items():
            p, author, h = self.seen[key]
            stored = stored_texts.get(key) or ""
            same_but_text = post_fingerprint(author, p.created_at, stored, p.title) == stored_hash
            if same_but_text and (p.truncated or shortened_of(p.text, stored)):
                continue
            if same_but_text and shortened_of(stored, p.text):
                self.replacements.append((key, p.text, h, p.sentiment,
                                          p.sentiment_model if p.sentiment is not None
                                          else None))
                continue
            result.conflicts.append(Conflict(key, STORED_CONFLICT, "stored"))
        if self.replacements:
            result.updated["posts"] = len(self.replacements)

    def parents_to_look_up(self) -> list[str]:
        """Parents outside the batch of new replies that name no thread: their stored
        conversation decides the reply's."""
        in_batch = self.new_key_set
        return list(dict.fromkeys(
            parent for p, parent in zip(self.posts, self.parent_keys, strict=True)
            if parent and p.conversation_id is None and parent not in in_batch))

    def _own_conversation(self, i: int) -> str | None:
        p = self.posts[i]
        if p.conversation_id is not None:
            return post_key(p.platform, p.conversation_id)
        if self.parent_keys[i] is None:
            return self.new_keys[i]  # a thread's root
        return None  # decided by the parent

    def assign_conversations(self, stored: Mapping[str, str | None]) -> None:
        """Each new post's conversation, given the stored conversation of each parent
        from :meth:`parents_to_look_up` (missing: the parent is not stored yet).

        A chain inside the batch is followed to its first post that knows its thread;
        an unknown parent lends its own key (provisional). A cycle of replies takes the
        parent where it closes as the root.
        """
        # Most posts know their thread (they name it, or they are its root): only the
        # replies that name none follow their parents.
        found: list[str | None] = [
            post_key(p.platform, p.conversation_id) if p.conversation_id is not None
            else key if parent is None else None
            for p, key, parent in zip(self.posts, self.new_keys, self.parent_keys, strict=True)]
        followers = [i for i, c in enumerate(found) if c is None]
        index = {k: i for i, k in enumerate(self.new_keys)} if followers else {}
        for i in followers:
            if found[i] is not None:
                continue
            chain: list[int] = []
            on_chain: set[int] = set()
            j = i
            while True:
                chain.append(j)
                on_chain.add(j)
                conversation = self._own_conversation(j)
                if conversation is not None:
                    break
                parent = self.parent_keys[j]
                assert parent is not None
                k = index.get(parent)
                if k is None:
                    conversation = stored.get(parent) or parent
                    break
                if found[k] is not None:
                    conversation = found[k]
                    break
                if k in on_chain:
                    conversation = parent
                    break
                j = k
            for j in chain:
                found[j] = conversation
        # A new post filed elsewhere than under its own key may have replies filed under
        # its key provisionally (stored, or in this batch by an explicit thread id):
        # they move to its conversation.
        redirects = {k: c for k, c in zip(self.new_keys, found, strict=True)
                     if c is not None and c != k}
        self.redirects = {k: c if c not in redirects else _follow(redirects, k)
                          for k, c in redirects.items()}
        self.conversations = [self.redirects.get(c, c) for c in found if c is not None]

    def conversation_platforms(self) -> dict[str, str]:
        """Each conversation the new posts are in, with its platform."""
        return dict(zip(self.conversations, self.platforms, strict=True))

    def conversation_keys_to_look_up(self) -> list[str]:
        """Conversation keys whose existence the plan needs: the new posts'
        conversations (to create the missing) and the provisional keys that may have
        stored posts to move."""
        return list(dict.fromkeys([*self.conversations, *self.redirects]))

    def moves(self, existing: Collection[str]) -> dict[str, str]:
        """Provisional conversations that exist (``existing`` from
        :meth:`conversation_keys_to_look_up`) and where their posts go."""
        return {k: c for k, c in self.redirects.items() if k in existing}

    def mentions(self) -> tuple[list[str], list[str]]:
        """MENTIONS edges of the new posts (post key, account key), each once."""
        m_from: list[str] = []
        m_to: list[str] = []
        for key, p in zip(self.new_keys, self.posts, strict=True):
            if p.mentions:
                for target in dict.fromkeys([account_key(p.platform, m) for m in p.mentions]):
                    m_from.append(key)
                    m_to.append(target)
        return m_from, m_to

    def post_edges(self) -> list[PostEdge]:
        """The replies and shares the new posts make."""
        wanted: list[PostEdge] = []
        for key, kind, parent, shared in zip(self.new_keys, self.kinds, self.parent_keys,
                                             self.shared_keys, strict=True):
            if parent:
                wanted.append(_edge(("REPLY_TO", key, parent, None)))
            if shared:
                wanted.append(_edge(("SHARES", key, shared,
                                     "quote" if kind == "quote" else "retweet")))
        return wanted

    def written(self, *, late: bool) -> WrittenPosts:
        """The new posts as the adapter wrote them (:data:`WRITTEN_COLUMNS`: what
        ``GraphStore.brand_posts_among`` reads of a post, and its parent), with their
        mentions; ``late``: the write also moved or answered stored posts, or replaced a
        stored text (see :class:`graph.store.WrittenPosts`)."""
        new = self.posts
        posts = pd.DataFrame({
            "key": self.new_keys, "author_key": self.authors,
            "sentiment": pd.array([p.sentiment for p in new], dtype="Float64"),
            "created_at": [p.created_at for p in new], "kind": self.kinds,
            "conversation_key": self.conversations, "platform": self.platforms,
            "text": [p.text for p in new], "url": [p.url for p in new],
            "language": None, "sentiment_label": None, "intents": None,
            "intent_evidence": None, "title": [p.title for p in new],
            "parent_key": self.parent_keys}, columns=list(WRITTEN_COLUMNS))
        m_from, m_to = self.mentions()
        return WrittenPosts(posts, tuple(zip(m_from, m_to, strict=True)),
                            late or bool(self.replacements))

    def targets_to_look_up(self, edges: Iterable[PostEdge]) -> list[str]:
        """Edge targets outside the batch: whether they are stored decides the rest."""
        in_batch = self.new_key_set
        return list({e[2] for e in edges if e[2] not in in_batch})  # e.to_key


def _follow(redirects: Mapping[str, str], key: str) -> str:
    """Where ``key`` ends after following ``redirects`` (a cycle stops where it closes)."""
    seen = {key}
    target = redirects[key]
    while target in redirects and target not in seen:
        seen.add(target)
        target = redirects[target]
    return target
