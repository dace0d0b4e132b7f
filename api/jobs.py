"""Write jobs (ingest, analyze, brand) and how a running server takes them.

Only one process may write an embedded database, so while ``scrm serve`` runs it
is the writer: the CLI sends its job here (``POST /jobs``) and follows its
progress (``GET /jobs/{id}``). The same :func:`execute` runs a job in the CLI
when no server is running, so both paths behave identically.
"""

from __future__ import annotations

import json
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from graph.store import GraphStore

__all__ = ["JobRunner", "execute", "router", "server_file"]

Report = Callable[[str], None]


def server_file(db: Path) -> Path:
    """Where a running server announces itself for this database."""
    return db.parent / (db.name + ".server.json")


def execute(store: GraphStore, payload: dict[str, Any], report: Report) -> dict[str, Any]:
    """Run one write job against ``store``; return a JSON-able result."""
    kind = payload.get("kind")
    if kind == "ingest":
        from ingest.pipeline import ingest_paths

        def on_progress(r: Any) -> None:
            # A record is an input line or row; a Twitter page holds 100 posts, so the
            # rate of new posts is what tells how fast the load goes.
            posts = r.created.get("posts", 0)
            rate = (posts or r.read) / r.seconds if r.seconds else 0.0
            report(f"{Path(r.source_file).name}: {r.read:,} read, {r.loaded:,} loaded, "
                   f"{r.rejected:,} rejected" + (f"; {posts:,} new posts ({rate:,.0f} posts/s)"
                                                 if posts else f" ({rate:,.0f} records/s)"))

        reports, rejects = ingest_paths(
            store, payload["source"], payload["paths"],
            rejects_dir=Path(payload["rejects_dir"]), batch_size=int(payload.get("batch_size",
                                                                                200_000)),
            force=bool(payload.get("force")), progress=on_progress,
            options=payload.get("options") or None)
        return {"files": [r.as_dict() for r in reports],
                "rejects": str(rejects) if rejects.exists() else None}
    if kind == "analyze":
        from analytics.job import AnalysisParams, run_analysis

        params = AnalysisParams(**payload.get("params", {}))
        result = run_analysis(store, params, progress=lambda step, frac: report(
            f"{step} ({frac:.0%})"))
        return {"run_id": result.run_id, "stats": result.stats}
    if kind == "identities":
        return resolve_identities(store, **(payload.get("params") or {}))
    if kind == "brand":
        n = store.set_brand(payload["accounts"], payload["settings"])
        return {"brand_accounts": n}
    if kind == "link":
        from graph.model import OwnsLink

        link = OwnsLink(**payload["link"])
        store.link_account(link)
        store.record_decision(link.customer_id, link.account_key, "link")
        return {"linked": True}
    if kind == "unlink":
        removed = store.unlink_account(payload["customer_id"], payload["account_key"])
        store.record_decision(payload["customer_id"], payload["account_key"], "reject")
        return {"unlinked": removed}
    if kind == "forget":
        from api.network import NETWORK_CACHE

        counts = store.forget_customer(payload["customer_id"])
        if counts is None:
            raise ValueError(f"no customer {payload['customer_id']}")
        NETWORK_CACHE.clear()
        return counts
    raise ValueError(f"unknown job kind {kind!r}")


def resolve_identities(store: GraphStore, threshold: float = 0.85,
                       min_confidence: float = 0.5) -> dict[str, Any]:
    """Match social accounts to CRM customers: apply confident links, queue the rest."""
    from graph.model import OwnsLink
    from graph.store import GraphBatch
    from ingest.identity import resolve

    candidates = resolve(store.customer_frame(), store.account_frame(), store.link_frame(),
                         store.decision_frame(), threshold=threshold,
                         min_confidence=min_confidence)
    auto = [c for c in candidates if c.status == "auto"]
    pending = [c for c in candidates if c.status == "pending"]
    links = []
    for c in auto:
        platform, handle = c.account_key.split(":", 1)
        links.append(OwnsLink(customer_id=c.customer_id, platform=platform, handle=handle,
                              confidence=round(float(c.confidence), 4), method="auto",
                              evidence="; ".join(c.evidence)))
    result = store.write_batch(GraphBatch(links=links))
    store.replace_candidates([{"customer_id": c.customer_id, "account_key": c.account_key,
                               "confidence": c.confidence, "evidence": list(c.evidence)}
                              for c in pending])
    return {"linked": result.created.get("links", 0), "updated": result.updated.get("links", 0),
            "pending": len(pending), "threshold": threshold}


@dataclass
class Job:
    id: str
    payload: dict[str, Any]
    status: str = "queued"
    message: str = ""
    result: dict[str, Any] | None = None
    error: str | None = None
    created: float = field(default_factory=time.time)

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.payload.get("kind"), "status": self.status,
                "message": self.message, "result": self.result, "error": self.error}


class JobRunner:
    """Runs write jobs one at a time on a worker thread with its own store handle."""

    def __init__(self, store: GraphStore, on_change: Callable[[], None] | None = None) -> None:
        self._store = store
        self._jobs: dict[str, Job] = {}
        self._queue: list[Job] = []
        self._cv = threading.Condition()
        self._on_change = on_change
        self._thread = threading.Thread(target=self._work, name="scrm-jobs", daemon=True)
        self._thread.start()

    def submit(self, payload: dict[str, Any]) -> Job:
        job = Job(id=uuid.uuid4().hex[:12], payload=payload)
        with self._cv:
            self._jobs[job.id] = job
            self._queue.append(job)
            self._cv.notify()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def _work(self) -> None:
        worker_store = self._store.sibling()
        while True:
            with self._cv:
                while not self._queue:
                    self._cv.wait()
                job = self._queue.pop(0)
            job.status = "running"

            def report(message: str, job: Job = job) -> None:
                job.message = message

            try:
                job.result = execute(worker_store, job.payload, report)
                job.status = "completed"
            except Exception as exc:  # reported to the client, never raised in the server
                job.status = "failed"
                job.error = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
            if self._on_change is not None:
                self._on_change()


class JobRequest(BaseModel):
    kind: str
    source: str | None = None
    paths: list[str] | None = None
    rejects_dir: str | None = None
    batch_size: int | None = None
    force: bool = False
    options: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    accounts: list[str] | None = None
    settings: dict[str, str] | None = None
    link: dict[str, Any] | None = None
    customer_id: str | None = None
    account_key: str | None = None


router = APIRouter(prefix="/jobs", tags=["jobs"])


def _runner(request: Request) -> JobRunner:
    runner: JobRunner | None = getattr(request.app.state, "jobs", None)
    if runner is None:
        raise HTTPException(503, "this server does not accept write jobs (read-only)")
    return runner


@router.post("")
def submit_job(body: JobRequest, request: Request) -> dict[str, Any]:
    payload = {k: v for k, v in body.model_dump().items() if v is not None}
    return _runner(request).submit(payload).view()


@router.get("/{job_id}")
def job_status(job_id: str, request: Request) -> dict[str, Any]:
    job = _runner(request).get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return job.view()


def announce(db: Path, url: str) -> Path:
    path = server_file(db)
    path.write_text(json.dumps({"pid": os.getpid(), "url": url, "db": str(db.resolve())}))
    return path
