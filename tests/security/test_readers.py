"""Access and abuse on `scrm serve --readers`: the public port and the writer's private one."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import httpx
import pytest
from security_kit import KEYS, READ_KEY, WRITE_KEY, bearer, start_scrm_serve, stop

QUERY = "{ latestRun { runId } }"
MUTATION = ('mutation { assignConversation(conversationId: "nope", assignee: "x") '
            '{ status } }')


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT (Linux)")
def test_readers_check_keys_and_refuse_mutations_without_a_write_key(demo_copy: Path) -> None:
    server, url = start_scrm_serve(demo_copy, "--readers", "1", env={"SCRM_API_KEYS": KEYS})
    try:
        writer = json.loads((demo_copy.parent / "demo.lbdb.server.json").read_text())["url"]
        for base in (url, writer):  # the GraphiQL GET bypass, on both ports
            attack = httpx.get(base + "/graphql", params={"query": QUERY},
                               headers={"Accept": "text/html"})
            assert attack.status_code == 401, base
        generation = demo_copy.parent / "demo.lbdb.generation"
        before = os.stat(generation).st_mtime_ns if generation.exists() else None
        with httpx.Client(base_url=url, timeout=30) as client:
            for headers in ({}, bearer(READ_KEY)):
                for _ in range(20):
                    answer = client.post("/graphql", json={"query": MUTATION}, headers=headers)
                    assert answer.status_code in (401, 403)
            # a write key's mutation that writes nothing moves no generation either
            bogus = client.post("/graphql", json={"query": "mutation { nope }"},
                                headers=bearer(WRITE_KEY))
            assert bogus.status_code == 200 and "errors" in bogus.json()
        after = os.stat(generation).st_mtime_ns if generation.exists() else None
        assert after == before
    finally:
        stop(server)
