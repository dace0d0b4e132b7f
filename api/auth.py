"""API keys for applications, each with a name and a role (:data:`graph.audit.ROLES`).

Keys come from ``SCRM_API_KEYS`` (``name:key:role,...``; today's ``key:read`` and
``key:write`` still work and mean ``viewer`` and ``agent``). A viewer's key may only
read; the others may also write, and a change made with a key is recorded under the
key's name. With no keys configured
the API is open, which suits a laptop; outside development a warning says so at start.
A request sends its key as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``, on
every transport: a WebSocket (``ws://…/graphql``) sends it in the handshake's headers.
The GraphiQL page, the explorer page and its static files, and ``/health`` stay public
when ``SCRM_PUBLIC_GRAPHIQL`` is true (the default); the data behind them does not.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, OperationType, parse
from starlette.responses import JSONResponse

from graph.audit import ROLES, WRITE_ROLES
from graph.config import Settings

__all__ = ["ACTOR_KEY", "CARE", "CONTENT", "EVERYTHING", "USER_KEY", "ApiKey",
           "ApiKeyMiddleware", "RateLimiter", "actor_of", "buffer_body", "is_mutation",
           "may_write", "mutation_writes", "parse_keys", "query_writes", "role_of",
           "same_secret"]

log = logging.getLogger("scrm.api")
_LEGACY_ROLES = {"read": "viewer", "write": "agent"}
_PUBLIC_UI_PREFIXES = ("/explore/static/",)
ROLE_KEY = "scrm.role"
ACTOR_KEY = "scrm.actor"
# set by api.workspace.signin.SessionMiddleware on workspace paths: the signed-in user
USER_KEY = "scrm.user"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An application's key: changes made with it are recorded under ``name``."""

    name: str
    role: str


def parse_keys(spec: str) -> dict[str, ApiKey]:
    """``"crm-sync:k1:agent,k2:read"`` → key → :class:`ApiKey`; refuses unknown roles.

    ``name:key:role`` is the form to use; ``key:read`` / ``key:write`` / ``key`` (today's)
    mean a viewer or an agent named ``key-N`` after their place in the list.
    """
    keys: dict[str, ApiKey] = {}
    for n, part in enumerate((p.strip() for p in spec.split(",") if p.strip()), start=1):
        fields = part.split(":")
        if len(fields) == 3:
            name, key, role = (f.strip() for f in fields)
        elif len(fields) <= 2:
            name, key = f"key-{n}", fields[0].strip()
            role = _LEGACY_ROLES.get(fields[1].strip() if len(fields) == 2 else "read", "")
        else:
            name = key = role = ""
        if role not in ROLES or not key or not name:
            raise ValueError(f"SCRM_API_KEYS entry {n}: write it as name:key:role with a role "
                             f"among {', '.join(ROLES)} (or key:read, key:write)")
        keys[key] = ApiKey(name=name, role=role)
    return keys


def may_write(role: str | None) -> bool:
    """Whether a request with this role (see :func:`role_of`) may change anything."""
    return role == "open" or role in WRITE_ROLES


def is_mutation(body: bytes) -> bool:
    """Whether a GraphQL POST body asks for a mutation (parsed, never pattern-matched)."""
    try:
        payload = json.loads(body or b"{}")
        documents = payload if isinstance(payload, list) else [payload]
        return any(_has_mutation(str(doc.get("query") or "")) for doc in documents)
    except (ValueError, AttributeError):
        return False  # malformed requests are the GraphQL layer's to answer


_CACHED_QUERY_CHARS = 20_000


def _has_mutation(query: str) -> bool:
    # Clients send a handful of query texts with varying variables: each is parsed once.
    # The cache is bounded in entries and in their size, so unique texts cannot grow it.
    if len(query) <= _CACHED_QUERY_CHARS:
        return _has_mutation_cached(query)
    return _parse_has_mutation(query)


@lru_cache(maxsize=256)
def _has_mutation_cached(query: str) -> bool:
    return _parse_has_mutation(query)


def _parse_has_mutation(query: str) -> bool:
    try:
        tree = parse(query)
    except GraphQLError:
        return False
    return any(getattr(definition, "operation", None) == OperationType.MUTATION
               for definition in tree.definitions)


#: What a write may change, for the caches of what reads derive from it: ``care``, the
#: care workflow (cases, notes, assignments); ``content``, everything else (posts,
#: links, purchases, analysis runs, settings, ...). A write says which it touched; one
#: that does not know touched both.
CARE, CONTENT = "care", "content"
EVERYTHING: frozenset[str] = frozenset({CARE, CONTENT})

#: Mutations that only work the care workflow: they write a case or a note, never a post
#: (``recordResponse`` writes the brand's answer as a post, so it is content).
CARE_ONLY_MUTATIONS = frozenset({
    "addNote", "assignConversation", "resolveConversation", "reopenConversation"})


def mutation_writes(body: bytes) -> frozenset[str]:
    """What the mutations of a GraphQL POST body may change (:data:`EVERYTHING` unless
    each of them is a care-only one)."""
    try:
        payload = json.loads(body or b"{}")
        documents = payload if isinstance(payload, list) else [payload]
        queries = [str(doc.get("query") or "") for doc in documents]
    except (ValueError, AttributeError):
        return EVERYTHING
    return frozenset().union(*(query_writes(q) for q in queries)) if queries else EVERYTHING


def query_writes(query: str) -> frozenset[str]:
    """What a GraphQL document's mutations may change (see :func:`mutation_writes`)."""
    if len(query) > _CACHED_QUERY_CHARS:
        return EVERYTHING
    return _query_writes_cached(query)


@lru_cache(maxsize=256)
def _query_writes_cached(query: str) -> frozenset[str]:
    try:
        tree = parse(query)
    except GraphQLError:
        return EVERYTHING
    fields: set[str] = set()
    for definition in tree.definitions:
        if getattr(definition, "operation", None) != OperationType.MUTATION:
            continue
        for selection in definition.selection_set.selections:  # type: ignore[attr-defined]
            name = getattr(getattr(selection, "name", None), "value", None)
            if name is None:  # a fragment spread: do not guess what it holds
                return EVERYTHING
            fields.add(name)
    return frozenset({CARE}) if fields and fields <= CARE_ONLY_MUTATIONS else EVERYTHING


def same_secret(expected: str, given: str, *, given_as: str = "utf-8") -> bool:
    """``hmac.compare_digest`` of two texts, as bytes: on ``str`` it raises for a
    non-ASCII character, which a form or header may carry (a 500 instead of a refusal).
    ``expected`` is UTF-8; ``given`` is encoded as it was decoded (``latin-1``: a header's
    own bytes)."""
    return hmac.compare_digest(expected.encode(), given.encode(given_as, "surrogatepass"))


class ApiKeyMiddleware:
    """Plain ASGI (no per-request task or streaming wrapper around the response)."""

    def __init__(self, app: ASGIApp, settings: Settings, reader_follows: bool = False) -> None:
        self.app = app
        # api.guard.RequestReaderMiddleware inside refuses a read key's mutations once it
        # read the request (so a keyless request's body is never read at all)
        self.reader_follows = reader_follows
        self.keys = parse_keys(settings.api_keys)
        self.public_ui = settings.public_graphiql
        self.limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
        if not self.keys and settings.environment != "development":
            log.warning("SCRM_API_KEYS is empty: the API accepts requests without a key")

    def _public(self, path: str, method: str, headers: dict[bytes, bytes],
                scope: Scope) -> bool:
        if path == "/health":
            return True  # it answers only "ok" without a key (api.app)
        if path == "/signin" or (method == "GET" and path.startswith(_PUBLIC_UI_PREFIXES)):
            return True  # people sign in with a password; static files hold no data
        if not self.public_ui or method != "GET":
            return False
        if path == "/graphql":
            # only the page: a GET with a query string runs a query, whatever it accepts
            return (b"text/html" in headers.get(b"accept", b"")
                    and not scope.get("query_string"))
        return path == "/explore" or path.startswith(_PUBLIC_UI_PREFIXES)

    @staticmethod
    def _key(headers: dict[bytes, bytes]) -> str | None:
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return headers.get(b"x-api-key", b"").decode("latin-1") or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope["headers"]}
        user = scope.get(USER_KEY)
        if user is not None:  # a signed-in workspace request (api.workspace.signin)
            scope[ROLE_KEY], scope[ACTOR_KEY] = user["role"], user["name"]
            if await self.limiter.refuse(f"user:{user['name']}", scope, send):
                return
            await self.app(scope, receive, send)
            return
        if not self.keys:
            scope[ROLE_KEY], scope[ACTOR_KEY] = "open", "anonymous"
            if await self.limiter.refuse(_client(scope), scope, send):
                return
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        method = scope.get("method", "GET")
        given = self._key(headers)
        # the header's own bytes (decoded latin-1 above), which may be any
        found = next((k for key, k in self.keys.items()
                      if given and same_secret(key, given, given_as="latin-1")), None)
        role = found.role if found else None
        if kind == "http" and self._public(path, method, headers, scope):
            if role is not None:
                scope[ROLE_KEY] = role  # /health tells a key holder more
            await self.app(scope, receive, send)
            return
        if role is None:
            if kind == "websocket":  # before the handshake: the client gets a 403
                await send({"type": "websocket.close", "code": 1008})
                return
            await JSONResponse(
                {"error": "missing or invalid API key",
                 "hint": "send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"},
                status_code=401, headers={"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        scope[ROLE_KEY] = role
        scope[ACTOR_KEY] = found.name if found else None
        if await self.limiter.refuse(f"key:{given}", scope, send):
            return
        if not may_write(role) and kind == "http":
            writes = path.startswith("/jobs") and method != "GET"
            if not writes and path == "/graphql" and not self.reader_follows:
                writes = await _asks_mutation(scope, receive)
            if writes:
                await JSONResponse({"error": "this key may read but not write"},
                                   status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _asks_mutation(scope: Scope, receive: Receive) -> bool:
    from api.guard import graphql_request

    parsed = graphql_request(scope)
    if parsed is not None:
        return parsed.mutation
    if scope.get("method") != "POST":
        return False
    body, _ = await buffer_body(receive)  # only without the guard (tests of this class)
    return is_mutation(body)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"addr:{client[0]}" if client else "addr:?"


def role_of(scope: Scope) -> str | None:
    """The role the key check gave this request: one of :data:`graph.audit.ROLES` (its
    key's or its signed-in user's), ``open`` (no keys configured) or ``None`` (a public
    page, or no key check ran)."""
    role: str | None = scope.get(ROLE_KEY)
    return role


def actor_of(scope: Scope) -> str | None:
    """Under whose name this request's changes are recorded: the signed-in user's, the
    key's, ``anonymous`` with no keys configured, or ``None``."""
    actor: str | None = scope.get(ACTOR_KEY)
    return actor


class RateLimiter:
    """Token buckets per key (or client address when keys are off), in this process.

    Args:
        per_minute: Requests a key may make per minute on average; 0 turns limits off.
        burst: How many it may make at once (default: a tenth of a minute's worth, at
            least 10).
    """

    def __init__(self, per_minute: int, burst: int = 0, size: int = 10_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst or max(10, per_minute // 10))
        self.size = size
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def wait(self, who: str) -> float:
        """0 when ``who`` may go ahead (and takes a token), else seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        tokens, then = self._buckets.pop(who, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens >= 1.0:
            self._buckets[who] = (tokens - 1.0, now)
            wait = 0.0
        else:
            self._buckets[who] = (tokens, now)
            wait = (1.0 - tokens) / self.rate
        while len(self._buckets) > self.size:
            self._buckets.popitem(last=False)
        return wait

    async def refuse(self, who: str, scope: Scope, send: Send) -> bool:
        """Answer 429 with ``Retry-After`` when ``who`` is over its limit."""
        wait = self.wait(who)
        if not wait:
            return False
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})
            return True
        retry = str(max(1, math.ceil(wait)))
        await JSONResponse({"error": f"too many requests; try again in {retry} s"},
                           status_code=429, headers={"Retry-After": retry})(
            scope, _no_body, send)
        return True


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def buffer_body(receive: Receive) -> tuple[bytes, Receive]:
    """Read a request's whole body; return it and a ``receive`` that replays it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), receive  # the client went away
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
