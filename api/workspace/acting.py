"""Who is acting on a workspace request: the signed-in user.

:func:`acting` is the one place the workspace asks "who is doing this?": every page reads
it, every action records its name. The answer comes from the session
(:class:`api.workspace.signin.SessionMiddleware` puts the signed-in user in the request),
never from anything the browser types in. :func:`require_write` is what every action
calls first: the form must come from this site with the session's CSRF token, and the
user's role must allow changes (a viewer only looks).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request

from api.auth import USER_KEY, may_write, same_secret
from api.workspace.signin import SESSION_SCOPE_KEY, csrf_token

__all__ = ["Actor", "acting", "csrf_of", "require_write"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts on a request.

    Attributes:
        name: Recorded as the author of notes, replies, assignments and resolutions.
        role: One of :data:`graph.audit.ROLES`.
    """

    name: str
    role: str

    @property
    def can_write(self) -> bool:
        """Whether this actor may change anything (a viewer may not)."""
        return may_write(self.role)

    @property
    def can_admin(self) -> bool:
        """Whether this actor manages users."""
        return self.role == "admin"


def acting(request: Request) -> Actor:
    """The signed-in user of this request.

    Raises:
        HTTPException: 401 without a session (the session middleware sends such a
            browser to the sign-in page first; this is the check behind it).
    """
    user = request.scope.get(USER_KEY)
    if user is None:
        raise HTTPException(401, "sign in first")
    return Actor(name=str(user["name"]), role=str(user["role"]))


def csrf_of(request: Request) -> str:
    """The CSRF token every form of this session's pages carries."""
    token = request.scope.get(SESSION_SCOPE_KEY)
    return csrf_token(token) if token else ""


async def require_write(request: Request) -> Actor:
    """The actor, refusing a form posted from another site or without this session's CSRF
    token, and a user whose role may only look.

    Raises:
        HTTPException: 403.
    """
    origin = request.headers.get("origin")
    # a read process hands the post to the writer with the host it was sent to
    host = request.headers.get("x-forwarded-host") or request.url.netloc
    if origin is not None and origin.split("://", 1)[-1] != host:
        raise HTTPException(403, "a workspace form was posted from another site")
    actor = acting(request)
    form = await request.form()
    given = str(form.get("csrf") or "")
    expected = csrf_of(request)
    if not expected or not same_secret(expected, given):
        raise HTTPException(403, "this form has expired: reload the page and try again")
    if not actor.can_write:
        raise HTTPException(403, f"{actor.name} is a {actor.role} and may only look; ask an "
                            "admin for the agent role to act")
    return actor
