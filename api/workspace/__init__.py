"""The workspace: the pages care agents, community managers and marketers work in.

Served by ``scrm serve`` on the API's origin with everything bundled (no internet):
server-rendered Jinja2 templates, htmx for in-place navigation and forms, Chart.js for
the dashboard, the vis-network explorer for the network. Pages read and write through
the GraphQL schema in process (:mod:`api.workspace.gql`); who acts comes from one hook
(:func:`api.workspace.acting.acting`).
"""

from __future__ import annotations

from fastapi import FastAPI

from api.workspace.routes import router
from api.workspace.signin import router as signin_router
from api.workspace.users import router as users_router

__all__ = ["mount"]


def mount(app: FastAPI) -> None:
    """Add the workspace pages and sign-in to ``app``. The session cookie becomes the
    signed-in user in :class:`api.workspace.signin.SessionMiddleware`, which ``api.app``
    places just outside the key check."""
    app.include_router(signin_router)
    app.include_router(users_router)
    app.include_router(router)
