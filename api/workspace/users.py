"""The Users page: admins add people, change their role, disable, reset or remove them
(the same operations as ``scrm users``). Nobody else may open it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.passwords import hash_password
from api.workspace.acting import Actor, acting, csrf_of, require_write
from api.workspace.signin import templates
from graph.audit import ROLES, name_problem
from graph.errors import UserError
from graph.store import GraphStore

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _admin(actor: Actor) -> Actor:
    if not actor.can_admin:
        raise HTTPException(403, f"only admins manage users; {actor.name} is a {actor.role}")
    return actor


def _done(**message: str) -> RedirectResponse:
    return RedirectResponse("/users?" + urlencode(message), status_code=303)


async def _store(request: Request, work: Any) -> Any:
    return await request.app.state.store_runner.call(work)


@router.get("/users", response_class=HTMLResponse)
async def users_page(request: Request) -> HTMLResponse:
    """Who may sign in, with which role."""
    actor = _admin(acting(request))
    users = await request.app.state.store_runner.call(lambda s: s.users(), quick=True)
    return templates.TemplateResponse(request, "users.html", {
        "request": request, "actor": actor, "csrf": csrf_of(request), "title": "Users",
        "users": users, "roles": ROLES, "flash": request.query_params.get("flash"),
        "error": request.query_params.get("error")})


@router.post("/users/add")
async def add_user(request: Request, name: str = Form(...), role: str = Form("agent"),
                   password: str = Form(...)) -> RedirectResponse:
    """Add a user."""
    actor = _admin(await require_write(request))
    who = name.strip()
    problem = name_problem(who) or (None if role in ROLES else f"unknown role {role!r}")
    if problem:
        return _done(error=problem)
    try:
        hashed = await run_in_threadpool(hash_password, password)
    except UserError as exc:
        return _done(error=str(exc))

    def work(s: GraphStore) -> bool:
        if s.get_user(who) is not None:
            return False
        s.save_user(who, role=role, password_hash=hashed)
        s.add_audit(actor.name, "user", f"added {who} ({role})")
        return True

    if not await _store(request, work):
        return _done(error=f"there is already a user {who}")
    return _done(flash=f"Added {who}")


@router.post("/users/{name}/save")
async def save_user(request: Request, name: str, role: str = Form(...),
                    state: str = Form("active"), password: str = Form("")
                    ) -> RedirectResponse:
    """Change a user's role or state, or give them a new password (signs them out)."""
    actor = _admin(await require_write(request))
    if role not in ROLES:
        return _done(error=f"unknown role {role!r}")
    if name == actor.name and (role != "admin" or state != "active"):
        return _done(error="you cannot take your own admin role away or disable yourself")
    try:
        hashed = await run_in_threadpool(hash_password, password) if password else None
    except UserError as exc:
        return _done(error=str(exc))

    def work(s: GraphStore) -> bool:
        if s.get_user(name) is None:
            return False
        s.save_user(name, role=role, password_hash=hashed, disabled=state != "active")
        s.end_sessions(user=name)
        s.add_audit(actor.name, "user", f"changed {name}: {role}, {state}"
                    + (", new password" if hashed else ""))
        return True

    if not await _store(request, work):
        return _done(error=f"no user {name}")
    return _done(flash=f"Saved {name}; their sessions have ended")


@router.post("/users/{name}/remove")
async def remove_user(request: Request, name: str) -> RedirectResponse:
    """Remove a user (what they did stays in the audit log)."""
    actor = _admin(await require_write(request))
    if name == actor.name:
        return _done(error="you cannot remove yourself")

    def work(s: GraphStore) -> bool:
        removed = s.remove_user(name)
        if removed:
            s.add_audit(actor.name, "user", f"removed {name}")
        return removed

    if not await _store(request, work):
        return _done(error=f"no user {name}")
    return _done(flash=f"Removed {name}")
