"""The HTTP app: GraphQL (with GraphiQL) at ``/graphql`` and ``/health``.

Run it with ``scrm serve``, or ``uvicorn --factory api.app:create_app`` (which
opens the configured store itself, read-only).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from strawberry.fastapi import GraphQLRouter

from api.auth import ApiKeyMiddleware, role_of
from api.cache import ReadCache, ReadCacheMiddleware
from api.context import Context, StoreRunner
from api.deps import StoreDep, get_context
from api.explore import router as explore_router
from api.graphiql import offline_graphiql_html
from api.guard import GuardMiddleware, RequestReaderMiddleware
from api.job_routes import router as jobs_router
from api.schema import schema
from api.workspace import mount as mount_workspace
from api.workspace.signin import SessionMiddleware
from graph import open_store
from graph.config import Settings, get_settings
from graph.store import GraphStore

__all__ = ["create_app"]


class _GraphQLRouter(GraphQLRouter[Context, None]):
    """Answers encoded with orjson (the standard library's encoder took ~0.3 ms a page)."""

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(offline_graphiql_html())  # bundled scripts, no CDN


class _App(FastAPI):
    """FastAPI whose security checks stay outermost, whatever middleware is added later
    (``scrm serve`` adds the readers' and the writer's): a request refused for its host,
    size, key, rate or a read key's mutation never reaches them, so such a mutation sent
    to a reader is refused there, not forwarded to the writer. Order: host and declared
    size, then the key (a keyless body is never read), then the one reading of the
    request."""

    def build_middleware_stack(self) -> Any:
        inner = super().build_middleware_stack()
        settings: Settings = self.state.settings
        reader = RequestReaderMiddleware(inner, settings=settings)
        keyed = ApiKeyMiddleware(reader, settings=settings, reader_follows=True)
        # the workspace's session cookie becomes the signed-in user (workspace paths
        # only) before the key check
        session = SessionMiddleware(keyed, settings=settings)
        return GuardMiddleware(session, settings=settings)


def _settle_heap() -> None:
    """Leave what the process has loaded so far (modules, the schema, the store: ~190,000
    objects) out of the garbage collector's full passes. Each of those walked all of it,
    80-150 ms during which the server answered nothing: the p99 of a loaded server. What
    is frozen is still freed when nothing refers to it; only reference cycles among it
    would stay, and there are none to speak of after the collection just before."""
    gc.collect()
    gc.freeze()


def create_app(store: GraphStore | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app.

    Args:
        store: The store to serve. The caller keeps ownership (and closes it).
            When ``None``, the app opens the configured store read-only at start-up
            and closes it at shutdown.
        settings: Defaults to the ``SCRM_*`` environment.

    Returns:
        The FastAPI app. ``app.state.store_runner`` runs the store calls;
        ``app.state.jobs`` (set by ``scrm serve``) takes write jobs and clears
        ``app.state.read_cache`` after each.
    """
    settings = settings or get_settings()
    runner = StoreRunner(store, timeout=settings.query_timeout)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned: GraphStore | None = None
        try:
            if store is None:
                owned = await runner.run(lambda: open_store(settings, read_only=True))
                runner.attach(owned)
            _settle_heap()
            yield
        finally:
            if owned is not None:
                await runner.run(owned.close)
            runner.shutdown()

    app = _App(title="scrm", summary="Social-CRM graph analyzer", lifespan=lifespan)
    read_cache = ReadCache(ttl=settings.read_cache_seconds)
    read_cache.on_clear(runner.forget_latest_run)  # every write clears the read cache
    app.add_middleware(ReadCacheMiddleware, cache=read_cache)  # inside the key check
    app.state.read_cache = read_cache
    app.state.settings = settings
    app.state.store_runner = runner

    graphql = _GraphQLRouter(
        schema, context_getter=get_context,
        graphql_ide="graphiql" if settings.public_graphiql else None)
    app.include_router(graphql, prefix="/graphql")

    @app.get("/health")
    async def health(request: Request, store: StoreDep) -> dict[str, Any]:
        """Which backend, how much is stored, and the latest completed analysis run; only
        that the server is up for a caller without a key (when keys are on)."""
        role = role_of(request.scope)
        if role is None or (role == "open" and not settings.public_graphiql):
            return {"status": "ok"}
        counts, run = await store.call(lambda s: (s.counts(), s.latest_run()))
        return {
            "status": "ok",
            "backend": store.store.backend,
            "counts": counts,
            "latest_run_id": run.run_id if run else None,
            "latest_run_finished_at": run.finished_at.isoformat() if run and run.finished_at
            else None,
        }

    # Write jobs (POST /jobs, GET /jobs/{id}); answered only where `scrm serve` set
    # app.state.jobs, i.e. where this process is the database's writer.
    app.include_router(jobs_router)
    app.include_router(explore_router)
    mount_workspace(app)  # the pages (/, /inbox, ...)

    return app
