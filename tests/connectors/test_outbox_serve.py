"""The outbox inside `scrm serve` (the one writer): a response recorded over GraphQL is
sent by the server's background loop, the conversation page says where it went, and
`scrm outbox send` beside the server hands its round over. The platforms are the local
fake of their write APIs (``write_fakes``, from their documented response shapes)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.passwords import hash_password
from graph.embedded import EmbeddedStore
from tests.api.api_testkit import sign_in
from tests.cli.serving import scrm_env, start_serve
from tests.connectors.test_outbox_send import _env, _seed, _targets
from tests.connectors.write_fakes import MASTODON_TOKEN, fake_platforms

PASSWORD = "ana's outbox password"
RESPOND = """mutation($id: ID!, $to: ID) { recordResponse(conversationId: $id,
  text: "So sorry, a new one ships today.", replyTo: $to) { post { postId } } }"""


def _scrm(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True,
                          text=True, env=scrm_env(db), timeout=120)


def test_serve_sends_recorded_replies_and_shows_where_they_went(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "live.lbdb"
    with fake_platforms() as fake:
        for name, value in {**_env(fake, db), "SCRM_EVENTS_SECONDS": "0.5",
                            "SCRM_MONITOR_IN_SERVE": "false"}.items():
            monkeypatch.setenv(name, value)
        store = EmbeddedStore(db)
        _seed(store, fake.host)
        store.save_user("ana", role="agent", password_hash=hash_password(PASSWORD))
        store.close()
        serve, url, _ = start_serve(db)
        try:
            conversation, target = _targets(fake.host)["mastodon"]
            answer = httpx.post(url + "/graphql", json={"query": RESPOND, "variables": {
                "id": conversation, "to": target}}, timeout=30).json()
            assert "errors" not in answer, answer
            key = answer["data"]["recordResponse"]["post"]["postId"]
            items: list[dict[str, Any]] = []
            deadline = time.monotonic() + 60
            while fake.posted() == 0 and time.monotonic() < deadline:
                time.sleep(0.1)  # sent by the server's own loop
            deadline = time.monotonic() + 60  # then recorded as sent (each CLI call takes
            while True:                       # seconds on a loaded machine: ask at least once)
                items = json.loads(_scrm(db, "outbox", "list", "--json").stdout)
                if (items and items[0]["state"] == "sent") or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert [(i["key"], i["state"]) for i in items] == [(key, "sent")]
            assert fake.posted() == 1
            browser = httpx.Client(base_url=url, timeout=30)
            assert sign_in(browser, "ana", PASSWORD).status_code == 303
            reply = browser.get(f"/conversation/{conversation}")
            page = reply.text
            assert reply.status_code == 200, (reply.status_code, reply.headers)
            assert 'class="delivery sent"' in page and items[0]["remote_url"] in page
            # beside the server, a round is a job there; nothing is left to send
            handed = _scrm(db, "outbox", "send", "--once")
            assert handed.returncode == 0, handed.stderr
            assert "sending the job there" in handed.stderr
            assert "sent 0" in handed.stdout and fake.posted() == 1
        finally:
            serve.terminate()
            output = serve.communicate(timeout=30)[0]
        assert MASTODON_TOKEN not in output  # the server's log never shows it
