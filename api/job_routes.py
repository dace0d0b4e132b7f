"""The HTTP side of write jobs: ``POST /jobs`` and ``GET /jobs/{id}`` (see
:mod:`api.jobs`, which the CLI imports without a web framework)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from api.auth import actor_of
from api.jobs import JobRunner, _outside_roots, ingest_roots
from graph.config import Settings

__all__ = ["router"]


class JobRequest(BaseModel):
    kind: str
    source: str | None = None
    paths: list[str] | None = None
    rejects_dir: str | None = None
    batch_size: int | None = None
    force: bool = False
    options: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    limit: int | None = None  # understand: posts at most
    accounts: list[str] | None = None
    settings: dict[str, str] | None = None
    link: dict[str, Any] | None = None
    customer_id: str | None = None
    account_key: str | None = None
    action: str | None = None
    webhook: dict[str, Any] | None = None
    max_pages: int | None = None
    due_only: bool | None = None
    outbox_key: str | None = None


router = APIRouter(prefix="/jobs", tags=["jobs"])


def _runner(request: Request) -> JobRunner:
    runner: JobRunner | None = getattr(request.app.state, "jobs", None)
    if runner is None:
        raise HTTPException(503, "this server does not accept write jobs (read-only)")
    return runner


@router.post("")
def submit_job(body: JobRequest, request: Request) -> dict[str, Any]:
    runner = _runner(request)
    settings: Settings = request.app.state.settings
    payload = {k: v for k, v in body.model_dump().items() if v is not None}
    if payload.get("paths"):
        outside = _outside_roots(payload["paths"], ingest_roots(settings))
        if outside is not None:
            raise HTTPException(403, f"{outside} is not in a folder this server may read; "
                                     "give an absolute path under SCRM_INGEST_ROOTS")
    # the server chooses where rejects go: a client's folder would be a place to write
    payload["rejects_dir"] = str(settings.resolved_rejects_dir())
    payload["actor"] = actor_of(request.scope) or "anonymous"  # who the audit log names
    return runner.submit(payload).view()


@router.get("/{job_id}")
def job_status(job_id: str, request: Request) -> dict[str, Any]:
    job = _runner(request).get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return job.view()
