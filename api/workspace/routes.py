"""The workspace pages: inbox, conversation with the customer 360°, people, dashboard and
network, rendered on the server (Jinja2) and enhanced with htmx (``hx-boost``)."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.care import care_backlog, queue_cursor
from api.explore import explorer_fragment
from api.workspace import queries as q
from api.workspace.acting import acting, csrf_of, require_write
from api.workspace.collab import (
    delivery,
    highlight_mentions,
    saved_replies,
    teammates,
)
from api.workspace.gql import WorkspaceError, execute, mutate
from api.workspace.view import (
    account_reasons,
    inbox_items,
    thread_tree,
    timeline_rows,
)

__all__ = ["router", "templates"]

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
templates.env.filters["mentions"] = highlight_mentions


class _TimedRoute(APIRoute):
    """A page says how long the server took to make it (``Server-Timing: app;dur=`` in
    ms, what the browser's devtools and bench/workspace_bench.py read), so its server
    time is told apart from the network and the browser."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def timed(request: Request) -> Response:
            started = time.perf_counter()
            response = await handler(request)
            took = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={took:.1f}"
            return response

        return timed


router = APIRouter(include_in_schema=False, route_class=_TimedRoute)
STATUSES = ("open", "assigned", "resolved")
# items per inbox page: an agent works the top of the queue; 50 items with their authors,
# customers and notes answer in about half the time of 100 (BENCHMARKS.md, issue 19)
INBOX_PAGE = 50
PLATFORMS = ("twitter", "reddit", "stackexchange")
KINDS = ("advocate", "influencer", "detractor")


def _page(request: Request, name: str, title: str, **values: Any) -> HTMLResponse:
    values.update(request=request, actor=acting(request), csrf=csrf_of(request), title=title,
                  flash=request.query_params.get("flash"),
                  error=request.query_params.get("error"))
    return templates.TemplateResponse(request, name, values)


@router.get("/")
async def home() -> RedirectResponse:
    """The workspace opens on the inbox."""
    return RedirectResponse("/inbox", status_code=307)


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(request: Request, team: str = "", status: str = "", assignee: str = "",
                platform: str = "", mentioned: str = "", page: int = 1) -> HTMLResponse:
    """The care queue, most urgent first, each item with why it is there, ``INBOX_PAGE``
    items a page; ``mentioned=me`` keeps the conversations whose notes mention the person
    acting."""
    if status and status not in STATUSES:
        raise HTTPException(422, f"status must be one of {', '.join(STATUSES)}")
    if page < 1:
        raise HTTPException(422, "page must be 1 or more")
    # every filter is the queue's own, so a page is a page of the whole view (not the
    # items of the first page that pass)
    offset = (page - 1) * INBOX_PAGE
    data = await execute(request, q.CARE_QUEUE, team=team or None,
                         status=status.upper() or None, assignee=assignee or None,
                         first=INBOX_PAGE, after=queue_cursor(offset) if offset else None,
                         platform=platform or None,
                         mentioning=acting(request).name if mentioned else None)
    queue = data["careQueue"]
    items = inbox_items(queue["edges"], platform=None)
    teams = sorted({i["team"] for i in items} | ({team} if team else set()))
    filters = {"team": team, "status": status, "assignee": assignee, "platform": platform,
               "mentioned": mentioned}
    here = {k: v for k, v in filters.items() if v}
    pages = {"previous": f"/inbox?{_qs(**here, page=str(page - 1))}" if page > 1 else None,
             "next": f"/inbox?{_qs(**here, page=str(page + 1))}"
             if offset + INBOX_PAGE < queue["total"] else None}
    return _page(request, "inbox.html", "Inbox", items=items, total=queue["total"],
                 first=offset + 1, filters=filters, pages=pages,
                 teams=teams, statuses=STATUSES, platforms=PLATFORMS)


@router.get("/inbox/waiting", response_class=HTMLResponse)
async def inbox_waiting(request: Request, shown: int, team: str = "", status: str = "",
                        assignee: str = "", platform: str = "", mentioned: str = "") -> str:
    """Polled by the inbox (htmx, every 20 s): a link to refresh when the queue changed."""
    data = await execute(request, "query($team: String, $status: CareStatus, $assignee: "
                         "String, $platform: String, $mentioning: String) { careQueue("
                         "team: $team, status: $status, assignee: $assignee, platform: "
                         "$platform, mentioning: $mentioning, first: 0) { total } }",
                         team=team or None, status=status.upper() or None,
                         assignee=assignee or None, platform=platform or None,
                         mentioning=acting(request).name if mentioned else None)
    total = int(data["careQueue"]["total"])
    if total == shown:
        return ""
    query = _qs(**{k: v for k, v in {"team": team, "status": status, "assignee": assignee,
                                     "platform": platform, "mentioned": mentioned}.items()
                   if v})
    change = f"{total - shown} new" if total > shown else f"{shown - total} fewer"
    return (f'<a href="/inbox?{query}">The queue changed ({change}, {total} waiting): '
            "refresh</a>")


@router.get("/conversation/{conversation_id:path}", response_class=HTMLResponse)
async def conversation(request: Request, conversation_id: str) -> HTMLResponse:
    """A thread as a tree, its care case, and the customer 360° beside it."""
    data = await execute(request, q.CONVERSATION, id=conversation_id)
    if data["conversation"] is None:
        raise HTTPException(404, f"no conversation {conversation_id}")
    posts = data["conversation"]["posts"]
    person = next((p["author"] for p in posts if p["author"] and not p["author"]["isBrand"]
                   and p["author"]["customer"]), None) or next(
        (p["author"] for p in posts if p["author"] and not p["author"]["isBrand"]), None)
    profile = await _profile(request, person) if person else None
    recorded = [p["postId"] for p in posts if delivery(p)]
    outbox = {r["key"]: r for r in await request.app.state.store_runner.call(
        lambda s: s.outbox_items(keys=recorded), quick=True)} if recorded else {}
    thread = [dict(p, delivery=delivery(p, outbox.get(p["postId"])),
                   outbox=outbox.get(p["postId"])) for p in thread_tree(posts)]
    return _page(request, "conversation.html", f"Conversation {conversation_id}",
                 conversation_id=conversation_id, posts=thread,
                 replies=await saved_replies(request), teammates=await teammates(request),
                 truncated=data["conversation"]["truncated"], case=data["careCase"],
                 profile=profile)


async def _profile(request: Request, author: dict[str, Any]) -> dict[str, Any] | None:
    """The 360° of the customer behind an account, or of the account itself."""
    if author.get("customer"):
        return await _customer_profile(request, author["customer"]["id"])
    return await _account_profile(request, author["platform"], author["handle"])


async def _customer_profile(request: Request, customer_id: str) -> dict[str, Any] | None:
    customer = (await execute(request, q.CUSTOMER_360, id=customer_id))["customer"]
    if customer is None:
        return None
    keys = [a["key"] for a in customer["accounts"]]
    reasons = await account_reasons(request.app.state.store_runner, keys)
    return {"customer": customer, "accounts": customer["accounts"], "reasons": reasons,
            "timeline": timeline_rows(customer["interactions"]["edges"])}


async def _account_profile(request: Request, platform: str, handle: str
                           ) -> dict[str, Any] | None:
    account = (await execute(request, q.ACCOUNT_360, platform=platform,
                             handle=handle))["account"]
    if account is None:
        return None
    if account["customer"]:
        return await _customer_profile(request, account["customer"]["id"])
    reasons = await account_reasons(request.app.state.store_runner, [account["key"]])
    return {"customer": None, "accounts": [dict(account, linkConfidence=None)],
            "reasons": reasons, "timeline": timeline_rows(account["interactions"]["edges"])}


async def _act(request: Request, conversation_id: str, operation: str, done: str,
               **variables: Any) -> RedirectResponse:
    target = f"/conversation/{conversation_id}"
    try:
        await mutate(request, operation, id=conversation_id, **variables)
    except WorkspaceError as exc:
        return RedirectResponse(target + "?" + _qs(error=str(exc)), status_code=303)
    return RedirectResponse(target + "?" + _qs(flash=done), status_code=303)


def _qs(**values: str) -> str:
    from urllib.parse import urlencode
    return urlencode(values)


@router.post("/conversation/{conversation_id:path}/assign")
async def assign(request: Request, conversation_id: str, assignee: str = Form(...),
                 team: str = Form("")) -> RedirectResponse:
    """Assign the conversation (optionally to another team)."""
    await require_write(request)
    return await _act(request, conversation_id, q.ASSIGN, f"Assigned to {assignee}",
                      assignee=assignee, team=team or None)


@router.post("/conversation/{conversation_id:path}/note")
async def note(request: Request, conversation_id: str, text: str = Form(...)
               ) -> RedirectResponse:
    """Add an internal note, recorded under the signed-in user's name."""
    await require_write(request)
    return await _act(request, conversation_id, q.ADD_NOTE, "Note added", text=text)


@router.post("/conversation/{conversation_id:path}/reply")
async def reply(request: Request, conversation_id: str, text: str = Form(...),
                visibility: str = Form("public")) -> RedirectResponse:
    """Record the brand's public reply or private message."""
    await require_write(request)
    public = visibility != "private"
    return await _act(request, conversation_id, q.REPLY,
                      "Public reply recorded" if public else "Private reply recorded",
                      text=text, public=public)


@router.post("/conversation/{conversation_id:path}/resolve")
async def resolve(request: Request, conversation_id: str, note: str = Form("")
                  ) -> RedirectResponse:
    """Resolve the conversation, with an optional closing note."""
    await require_write(request)
    return await _act(request, conversation_id, q.RESOLVE, "Resolved", note=note or None)


@router.post("/conversation/{conversation_id:path}/reopen")
async def reopen(request: Request, conversation_id: str) -> RedirectResponse:
    """Put the conversation back in the queue."""
    await require_write(request)
    return await _act(request, conversation_id, q.REOPEN, "Reopened")


async def _people(request: Request, kind: str, platform: str, audience: str,
                  min_score: float | None, first: int) -> list[dict[str, Any]]:
    if kind not in KINDS:
        raise HTTPException(422, f"kind must be one of {', '.join(KINDS)}")
    if audience.upper() not in ("ALL", "CUSTOMERS", "PROSPECTS"):
        raise HTTPException(422, "audience must be all, customers or prospects")
    data = await execute(request, q.PEOPLE, kind=kind.upper(), first=first,
                         platform=platform or None, audience=audience.upper(),
                         minScore=min_score, community=None)
    return [edge["node"] for edge in data["engagementTargets"]["edges"]]


@router.get("/people", response_class=HTMLResponse)
async def people(request: Request, kind: str = "advocate", platform: str = "",
                 audience: str = "all", min_score: float | None = None) -> HTMLResponse:
    """Advocates, influencers or detractors, best first, each with why."""
    rows = await _people(request, kind, platform, audience, min_score, 100)
    return _page(request, "people.html", "People", rows=rows, kinds=KINDS,
                 platforms=PLATFORMS, filters={"kind": kind, "platform": platform,
                                               "audience": audience,
                                               "min_score": min_score})


@router.get("/people.csv")
async def people_csv(request: Request, kind: str = "advocate", platform: str = "",
                     audience: str = "all", min_score: float | None = None) -> Response:
    """The same list as the People page, as CSV."""
    rows = await _people(request, kind, platform, audience, min_score, 100)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "score", "account", "display_name", "followers", "customer_id",
                     "customer_name", "lifetime_value", "why"])
    for r in rows:
        customer = r["customer"] or {}
        writer.writerow([r["rank"], f"{r['score']:.4f}", r["account"]["key"],
                         r["account"]["displayName"] or "", r["account"]["followers"] or "",
                         customer.get("id", ""), customer.get("name") or "",
                         customer.get("lifetimeValue") or "",
                         "; ".join(f"{e['factor']} {e['contribution']:+.3f}"
                                   for e in r["explanation"][:4])])
    return Response(out.getvalue(), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="scrm-{kind}s.csv"'})


@router.get("/people/find")
async def find_person(request: Request, q: str = "") -> Response:
    """Go to a person's page from a customer id (``C00002``), an account key
    (``reddit:gus_grimsby``) or a handle (``@grumpygus``, looked up on each platform)."""
    text = q.strip()
    if not text:
        return RedirectResponse("/people", status_code=303)
    if (await execute(request, "query($id: ID!) { customer(id: $id) { id } }",
                      id=text.upper()))["customer"]:
        return RedirectResponse(f"/people/customer/{text.upper()}", status_code=303)
    platform, _, handle = text.partition(":") if ":" in text else ("", "", text)
    for candidate in ([platform] if platform else list(PLATFORMS)):
        found = (await execute(request, "query($p: String!, $h: String!) { account(platform: $p,"
                               " handle: $h) { key } }", p=candidate, h=handle))["account"]
        if found:
            return RedirectResponse(f"/people/account/{found['key']}", status_code=303)
    return RedirectResponse("/people?" + _qs(error=f"Nobody found for {text!r}"),
                            status_code=303)


@router.get("/people/customer/{customer_id}", response_class=HTMLResponse)
async def person(request: Request, customer_id: str) -> HTMLResponse:
    """A customer's 360°."""
    profile = await _customer_profile(request, customer_id)
    if profile is None:
        raise HTTPException(404, f"no customer {customer_id}")
    return _page(request, "person.html", profile["customer"]["name"] or customer_id,
                 profile=profile)


@router.get("/people/account/{key:path}", response_class=HTMLResponse)
async def account(request: Request, key: str) -> HTMLResponse:
    """An account's 360° (its customer's, when it is linked to one)."""
    platform, _, handle = key.partition(":")
    profile = await _account_profile(request, platform, handle) if handle else None
    if profile is None:
        raise HTTPException(404, f"no account {key}")
    return _page(request, "person.html", key, profile=profile)


WINDOWS = {"7": 7, "30": 30, "90": 90, "365": 365}


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, days: str = "30", until: str = "") -> HTMLResponse:
    """Awareness, care, sales and change over a chosen window, as charts."""
    if days not in WINDOWS:
        raise HTTPException(422, f"days must be one of {', '.join(WINDOWS)}")
    end: datetime | None = None
    if until:
        try:
            end = datetime.fromisoformat(until).replace(tzinfo=UTC) + timedelta(days=1)
        except ValueError:
            raise HTTPException(422, "until must be a date like 2026-09-01") from None
    variables: dict[str, Any] = {"since": None, "until": None}
    if end is not None:
        variables = {"since": (end - timedelta(days=WINDOWS[days])).isoformat(),
                     "until": end.isoformat()}
    data = await execute(request, q.METRICS, **variables)
    metrics = data["metrics"]
    if end is None and days != "30":  # the default window ends at the newest post
        newest = datetime.fromisoformat(metrics["until"])
        data = await execute(request, q.METRICS,
                             since=(newest - timedelta(days=WINDOWS[days])).isoformat(),
                             until=newest.isoformat())
        metrics = data["metrics"]
    # the whole queue's counts, from its index in memory (not a first page of it)
    care = await care_backlog(request.app.state.store_runner)
    return _page(request, "dashboard.html", "Dashboard", metrics=metrics, care=care,
                 care_total=sum(t["waiting"] for t in care), days=days, until=until,
                 windows=WINDOWS)


@router.get("/network", response_class=HTMLResponse)
async def network(request: Request) -> HTMLResponse:
    """The network explorer inside the workspace."""
    return _page(request, "network.html", "Network", explorer=explorer_fragment())
