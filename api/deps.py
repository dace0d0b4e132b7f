"""FastAPI dependencies, as ``Annotated`` aliases to put on endpoint parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.context import Context, StoreRunner
from graph.config import Settings

__all__ = ["SettingsDep", "StoreDep", "get_context"]


# async: FastAPI runs a plain `def` dependency on its thread pool, a thread hop per request
async def _store_runner(request: Request) -> StoreRunner:
    runner: StoreRunner = request.app.state.store_runner
    return runner


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[StoreRunner, Depends(_store_runner)]
SettingsDep = Annotated[Settings, Depends(_settings)]


async def get_context(store: StoreDep) -> Context:
    """A fresh GraphQL context (and fresh DataLoaders) for each request."""
    return Context(store)
