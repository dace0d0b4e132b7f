"""The workspace pages with API keys on: no key, no data; a key in the workspace's cookie
opens the pages; a read key cannot act; the cookie opens nothing but the workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_testkit import LiveServer

from graph.config import Settings
from graph.embedded import EmbeddedStore

PAGES = ("/inbox", "/people", "/dashboard", "/network", "/people.csv")


@pytest.fixture(scope="module")
def secured(graph_db: tuple[Path, str]) -> Iterator[str]:
    from api.app import create_app

    store = EmbeddedStore(graph_db[0], read_only=True)
    settings = Settings(api_keys="reader-key:read,writer-key:write", public_graphiql=True)
    with LiveServer(create_app(store=store, settings=settings)) as server:
        yield server.url
    store.close()


def test_pages_without_a_key_show_only_the_key_form(secured: str) -> None:
    for path in (*PAGES, "/"):
        answer = httpx.get(secured + path)
        assert answer.status_code in (303, 401), path
        assert "customer" not in answer.text.lower(), path
    form = httpx.get(secured + "/inbox", follow_redirects=True)
    assert form.status_code == 200 and 'name="key"' in form.text
    assert httpx.get(secured + "/inbox", cookies={"scrm_key": "wrong"}).status_code == 401
    refused = httpx.post(secured + "/key", data={"key": "wrong", "next": "/inbox"})
    assert refused.status_code == 401 and "scrm_key" not in refused.headers.get("set-cookie", "")


def test_the_key_form_sets_a_cookie_that_opens_the_pages(secured: str) -> None:
    with httpx.Client(base_url=secured) as browser:
        answer = browser.post("/key", data={"key": "reader-key", "next": "/people"})
        assert answer.status_code == 303 and answer.headers["location"] == "/people"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        for path in PAGES:
            assert browser.get(path).status_code == 200, path
        # the cookie is for the pages only: the API still wants its header
        assert browser.post("/graphql", json={"query": "{ latestRun { runId } }"}
                            ).status_code == 401


def test_a_read_key_cannot_act_and_other_sites_cannot_post(secured: str) -> None:
    with httpx.Client(base_url=secured, cookies={"scrm_key": "reader-key"}) as browser:
        assert browser.post("/conversation/twitter:1/note",
                            data={"text": "hi"}).status_code == 403
    with httpx.Client(base_url=secured, cookies={"scrm_key": "writer-key"}) as browser:
        forged = browser.post("/conversation/twitter:1/note", data={"text": "hi"},
                              headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403


def test_open_redirects_are_refused(secured: str) -> None:
    answer = httpx.post(secured + "/key", data={"key": "writer-key", "next": "//evil.example"})
    assert answer.headers["location"] == "/inbox"
