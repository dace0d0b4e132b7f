"""Working together on a conversation: linking accounts to the customer, saved replies,
@mentions of teammates in notes, and how each recorded response is delivered."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup, escape

from api.workspace import queries as q
from api.workspace.acting import acting, require_write
from api.workspace.gql import WorkspaceError, mutate
from graph.store import GraphStore

__all__ = ["REPLY_PREFIX", "delivery", "highlight_mentions", "mentions", "router",
           "saved_replies", "teammates"]

router = APIRouter(include_in_schema=False)
REPLY_PREFIX = "replies."
MAX_REPLIES = 200
_NAME = re.compile(r"^[\w .,'-]{1,60}$")
# a mention is "@" and a teammate's name as written in the header (letters, digits, _ . -)
_MENTION = re.compile(r"(?<![\w@])@([\w][\w.-]{0,59})")


def mentions(text: str) -> set[str]:
    """The names a note mentions, lower-cased (``"ask @Bob.k"`` → ``{"bob.k"}``)."""
    return {m.group(1).rstrip(".").lower() for m in _MENTION.finditer(text)}


def highlight_mentions(text: str) -> Markup:
    """A note's text, escaped, each ``@name`` wrapped in ``<mark class="mention">``."""
    out, last = [], 0
    for m in _MENTION.finditer(text):
        out += [escape(text[last:m.start()]),
                Markup('<mark class="mention">@{}</mark>').format(m.group(1))]
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def delivery(post: dict[str, Any], item: dict[str, Any] | None = None) -> str | None:
    """How a brand post recorded in the workspace reaches the platform: its outbox
    state (``queued``, ``sending``, ``sent``, ``failed``, ``erased``; see
    :mod:`graph.outbox`) when the outbox has it, else ``"by hand"`` (it waits to be
    copied there); ``None`` for posts that came from the platform itself."""
    if not str(post.get("postId", "")).partition(":")[2].startswith("scrm-"):
        return None
    if item is not None:
        return str(item["state"])
    return "connector" if post.get("sentBy") else "by hand"


async def saved_replies(request: Request) -> dict[str, str]:
    """The team's saved replies, name → text, by name."""
    settings = await request.app.state.store_runner.call(lambda s: s.get_settings(),
                                                         quick=True)
    return dict(sorted((k[len(REPLY_PREFIX):], v) for k, v in settings.items()
                       if k.startswith(REPLY_PREFIX) and v))


async def teammates(request: Request) -> list[str]:
    """The names people act under: assignees, note authors and the one acting now."""
    def work(s: GraphStore) -> set[str]:
        cases = s.care_cases(None)
        names = {c["assignee"] for c in cases.values() if c.get("assignee")}
        recent = sorted(cases, key=lambda k: cases[k].get("updated_at") or 0)[-200:]
        for notes in s.care_notes(recent).values():
            names.update(n["author"] for n in notes)
        return names

    names = await request.app.state.store_runner.call(work)
    names.add(acting(request).name)
    return sorted(names, key=str.lower)


def _back(target: str, **values: str) -> RedirectResponse:
    from urllib.parse import urlencode
    return RedirectResponse(target + "?" + urlencode(values), status_code=303)


@router.post("/conversation/{conversation_id:path}/link")
async def link(request: Request, conversation_id: str, customer_id: str = Form(...),
               account: str = Form(...)) -> RedirectResponse:
    """Link an account (``platform:handle``) to the conversation's customer."""
    await require_write(request)
    target = f"/conversation/{conversation_id}"
    platform, _, handle = account.strip().partition(":")
    if not handle:
        return _back(target, error="Give the account as platform:handle, e.g. reddit:gus")
    try:
        await mutate(request, q.LINK, customer=customer_id, platform=platform.lower(),
                     handle=handle.lstrip("@"))
    except WorkspaceError as exc:
        return _back(target, error=str(exc))
    return _back(target, flash=f"Linked {platform}:@{handle.lstrip('@')} to {customer_id}")


@router.post("/conversation/{conversation_id:path}/unlink")
async def unlink(request: Request, conversation_id: str, customer_id: str = Form(...),
                 account: str = Form(...)) -> RedirectResponse:
    """Remove a customer ↔ account link (automatic matching will not propose it again)."""
    await require_write(request)
    target = f"/conversation/{conversation_id}"
    platform, _, handle = account.partition(":")
    try:
        await mutate(request, q.UNLINK, customer=customer_id, platform=platform,
                     handle=handle)
    except WorkspaceError as exc:
        return _back(target, error=str(exc))
    return _back(target, flash=f"Unlinked {account} from {customer_id}")


def _may_manage(request: Request) -> bool:
    # managers and admins manage the team's replies
    return acting(request).role in ("manager", "admin")


@router.get("/settings/replies", response_class=HTMLResponse)
async def replies_page(request: Request) -> HTMLResponse:
    """The saved replies, with forms to add, change and remove them (managers)."""
    from api.workspace.routes import _page
    return _page(request, "replies.html", "Saved replies", replies=await saved_replies(request),
                 may_manage=_may_manage(request))


@router.post("/settings/replies")
async def save_reply(request: Request, name: str = Form(...), text: str = Form("")
                     ) -> RedirectResponse:
    """Add or change a saved reply; an empty text removes it."""
    await require_write(request)  # same-site, this session's CSRF token, may act
    if not _may_manage(request):
        raise HTTPException(403, "only managers and admins change the saved replies")
    name = name.strip()
    if not _NAME.match(name):
        return _back("/settings/replies", error="A name is 1-60 letters, digits, spaces or .,'-")
    if len(text) > 2000:
        return _back("/settings/replies", error="A saved reply is at most 2,000 characters")
    if text and name not in await saved_replies(request) and len(
            await saved_replies(request)) >= MAX_REPLIES:
        return _back("/settings/replies", error=f"At most {MAX_REPLIES} saved replies")
    await request.app.state.store_runner.call(
        lambda s: s.save_settings({REPLY_PREFIX + name: text.strip()}))
    # a saved reply is read by no memoized answer (neither the metrics nor the queue)
    request.app.state.read_cache.clear(frozenset())
    return _back("/settings/replies", flash=f"Saved reply {name!r} "
                 + ("saved" if text.strip() else "removed"))
