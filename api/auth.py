"""API keys with roles: ``read`` for queries, ``write`` for mutations and write jobs.

Keys come from ``SCRM_API_KEYS`` (``key1:read,key2:write``). With no keys configured
the API is open, which suits a laptop; outside development a warning says so at start.
A request sends its key as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.
The GraphiQL page, the explorer page and its static files, and ``/health`` stay public
when ``SCRM_PUBLIC_GRAPHIQL`` is true (the default); the data behind them does not.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, OperationType, parse
from starlette.responses import JSONResponse

from graph.config import Settings

__all__ = ["ApiKeyMiddleware", "buffer_body", "is_mutation", "parse_keys"]

log = logging.getLogger("scrm.api")
ROLES = ("read", "write")
_PUBLIC_UI_PREFIXES = ("/explore/static/",)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def parse_keys(spec: str) -> dict[str, str]:
    """``"k1:read,k2:write"`` → ``{"k1": "read", "k2": "write"}``; refuses unknown roles."""
    keys: dict[str, str] = {}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        key, _, role = part.partition(":")
        role = role or "read"
        if role not in ROLES or not key:
            raise ValueError(f"SCRM_API_KEYS entry {part!r}: write it as key:read or key:write")
        keys[key] = role
    return keys


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


class ApiKeyMiddleware:
    """Plain ASGI (no per-request task or streaming wrapper around the response)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.keys = parse_keys(settings.api_keys)
        self.public_ui = settings.public_graphiql
        if not self.keys and settings.environment != "development":
            log.warning("SCRM_API_KEYS is empty: the API accepts requests without a key")

    def _public(self, path: str, method: str, headers: dict[bytes, bytes]) -> bool:
        if path == "/health":
            return True
        if not self.public_ui or method != "GET":
            return False
        if path == "/graphql":
            return b"text/html" in headers.get(b"accept", b"")
        return path == "/explore" or path.startswith(_PUBLIC_UI_PREFIXES)

    @staticmethod
    def _key(headers: dict[bytes, bytes]) -> str | None:
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return headers.get(b"x-api-key", b"").decode("latin-1") or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys:
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        headers = {name.lower(): value for name, value in scope["headers"]}
        if self._public(path, method, headers):
            await self.app(scope, receive, send)
            return
        given = self._key(headers)
        role = next((r for k, r in self.keys.items()
                     if given and hmac.compare_digest(k, given)), None)
        if role is None:
            await JSONResponse(
                {"error": "missing or invalid API key",
                 "hint": "send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"},
                status_code=401, headers={"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        if role != "write":
            writes = path.startswith("/jobs") and method != "GET"
            if not writes and path == "/graphql" and method == "POST":
                body, receive = await buffer_body(receive)
                writes = is_mutation(body)
            if writes:
                await JSONResponse({"error": "this key may read but not write"},
                                   status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


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
