"""Starting a real `scrm serve` for the CLI tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def scrm_env(db: Path) -> dict[str, str]:
    """The environment of a scrm command on the embedded database ``db``."""
    env = {**os.environ, "SCRM_DB": str(db)}
    env.pop("SCRM_NEO4J_URI", None)
    return env


def as_from_a_terminal() -> None:
    """``preexec_fn`` of a command a test stops with SIGINT, as Ctrl-C in a terminal:
    SIGINT delivered and not ignored, whatever signal state the test's process passes on
    (a child inherits blocked and ignored signals; `scrm monitor run` once ran on for a
    minute after a SIGINT in a full run, never alone)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def signal_state(pid: int) -> str:
    """The process's blocked, ignored and caught signals (for a failure's message)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError as exc:
        return f"no /proc status: {exc}"
    return " ".join(line for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


def start_serve(db: Path, *args: str, env: dict[str, str] | None = None
                ) -> tuple[subprocess.Popen[str], str, dict[str, Any]]:
    """`scrm serve` on a free port: the process, its URL and its first /health answer
    (``env``: the whole environment, ``scrm_env(db)`` unless given)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port),
                               *args], env=env or scrm_env(db), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              preexec_fn=as_from_a_terminal)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            health: dict[str, Any] = httpx.get(url + "/health", timeout=1).json()
            return server, url, health
        except httpx.HTTPError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.kill()
    raise AssertionError(f"scrm serve {' '.join(args)} did not start: "
                         f"{server.communicate()[0][-2000:]}")
