"""The workspace: the pages care agents, community managers and marketers work in.

Served by ``scrm serve`` on the API's origin with everything bundled (no internet):
server-rendered Jinja2 templates, htmx for in-place navigation and forms, Chart.js for
the dashboard, the vis-network explorer for the network. Pages read and write through
the GraphQL schema in process (:mod:`api.workspace.gql`); who acts comes from one hook
(:func:`api.workspace.acting.acting`).
"""

from __future__ import annotations

from fastapi import FastAPI

from api.workspace.collab import router as collab_router
from api.workspace.events import router as events_router
from api.workspace.routes import router
from api.workspace.settings_page import router as settings_router

__all__ = ["mount"]


def mount(app: FastAPI) -> None:
    """Add the workspace pages to ``app``. Its key cookie is turned into a key header by
    :class:`KeyCookieMiddleware`, which ``api.app`` places just outside the key check."""
    app.include_router(router)
    app.include_router(collab_router)
    app.include_router(events_router)
    app.include_router(settings_router)
