"""Shared test fixtures: where the real public data lives, and fresh stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} not present: real-data tests need ../shared/data")
    return SHARED_DATA


@pytest.fixture
def embedded_store(tmp_path: Path) -> Iterator[EmbeddedStore]:  # noqa: F821
    from graph.embedded_store import EmbeddedStore

    store = EmbeddedStore(tmp_path / "test.lbdb")
    yield store
    store.close()
