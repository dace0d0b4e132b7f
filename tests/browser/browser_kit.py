"""Helpers of the browser tests: where Chromium and the Node driver are, a server's environment."""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# the workspace's people in the browser tests: name -> (role, password)
USERS = {"ana": ("agent", "ana's browser password"), "vic": ("viewer", "vic's browser password"),
         "root": ("admin", "root's browser password")}


def signed_in(url: str, name: str) -> httpx.Client:
    """An HTTP client signed in to the workspace at ``url`` as one of :data:`USERS`."""
    client = httpx.Client(base_url=url, timeout=30)
    form = client.get("/signin").text
    csrf = re.search(r'name="csrf" value="([^"]*)"', form)
    assert csrf is not None, form[:300]
    answer = client.post("/signin", data={"name": name, "password": USERS[name][1],
                                          "csrf": csrf.group(1), "next": "/inbox"})
    assert answer.status_code == 303, answer.text[:300]
    return client


def browser_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed: apt-get install chromium (make test does this "
                    "as root)")
    if shutil.which("node") is None:
        pytest.skip("node not installed: the browser driver is playwright-core on Node")
    if not (REPO / "tools" / "browser" / "node_modules" / "playwright-core").is_dir():
        pytest.skip("tools/browser/node_modules missing: run 'npm ci --prefix tools/browser'")


def scrm_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SCRM_NEO4J_URI", None)
    return env


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
