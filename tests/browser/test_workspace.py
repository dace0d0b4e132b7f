"""The workspace in a real headless Chromium against `scrm serve` on the demo data: an
agent works the planted detractor's conversation with the mouse, then another with the
keyboard alone; axe-core on every page; each step checked through GraphQL.

``SCRM_UPDATE_SCREENSHOTS=1`` also copies the screenshots into docs/ for the README.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import httpx
from browser_kit import ARTIFACTS, REPO

CHECK = REPO / "tools" / "browser" / "workspace_check.mjs"
NOTE = "Refund issued for the double charge; checked with billing."
REPLY = "Sorry for the double charge, Gus: we have refunded it. DM us if anything else is off."
CASE = """query($id: ID!) { careCase(conversationId: $id) {
  status assignee notes { author text } conversation { posts { text author { isBrand } } } } }"""


def _graphql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    answer = httpx.post(url + "/graphql", json={"query": query, "variables": variables},
                        timeout=30).json()
    assert "errors" not in answer, answer
    data: dict[str, Any] = answer["data"]
    return data


def test_an_agent_works_the_queue_in_the_browser(demo_server: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    out = subprocess.run(["node", str(CHECK), demo_server, str(ARTIFACTS)],
                         capture_output=True, text=True, timeout=240)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["ok"], (result.get("error"), out.stderr[-2000:])
    steps = result["steps"]

    # the inbox opens first; the planted detractor (customer C00002 Gus Grimsby, @grumpygus
    # on Twitter and u/gus_grimsby on Reddit) is the most urgent, with why
    assert steps["inbox_url"] == "/inbox"
    assert "C00002" in steps["top"] and "why:" in steps["top"]
    assert "negative sentiment" in steps["top"] and "customer value" in steps["top"]
    assert steps["top_twitter"].startswith("@grumpygus")
    # the conversation: the thread with sentiment per post, and the 360° beside it
    assert steps["thread_posts"] >= 1 and steps["thread_sentiment"] >= 1
    assert "Customer C00002 Gus Grimsby" in steps["profile"]
    assert "twitter:@grumpygus" in steps["profile"] and "link confidence" in steps["profile"]
    assert steps["purchases"] >= 1 and steps["reasons"] >= 3
    assert "detractor because" in steps["profile"]
    # the actions, as the page showed them
    assert steps["status_before_resolve"] == "assigned" and steps["status_after"] == "resolved"
    assert NOTE in steps["notes_after"] and REPLY in steps["thread_after"]

    # ... and as GraphQL records them
    case = _graphql(demo_server, CASE, id=steps["conversation"])["careCase"]
    assert case["status"] == "RESOLVED" and case["assignee"] == "alice"
    assert {(n["author"], n["text"]) for n in case["notes"]} >= {("agent", NOTE),
                                                                 ("agent", "Refunded.")}
    assert any(p["text"] == REPLY and p["author"]["isBrand"]
               for p in case["conversation"]["posts"])

    # the keyboard-only flow on the queue's top item
    assert steps["keyboard_status"] == "resolved"
    case = _graphql(demo_server, CASE, id=steps["keyboard_conversation"])["careCase"]
    assert case["status"] == "RESOLVED" and case["assignee"] == "bob"
    assert ("agent", "keyboard note") in {(n["author"], n["text"]) for n in case["notes"]}
    assert any(p["text"] == "keyboard reply" for p in case["conversation"]["posts"])

    assert steps["found"] == "Customer C00002 Gus Grimsby"  # "/" then a handle

    # the other pages
    assert "grumpygus" in steps["people_first"] and steps["charts"] == 6
    assert steps["network_nodes"] > 100

    # accessibility: no serious or critical violation on any page; nothing from outside
    assert set(result["axe"]) == {"inbox", "conversation", "people", "person", "dashboard",
                                  "network"}
    assert {page: found for page, found in result["axe"].items() if found} == {}
    assert result["external"] == [] and not result.get("page_errors")

    if os.environ.get("SCRM_UPDATE_SCREENSHOTS"):
        for name in ("workspace-inbox", "workspace-conversation", "workspace-dashboard"):
            shutil.copy(ARTIFACTS / f"{name}.png", REPO / "docs" / f"{name}.png")


def test_people_export_is_csv(demo_server: str) -> None:
    answer = httpx.get(demo_server + "/people.csv", params={"kind": "detractor"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    header, first = answer.text.splitlines()[:2]
    assert header.startswith("rank,score,account") and "twitter:grumpygus" in first
