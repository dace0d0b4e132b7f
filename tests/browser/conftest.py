"""A demo database served by a real `scrm serve`, shared by the browser tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser_kit import USERS, browser_or_skip, free_port, scrm_env


@pytest.fixture(scope="session")
def demo_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database with the test users, built and analysed once for the session."""
    browser_or_skip()
    db = tmp_path_factory.mktemp("explore") / "demo.lbdb"
    subprocess.run([sys.executable, "-m", "api.cli", "demo", "--no-serve", "--db", str(db)],
                   check=True, capture_output=True, env=scrm_env(), timeout=600)
    for name, (role, password) in USERS.items():  # through the real CLI
        subprocess.run([sys.executable, "-m", "api.cli", "users", "add", name, "--role", role,
                        "--password-stdin", "--db", str(db)], input=password + "\n",
                       check=True, capture_output=True, text=True, env=scrm_env(), timeout=120)
    return db


@pytest.fixture(scope="module")
def demo_db(demo_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo database for one test file: what a file's pages do (resolve
    items, save replies, hand a post over) is not what the next file starts from (the
    collaboration check looks for a new post on the inbox's second page, which the
    workspace check's resolutions had moved to the first)."""
    folder = tmp_path_factory.mktemp("explore")
    for path in demo_built.parent.iterdir():
        if path.name.startswith(demo_built.name):
            copy = folder / path.name
            shutil.copytree(path, copy) if path.is_dir() else shutil.copy(path, copy)
    return folder / demo_built.name


@pytest.fixture(scope="module")
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


