"""Hand a write job to a running ``scrm serve`` instead of fighting it for the lock.

When the server has API keys on, the CLI sends ``SCRM_API_KEY`` (a write key) with every
request. Whatever goes wrong on the way (a refused key, a server that stops answering
mid-job) ends as one :class:`RuntimeError` line, which the CLI prints.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from api.jobs import server_file, spool_dir

__all__ = ["running_server", "stdin_to_file", "submit"]


def running_server(db: Path) -> str | None:
    """The URL of a live server that owns ``db``, if there is one."""
    path = server_file(db)
    try:
        info = json.loads(path.read_text())
        os.kill(int(info["pid"]), 0)
        httpx.get(info["url"] + "/health", timeout=2.0).raise_for_status()
        return str(info["url"])
    except (OSError, ValueError, KeyError, httpx.HTTPError):
        return None


def stdin_to_file() -> str:
    """The server reads files, so standard input is spooled to one first, in the spool
    folder the server reads (:func:`api.jobs.spool_dir`); the job deletes it at its end."""
    folder = spool_dir()
    folder.mkdir(mode=0o700, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="scrm-stdin-", suffix=".jsonl", dir=folder)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out)
    return name


def _headers() -> dict[str, str]:
    from graph.config import Settings

    key = Settings().api_key
    return {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The job a ``/jobs`` answer describes, or a RuntimeError saying what to do."""
    if response.status_code == 401:
        raise RuntimeError("the server needs an API key: set SCRM_API_KEY to a write key")
    if response.status_code == 403:
        detail = _message(response, "detail")  # e.g. a file outside the server's roots
        raise RuntimeError(detail or "SCRM_API_KEY may only read on this server; set it "
                           "to a write key")
    if response.status_code == 429:
        raise RuntimeError("the server is busy with this key's requests; try again in "
                           f"{response.headers.get('Retry-After', 'a few')} s")
    try:
        job: dict[str, Any] = response.json()
    except ValueError:
        job = {}
    if response.is_error or "status" not in job:
        raise RuntimeError(_message(response) or
                           f"the server answered {response.status_code}; see its log")
    return job


def _message(response: httpx.Response, *fields: str) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        text = next((body[f] for f in fields or ("detail", "error") if body.get(f)), "")
        return text if isinstance(text, str) else ""
    return ""


def submit(url: str, payload: dict[str, Any], show: Callable[[str], None]) -> dict[str, Any]:
    """Submit a job and follow it to the end; raise RuntimeError (one line) if it failed."""
    headers = _headers()
    try:
        try:
            job = _answer(httpx.post(url + "/jobs", json=payload, headers=headers,
                                     timeout=10.0))
            last = ""
            while job["status"] in ("queued", "running"):
                time.sleep(0.3)
                job = _answer(httpx.get(f"{url}/jobs/{job['id']}", headers=headers,
                                        timeout=10.0))
                if job.get("message") and job["message"] != last:
                    last = job["message"]
                    show(last)
        except httpx.HTTPError:
            raise RuntimeError(f"the server at {url} stopped answering; if it was stopped, "
                               "run the command again (without it, it runs here)") from None
    finally:
        spool = spool_dir().resolve()
        for name in payload.get("paths") or []:
            path = Path(name)
            if path.parent.resolve() == spool and path.name.startswith("scrm-stdin-"):
                path.unlink(missing_ok=True)
    if job["status"] != "completed":
        raise RuntimeError(job.get("error") or "the job failed")
    result: dict[str, Any] = job["result"]
    return result
