"""The workspace reads and writes through the GraphQL schema, in process: the same
resolvers, DataLoaders, validation and store calls as ``/graphql``, with no HTTP hop."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.auth import query_writes
from api.context import Context
from api.schema import schema

__all__ = ["WorkspaceError", "execute", "mutate"]


class WorkspaceError(Exception):
    """A GraphQL error to show on the page (a bad input, a refused change)."""


async def execute(request: Request, query: str, **variables: Any) -> dict[str, Any]:
    """Run one query with a fresh context (fresh DataLoaders, one analysis run).

    Raises:
        WorkspaceError: With GraphQL's own messages when the operation failed.
    """
    from api.workspace.acting import acting

    actor = acting(request)
    context = Context(request.app.state.store_runner)
    context.request = request
    context.role, context.actor = actor.role, actor.name  # the signed-in user
    result = await schema.execute(query, variable_values=variables, context_value=context)
    if result.errors:
        raise WorkspaceError("; ".join(e.message for e in result.errors))
    return result.data or {}


async def mutate(request: Request, query: str, **variables: Any) -> dict[str, Any]:
    """Run one mutation, then drop what the read cache holds (as a ``/graphql``
    mutation does), so the next page shows the change."""
    try:
        return await execute(request, query, **variables)
    finally:
        request.app.state.read_cache.clear(query_writes(query))
