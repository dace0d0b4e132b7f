"""FastAPI dependencies, as ``Annotated`` aliases to put on endpoint parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from api.auth import actor_of, role_of
from api.context import Context, StoreRunner
from graph.config import Settings

__all__ = ["SettingsDep", "StoreDep", "get_context"]


# async: FastAPI runs a plain `def` dependency on its thread pool, a thread hop per request
async def _store_runner(request: HTTPConnection) -> StoreRunner:
    runner: StoreRunner = request.app.state.store_runner
    return runner


async def _settings(request: HTTPConnection) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[StoreRunner, Depends(_store_runner)]
SettingsDep = Annotated[Settings, Depends(_settings)]


async def get_context(connection: HTTPConnection, store: StoreDep) -> Context:
    """A fresh GraphQL context (and fresh DataLoaders) for each request or WebSocket,
    with the role its key was given (checked again for every operation: a WebSocket
    carries many)."""
    context = Context(store)
    context.role = role_of(connection.scope)
    context.actor = actor_of(connection.scope)
    return context
