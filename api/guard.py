"""The checks of every request before anything parses it.

:class:`GuardMiddleware` (outermost, before the key check) refuses a ``Host`` header that
is not one of ``SCRM_ALLOWED_HOSTS`` (400: a web page the browser fetched from another
name cannot reach a local server through DNS rebinding) and a declared body longer than
``SCRM_MAX_BODY_BYTES`` (413). :class:`RequestReaderMiddleware` (right inside the key
check, so a keyless request's body is never read) refuses a body that grows past that
limit while it arrives, a GraphQL document longer than ``SCRM_MAX_QUERY_CHARS`` (413),
JSON nested deeper than ``SCRM_MAX_JSON_DEPTH`` (400), and a mutation sent with a read key
(403), before the document is parsed by anything else.

A GraphQL request (``POST /graphql`` or ``GET /graphql?query=``) is read and decoded here
once; what later middlewares need (the body, whether it asks for a mutation) travels in
the ASGI scope as a :class:`GraphQLRequest` (:func:`graphql_request`), so none of them
reads or parses it again. It also sets the request's deadline (:data:`DEADLINE`), after
which :class:`api.context.StoreRunner` starts no further store call for it.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

import orjson
from graphql import GraphQLError, OperationType, parse

from api.auth import ASGIApp, Message, Receive, Scope, Send
from graph.config import Settings

__all__ = ["DEADLINE", "GraphQLRequest", "GuardMiddleware", "RequestReaderMiddleware",
           "asks_mutation", "graphql_request", "has_mutation", "send_json"]

SCOPE_KEY = "scrm.graphql"
# monotonic time after which the current request starts no more store calls
DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "scrm_deadline", default=None)
_PARSE_MAX_TOKENS = 5_000
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class GraphQLRequest:
    """A GraphQL request as the guard read it.

    Attributes:
        body: The raw body (empty for GET).
        mutation: Whether any operation it holds is a mutation.
    """

    body: bytes
    mutation: bool


def asks_mutation(scope: Scope, body: bytes) -> bool:
    """Whether this GraphQL request asks for a mutation: the guard's answer when it read
    the request, else the body parsed here."""
    parsed = graphql_request(scope)
    if parsed is not None:
        return parsed.mutation
    from api.auth import is_mutation

    return is_mutation(body)


def graphql_request(scope: Scope) -> GraphQLRequest | None:
    """The guard's reading of this request, if it is a GraphQL request."""
    found: GraphQLRequest | None = scope.get(SCOPE_KEY)
    return found


async def send_json(send: Send, status: int, payload: dict[str, Any],
                    headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer with a small JSON document."""
    body = orjson.dumps(payload)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def _error(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message}]}


def has_mutation(query: str) -> bool:
    """Whether a GraphQL document holds a mutation (parsed once per text, bounded)."""
    return _has_mutation(query) if len(query) <= 20_000 else _parse_mutation(query)


@lru_cache(maxsize=256)
def _has_mutation(query: str) -> bool:
    return _parse_mutation(query)


def _parse_mutation(query: str) -> bool:
    try:
        tree = parse(query, max_tokens=_PARSE_MAX_TOKENS)
    except GraphQLError:
        return False  # the GraphQL layer answers what is wrong with it
    return any(getattr(d, "operation", None) == OperationType.MUTATION for d in tree.definitions)


def json_depth(value: object, limit: int) -> int:
    """How deeply ``value`` nests (lists and objects), counting no further than ``limit + 1``."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _host_allowed(headers: list[tuple[bytes, bytes]], allowed: frozenset[str]) -> bool:
    if "*" in allowed:
        return True
    host = next((v for k, v in headers if k.lower() == b"host"), b"").decode("latin-1").lower()
    if host.startswith("["):  # [::1]:8000
        name = host[1:].partition("]")[0]
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name in allowed


class GuardMiddleware:
    """Host allow-list, size limits and the one reading of a GraphQL request.

    Args:
        app: The app inside.
        settings: Reads ``allowed_hosts``, ``max_body_bytes``, ``max_query_chars``,
            ``max_json_depth`` and ``query_timeout``.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        # the loopback names always: a rebinding page sends its own name, never these, and
        # the CLI and the readers reach the writer through them
        self.allowed = frozenset(h.strip().lower().strip("[]")
                                 for h in settings.allowed_hosts.split(",") if h.strip()
                                 ) | LOOPBACK_NAMES
        self.max_body = settings.max_body_bytes
        self.max_query = settings.max_query_chars
        self.max_depth = settings.max_json_depth
        self.timeout = settings.query_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if not _host_allowed(scope.get("headers", []), self.allowed):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await send_json(send, 400, {"error": "this server does not answer to that host "
                                                 "name; add it to SCRM_ALLOWED_HOSTS"})
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        if self.timeout:
            DEADLINE.set(time.monotonic() + self.timeout)
        declared = next((v for k, v in scope["headers"] if k.lower() == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await send_json(send, 413, _error(f"the request body is larger than "
                                              f"{self.max_body:,} bytes"))
            return
        await self.app(scope, receive, send)


class RequestReaderMiddleware(GuardMiddleware):
    """Inside the key check: reads a body (up to the limit, also without a declared
    length), and reads and checks a GraphQL request once (document size, JSON depth,
    whether it asks for a mutation, which a read key may not). A request without a valid
    key never gets this far, so its body is never read."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/graphql" and scope["method"] in ("GET", "POST"):
            await self._graphql(scope, receive, send)
            return
        if scope["method"] in ("POST", "PUT", "PATCH"):
            body = await self._read(receive)
            if body is None:
                await send_json(send, 413, _error(f"the request body is larger than "
                                                  f"{self.max_body:,} bytes"))
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    async def _pass(self, scope: Scope, receive: Receive, send: Send,
                    request: GraphQLRequest) -> None:
        scope[SCOPE_KEY] = request
        if request.mutation and scope.get("scrm.role") == "viewer":
            await send_json(send, 403, {"error": "this key may read but not write"})
            return
        await self.app(scope, receive, send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or ``None`` once it grows past the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    async def _graphql(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "GET":
            params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            queries = params.get("query", [])
            if any(len(q) > self.max_query for q in queries):
                await send_json(send, 413, _error(f"the query document is longer than "
                                                  f"{self.max_query:,} characters"))
                return
            await self._pass(scope, receive, send,
                             GraphQLRequest(b"", any(has_mutation(q) for q in queries)))
            return
        body = await self._read(receive)
        if body is None:
            await send_json(send, 413, _error(f"the request body is larger than "
                                              f"{self.max_body:,} bytes"))
            return
        problem, mutation = self._inspect(body)
        if problem is not None:
            status, message = problem
            await send_json(send, status, _error(message))
            return
        await self._pass(scope, _replay(body, receive), send, GraphQLRequest(body, mutation))

    def _inspect(self, body: bytes) -> tuple[tuple[int, str] | None, bool]:
        try:
            payload = orjson.loads(body or b"{}")
        except orjson.JSONDecodeError:
            if body.count(b"[") + body.count(b"{") > self.max_depth * 4:
                return (400, "the request is not JSON, or nests too deeply"), False
            return None, False  # the GraphQL layer says what is wrong with it
        if json_depth(payload, self.max_depth) > self.max_depth:
            return (400, f"the request's JSON nests deeper than {self.max_depth} levels"), False
        documents = payload if isinstance(payload, list) else [payload]
        if not documents or not all(isinstance(doc, dict) for doc in documents):
            return (400, "a GraphQL request is a JSON object with a 'query' (or a list of "
                         "them)"), False
        queries = [doc.get("query") for doc in documents]
        texts = [q for q in queries if isinstance(q, str)]
        if any(len(q) > self.max_query for q in texts):
            return (413, f"the query document is longer than {self.max_query:,} "
                         "characters"), False
        return None, any(has_mutation(q) for q in texts)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
