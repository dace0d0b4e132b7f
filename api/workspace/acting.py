"""Who is acting on a workspace request, and the key cookie that lets a browser in.

:func:`acting` is the one place the workspace asks "who is doing this?": every page reads
it, every action records its name. Today the answer is the API key's role (or the open
API's, with no keys) and a name the agent gives in the page header; sign-in replaces the
inside of this function, not its callers.

Browsers cannot add an ``X-API-Key`` header to a link, so with API keys on the workspace
keeps the key in an http-only, same-site cookie and :class:`KeyCookieMiddleware` copies it
into the header for workspace paths only, before :class:`api.auth.ApiKeyMiddleware` checks
it as usual. ``/graphql`` and the JSON endpoints never accept the cookie (a cookie sent by
a browser on another site's behalf must not be able to call them).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from fastapi import HTTPException, Request

from api.auth import ASGIApp, Receive, Scope, Send, parse_keys

__all__ = ["KEY_COOKIE", "NAME_COOKIE", "WORKSPACE_PATHS", "Actor", "KeyCookieMiddleware",
           "acting", "require_write"]

KEY_COOKIE = "scrm_key"
NAME_COOKIE = "scrm_agent"
WORKSPACE_PATHS = ("/inbox", "/conversation", "/people", "/dashboard", "/network", "/key")
# the explorer's data endpoints, read by the Network page with the same cookie
_NETWORK_DATA = ("/explore/data", "/explore/account/")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts on a request.

    Attributes:
        name: Recorded as the author of notes, assignments and resolutions.
        role: ``write`` may act; ``read`` may only look.
    """

    name: str
    role: str

    @property
    def can_write(self) -> bool:
        """Whether this actor may change anything."""
        return self.role == "write"


def _given_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key") or request.cookies.get(KEY_COOKIE)


def acting(request: Request) -> Actor:
    """Who is acting on this request (part 2 of issue 19 answers with the signed-in user).

    Args:
        request: The workspace request.

    Returns:
        The actor; with no API keys configured the API is open, so everyone may write.
    """
    name = (request.cookies.get(NAME_COOKIE) or "").strip()[:60] or "agent"
    keys = parse_keys(request.app.state.settings.api_keys)
    if not keys:
        return Actor(name=name, role="write")
    given = _given_key(request) or ""
    role = next((r for k, r in keys.items() if hmac.compare_digest(k, given)), None)
    if role is None:  # the key middleware lets no such request through; be sure anyway
        raise HTTPException(401, "an API key is needed")
    return Actor(name=name, role=role)


def require_write(request: Request) -> Actor:
    """The actor, refusing one who may only read, and a form posted from another site.

    Raises:
        HTTPException: 403 for a read-only key or a cross-site post.
    """
    origin = request.headers.get("origin")
    # a read process hands the post to the writer with the host it was sent to
    host = request.headers.get("x-forwarded-host") or request.url.netloc
    if origin is not None and origin.split("://", 1)[-1] != host:
        raise HTTPException(403, "a workspace form was posted from another site")
    actor = acting(request)
    if not actor.can_write:
        raise HTTPException(403, "this key may only read: ask for a write key to act")
    return actor


class KeyCookieMiddleware:
    """Copies the workspace's key cookie into ``X-API-Key`` on workspace paths, and answers
    ``/key`` (the form that sets the cookie) itself, before the key check runs."""

    def __init__(self, app: ASGIApp, api_keys: str) -> None:
        self.app = app
        self.keys = parse_keys(api_keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        workspace = path == "/" or path.startswith(WORKSPACE_PATHS + _NETWORK_DATA)
        if path == "/key":
            await self._key_form(scope, receive, send)
            return
        headers = list(scope["headers"])
        names = {name.lower() for name, _ in headers}
        if workspace and b"x-api-key" not in names and b"authorization" not in names:
            key = _cookie(headers, KEY_COOKIE)
            if key is None and scope["method"] == "GET" and not path.startswith(_NETWORK_DATA):
                await _redirect(send, "/key?next=" + path)
                return
            if key is not None:
                scope = dict(scope, headers=[*headers, (b"x-api-key", key.encode("latin-1"))])
        await self.app(scope, receive, send)

    async def _key_form(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            form = parse_qs(body.decode("utf-8", "replace"))
            key = (form.get("key") or [""])[0].strip()
            target = (form.get("next") or ["/inbox"])[0]
            if not target.startswith("/") or target.startswith("//"):
                target = "/inbox"
            if any(hmac.compare_digest(key, k) for k in self.keys):
                secure = "; Secure" if scope.get("scheme") == "https" else ""
                cookie = f"{KEY_COOKIE}={key}; Path=/; HttpOnly; SameSite=Strict{secure}"
                await _redirect(send, target, cookie)
                return
            await _page(send, _KEY_PAGE.format(next=_attr(target),
                                               error="<p role='alert'>That key is not valid."
                                                     "</p>"), 401)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        await _page(send, _KEY_PAGE.format(next=_attr((query.get("next") or ["/inbox"])[0]),
                                           error=""), 200)


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def _cookie(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    for header, value in headers:
        if header.lower() == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            jar.load(value.decode("latin-1"))
            if name in jar:
                return jar[name].value
    return None


async def _redirect(send: Send, location: str, cookie: str | None = None) -> None:
    headers = [(b"location", location.encode("latin-1")), (b"content-length", b"0")]
    if cookie:
        headers.append((b"set-cookie", cookie.encode("latin-1")))
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _page(send: Send, text: str, status: int) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


_KEY_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>scrm — API key</title><link rel="stylesheet" href="/explore/static/workspace.css">
</head><body><main class="narrow"><h1>scrm workspace</h1>
<p>This server has API keys turned on. Enter yours to open the workspace
(it is kept in a cookie for this site only).</p>{error}
<form method="post" action="/key"><input type="hidden" name="next" value="{next}">
<label>API key <input name="key" type="password" autocomplete="current-password" required
autofocus></label> <button type="submit">Open</button></form></main></body></html>"""
