"""The Settings page (admins and managers): the brand, the monitors and their state, which
credentials are set (never their values), the API keys' roles, and the saved replies.
Read-only where a CLI command is the way to change it; the page says which."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.workspace.acting import acting
from api.workspace.collab import saved_replies
from graph.store import GraphStore

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _list(settings: dict[str, str], key: str) -> list[str]:
    try:
        value = json.loads(settings.get(key) or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _brand(s: GraphStore) -> dict[str, Any]:
    settings = s.get_settings()
    return {"name": settings.get("brand.name") or "",
            "accounts": sorted(a.key for a in s.brand_accounts()),
            "terms": _list(settings, "brand.terms"),
            "competitors": _list(settings, "brand.competitors"),
            "staff_domains": _list(settings, "brand.staff_domains"),
            "staff_accounts": _list(settings, "brand.staff_accounts")}


def _monitors(request: Request) -> list[dict[str, Any]]:
    from ingest.connectors.state import MonitorFile

    db = request.app.state.settings.db
    try:
        monitors = MonitorFile.beside(db).all()
    except (OSError, ValueError):
        return []
    return [{"id": m.id, "kind": m.kind, "url": m.url, "interval": m.interval,
             "enabled": m.enabled, "options": m.options, "state": m.state} for m in monitors]


def _credentials(request: Request) -> list[dict[str, Any]]:
    """Every credential a connector reads, whether it is set, never its value."""
    from ingest.connectors import CONNECTORS, get_connector

    settings = request.app.state.settings
    rows = []
    for kind in sorted(CONNECTORS):
        for name in get_connector(kind).credentials:
            rows.append({"kind": kind, "env": "SCRM_" + name.upper(),
                         "set": getattr(settings, name, None) is not None})
    return rows


def _keys(request: Request) -> list[dict[str, str]]:
    """The API keys' names and roles; a key's value is never shown, not even in part."""
    from api.auth import parse_keys

    keys = parse_keys(request.app.state.settings.api_keys or "")
    return [{"name": k.name, "role": k.role} for k in keys.values()]


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(request: Request) -> HTMLResponse:
    """What the brand is, what is followed and how it stands, and who may do what."""
    from api.workspace.routes import _page

    actor = acting(request)
    if actor.role not in ("manager", "admin"):
        return _page(request, "settings.html", "Settings", allowed=False)
    brand = await request.app.state.store_runner.call(_brand, quick=True)
    return _page(request, "settings.html", "Settings", allowed=True, brand=brand,
                 monitors=_monitors(request), credentials=_credentials(request),
                 keys=_keys(request), replies=await saved_replies(request),
                 readers=request.app.state.settings.readers)
