"""A short-lived cache of GraphQL read responses, cleared by every write.

Rankings change when an analysis run completes and timelines when something is
ingested; between those, many clients ask the same questions (the top advocates, a
customer's page). :class:`ReadCache` answers an identical read (same request body)
from memory for ``ttl`` seconds. Any mutation through this app and every write job
(``JobRunner``'s ``on_change``) clears it, so a client sees its own writes at once;
the server is the database's only writer while it runs (the CLI hands it its
writes), so nothing else can make an answer stale for longer than ``ttl``.

A write says what it touched (:data:`api.auth.EVERYTHING` unless it knows better: a
care note or an assignment touches only the care workflow); the answers here are all
dropped either way, but the listeners (:class:`api.context.StoreRunner`'s memo of the
dashboard's metrics) and :attr:`ReadCache.content_version` keep what only content
changes.

It is plain ASGI (no per-request middleware object) and sits inside the API-key
check, so a cached answer is only ever given to a request that was let through.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from api.auth import (
    CONTENT,
    EVERYTHING,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    buffer_body,
    mutation_writes,
)
from api.guard import asks_mutation

__all__ = ["ReadCache", "ReadCacheMiddleware"]



class ReadCache:
    """The cached answers (bounded, least recently used out first)."""

    def __init__(self, ttl: float = 2.0, size: int = 2048) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[bytes, tuple[float, int, list[Message]]] = OrderedDict()
        self._lock = threading.Lock()
        self.version = 0  # moved by every write
        self.content_version = 0  # moved by a write of more than the care workflow
        self.hits = 0
        self._on_clear: list[Callable[[frozenset[str]], None]] = []

    def on_clear(self, listener: Callable[[frozenset[str]], None]) -> None:
        """Call ``listener(touched)`` after every :meth:`clear` (other caches of what
        writes change)."""
        self._on_clear.append(listener)

    def clear(self, touched: frozenset[str] = EVERYTHING) -> None:
        """Forget every answer: something was written (``touched``: what it may have
        changed, see :data:`api.auth.EVERYTHING`). Safe from any thread."""
        with self._lock:
            self.version += 1
            if CONTENT in touched:
                self.content_version += 1
            self._entries.clear()
        for listener in self._on_clear:
            listener(touched)

    def get(self, key: bytes) -> list[Message] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or time.monotonic() > entry[0] or entry[1] != self.version:
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[2]

    def put(self, key: bytes, version: int, messages: list[Message]) -> None:
        with self._lock:
            if version != self.version:
                return  # a write happened while this was computed
            # Each answer lives between half the ttl and the ttl, at random. With one
            # fixed lifetime, answers computed in a burst expire in a burst, whose misses
            # queue and finish (and are cached) together again: a wave that grew until
            # all 191 timelines of the load benchmark expired at once (p99 258 ms).
            expires = time.monotonic() + self.ttl * (0.5 + 0.5 * random.random())
            self._entries[key] = (expires, version, messages)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


class ReadCacheMiddleware:
    def __init__(self, app: ASGIApp, cache: ReadCache) -> None:
        self.app = app
        self.cache = cache
        # one computation per question at a time: when an answer expires under load, the
        # requests that ask it meanwhile wait for that one instead of queueing their own
        self._inflight: dict[bytes, asyncio.Future[list[Message] | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        body, replay = await buffer_body(receive)
        if asks_mutation(scope, body):  # cleared even with caching off: listeners depend on it
            try:
                await self.app(scope, replay, send)
            finally:
                self.cache.clear(mutation_writes(body))
            return
        if self.cache.ttl <= 0:
            await self.app(scope, replay, send)
            return
        cached = self.cache.get(body)
        if cached is None and body in self._inflight:
            cached = await asyncio.shield(self._inflight[body])
        if cached is not None:
            for message in cached:
                await send(message)
            return
        version = self.cache.version
        waiting: asyncio.Future[list[Message] | None] = \
            asyncio.get_running_loop().create_future()
        self._inflight[body] = waiting
        answer: list[Message] | None = None
        try:
            answer = await self._compute(scope, replay, send, body, version)
        finally:
            del self._inflight[body]
            waiting.set_result(answer)  # None: the waiters ask for themselves

    async def _compute(self, scope: Scope, replay: Receive, send: Send, body: bytes,
                       version: int) -> list[Message] | None:
        """Run the request, send its answer, and keep it when it is cacheable."""
        sent: list[Message] = []

        async def capture(message: Message) -> None:
            sent.append(message)
            await send(message)

        await self.app(scope, replay, capture)
        start = next((m for m in sent if m["type"] == "http.response.start"), None)
        payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        if start is not None and start["status"] == 200 and b'"errors"' not in payload:
            answer = [
                start, {"type": "http.response.body", "body": payload, "more_body": False}]
            self.cache.put(body, version, answer)
            return answer
        return None
