"""Signing in to the workspace: sessions, their cookie, and CSRF tokens.

A person signs in with a name and password (``scrm users``); the server answers with an
http-only, ``SameSite=Strict`` cookie holding a random token, ``Secure`` whenever the
request came over HTTPS (directly, or through a proxy listed in ``SCRM_TRUSTED_PROXIES``).
The store keeps only the token's SHA-256 (:func:`graph.audit.session_key`), with an
expiry. :class:`SessionMiddleware` (outside the key check) turns a valid cookie into the
signed-in user on workspace paths only: ``/graphql`` and the JSON endpoints never accept
it, so another site cannot make a browser call them with it. Every workspace form carries
a CSRF token derived from the session's token (:func:`csrf_token`); the sign-in form,
before there is a session, a token that must match a cookie of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from api.auth import USER_KEY, ASGIApp, Receive, Scope, Send, same_secret
from api.passwords import hash_password, needs_rehash, verify_password
from graph.audit import session_key
from graph.config import Settings
from graph.store import GraphStore

__all__ = ["SESSION_COOKIE", "SessionMiddleware", "csrf_token", "is_https", "router",
           "safe_next"]

SESSION_COOKIE = "scrm_session"
SIGNIN_COOKIE = "scrm_signin"  # the sign-in form's own CSRF token
SESSION_SCOPE_KEY = "scrm.session"
WORKSPACE_PATHS = ("/inbox", "/conversation", "/people", "/dashboard", "/network",
                   "/users", "/signout", "/settings", "/events")
# the explorer's data endpoints, read by the Network page with the same cookie
NETWORK_DATA = ("/explore/data", "/explore/account/")

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session: derived from its secret token, so a page of another
    site can neither read nor guess it."""
    return hmac.new(session_token.encode("utf-8"), b"scrm csrf", hashlib.sha256).hexdigest()


def is_https(scope: Scope, trusted_proxies: str) -> bool:
    """Whether the browser reached us over HTTPS: directly, or through a trusted proxy that
    says so in ``X-Forwarded-Proto`` (from anyone else the header means nothing)."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    client = scope.get("client")
    trusted = {a.strip() for a in trusted_proxies.split(",") if a.strip()}
    if not client or client[0] not in trusted:
        return False
    for name, value in scope.get("headers", []):
        if name.lower() == b"x-forwarded-proto":
            proto: str = value.decode("latin-1").split(",")[0].strip().lower()
            return proto == "https"
    return False


def safe_next(target: str | None) -> str:
    """A place on this site to go after signing in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/inbox"
    return target


def _cookie(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    for header, value in headers:
        if header.lower() == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no session
                return None
            if name in jar:
                return jar[name].value
    return None


class SessionMiddleware:
    """The signed-in user of a workspace request (from the session cookie), or a redirect
    to the sign-in page; other paths pass untouched."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        workspace = path == "/" or path.startswith(WORKSPACE_PATHS)
        if scope["type"] != "http" or not (workspace or path.startswith(NETWORK_DATA)):
            await self.app(scope, receive, send)
            return
        token = _cookie(list(scope["headers"]), SESSION_COOKIE)
        user = await _session_user(scope, token) if token else None
        follow = getattr(scope["app"].state, "follow_writer", None)
        if token and user is None and follow is not None:  # a read process: maybe just
            await follow()  # signed in through the writer, which this snapshot misses
            user = await _session_user(scope, token)
        if user is not None and token is not None:
            scope[USER_KEY] = {"name": user["name"], "role": user["role"]}
            scope[SESSION_SCOPE_KEY] = token
        elif workspace and path != "/signout":
            query = scope.get("query_string", b"").decode("latin-1")
            target = path + ("?" + query if query else "") if scope["method"] == "GET" else ""
            location = "/signin" + ("?next=" + quote(target, safe="") if target else "")
            await send({"type": "http.response.start", "status": 303, "headers": [
                (b"location", location.encode("latin-1")), (b"content-length", b"0"),
                (b"cache-control", b"no-store")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


async def _session_user(scope: Scope, token: str) -> dict[str, Any] | None:
    runner = scope["app"].state.store_runner
    key, now = session_key(token), datetime.now(UTC)
    user: dict[str, Any] | None = await runner.call(lambda s: s.session_user(key, now),
                                                    quick=True)
    return user


class SignInThrottle:
    """Failed sign-ins per name and per client address, in this process: after
    :attr:`limit` failures within :attr:`window` seconds, that name (or address) must wait
    out the window. Passwords cannot be guessed at the speed of argon2 alone."""

    def __init__(self, limit: int = 5, window: float = 300.0, size: int = 10_000) -> None:
        self.limit, self.window, self.size = limit, window, size
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    def _recent(self, who: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(who, []) if now - t < self.window]
        if times:
            self._failures[who] = times
        else:
            self._failures.pop(who, None)
        return times

    def wait(self, *who: str) -> float:
        """Seconds until these may try again (0: now)."""
        now = time.monotonic()
        waits = [self.window - (now - times[0]) for w in who
                 if len(times := self._recent(w, now)) >= self.limit]
        return max(waits, default=0.0)

    def failed(self, *who: str) -> None:
        now = time.monotonic()
        for w in who:
            self._failures.setdefault(w, []).append(now)
            self._failures.move_to_end(w)
        while len(self._failures) > self.size:
            self._failures.popitem(last=False)

    def succeeded(self, name: str) -> None:
        self._failures.pop(name, None)


_BY_NAME = SignInThrottle(limit=5)
_BY_ADDRESS = SignInThrottle(limit=30)  # one office behind one address has many people


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _set_cookie(request: Request, response: Response, name: str, value: str,
                max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                        samesite="strict",
                        secure=is_https(request.scope, _settings(request).trusted_proxies))


def _signin_page(request: Request, next_url: str, error: str | None, status: int,
                 name: str = "") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(request, "signin.html", {
        "request": request, "title": "Sign in", "next": next_url, "error": error,
        "csrf": token, "name": name}, status_code=status)
    response.headers["cache-control"] = "no-store"
    _set_cookie(request, response, SIGNIN_COOKIE, token, max_age=3600)
    return response


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(request: Request, next: str = "/inbox") -> HTMLResponse:
    """The sign-in page."""
    return _signin_page(request, safe_next(next), None, 200)


@router.post("/signin")
async def signin(request: Request, name: str = Form(""), password: str = Form(""),
                 csrf: str = Form(""), next: str = Form("/inbox")) -> Response:
    """Check the name and password; on success start a session and go on."""
    target = safe_next(next)
    expected = request.cookies.get(SIGNIN_COOKIE) or ""
    if not expected or not same_secret(expected, csrf):
        return _signin_page(request, target, "The form expired; please sign in again.",
                            400, name)
    runner = request.app.state.store_runner
    who = name.strip()
    client = f"addr:{request.client.host if request.client else '?'}"
    wait = max(_BY_NAME.wait(who), _BY_ADDRESS.wait(client))
    if wait:
        return _signin_page(request, target, f"Too many failed sign-ins; try again in "
                            f"{math.ceil(wait / 60)} minute(s).", 429, who)
    user = await runner.call(lambda s: s.get_user(who), quick=True) if who else None
    # verified even for an unknown name, so timing does not tell which names exist
    valid = await run_in_threadpool(verify_password, user["password_hash"] if user else None,
                                    password)  # ~50 ms of argon2: off the event loop
    if user is None or not valid or user["disabled"]:
        _BY_NAME.failed(who)
        _BY_ADDRESS.failed(client)
        return _signin_page(request, target, "That name and password do not match an "
                            "active user.", 401, who)
    _BY_NAME.succeeded(who)
    token = secrets.token_urlsafe(32)
    hours = _settings(request).session_hours
    expires = datetime.now(UTC) + timedelta(hours=hours)
    stored_hash: str = user["password_hash"]

    def start(s: GraphStore) -> None:
        if needs_rehash(stored_hash):  # made with weaker parameters than today's
            s.save_user(who, role=user["role"], password_hash=hash_password(password))
        s.create_session(session_key(token), who, expires)

    await runner.call(start)
    response = RedirectResponse(target, status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, token, max_age=int(hours * 3600))
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return response


@router.post("/signout")
async def signout(request: Request, csrf: str = Form("")) -> Response:
    """End this browser's session."""
    token = request.scope.get(SESSION_SCOPE_KEY)
    if not token or not same_secret(csrf_token(token), csrf):
        # an error status: the writer then tells no read process to reopen (api.readers)
        return HTMLResponse("Not signed out: reload the page and try again.", status_code=403)
    key = session_key(token)
    await request.app.state.store_runner.call(lambda s: s.end_sessions(key=key))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
