"""Shared test fixtures: where the real public data lives, and fresh stores."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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
    from graph.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path / "test.lbdb")
    yield store
    store.close()


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A local webhook endpoint (``http://127.0.0.1:PORT/hook``) and what it received:
    each POST's headers (lower-case names) and body; it answers 204."""
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            received.append(({k.lower(): v for k, v in self.headers.items()},
                             self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Settings the test puts in the environment do not outlive it in the cached object."""
    from graph.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


SAMPLES = Path(__file__).resolve().parents[1] / "ingest" / "samples" / "demo"


def build_demo(path: Path, samples: Path = SAMPLES) -> None:
    """The analyzed demo database (brand, CRM, orders, Twitter, Reddit) at ``path``,
    from the demo files in ``samples``."""
    import json

    from analytics.job import run_analysis
    from ingest.pipeline import ingest_paths

    brand = json.loads((samples / "brand.json").read_text())
    from graph.embedded import EmbeddedStore

    with EmbeddedStore(path) as store:
        store.set_brand(brand["accounts"], {
            "brand.name": brand["name"], "brand.terms": json.dumps(brand["terms"]),
            "brand.competitors": json.dumps(brand["competitors"])})
        for source, name in (("crm", "crm.csv"), ("orders", "orders.csv"),
                             ("twitter", "twitter.jsonl"), ("reddit", "reddit.jsonl")):
            ingest_paths(store, source, [samples / name], rejects_dir=path.parent)
        run_analysis(store)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An analyzed demo database, built once; copy it (``demo_copy``) before writing.

    Under xdist it is built once for the whole run, by the first worker that asks, in the
    folder the workers' own temporary folders share (the others wait for it, locked)."""
    import fcntl
    import os

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # this run's, shared by its workers
    folder = root / "demo-template"
    with open(root / "demo-template.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (folder / "built").exists():
                shutil.rmtree(folder, ignore_errors=True)  # a build that did not finish
                folder.mkdir()
                build_demo(folder / "demo.lbdb")
                (folder / "built").touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder / "demo.lbdb"


@pytest.fixture
def demo_copy(demo_template: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the analyzed demo database."""
    target = tmp_path / "demo.lbdb"
    for f in demo_template.parent.iterdir():
        if f.name.startswith(demo_template.name):
            shutil.copy(f, tmp_path / f.name)
    return target


# --- parallel runs (pytest-xdist, `make test` uses `-n 3 --dist loadgroup`) --------------
# Each test file is one group, so module and session fixtures are built once per file, as in a
# serial run; the browser tests share one group (one demo server, one Chromium at a time). The
# files with slow tests are handed out first (the browser group, the longest, before them), so
# no long file starts last and holds the run.
#
# xdist's loadgroup reads a group off a test's node id, which its own hook suffixes with the
# group of the ``xdist_group`` mark; since pytest 9.2 a node id can no longer be set that way,
# and every test was its own group: a file's tests spread over all workers, each building the
# file's module and session fixtures again (the browser tests' demo database, three times).
# So the scheduler below groups by file itself, and hands the groups out in collection order.
BROWSER_GROUP = "browser"


def _group_of(path: Path) -> str:
    return BROWSER_GROUP if path.parent.name == BROWSER_GROUP else path.as_posix()


def _group(item: pytest.Item) -> str:
    return _group_of(Path(str(item.fspath)).relative_to(REPO))


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups off the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow_groups = {_group(i) for i in items if i.get_closest_marker("slow")}
    slow_groups.add(BROWSER_GROUP)
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(item)))
    browser = [i for i in items if _group(i) == BROWSER_GROUP]
    first = [i for i in items if _group(i) in slow_groups and _group(i) != BROWSER_GROUP]
    items[:] = browser + first + [i for i in items if _group(i) not in slow_groups]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup``: one work unit per group of :func:`_group`, in collection order."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class FileGroups(LoadGroupScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _group_of(Path(nodeid.split("::", 1)[0].split("@", 1)[0]))

    config.option.loadscopereorder = False  # keep the slow groups first
    return FileGroups(config, log)
