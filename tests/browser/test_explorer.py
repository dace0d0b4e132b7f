"""The network explorer in a real headless Chromium, against a real `scrm serve`."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
CHECK = REPO / "tools" / "browser" / "explorer_check.mjs"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _browser_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed: apt-get install chromium (make test does this "
                    "as root)")
    if shutil.which("node") is None:
        pytest.skip("node not installed: the browser driver is playwright-core on Node")
    if not (REPO / "tools" / "browser" / "node_modules" / "playwright-core").is_dir():
        pytest.skip("tools/browser/node_modules missing: run 'npm ci --prefix tools/browser'")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SCRM_NEO4J_URI", None)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _browser_or_skip()
    db = tmp_path_factory.mktemp("explore") / "demo.lbdb"
    subprocess.run([sys.executable, "-m", "api.cli", "demo", "--no-serve", "--db", str(db)],
                   check=True, capture_output=True, env=_env(), timeout=600)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--db", str(db),
                             "--port", str(port)], env=_env(), stdout=subprocess.PIPE,
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


def _check(url: str, shot: Path, *extra: str) -> dict:
    ARTIFACTS.mkdir(exist_ok=True)
    out = subprocess.run(["node", str(CHECK), url, str(shot), *extra], capture_output=True,
                         text=True, timeout=180)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["ok"], result.get("error")
    return result


def test_explorer_draws_what_the_data_endpoint_returns(demo_server: str) -> None:
    data = httpx.get(demo_server + "/explore/data", params={"center": "twitter:danarides",
                                                            "depth": 1}).json()
    assert data["nodes"] and data["edges"] and not data["aggregated"]
    result = _check(demo_server + "/explore?center=twitter:danarides&depth=1",
                    ARTIFACTS / "explorer-dana.png")
    assert result["nodes"] == len(data["nodes"]) == result["drawn"]
    assert result["edges"] == len(data["edges"])
    assert f"@{result['clicked']}" in result["tooltip"]
    assert "advocate" in result["tooltip"] and "influencer" in result["tooltip"]
    assert result["external_requests"] == []  # nothing from a CDN
    assert (ARTIFACTS / "explorer-dana.png").stat().st_size > 10_000


def test_large_selection_shows_communities_that_expand(demo_server: str) -> None:
    whole = httpx.get(demo_server + "/explore/data").json()
    small = httpx.get(demo_server + "/explore/data", params={"limit": 50}).json()
    assert small["aggregated"] and {n["kind"] for n in small["nodes"]} == {"community"}
    assert sum(n["members"] for n in small["nodes"]) == whole["total_nodes"]
    first = small["nodes"][0]["community"]
    opened = httpx.get(demo_server + "/explore/data", params={"limit": 50,
                                                              "expand": first}).json()
    assert not opened["aggregated"]
    assert {n["community"] for n in opened["nodes"]} == {first}
    result = _check(demo_server + "/explore?limit=50", ARTIFACTS / "explorer-communities.png")
    assert result["nodes"] == len(small["nodes"])
    assert result["expanded_nodes"] > 0  # the click opened the community in place


def test_static_export_opens_from_disk_with_no_server(tmp_path: Path) -> None:
    _browser_or_skip()
    demo_db = tmp_path / "export.lbdb"
    html_file = tmp_path / "net.html"
    subprocess.run([sys.executable, "-m", "api.cli", "demo", "--no-serve", "--db",
                    str(demo_db)], check=True, capture_output=True, env=_env(), timeout=600)
    subprocess.run([sys.executable, "-m", "api.cli", "viz", "--db", str(demo_db), "--center",
                    "twitter:grumpygus", "-o", str(html_file)], check=True, env=_env(),
                   capture_output=True, timeout=300)
    text = html_file.read_text()
    assert "cdn.jsdelivr" not in text and 'src="http' not in text
    result = _check(html_file.as_uri(), ARTIFACTS / "explorer-static.png", "--static")
    assert result["nodes"] > 5 and result["drawn"] == result["nodes"]
    assert result["external_requests"] == []
