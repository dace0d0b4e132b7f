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
            form = client.get("/signin").text
            csrf = re.search(r'name="csrf" value="([^"]*)"', form)
            assert csrf is not None, form[:300]
            signed = client.post("/signin", data={"name": "lee", "password": password,
                                                  "csrf": csrf.group(1), "next": "/inbox"})
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
