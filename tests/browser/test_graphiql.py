"""GraphiQL renders with no internet: every script comes from the package."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest
from browser_kit import ARTIFACTS, REPO

CHECK = REPO / "tools" / "browser" / "graphiql_check.mjs"


@pytest.mark.slow
def test_graphiql_page_names_only_bundled_files(demo_server: str) -> None:
    page = httpx.get(demo_server + "/graphql", headers={"Accept": "text/html"}).text
    assert "unpkg.com" not in page and "/explore/static/graphiql/graphiql.min.js" in page
    script = httpx.get(demo_server + "/explore/static/graphiql/graphiql.min.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert httpx.get(demo_server + "/explore/static/../app.py").status_code == 404


def test_graphiql_renders_offline(demo_server: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot: Path = ARTIFACTS / "graphiql-offline.png"
    out = subprocess.run(["node", str(CHECK), demo_server + "/graphql", str(shot)],
                         capture_output=True, text=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["ok"], result.get("error")
    assert not result["loading_left"] and result["schema_loaded"]
