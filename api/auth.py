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
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from graphql import GraphQLError, OperationType, parse
from starlette.middleware.base import BaseHTTPMiddleware

from graph.config import Settings

__all__ = ["ApiKeyMiddleware", "parse_keys"]

log = logging.getLogger("scrm.api")
ROLES = ("read", "write")
_PUBLIC_UI_PREFIXES = ("/explore/static/",)


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
        for doc in documents:
            tree = parse(str(doc.get("query") or ""))
            for definition in tree.definitions:
                if getattr(definition, "operation", None) == OperationType.MUTATION:
                    return True
    except (ValueError, GraphQLError, AttributeError):
        return False  # malformed requests are the GraphQL layer's to answer
    return False


class ApiKeyMiddleware(BaseHTTPMiddleware):
    def __init__(self, app: object, settings: Settings) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.keys = parse_keys(settings.api_keys)
        self.public_ui = settings.public_graphiql
        if not self.keys and settings.environment != "development":
            log.warning("SCRM_API_KEYS is empty: the API accepts requests without a key")

    def _public(self, request: Request) -> bool:
        path = request.url.path
        if path == "/health":
            return True
        if not self.public_ui or request.method != "GET":
            return False
        if path == "/graphql":
            return "text/html" in request.headers.get("accept", "")
        return path == "/explore" or path.startswith(_PUBLIC_UI_PREFIXES)

    def _key(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return request.headers.get("x-api-key") or None

    async def dispatch(self, request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not self.keys or self._public(request):
            return await call_next(request)
        given = self._key(request)
        role = next((r for k, r in self.keys.items()
                     if given and hmac.compare_digest(k, given)), None)
        if role is None:
            return JSONResponse(
                {"error": "missing or invalid API key",
                 "hint": "send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"},
                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        if role != "write":
            writes = request.url.path.startswith("/jobs") and request.method != "GET"
            if not writes and request.url.path == "/graphql" and request.method == "POST":
                writes = is_mutation(await request.body())
            if writes:
                return JSONResponse({"error": "this key may read but not write"},
                                    status_code=403)
        return await call_next(request)
