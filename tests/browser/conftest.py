"""A demo database served by a real `scrm serve`, shared by the browser tests."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser_kit import USERS, browser_or_skip, free_port, scrm_env


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database, built and analysed once for the whole session."""
    browser_or_skip()
    db = tmp_path_factory.mktemp("explore") / "demo.lbdb"
    subprocess.run([sys.executable, "-m", "api.cli", "demo", "--no-serve", "--db", str(db)],
                   check=True, capture_output=True, env=scrm_env(), timeout=600)
    for name, (role, password) in USERS.items():  # through the real CLI
        subprocess.run([sys.executable, "-m", "api.cli", "users", "add", name, "--role", role,
                        "--password-stdin", "--db", str(db)], input=password + "\n",
                       check=True, capture_output=True, text=True, env=scrm_env(), timeout=120)
    return db


@pytest.fixture(scope="session")
def demo_server(demo_db: Path) -> Iterator[str]:
    """``scrm serve`` on the demo database (the writer: the pages' actions work)."""
    db = demo_db
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--db", str(db),
                             "--port", str(port)], env=scrm_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError("scrm serve did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


