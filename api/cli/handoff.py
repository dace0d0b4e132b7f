"""Hand a write job to a running ``scrm serve`` instead of fighting it for the lock."""

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

from api.jobs import server_file

__all__ = ["running_server", "submit"]


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
    """The server reads files, so standard input is spooled to one first."""
    fd, name = tempfile.mkstemp(prefix="scrm-stdin-", suffix=".jsonl")
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out)
    return name


def submit(url: str, payload: dict[str, Any], show: Callable[[str], None]) -> dict[str, Any]:
    """Submit a job and follow it to the end; raise RuntimeError if it failed."""
    job = httpx.post(url + "/jobs", json=payload, timeout=10.0).json()
    last = ""
    while job["status"] in ("queued", "running"):
        time.sleep(0.3)
        job = httpx.get(f"{url}/jobs/{job['id']}", timeout=10.0).json()
        if job.get("message") and job["message"] != last:
            last = job["message"]
            show(last)
    if job["status"] != "completed":
        raise RuntimeError(job.get("error") or "the job failed")
    result: dict[str, Any] = job["result"]
    return result
