"""Helpers of the security tests (keys, a real `scrm serve` with extra environment)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

READ_KEY, WRITE_KEY = "reader-key-123", "writer-key-456"
KEYS = f"{READ_KEY}:read,{WRITE_KEY}:write"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def start_scrm_serve(db: Path, *args: str, env: dict[str, str] | None = None,
                     ) -> tuple[Any, str]:
    """A real ``scrm serve`` on a free port with extra environment: its process and URL."""
    import socket
    import subprocess
    import time

    import httpx
    from serving import as_from_a_terminal, scrm_env

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port),
                               *args], env={**scrm_env(db), **(env or {})},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              preexec_fn=as_from_a_terminal)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/health", timeout=1).raise_for_status()
            return server, url
        except httpx.HTTPError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.kill()
    raise AssertionError(f"scrm serve did not start: {server.communicate()[0][-2000:]}")


def stop(server: Any) -> None:
    """End a server started by :func:`start_scrm_serve` (its readers follow it)."""
    import signal

    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except Exception:
        server.kill()
        server.wait(timeout=30)
