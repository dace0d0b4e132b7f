"""The dashboard keeps its metrics through care actions and recomputes them after new
content (showing the previous figures, marked as updating, meanwhile), over real HTTP on
the real embedded store; its care figures are the whole queue's counts per team."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from api_testkit import CountingStore, LiveServer, sign_in

from api.passwords import hash_password
from graph.config import Settings
from graph.embedded import EmbeddedStore

PASSWORD = "ana's long password"
NOTE = """mutation($id: ID!) { addNote(conversationId: $id, text: "seen it") { id } }"""
ASSIGN = """mutation($id: ID!) { assignConversation(conversationId: $id, assignee: "ana")
  { status } }"""
QUEUE = """query($after: String) { careQueue(first: 100, after: $after) {
  total edges { node { conversationId team } } pageInfo { hasNextPage endCursor } } }"""


def _sign_in(client: httpx.Client) -> None:
    answer = sign_in(client, "ana", PASSWORD, "/dashboard")
    assert answer.status_code in (200, 303), answer.text


def _numbers(html: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)", html))


def _count(figure: str) -> int:
    return int(figure.replace(",", ""))


def _ok(live: LiveServer, query: str, **variables: Any) -> dict[str, Any]:
    answer = live.graphql(query, variables)
    assert "errors" not in answer, answer
    data: dict[str, Any] = answer["data"]
    return data


def _whole_queue(live: LiveServer) -> tuple[int, list[dict[str, Any]]]:
    """The care queue's total and every item on it, page by page."""
    items: list[dict[str, Any]] = []
    after = None
    while True:
        page = _ok(live, QUEUE, after=after)["careQueue"]
        items += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return page["total"], items
        after = page["pageInfo"]["endCursor"]


def _ingest(live: LiveServer, path: Path) -> None:
    job = httpx.post(f"{live.url}/jobs", json={
        "kind": "ingest", "source": "generic", "paths": [str(path)],
        "rejects_dir": str(path.parent / "rejects")}, timeout=30).json()
    assert "status" in job, job
    deadline = time.monotonic() + 120
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = httpx.get(f"{live.url}/jobs/{job['id']}", timeout=30).json()
    assert job["status"] == "completed", job


def test_care_actions_keep_the_metrics_and_new_posts_change_them(demo_copy: Path,
                                                                  tmp_path: Path) -> None:
    from api.app import create_app
    from api.jobs import JobRunner

    store = EmbeddedStore(demo_copy)
    brand = sorted(a.key for a in store.brand_accounts())[0]
    store.save_user("ana", role="agent", password_hash=hash_password(PASSWORD))
    spy: Any = CountingStore(store)
    app = create_app(store=spy, settings=Settings(read_cache_seconds=0,
                                                  ingest_roots=str(tmp_path)))
    app.state.jobs = JobRunner(store, on_change=app.state.read_cache.clear)
    runner = app.state.store_runner
    try:
        with LiveServer(app) as live, httpx.Client(base_url=live.url, timeout=60) as client:
            _sign_in(client)
            first = client.get("/dashboard")
            assert first.status_code == 200
            before = _numbers(first.text)
            assert 'id="updating"' not in first.text
            assert runner.memo_misses["metrics"] == 1
            # computed aside, on a handle of their own: the page's store stayed free
            assert "purchase_frame" not in spy.calls

            # the whole queue, per team, not a page of it
            total, items = _whole_queue(live)
            assert before["Care waiting"] == f"{total:,}" and len(items) == total
            teams = Counter(item["team"] for item in items)
            assert {k.removeprefix("Team "): _count(v.split(" items")[0])
                    for k, v in before.items() if k.startswith("Team ")} == teams

            # a note and an assignment: the metrics are not read again, the care figures are
            conversation = items[0]["conversationId"]
            _ok(live, NOTE, id=conversation)
            _ok(live, ASSIGN, id=conversation)
            after_care = client.get("/dashboard")
            assert after_care.status_code == 200
            assert runner.memo_misses["metrics"] == 1
            assert 'id="updating"' not in after_care.text
            assert runner.memo_misses["care_queue"] >= 2  # the queue did follow the writes
            numbers = _numbers(after_care.text)
            assert numbers["Mentions"] == before["Mentions"]
            assert sum("1 assigned" in v for k, v in numbers.items()
                       if k.startswith("Team ")) == 1, numbers

            # a new post addressing the brand: the metrics are computed again and change
            posts = tmp_path / "new.jsonl"
            platform, _, handle = brand.partition(":")
            until = datetime.fromisoformat(
                _ok(live, "{ metrics { until } }")["metrics"]["until"])
            posts.write_text(json.dumps({
                "platform": platform, "id": "memo-test-1", "author": "frank_memo",
                "text": f"@{handle} my order broke again", "mentions": [handle],
                "time": (until - timedelta(hours=2)).isoformat()}) + "\n", encoding="utf-8")
            _ingest(live, posts)
            # at once: the figures from before the post, marked as being computed again
            updating = client.get("/dashboard")
            assert updating.status_code == 200 and 'id="updating"' in updating.text
            assert _numbers(updating.text)["Mentions"] == before["Mentions"]
            deadline = time.monotonic() + 60
            after_post = updating
            while 'id="updating"' in after_post.text and time.monotonic() < deadline:
                time.sleep(0.2)
                after_post = client.get("/dashboard")
            assert 'id="updating"' not in after_post.text
            assert runner.memo_misses["metrics"] == 2
            mentions = _numbers(after_post.text)["Mentions"]
            assert _count(mentions) == _count(before["Mentions"]) + 1
            # GraphQL waits for the new figures unless asked not to
            fresh = _ok(live, "{ metrics { awareness { mentionVolume } updating computedAt } }")
            assert fresh["metrics"]["updating"] is False
            assert fresh["metrics"]["awareness"]["mentionVolume"] == _count(mentions)
    finally:
        store.close()


def test_which_writes_touch_content() -> None:
    from api.auth import CARE, EVERYTHING, mutation_writes, query_writes

    assert query_writes(NOTE) == {CARE}
    assert query_writes("mutation { a: addNote(conversationId: 1, text: \"x\") { id } "
                        "resolveConversation(conversationId: 1) { status } }") == {CARE}
    assert query_writes("""mutation($id: ID!) { recordResponse(conversationId: $id,
        text: "sorry", public: true) { post { postId } } }""") == EVERYTHING
    assert query_writes("mutation { addNote(conversationId: 1, text: \"x\") { id } "
                        "linkAccount(customerId: 1, platform: \"t\", handle: \"h\") { id } }"
                        ) == EVERYTHING
    assert query_writes("mutation { ...M } fragment M on Mutation { addNote }") == EVERYTHING
    assert query_writes("not graphql") == EVERYTHING
    assert mutation_writes(json.dumps({"query": NOTE}).encode()) == {CARE}
    assert mutation_writes(json.dumps([{"query": NOTE}, {"query": ASSIGN}]).encode()) == {CARE}
    assert mutation_writes(b"{broken") == EVERYTHING
