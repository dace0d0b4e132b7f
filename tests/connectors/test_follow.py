"""Following a stream: micro-batches committed as items come, sentiment on arrival, a
malformed item rejected, a dropped connection ending the stream without losing what came."""

from __future__ import annotations

import functools
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from analytics.arrivals import ArrivalSentiment
from api.carequeue import CareQueueIndex
from graph.model import Post
from ingest.connectors.base import PollContext
from ingest.connectors.follow import follow
from ingest.connectors.http import Http
from ingest.connectors.mastodon import status_records, stream_statuses
from ingest.loader import RejectsWriter
from tests.connectors.replay import Canned, ReplayServer


def test_follow_a_recorded_stream(embedded_store: Any, server: ReplayServer,
                                  shared_data: Path, tmp_path: Path) -> None:
    lines = [line for line in (shared_data / "mastodon/streaming_public_mastodon.social_48_"
                                              "updates.jsonl").read_text().split("\n") if line]
    statuses = [json.loads(line) for line in lines]
    broken = dict(statuses[5], account=None)  # a status without its account: a reject
    events = [f"event: update\ndata: {json.dumps(s)}\n\n".encode()
              for s in [*statuses[:5], broken, *statuses[5:]]]
    body = b":thump\n\n" + b"".join(events)
    cut = len(body) - len(events[-1]) // 2  # dropped half-way through the last event
    server.add("/api/v1/streaming/hashtag", Canned(body, cut=cut))
    host = server.url.split("//")[1]
    batches: list[list[Post]] = []
    scorer = ArrivalSentiment(str(tmp_path / "test.lbdb"))
    # the kept care queue, told each batch: brought up to date from the batch alone
    embedded_store.set_brand([], {"brand.terms": json.dumps(["the"])})
    queue = CareQueueIndex()
    queue.refresh(embedded_store)

    def loaded(store: Any, posts: list[Post]) -> None:
        batches.append(posts)
        queue.refresh(store)

    rejects = RejectsWriter(tmp_path / "rejects.jsonl")
    with httpx.Client(timeout=5) as client:
        ctx = PollContext(http=Http(client, server.url), options={"tag": "x"}, cursor=None,
                          source_file="monitor:test")
        report = follow(embedded_store, stream_statuses(ctx, seconds=5),
                        lambda s: status_records(s, host), source="mastodon",
                        source_file="monitor:test", rejects=rejects, prepare=scorer,
                        on_loaded=loaded, max_batch=10, writing=queue.writing)
    rejects.close()
    assert report.error is None
    assert (report.read, report.loaded, report.rejected) == (48, 47, 1)
    assert report.batches >= 5  # at most 10 items a transaction
    assert all(len(b) <= 10 for b in batches)
    kept = [s for s in statuses if s["id"] != statuses[-1]["id"]]  # the cut event is lost
    keys = [f"mastodon:{host}/{s['id']}" for s in kept]
    assert len(embedded_store.post_details(keys)) == 47
    frame = embedded_store.post_frame(None, None)
    scored = frame[frame["key"].isin(keys)]
    assert scored["sentiment"].notna().all() and scorer.model == "vader"  # with the posts
    assert all(p.sentiment is not None for b in batches for p in b)
    assert "account" in (tmp_path / "rejects.jsonl").read_text()
    fresh = CareQueueIndex()
    fresh.refresh(embedded_store)
    now = datetime.now(UTC)
    assert [i.post_key for i in queue.items(now)] == [i.post_key for i in fresh.items(now)]
    assert queue.size > 0 and queue.batch_updates == report.batches


def test_follow_stops_when_asked(embedded_store: Any, tmp_path: Path) -> None:
    def endless() -> Any:
        n = 0
        while True:
            n += 1
            yield n

    seen: list[int] = []

    def records(n: int) -> list[Any]:
        seen.append(n)
        return []

    rejects = RejectsWriter(tmp_path / "r.jsonl")
    report = follow(embedded_store, endless(), records, source="x", source_file="x",
                    rejects=rejects, max_batch=100, max_pending=200,
                    stop=lambda: len(seen) >= 1000)
    rejects.close()
    assert report.error is None and 1000 <= report.read <= 1100


def test_follow_prepares_in_another_process(embedded_store: Any, shared_data: Path,
                                            tmp_path: Path) -> None:
    """With a process pool the batches are parsed and scored there (the scorer travels as
    its location), and written here as without one."""
    lines = [line for line in (shared_data / "mastodon/streaming_public_mastodon.social_48_"
                                              "updates.jsonl").read_text().split("\n") if line]
    statuses = [json.loads(line) for line in lines]
    rejects = RejectsWriter(tmp_path / "rejects.jsonl")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        report = follow(embedded_store, iter(statuses),
                        functools.partial(status_records, host="example.social"),
                        source="mastodon", source_file="monitor:test", rejects=rejects,
                        prepare=ArrivalSentiment(str(tmp_path / "test.lbdb")), pool=pool,
                        max_batch=20)
    rejects.close()
    assert (report.read, report.loaded, report.rejected) == (48, 48, 0)
    keys = [f"mastodon:example.social/{s['id']}" for s in statuses]
    frame = embedded_store.post_frame(None, None)
    assert frame[frame["key"].isin(keys)]["sentiment"].notna().sum() == 48


def test_a_scoring_process_gives_the_scores_scoring_here_gives(tmp_path: Path) -> None:
    """The server's scoring process (SCRM_SCORING_PROCESS): texts go there, numbers come
    back, equal to scoring in this process; if that process dies, the posts are scored
    here and nothing is lost."""
    from analytics.arrivals import scoring_process

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    posts = [Post("mastodon", str(i), "ann", t0, text) for i, text in enumerate(
        ["I love this, it works great!", "Worst support ever. Still broken.", "ok", ""])]
    location = str(tmp_path / "test.lbdb")
    here = ArrivalSentiment(location).score(posts)
    pool = scoring_process()
    try:
        there = ArrivalSentiment(location, pool)
        assert [p.sentiment for p in there.score(posts)] == [p.sentiment for p in here]
        assert here[0].sentiment is not None and here[0].sentiment > 0.5
        assert here[1].sentiment is not None and here[1].sentiment < -0.5
        for process in list(pool._processes.values()):  # the scoring process dies
            process.kill()
            process.join()
        again = there.score(posts)
        assert [p.sentiment for p in again] == [p.sentiment for p in here]
        assert there.pool is None  # scored here from now on
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
