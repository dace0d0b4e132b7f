"""`scrm serve --readers N`: read-only processes share the public port beside the writer;
writes made through any process are read through every other on the next request."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from serving import scrm_env, start_serve

from tests.api.api_testkit import sign_in

CASE = '{ careCase(conversationId: "%s") { status assignee } }'
ASSIGN = ('mutation { assignConversation(conversationId: "%s", assignee: "%s") '
          '{ status assignee } }')


def _fresh(url: str, query: str) -> dict[str, object]:
    """Ask on a new connection (the kernel may hand it to any process)."""
    with httpx.Client(base_url=url, timeout=30) as client:
        answer = client.post("/graphql", json={"query": query})
    assert answer.status_code == 200, answer.text
    data: dict[str, object] = answer.json()
    assert "errors" not in data, data
    return data


PASSWORD = "page's long password"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def _pids(parent: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == parent and stat[0] != "Z":
                out.add(int(entry.name))
    return out


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT (Linux)")
def test_readers_serve_and_every_write_is_read_at_once(demo_copy: Path) -> None:
    from api.passwords import hash_password
    from graph.embedded import EmbeddedStore

    with EmbeddedStore(demo_copy) as store:
        store.save_user("page", role="agent", password_hash=hash_password(PASSWORD))
    server, url, before = start_serve(demo_copy, "--readers", "2")
    try:
        readers = _pids(server.pid)
        assert len(readers) >= 2
        # the CLI hands its jobs to the writer, which listens privately
        writer = json.loads((demo_copy.parent / "demo.lbdb.server.json").read_text())["url"]
        assert writer != url

        queue = _fresh(url, "{ careQueue(first: 1) { edges { node { conversationId } } } }")
        conversation = queue["data"]["careQueue"]["edges"][0]["node"][  # type: ignore[index]
            "conversationId"]
        for who in ("sam", "kim"):  # a mutation through a reader goes to the writer
            done = _fresh(url, ASSIGN % (conversation, who))
            assert done["data"] == {"assignConversation": {"status": "ASSIGNED",
                                                           "assignee": who}}
            for _ in range(8):  # and is read by whichever process answers next
                assert _fresh(url, CASE % conversation)["data"] == {
                    "careCase": {"status": "ASSIGNED", "assignee": who}}

        # signing in and a workspace action through any process are done by the writer
        # and read at once
        for n in range(4):
            with httpx.Client(base_url=url, timeout=30) as browser:
                csrf = _csrf(browser.get("/signin").text)
                signed_in = browser.post("/signin", data={
                    "name": "page", "password": PASSWORD, "csrf": csrf, "next": "/inbox"})
                assert signed_in.status_code == 303, signed_in.text
                csrf = _csrf(browser.get(f"/conversation/{conversation}").text)
                posted = browser.post(f"/conversation/{conversation}/assign",
                                      data={"assignee": f"page{n}", "csrf": csrf},
                                      headers={"Origin": url})
            assert posted.status_code == 303 and "flash=Assigned" in posted.headers["location"]
            assert _fresh(url, CASE % conversation)["data"] == {
                "careCase": {"status": "ASSIGNED", "assignee": f"page{n}"}}

        # a write job handed over by the CLI: every reader sees its run afterwards
        analyze = subprocess.run([sys.executable, "-m", "api.cli", "analyze"],
                                 env=scrm_env(demo_copy), capture_output=True, text=True,
                                 timeout=300)
        assert analyze.returncode == 0, analyze.stderr
        runs = {httpx.get(url + "/health", timeout=30,
                          headers={"connection": "close"}).json()["latest_run_id"]
                for _ in range(8)}
        assert len(runs) == 1 and runs != {before["latest_run_id"]}
        # job requests through the public port reach the writer too
        assert httpx.get(url + "/jobs/nope").status_code == httpx.get(
            writer + "/jobs/nope").status_code == 404

        # readers do not outlive the writer, however it ends
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() and (
                Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z")
                for p in readers):
            time.sleep(0.2)
        with pytest.raises(httpx.HTTPError):
            httpx.get(url + "/health", timeout=2)
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT (Linux)")
def test_a_readers_live_inbox_follows_the_writer(demo_copy: Path) -> None:
    """The workspace's event stream, served by a read process, names a write the writer
    made: the reader follows the generation file with no request to make it look."""
    password = "live inbox password"
    subprocess.run([sys.executable, "-m", "api.cli", "users", "add", "lee", "--role", "agent",
                    "--password-stdin", "--db", str(demo_copy)], input=password + "\n",
                   text=True, check=True, capture_output=True, env=scrm_env(demo_copy), timeout=120)
    server, url, _ = start_serve(demo_copy, "--readers", "1")
    try:
        queue = _fresh(url, "{ careQueue(first: 1) { edges { node { conversationId } } } }")
        conversation = queue["data"]["careQueue"]["edges"][0]["node"][  # type: ignore[index]
            "conversationId"]
        seen: list[str] = []
        with httpx.Client(base_url=url, timeout=30) as client:  # the inbox needs a session
            signed = sign_in(client, "lee", password)
            assert signed.status_code == 303, signed.text[:300]
            stream_cm = client.stream("GET", "/inbox/events")
            stream = stream_cm.__enter__()
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            assert next(lines) == "event: hello"
            _fresh(url, ASSIGN % (conversation, "lee"))
            deadline = time.monotonic() + 20
            for line in lines:
                seen.append(line)
                if line == "event: assignment" or time.monotonic() > deadline:
                    break
            stream_cm.__exit__(None, None, None)
        assert "event: assignment" in seen, seen
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


METRICS_AT = "{ metrics { computedAt } }"
REPLY = ('mutation { recordResponse(conversationId: "%s", text: "We are on it.", public: true)'
         ' { post { postId } } }')


def _computed_at(url: str, readers: int) -> set[str]:
    """When each reader computed the metrics it answers with (asked on new connections
    until every reader answered, or 40 tries)."""
    seen: set[str] = set()
    for _ in range(40):
        seen.add(_fresh(url, METRICS_AT)["data"]["metrics"]["computedAt"])  # type: ignore[index]
        if len(seen) >= readers:
            break
    return seen


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT (Linux)")
def test_readers_keep_the_metrics_through_care_writes(demo_copy: Path) -> None:
    """The generation file says what was written: after an assignment (care) the readers
    keep the metrics they computed; after a public reply (a new post: content) they compute
    them again."""
    from api.readers import generation_file, read_generation

    server, url, _ = start_serve(demo_copy, "--readers", "2")
    try:
        before = _computed_at(url, 2)
        assert len(before) == 2, before  # one computation per reader
        queue = _fresh(url, "{ careQueue(first: 1) { edges { node { conversationId } } } }")
        conversation = queue["data"]["careQueue"]["edges"][0]["node"][  # type: ignore[index]
            "conversationId"]
        for who in ("sam", "kim"):
            _fresh(url, ASSIGN % (conversation, who))
        counts = read_generation(generation_file(demo_copy))
        assert counts is not None and counts["care"] >= 2 and counts.get("content", 0) == 0
        for _ in range(8):  # every reader answers with the figures it had
            assert _fresh(url, METRICS_AT)["data"]["metrics"]["computedAt"] in before  # type: ignore[index]

        _fresh(url, REPLY % conversation)
        counts = read_generation(generation_file(demo_copy))
        assert counts is not None and counts["content"] == 1
        after = _computed_at(url, 2)
        assert len(after) == 2 and not after & before, (before, after)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


def test_what_the_generation_file_says(tmp_path: Path) -> None:
    """Counts per kind of write; a reader takes a file it cannot read, or counts that did
    not move while the file did (a full disk), as a write of everything."""
    from api.auth import CARE, CONTENT, EVERYTHING
    from api.readers import _asked, _moved, bump_generation, read_generation

    path = tmp_path / "db.generation"
    assert read_generation(path) == {"n": 0}  # nothing written yet
    bump_generation(path, frozenset({CARE}))
    first = read_generation(path)
    assert first == {"n": 1, "care": 1, "asked": 1}
    assert _moved({"n": 0}, first) == {CARE}
    bump_generation(path, frozenset())  # a session: nothing cached reads it
    second = read_generation(path)
    assert _moved(first, second) == frozenset()
    bump_generation(path)
    third = read_generation(path)
    assert third == {"n": 3, "care": 2, "content": 1, "asked": 3}
    assert _moved(second, third) == EVERYTHING and _moved(first, second | {"n": 1}) == EVERYTHING
    assert _moved(None, third) == EVERYTHING
    path.write_text("41", encoding="ascii")  # an older server's bare number
    assert read_generation(path) is None
    bump_generation(path, frozenset({CONTENT}), asked=False)  # a stream batch
    assert read_generation(path) == {"n": 1, "content": 1}
    assert not _asked({"n": 0}, read_generation(path))  # readers open it beside the old
    assert _asked({"n": 0, "asked": 0}, {"n": 2, "asked": 1})
    assert _asked(None, read_generation(path))  # unreadable before: at once, to be sure
