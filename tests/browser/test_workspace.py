"""The workspace in a real headless Chromium against `scrm serve` on the demo data: an
agent signs in and works the planted detractor's conversation with the mouse, then signs
in and works another with the keyboard alone; a viewer cannot act; axe-core on every page
(the sign-in page too); each step checked through GraphQL and the audit log.

``SCRM_UPDATE_SCREENSHOTS=1`` also copies the screenshots into docs/ for the README.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import httpx
import pytest
from browser_kit import ARTIFACTS, REPO, USERS, signed_in

CHECK = REPO / "tools" / "browser" / "workspace_check.mjs"
NOTE = "Refund issued for the double charge; checked with billing."
REPLY = "Sorry for the double charge, Gus: we have refunded it. DM us if anything else is off."
CASE = """query($id: ID!) { careCase(conversationId: $id) {
  status assignee notes { author text } conversation { posts { text author { isBrand } } }
  audit { actor action summary customerId } } }"""
CUSTOMER_AUDIT = """{ customer(id: "C00002") { audit { actor action conversationId } } }"""


def _graphql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    answer = httpx.post(url + "/graphql", json={"query": query, "variables": variables},
                        timeout=30).json()
    assert "errors" not in answer, answer
    data: dict[str, Any] = answer["data"]
    return data


@pytest.mark.slow
def test_an_agent_works_the_queue_in_the_browser(demo_server: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    env = {**os.environ, "AGENT_NAME": "ana", "AGENT_PASSWORD": USERS["ana"][1],
           "VIEWER_NAME": "vic", "VIEWER_PASSWORD": USERS["vic"][1],
           "ADMIN_NAME": "root", "ADMIN_PASSWORD": USERS["root"][1]}
    out = subprocess.run(["node", str(CHECK), demo_server, str(ARTIFACTS)],
                         capture_output=True, text=True, timeout=240, env=env)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["ok"], (result.get("error"), out.stderr[-2000:])
    steps = result["steps"]

    # the workspace asks who you are first; a wrong password is refused
    assert steps["signin_url"] == "/signin"
    assert "do not match" in steps["signin_refused"]
    assert steps["signed_in_as"].startswith("Signed in as ana")
    # then the inbox; the planted detractor (customer C00002 Gus Grimsby, @grumpygus
    # on Twitter and u/gus_grimsby on Reddit) is the most urgent, with why
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
    assert "ana assign: assigned to alice" in steps["audit_on_page"]
    assert "ana note: note: Refund issued" in steps["audit_on_page"]

    # ... and as GraphQL records them: every step under the signed-in user
    case = _graphql(demo_server, CASE, id=steps["conversation"])["careCase"]
    assert case["status"] == "RESOLVED" and case["assignee"] == "alice"
    assert {(n["author"], n["text"]) for n in case["notes"]} >= {("ana", NOTE),
                                                                 ("ana", "Refunded.")}
    assert any(p["text"] == REPLY and p["author"]["isBrand"]
               for p in case["conversation"]["posts"])
    audit = [(e["actor"], e["action"]) for e in case["audit"]]
    assert audit[:4] == [("ana", "resolve"), ("ana", "reply"), ("ana", "assign"),
                         ("ana", "note")]
    assert {e["customerId"] for e in case["audit"]} == {"C00002"}
    assert REPLY[:60] in case["audit"][1]["summary"]
    about_gus = _graphql(demo_server, CUSTOMER_AUDIT)["customer"]["audit"]
    assert {(e["actor"], e["action"], e["conversationId"]) for e in about_gus} >= {
        ("ana", action, steps["conversation"]) for action in ("note", "assign", "reply",
                                                              "resolve")}

    # a viewer sees the conversation without its forms, and a post is refused
    assert steps["viewer_forms"] == 0 and "may only look" in steps["viewer_hint"]
    assert steps["viewer_post"] == 403
    # an admin's Users page lists the demo's people and those made with scrm users
    assert {"admin", "agent", "ana", "vic", "root"} <= set(steps["users"])

    # the keyboard-only flow on the queue's top item
    assert steps["keyboard_status"] == "resolved"
    case = _graphql(demo_server, CASE, id=steps["keyboard_conversation"])["careCase"]
    assert case["status"] == "RESOLVED" and case["assignee"] == "bob"
    assert ("ana", "keyboard note") in {(n["author"], n["text"]) for n in case["notes"]}
    assert any(p["text"] == "keyboard reply" for p in case["conversation"]["posts"])
    assert {e["actor"] for e in case["audit"]} == {"ana"} and len(case["audit"]) >= 4

    assert steps["found"] == "Customer C00002 Gus Grimsby"  # "/" then a handle

    # the other pages
    assert "grumpygus" in steps["people_first"] and steps["charts"] == 6
    assert steps["network_nodes"] > 100

    # accessibility: no serious or critical violation on any page; nothing from outside
    assert set(result["axe"]) == {"signin", "inbox", "conversation", "people", "person",
                                  "dashboard", "network", "users"}
    assert {page: found for page, found in result["axe"].items() if found} == {}
    assert result["external"] == [] and not result.get("page_errors")

    if os.environ.get("SCRM_UPDATE_SCREENSHOTS"):
        for name in ("workspace-inbox", "workspace-conversation", "workspace-dashboard"):
            shutil.copy(ARTIFACTS / f"{name}.png", REPO / "docs" / f"{name}.png")


def test_people_export_is_csv(demo_server: str) -> None:
    assert httpx.get(demo_server + "/people.csv").status_code == 303  # sign in first
    browser = signed_in(demo_server, "vic")
    try:
        answer = browser.get("/people.csv", params={"kind": "detractor"})
    finally:
        browser.close()
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    header, first = answer.text.splitlines()[:2]
    assert header.startswith("rank,score,account") and "twitter:grumpygus" in first
