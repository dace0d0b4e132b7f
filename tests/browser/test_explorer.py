"""The network explorer in a real headless Chromium, against a real `scrm serve`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from browser_kit import ARTIFACTS, REPO, scrm_env

CHECK = REPO / "tools" / "browser" / "explorer_check.mjs"


def _check(url: str, shot: Path, *extra: str) -> dict:
    ARTIFACTS.mkdir(exist_ok=True)
    out = subprocess.run(["node", str(CHECK), url, str(shot), *extra], capture_output=True,
                         text=True, timeout=180)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["ok"], result.get("error")
    return result


@pytest.mark.slow
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
    assert result["in_view"] == result["nodes"] and result["still"]  # settled and fitted
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
    members = {n["community"]: n["members"] for n in small["nodes"]}
    if max(members.values()) > 150:  # the demo's largest community has 156 members
        result = _check(demo_server + "/explore?limit=50", ARTIFACTS / "explorer-large.png",
                        "--largest")
        assert result["expanded_nodes"] == 150 and "show all" in result["more"]
        assert result["all_nodes"] == max(members.values())


@pytest.mark.slow
def test_static_export_opens_from_disk_with_no_server(tmp_path: Path, demo_db: Path,
                                                      demo_server: str) -> None:
    # read-only beside the running server, as an analyst would
    html_file = tmp_path / "net.html"
    subprocess.run([sys.executable, "-m", "api.cli", "viz", "--db", str(demo_db), "--center",
                    "twitter:grumpygus", "-o", str(html_file)], check=True, env=scrm_env(),
                   capture_output=True, timeout=300)
    text = html_file.read_text()
    assert "cdn.jsdelivr" not in text and 'src="http' not in text
    result = _check(html_file.as_uri(), ARTIFACTS / "explorer-static.png", "--static")
    assert result["nodes"] > 5 and result["drawn"] == result["nodes"]
    assert result["external_requests"] == []
    assert result["title_count"] == 1 and text.count("<h1") == 1  # the title once
    assert result["big_labels"] >= 5  # readable labels at the fitted zoom
    assert result["in_view"] == result["nodes"] and result["still"]


def test_whole_network_settles_inside_the_screen(demo_server: str) -> None:
    whole = httpx.get(demo_server + "/explore/data").json()
    result = _check(demo_server + "/explore", ARTIFACTS / "explorer-whole.png", "--no-click")
    assert result["nodes"] == len(whole["nodes"])
    assert result["in_view"] == result["nodes"] and result["still"]


def test_account_card_says_why(demo_server: str) -> None:
    card = httpx.get(demo_server + "/explore/account/twitter:grumpygus").json()
    assert card["why"]["detractor"] and all(len(f) == 2 for f in card["why"]["detractor"])
