"""`scrm serve` understands what is handed to it: no one runs `scrm analyze`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from serving import scrm_env, start_serve

POSTS = """query { conversation(id: "twitter:901") { posts {
  postId language sentimentLabel intents { name cues } } } }"""


def _tweet(post_id: str, text: str, reply_to: str | None = None) -> dict[str, Any]:
    tweet: dict[str, Any] = {"id": post_id, "author_id": "7", "text": text,
                             "created_at": "2026-11-01T10:00:00.000Z",
                             "conversation_id": "901"}
    if reply_to:
        tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
    return tweet


def _posts(url: str) -> list[dict[str, Any]]:
    answer = httpx.post(url + "/graphql", json={"query": POSTS}, timeout=10).json()
    assert "errors" not in answer, answer
    conversation = answer["data"]["conversation"]
    return conversation["posts"] if conversation else []


def test_a_handed_off_file_is_understood_by_the_server(tmp_path: Path) -> None:
    db = tmp_path / "fresh.lbdb"
    env = {**scrm_env(db), "SCRM_UNDERSTAND_AFTER_SECONDS": "0.5"}
    server, url, _ = start_serve(db, env=env)
    try:
        new = tmp_path / "new.jsonl"
        new.write_text(json.dumps({"data": [
            _tweet("901", "My order never arrived and nobody answers, I want a refund"),
            _tweet("902", "How do I change the delivery address?", reply_to="901"),
            _tweet("903", "Je voudrais annuler mon abonnement", reply_to="901")],
            "includes": {"users": [{"id": "7", "username": "newfan"}]}}) + "\n")
        ingest = subprocess.run([sys.executable, "-m", "api.cli", "ingest", "twitter",
                                 str(new)], capture_output=True, text=True, env=env,
                                timeout=300)
        assert ingest.returncode == 0, ingest.stderr
        assert "sending the job there" in ingest.stderr
        deadline = time.monotonic() + 90  # bounded, with room for a loaded machine
        posts = _posts(url)
        while time.monotonic() < deadline and not (
                len(posts) == 3 and all(p["language"] for p in posts)):
            time.sleep(0.25)
            posts = _posts(url)
        by_id = {p["postId"].removeprefix("twitter:"): p for p in posts}
        assert set(by_id) == {"901", "902", "903"}, posts
        assert by_id["901"]["language"] == "en"
        assert "complaint" in {i["name"] for i in by_id["901"]["intents"]}
        assert "question" in {i["name"] for i in by_id["902"]["intents"]}
        # a language VADER cannot read is marked unscored, not scored as English
        assert (by_id["903"]["language"], by_id["903"]["sentimentLabel"]) == ("fr", "unscored")
        # no analysis ran: the server understood the posts on its own
        assert httpx.get(url + "/health", timeout=10).json()["latest_run_id"] is None
    finally:
        server.terminate()
        server.wait(timeout=30)
