"""The inbox's "mentions me", platform filter and live stream cover the whole view, not
its first page: checked on a conversation ranked past the first 100 of the analysed
demo (167 waiting), through a real server."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_testkit import LiveServer, sign_in

from api.passwords import hash_password
from graph.embedded import EmbeddedStore

PASSWORD = "a long enough test password"

PAGE = """query($after: String) { careQueue(first: 100, after: $after) {
  total pageInfo { hasNextPage endCursor } edges { node { conversationId platform } } } }"""
NOTE = """mutation($id: ID!, $text: String!) { addNote(conversationId: $id, text: $text) {
  id } }"""
ASSIGN = """mutation($id: ID!) { assignConversation(conversationId: $id, assignee: "lee") {
  status } }"""


@pytest.fixture
def server(demo_copy: Path) -> Iterator[LiveServer]:
    from api.app import create_app

    store = EmbeddedStore(demo_copy)
    store.save_user("lee", role="agent", password_hash=hash_password(PASSWORD))
    with LiveServer(create_app(store=store)) as live:
        yield live
    store.close()


def _signed_in(server: LiveServer) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=60)
    signed = sign_in(client, "lee", PASSWORD)
    assert signed.status_code == 303, signed.text[:300]
    return client


def _whole_queue(server: LiveServer) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        queue = server.data(PAGE, after=after)["careQueue"]
        nodes += [e["node"] for e in queue["edges"]]
        if not queue["pageInfo"]["hasNextPage"]:
            return nodes
        after = queue["pageInfo"]["endCursor"]


def test_mentions_and_platform_filter_the_whole_queue(server: LiveServer) -> None:
    nodes = _whole_queue(server)
    assert len(nodes) > 120
    far = nodes[-1]["conversationId"]  # ranked past the inbox's first page of 100
    server.data(NOTE, id=far, text="@Lee could you look at this one?")
    server.data(NOTE, id=nodes[0]["conversationId"], text="ask @leeway")  # not a mention
    mine = server.data("""{ careQueue(first: 5, mentioning: "lee") { total
      edges { node { conversationId } } } }""")["careQueue"]
    assert mine["total"] == 1 and mine["edges"][0]["node"]["conversationId"] == far
    client = _signed_in(server)
    page = client.get("/inbox", params={"mentioned": "me"})
    client.close()
    assert page.status_code == 200 and f'data-conversation="{far}"' in page.text
    assert page.text.count('data-conversation="') == 1
    platforms = {n["platform"] for n in nodes}
    for platform in platforms:
        total = server.data("query($p: String) { careQueue(first: 0, platform: $p) { total } }",
                    p=platform)["careQueue"]["total"]
        assert total == sum(n["platform"] == platform for n in nodes)


def test_the_live_stream_follows_the_whole_view(server: LiveServer) -> None:
    far = _whole_queue(server)[-1]["conversationId"]
    seen: list[str] = []
    client = _signed_in(server)
    try:
        with client.stream("GET", "/inbox/events") as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            assert next(lines) == "event: hello"
            server.data(ASSIGN, id=far)
            deadline = time.monotonic() + 30
            for line in lines:
                seen.append(line)
                if line.startswith("data:") and far in line or time.monotonic() > deadline:
                    break
    finally:
        client.close()
    assert "event: assignment" in seen and far in seen[-1], seen


def test_the_inbox_pages_the_whole_queue_by_50(server: LiveServer) -> None:
    """Page after page, the inbox shows the queue's order 50 items at a time, each page
    linking to the next and the previous one, and the filters stay in its links."""
    order = [n["conversationId"] for n in _whole_queue(server)]
    client = _signed_in(server)
    shown: list[str] = []
    url: str | None = "/inbox"
    pages = 0
    while url is not None:
        page = client.get(url)
        assert page.status_code == 200, page.text[:300]
        here = re.findall(r'data-conversation="([^"]+)"', page.text)
        assert 0 < len(here) <= 50
        assert f"{len(shown) + 1:,}–{len(shown) + len(here):,} shown of {len(order):,}" \
            in page.text
        assert ('rel="prev"' in page.text) == (pages > 0)
        shown += here
        pages += 1
        found = re.search(r'<a href="([^"]+)" rel="next"', page.text)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert shown == order and pages == -(-len(order) // 50)
    # a filter is kept from page to page
    platform = client.get("/inbox", params={"status": "open"})
    assert 'href="/inbox?status=open&amp;page=2" rel="next"' in platform.text
    assert client.get("/inbox", params={"page": 0}).status_code == 422
    client.close()
