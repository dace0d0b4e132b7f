"""Write jobs (ingest, analyze, brand) and how a running server takes them.

Only one process may write an embedded database, so while ``scrm serve`` runs it
is the writer: the CLI sends its job here (``POST /jobs``) and follows its
progress (``GET /jobs/{id}``, :mod:`api.job_routes`). The same :func:`execute` runs a
job in the CLI when no server is running, so both paths behave identically. This module
imports no web framework: every CLI write command imports it (FastAPI and GraphQL cost
~0.4 s of CPU per process).
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.config import Settings
from graph.erasure import ErasureReport
from graph.errors import Failure, ScrmError
from graph.store import GraphStore, StoreError

__all__ = ["JobError", "JobRunner", "execute", "ingest_roots", "job_error", "loaded_posts",
           "server_file", "spool_dir"]

Report = Callable[[str], None]


def server_file(db: Path) -> Path:
    """Where a running server announces itself for this database."""
    return db.parent / (db.name + ".server.json")


BRAND_SETTINGS = "brand."


class JobError(StoreError):
    """A job that cannot run as asked (a malformed handle, a setting it may not change).

    A :class:`graph.store.StoreError`, so the CLI, which runs the same jobs when no
    server does, prints it as one line like the store's own refusals."""


def spool_dir() -> Path:
    """Where the CLI spools standard input for a server to read (one folder per user)."""
    return Path(tempfile.gettempdir()) / f"scrm-spool-{os.getuid()}"


def ingest_roots(settings: Settings) -> list[Path]:
    """The folders a ``POST /jobs`` ingest may read: ``SCRM_INGEST_ROOTS`` (default: the
    server's working directory and the database's folder), and the spool folder when it
    is this user's own (a folder another user made, or a link, is never a root)."""
    spec = settings.ingest_roots.replace(",", os.pathsep)
    roots = [Path(p).expanduser() for p in spec.split(os.pathsep) if p.strip()]
    if not roots:
        roots = [Path.cwd(), settings.db.parent]
    spool = spool_dir()
    try:
        info = os.lstat(spool)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
            roots.append(spool)
    except OSError:
        pass
    return [root.resolve() for root in roots]


def _outside_roots(paths: list[str], roots: list[Path]) -> str | None:
    for name in paths:
        target = Path(name)
        if not target.is_absolute():
            return name
        resolved = target.resolve()
        if not any(resolved.is_relative_to(root) for root in roots):
            return name
    return None


def _delete_spooled(paths: list[str]) -> None:
    spool = spool_dir().resolve()
    for name in paths:
        target = Path(name)
        if target.parent.resolve() == spool and target.name.startswith("scrm-stdin-"):
            target.unlink(missing_ok=True)


def job_error(exc: BaseException) -> str:
    """What a client is told about a failed job: its message for errors about the
    request or its files, never a type name or a stack."""
    if isinstance(exc, (ValueError, LookupError, OSError, StoreError, ScrmError)) \
            and not isinstance(exc, KeyError):
        text = str(exc.strerror + (f": {exc.filename}" if exc.filename else "")
                   if isinstance(exc, OSError) and exc.strerror else exc)
        if text:
            return text
    if isinstance(exc, KeyError):
        return f"the job is missing {exc.args[0]!r}; see POST /jobs in the README"
    return "the job failed on the server; its log says why"


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
    if kind == "understand":
        # the cheap incremental step between analyses: language, sentiment and intents
        # of the posts that have none yet (new posts), as ``scrm analyze`` does first
        from analytics.job import understand_posts

        limit = int(payload.get("limit") or 0) or None
        model, understood = understand_posts(store, limit=limit)
        report(f"understood {understood:,} posts ({model})")
        return {"understood": understood, "sentiment_model": model,
                "more": limit is not None and understood >= limit,
                "changed": understood > 0}
    if kind == "identities":
        return resolve_identities(store, **(payload.get("params") or {}))
    if kind == "brand":
        brand_settings = payload.get("settings") or {}
        others = sorted(k for k in brand_settings if not k.startswith(BRAND_SETTINGS))
        if others:  # above all privacy.salt: a new salt would let an erased person back in
            raise JobError(f"a brand job sets only brand.* settings, not {others[0]}")
        n = store.set_brand(payload["accounts"], brand_settings)
        return {"brand_accounts": n}
    if kind == "link":
        from graph.model import OwnsLink

        fields = dict(payload["link"])
        key = _checked(str(fields.get("platform", "")), str(fields.get("handle", "")))
        fields["platform"], fields["handle"] = key.split(":", 1)
        link = OwnsLink(**fields)
        if store.get_customer(link.customer_id) is None:
            raise JobError(f"no customer {link.customer_id}")
        if store.get_account(key) is None:
            raise JobError(f"no account {key} is stored; ingest its posts first")
        store.link_account(link)
        store.record_decision(link.customer_id, link.account_key, "link")
        _audit(store, payload, "link", f"linked {key}", link.customer_id)
        return {"linked": True}
    if kind == "unlink":
        platform, _, handle = str(payload["account_key"]).partition(":")
        _checked(platform, handle)
        removed = store.unlink_account(payload["customer_id"], payload["account_key"])
        store.record_decision(payload["customer_id"], payload["account_key"], "reject")
        if removed:
            _audit(store, payload, "unlink", f"unlinked {payload['account_key']}",
                   payload["customer_id"])
        return {"unlinked": removed}
    if kind == "forget":
        from api.network import NETWORK_CACHE
        erased = erase(store, payload["customer_id"])
        if erased is None:
            raise ValueError(f"no customer {payload['customer_id']}")
        _audit(store, payload, "forget", "erased the customer's personal data",
               payload["customer_id"])
        NETWORK_CACHE.clear()
        return erased.as_dict()
    if kind == "purge":
        return {"compacted": store.compact()}
    if kind == "webhook":
        return _webhook_job(store, payload)
    if kind == "outbox":
        return _outbox_job(store, payload, report)
    if kind == "monitor":
        return run_monitor_round(store, int(payload.get("max_pages") or 5), report,
                                 due_only=bool(payload.get("due_only")))
    raise ValueError(f"unknown job kind {kind!r}")


def erase(store: GraphStore, customer_id: str) -> ErasureReport | None:
    """The whole erasure of a customer (``forget`` jobs and ``forgetCustomer``): the store,
    its rejects folders, files beside it and the sentiment model it keeps."""
    from analytics.job import sentiment_model_path
    from graph.erasure import erase_customer, rejects_folders

    embedded = store.backend == "embedded"
    return erase_customer(
        store, customer_id, rejects_dirs=rejects_folders(store.location if embedded else None),
        model_path=sentiment_model_path(store.location) if embedded else None)


def _audit(store: GraphStore, payload: dict[str, Any], action: str, summary: str,
           customer_id: str) -> None:
    """Record a job's change under the key that submitted it (``actor``, set by the server,
    never by the client), or ``cli`` when the CLI ran it on the database itself."""
    store.add_audit(str(payload.get("actor") or "cli"), action, summary,
                    customer_id=customer_id)


def _webhook_job(store: GraphStore, payload: dict[str, Any]) -> dict[str, Any]:
    """Save or remove a webhook subscription (``scrm webhooks add/remove``)."""
    from api.webhooks import StoreWebhooks, Subscription, WebhookError, check_url
    from graph.config import get_settings

    hooks = StoreWebhooks(store)
    fields = dict(payload["webhook"])
    if payload.get("action") == "remove":
        return {"removed": hooks.unsubscribe(str(fields["id"]))}
    if payload.get("action") != "save":
        raise JobError("a webhook job saves or removes a subscription")
    sub = Subscription(**fields)
    try:  # the server checks too: its own settings say whether private receivers may be
        check_url(sub.url, allow_private=get_settings().webhook_allow_private)
    except WebhookError as exc:
        raise JobError(str(exc)) from None
    hooks.save(sub)
    return {"saved": sub.id}


def _outbox_job(store: GraphStore, payload: dict[str, Any], report: Report
                ) -> dict[str, Any]:
    """A round of the outbox (``scrm serve``'s background work, ``scrm outbox send``), or
    one item queued again (``scrm outbox retry``)."""
    from graph.config import get_settings
    from ingest.outbox import retry_item, run_outbox

    if payload.get("action") == "retry":
        try:
            item = retry_item(store, str(payload["outbox_key"]))
        except (LookupError, ValueError) as exc:
            raise JobError(str(exc.args[0])) from None
        return {"queued": item.key}
    return run_outbox(store, get_settings(), report=report)


def run_monitor_round(store: GraphStore, max_pages: int, report: Report, *,
                      due_only: bool = False, skip: Collection[str] = ()) -> dict[str, Any]:
    """Poll every enabled monitor once into ``store`` (the ``monitor`` job: ``scrm monitor
    run`` beside a server hands each round over this way), scoring new posts' sentiment;
    ``skip``: monitors the server follows as streams (:mod:`api.streams`)."""
    from analytics.arrivals import ArrivalSentiment
    from graph.config import get_settings
    from ingest.connectors.runner import run_monitors
    from ingest.connectors.state import MonitorFile

    settings = get_settings()
    outcomes: list[dict[str, Any]] = []

    def note(outcome: Any) -> None:
        outcomes.append({"monitor": outcome.monitor_id, "read": outcome.read,
                         "loaded": outcome.loaded, "rejected": outcome.rejected,
                         "error": outcome.error})
        report(f"{outcome.monitor_id}: " + (outcome.error or f"{outcome.loaded} loaded"))

    polls = run_monitors(store, MonitorFile.beside(settings.db),
                         settings=settings.model_dump(),
                         rejects_dir=settings.resolved_rejects_dir(), once=True,
                         timeout=settings.monitor_timeout, report=note, max_pages=max_pages,
                         prepare=ArrivalSentiment(store.location), due_only=due_only,
                         skip=skip)
    return {"polls": polls, "monitors": outcomes,
            "changed": any(o["loaded"] for o in outcomes)}


def _checked(platform: str, handle: str) -> str:
    from ingest.identity import check_account

    try:
        return check_account(platform, handle)
    except ValueError as exc:
        raise JobError(str(exc)) from None


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
    # submitted by the server itself (monitor rounds, streams, events checks, scheduled
    # understanding), not by a client waiting to read what it wrote
    background: bool = False
    #: set once it has ended and its change was published
    done: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.payload.get("kind"), "status": self.status,
                "message": self.message, "result": self.result, "error": self.error}


def loaded_posts(payload: dict[str, Any], result: dict[str, Any] | None) -> bool:
    """Whether a completed job wrote posts that need understanding: an ingest that
    created posts, or a monitor round that loaded some."""
    if not result:
        return False
    kind = payload.get("kind")
    if kind == "ingest":
        return any((f.get("created") or {}).get("posts", 0) for f in result.get("files") or ())
    if kind == "monitor":
        return bool(result.get("changed"))
    return False


class JobRunner:
    """Runs write jobs one at a time on a worker thread with its own store handle.

    With ``understand_after`` > 0 the runner also understands new posts by itself
    (language, sentiment, intents: the ``understand`` job, at most ``understand_limit``
    posts a time, 0 for all): after an ingest or monitor round that wrote posts, once no
    other such job has finished for ``understand_after`` seconds, and while they keep
    finishing at the latest ``STREAM_FACTOR`` times that after the first one waiting,
    so a busy stream is understood every so often, not after every batch. It runs on
    the job thread like every write; read processes only see its result.
    """

    #: how many quiet periods a busy stream's new posts wait at most
    STREAM_FACTOR = 10.0
    #: finished jobs kept for ``GET /jobs/{id}``: a client's, and the server's own
    #: (a stream's batches, events checks: several a second, never asked for by id)
    KEPT_FINISHED = 1000
    KEPT_FINISHED_BACKGROUND = 100

    def __init__(self, store: GraphStore, on_change: Callable[..., None] | None = None, *,
                 on_background_change: Callable[..., None] | None = None,
                 understand_after: float = 0.0, understand_limit: int = 0) -> None:
        #: job kinds this server runs itself (``events``), before :func:`execute`'s own
        self.handlers: dict[str, Callable[[GraphStore, dict[str, Any], Report],
                                          dict[str, Any]]] = {}
        self._store = store
        self._jobs: dict[str, Job] = {}
        self._queue: list[Job] = []
        self._cv = threading.Condition()
        self._on_change = on_change
        # a background job's change (default: as any other); with read processes, the
        # server publishes those at a bounded pace (api.readers.GenerationPublisher)
        self._on_background_change = on_background_change
        self.understand_after = understand_after
        self.understand_limit = understand_limit
        # monotonic times of the first and the latest write waiting to be understood
        self._waiting: tuple[float, float] | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="scrm-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Start no more jobs; wait up to ``timeout`` s for the one running (the server
        is stopping: its store must not close under a job). Whether it ended."""
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def submit(self, payload: dict[str, Any], *, background: bool = False) -> Job:
        job = Job(id=uuid.uuid4().hex[:12], payload=payload, background=background)
        with self._cv:
            self._jobs[job.id] = job
            self._queue.append(job)
            self._cv.notify()
        return job

    def run(self, payload: dict[str, Any], stopping: threading.Event) -> Job:
        """Run one of the server's own jobs and wait until it has ended (or ``stopping``
        is set: the server is stopping and will not wait for it)."""
        job = self.submit(payload, background=True)
        while not job.done.wait(0.1) and not stopping.is_set():
            pass
        return job

    def committed(self, *, background: bool = True) -> None:
        """Tell what a finished job's change tells (the read cache, read processes) of a
        write a job committed before it ends: a stream job's first part, the posts the
        care queue waits for, is shown before the rest of its batch is written."""
        self._publish(background, None, "a job")

    def _publish(self, background: bool, touched: Any, who: str) -> None:
        """Tell the readers of a change (a background job's through its own publisher):
        ``touched``, what it wrote (api.auth.EVERYTHING), when it says; else anything."""
        publish = (self._on_background_change if background
                   and self._on_background_change is not None else self._on_change)
        if publish is None:
            return
        try:
            publish(*(() if touched is None else (frozenset(touched),)))
        except OSError as exc:  # e.g. a full disk: the worker must live on
            print(f"{who}: could not publish the change: {exc}", file=sys.stderr, flush=True)

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def _understand_due(self) -> float | None:
        """When the scheduled ``understand`` job is due (monotonic), None if none is."""
        if self._waiting is None or self.understand_after <= 0:
            return None
        first, last = self._waiting
        return min(last + self.understand_after,
                   first + self.STREAM_FACTOR * self.understand_after)

    def _next(self) -> Job | None:
        """The next job: the scheduled ``understand`` when it is due, else the queue's;
        None once stopping."""
        with self._cv:
            while True:
                if self._stopping:
                    return None
                due = self._understand_due()
                if due is not None and due <= time.monotonic():
                    self._waiting = None
                    payload = {"kind": "understand", "limit": self.understand_limit,
                               "actor": "scrm serve"}
                    job = Job(id=uuid.uuid4().hex[:12], payload=payload, background=True)
                    self._jobs[job.id] = job
                    return job
                if self._queue:
                    return self._queue.pop(0)
                self._cv.wait(None if due is None else max(0.01, due - time.monotonic()))

    def _schedule(self, job: Job) -> None:
        """After ``job``: new posts to understand, or more than one understand job took."""
        more = job.payload.get("kind") == "understand" and bool((job.result or {}).get("more"))
        if self.understand_after <= 0 or not (more or loaded_posts(job.payload, job.result)):
            return
        now = time.monotonic()
        with self._cv:
            self._waiting = (now if self._waiting is None else self._waiting[0], now)
            self._cv.notify()

    def _work(self) -> None:
        worker_store = self._store.sibling()
        while True:
            job = self._next()
            if job is None:
                worker_store.close()
                return
            job.status = "running"

            def report(message: str, job: Job = job) -> None:
                job.message = message

            try:
                handler = self.handlers.get(str(job.payload.get("kind")))
                job.result = (handler or execute)(worker_store, job.payload, report)
                job.status = "completed"
            except Exception as exc:  # reported to the client, never raised in the server
                job.status = "failed"
                job.error = job_error(exc)
                if isinstance(exc, ScrmError):  # said in words already: one line
                    print(f"job {job.id} failed: {job.error}", file=sys.stderr, flush=True)
                else:
                    traceback.print_exc()
            finally:
                _delete_spooled(list(job.payload.get("paths") or []))
            if job.status == "completed":
                self._schedule(job)
            # a job that says it changed nothing (an events check that found none) does
            # not make read processes reopen the database
            if (job.result or {}).get("changed", True):
                self._publish(job.background, (job.result or {}).get("touched"),
                              f"job {job.id}")
            job.done.set()
            self._forget_finished()

    def _forget_finished(self) -> None:
        """Drop the oldest finished jobs past what is kept (they were kept for ever: a
        stream's jobs alone grew the table by hundreds of thousands a day)."""
        with self._cv:
            for background, kept in ((False, self.KEPT_FINISHED),
                                     (True, self.KEPT_FINISHED_BACKGROUND)):
                finished = [k for k, j in self._jobs.items() if j.background == background
                            and j.status in ("completed", "failed")]
                for key in finished[:max(0, len(finished) - kept)]:
                    del self._jobs[key]


def announce(db: Path, url: str) -> Path:
    """Write ``<db>.server.json`` naming this server, whole or not at all: a temporary
    file beside it, flushed to disk, then renamed into place (a full disk used to leave
    a 0-byte file that sent the CLI nowhere). A failure removes both and is a
    :class:`Failure`."""
    path = server_file(db)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    text = json.dumps({"pid": os.getpid(), "url": url, "db": str(db.resolve())})
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        raise Failure(f"cannot write {path} ({exc.strerror or exc}): the CLI finds the "
                      "server through it; free some space beside the database and start "
                      "'scrm serve' again") from None
    return path
