"""Fixtures for connector tests: a replay server, a store, and polling a monitor once."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.connectors.runner import PollOutcome, poll_monitor
from ingest.connectors.state import Monitor, MonitorFile
from tests.connectors.replay import ReplayServer, replay_server


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with replay_server() as s:
        yield s


class Poller:
    """Polls monitors of one monitors file into one store, like ``scrm monitor run``."""

    def __init__(self, store: Any, tmp_path: Path) -> None:
        self.store = store
        self.states = MonitorFile(tmp_path / "test.lbdb.monitors.json")
        self.rejects_dir = tmp_path / "rejects"
        self.client = httpx.Client(timeout=2.0)

    def add(self, kind: str, url: str, **options: str) -> Monitor:
        return self.states.add(kind, options, url, 60.0)

    def get(self, monitor_id: str) -> Monitor:
        found = self.states.get(monitor_id)
        assert found is not None, monitor_id
        return found

    def poll(self, monitor: Monitor | str, settings: dict[str, Any] | None = None,
             max_pages: int = 5) -> PollOutcome:
        current = self.get(monitor if isinstance(monitor, str) else monitor.id)
        # the replay server is on 127.0.0.1, which connectors refuse unless allowed
        allowed = {"monitor_allow_private": True, **(settings or {})}
        return poll_monitor(self.store, self.states, current, client=self.client,
                            settings=allowed, rejects_dir=self.rejects_dir,
                            rng=random.Random(7), max_pages=max_pages)

    def rejects(self) -> list[str]:
        if not self.rejects_dir.exists():
            return []
        return [line for f in sorted(self.rejects_dir.iterdir())
                for line in f.read_text().splitlines()]


@pytest.fixture
def poller(embedded_store: Any, tmp_path: Path) -> Iterator[Poller]:
    p = Poller(embedded_store, tmp_path)
    yield p
    p.client.close()
