"""The server's stream follower (:class:`ingest.connectors.streaming.StreamFollower`) on
its own: items are parsed and scored on its preparing thread while the writer writes
the units prepared before, a malformed item becomes a reject, the kept care queue is
brought up to date from each batch, and a Jetstream cursor never moves past an item
that is still being prepared. The stream is the replay server's SSE of the recorded
Mastodon public stream; ``tests/connectors/test_serve_streams.py`` runs the same
follower inside ``scrm serve``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from analytics.arrivals import ArrivalSentiment, scoring_process
from api.carequeue import CareQueueIndex
from graph.model import Post, PostKind
from ingest.connectors import streaming
from ingest.connectors.state import Monitor, MonitorFile
from ingest.connectors.streaming import StreamFollower, _Stream
from ingest.loader import Unit
from tests.connectors.replay import Canned, ReplayServer, until

STREAM = "mastodon/streaming_public_mastodon.social_48_updates.jsonl"


def test_items_are_prepared_off_the_writer_and_written_in_batches(
        embedded_store: Any, server: ReplayServer, shared_data: Path, tmp_path: Path) -> None:
    lines = [line for line in (shared_data / STREAM).read_text().split("\n") if line]
    statuses = [json.loads(line) for line in lines]
    broken = dict(statuses[5], account=None)  # a status without its account: a reject
    events = [f"event: update\ndata: {json.dumps(s)}\n\n".encode()
              for s in [*statuses[:5], broken, *statuses[5:]]]
    # the first connection brings every event, later ones only keep the stream open
    server.add("/api/v1/streaming/hashtag", Canned(b":thump\n\n" + b"".join(events)),
               Canned(b":thump\n\n"))
    server.route("/api/v1/timelines/tag/x", lambda query: Canned(b"[]"))
    host = server.url.split("//")[1]
    monitors = MonitorFile(tmp_path / "monitors.json")
    monitor = monitors.add("mastodon", {"tag": "x", "stream": "yes"}, server.url, 300.0)
    embedded_store.set_brand([], {"brand.terms": json.dumps(["the"])})
    queue = CareQueueIndex()
    queue.refresh(embedded_store)
    pool = scoring_process()  # as the server scores: in a process of its own
    scorer = ArrivalSentiment(str(tmp_path / "test.lbdb"), pool)
    prepared_on: set[str] = set()
    written_on: set[str] = set()

    def prepare(units: list[Unit]) -> None:
        prepared_on.add(threading.current_thread().name)
        scorer(units)

    writer = embedded_store.sibling()  # as the job runner writes: its own handle

    def submit(payload: dict[str, Any]) -> Any:
        assert payload == {"kind": "stream"}
        written_on.add(threading.current_thread().name)
        return follower.flush(writer)

    rejects = tmp_path / "rejects"
    rejects.mkdir()
    follower = StreamFollower(
        monitors, submit, settings=lambda: {"monitor_allow_private": True},
        rejects_dir=lambda: rejects, prepare=prepare,
        writing=lambda store: queue.writing(), flush_seconds=0.05, backoff_base=0.5)
    keys = [f"mastodon:{host}/{s['id']}" for s in statuses]
    follower.start()
    try:
        # 90 s: the scoring process's first model load, on a loaded machine
        assert until(lambda: len(embedded_store.post_details(keys)) == 48, 90, 0.05), \
            monitors.all()[0].state
        assert until(lambda: monitors.all()[0].state.items == 48, 90, 0.05), \
            monitors.all()[0].state
    finally:
        follower.stop()
        writer.close()
        pool.shutdown()
    # parsed and scored on the preparing thread only; written by the follower's loop
    assert prepared_on == {"scrm-streams-prepare"}, prepared_on
    assert written_on == {"scrm-streams"}, written_on
    state = monitors.all()[0].state
    assert (state.items, state.rejected, state.last_error) == (48, 1, None), state
    assert monitors.all()[0].id == monitor.id
    frame = embedded_store.post_frame(None, None)
    assert frame[frame["key"].isin(keys)]["sentiment"].notna().sum() == 48
    assert (scorer.pool is not None, scorer.scored) == (True, 48)  # none scored twice
    found = [json.loads(line) for f in rejects.iterdir()
             for line in f.read_text().splitlines()]
    assert len(found) == 1 and "account" in found[0]["reason"]
    # the queue kept from the batches told equals one read afresh
    queue.refresh(embedded_store)
    fresh = CareQueueIndex()
    fresh.refresh(embedded_store)
    now = datetime.now(UTC)
    assert queue.size > 0 and queue.batch_updates >= 1
    # the same conversations waiting (the order of equal priorities is the contract
    # test's business: tests/store/test_contract_care_queue.py)
    assert sorted(i.post_key for i in queue.items(now)) == \
        sorted(i.post_key for i in fresh.items(now))


def _by_hand(tmp_path: Path, prepare: Any, **kw: Any
             ) -> tuple[Monitor, StreamFollower, _Stream]:
    """A follower of one Jetstream source that is never connected, with its preparing
    thread alone started: the test puts the items and takes or writes them itself."""
    monitors = MonitorFile(tmp_path / "monitors.json")
    monitor = monitors.add("jetstream", {"dids": "did:plc:brand"}, "ws://127.0.0.1:9", 300.0)
    follower = StreamFollower(monitors, lambda payload: None, settings=dict,
                              rejects_dir=lambda: tmp_path, prepare=prepare, **kw)
    stream = follower.streams[monitor.id] = _Stream(follower, monitor)
    follower._preparer.start()
    return monitor, follower, stream


def test_a_jetstream_cursor_never_moves_past_an_item_being_prepared(tmp_path: Path) -> None:
    entered, release = threading.Event(), threading.Event()

    def prepare(units: list[Unit]) -> None:
        entered.set()
        assert release.wait(10)

    monitor, follower, stream = _by_hand(tmp_path, prepare, flush_seconds=0.01)
    try:
        stream.put({"unreadable": "x"}, stamp=100)  # read, then being prepared
        assert entered.wait(10)
        stream.put(None, stamp=200)  # an event that concerns no one, read after it
        taken = follower._take()[monitor.id][1]
        # nothing ready: no unit, and no cursor (200 would skip the item at 100 if the
        # server stopped before writing it)
        assert (taken.ready, taken.newest) == ([], None)
        release.set()
        assert until(lambda: bool(stream.buffer.ready), 30, 0.05)
        taken = follower._take()[monitor.id][1]
        assert len(taken.ready) == 1 and taken.newest == 200  # both read before it now
        assert follower._take()[monitor.id][1].newest is None  # taken once
    finally:
        release.set()
        follower.stop()


def test_a_scoring_process_gives_the_scores_scoring_here_gives(tmp_path: Path) -> None:
    """The server's scoring process (SCRM_SCORING_PROCESS): texts go there, numbers come
    back, equal to scoring in this process; if that process dies, the posts are scored
    here and nothing is lost."""
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


def test_a_post_scored_on_arrival_keeps_every_other_field() -> None:
    """``Post.scored`` (what scoring on arrival makes each post with) is
    ``dataclasses.replace`` of the sentiment and its model, every other field kept."""
    t0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    post = Post("mastodon", "h/1", "ann", t0, "still broken", kind=PostKind.REPLY,
                url="https://h/1", parent_id="h/0", conversation_id="h/0",
                mentions=("brand@h",), shared_id="h/9", hashtags=("x",), lang="en",
                likes=1, reposts=2, replies=3, score=4, title="t", accepted=True,
                truncated=True, embedded=True)
    scored = post.scored(-0.6, "vader")
    assert scored == replace(post, sentiment=-0.6, sentiment_model="vader")
    assert post.sentiment is None  # (the post itself is left as it was)


def test_a_job_takes_what_was_read_until_it_started(tmp_path: Path) -> None:
    """Items read but not prepared yet when a stream job starts are prepared at once and
    taken by it: left to the next job, they would wait for the whole of this one (a
    fifth of a fast stream's posts did). The job waits for that at most
    ``TAKE_WAIT_SECONDS``: a preparing that takes longer is left to the next job."""
    slow = threading.Event()

    def prepare(units: list[Unit]) -> None:
        time.sleep(5 * streaming.TAKE_WAIT_SECONDS if slow.is_set() else 0.02)

    # the preparing thread's own timer would wait a minute
    monitor, follower, stream = _by_hand(tmp_path, prepare, flush_seconds=60.0)
    try:
        for n in range(3):
            stream.put(_jetstream_post(f"did:plc:{n}", f"{n}p", "brightloop", 100 + n),
                       stamp=100 + n)
        taken = follower._take()[monitor.id][1]
        assert len(taken.ready) == 3 and taken.newest == 102
        slow.set()
        stream.put(_jetstream_post("did:plc:9", "9p", "brightloop", 109), stamp=109)
        started = time.monotonic()
        taken = follower._take()[monitor.id][1]
        assert time.monotonic() - started < 3 * streaming.TAKE_WAIT_SECONDS
        assert (taken.ready, taken.newest) == ([], None)  # the next job's
        assert until(lambda: len(stream.buffer.ready) == 1, 10, 0.02)
    finally:
        follower.stop()


def test_items_whose_preparing_failed_are_prepared_again(tmp_path: Path) -> None:
    """A round of the preparing thread that fails (here: the settings cannot be read)
    gives its items back and the thread lives on: the next round prepares them."""
    monitors = MonitorFile(tmp_path / "monitors.json")
    monitor = monitors.add("jetstream", {"dids": "did:plc:brand"}, "ws://127.0.0.1:9", 300.0)
    calls: list[int] = []

    def settings() -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("the settings file is being replaced")
        return {}

    follower = StreamFollower(monitors, lambda payload: None, settings=settings,
                              rejects_dir=lambda: tmp_path, flush_seconds=0.01)
    stream = follower.streams[monitor.id] = _Stream(follower, monitor)  # not connected
    follower._preparer.start()
    try:
        stream.put({"unreadable": "x"}, stamp=100)
        assert until(lambda: bool(stream.buffer.ready), 10, 0.05)
        taken = follower._take()[monitor.id][1]
        assert len(calls) >= 2 and follower._preparer.is_alive()
        assert [u.line for u in taken.ready] == [2]  # numbered again, not lost
        assert taken.newest == 100
        # nothing is still to be prepared: the next job takes at once, not after waiting
        # TAKE_WAIT_SECONDS for items the failed round counted
        started = time.monotonic()
        follower._take()
        assert time.monotonic() - started < streaming.TAKE_WAIT_SECONDS / 2
    finally:
        follower.stop()


def test_a_catch_up_after_a_reconnect_keeps_what_the_stream_counted(
        embedded_store: Any, server: ReplayServer, shared_data: Path, tmp_path: Path) -> None:
    """Each reconnect catches up through REST from the stored state. It polled with the
    state the stream started with (no items, no cursor) and saved that back: after the
    first reconnect, the source's counts read 0 again (found by CI, once)."""
    lines = [line for line in (shared_data / STREAM).read_text().split("\n") if line]
    events = b"".join(f"event: update\ndata: {line}\n\n".encode() for line in lines)
    # the first connection brings every event; the later ones end at once: reconnects
    server.add("/api/v1/streaming/hashtag", Canned(b":thump\n\n" + events),
               Canned(b":thump\n\n"))
    server.route("/api/v1/timelines/tag/x", lambda query: Canned(b"[]"))
    monitors = MonitorFile(tmp_path / "monitors.json")
    monitor = monitors.add("mastodon", {"tag": "x", "stream": "yes"}, server.url, 300.0)
    writer = embedded_store.sibling()
    rejects = tmp_path / "rejects"
    rejects.mkdir()
    follower = StreamFollower(
        monitors, lambda payload: follower.flush(writer),
        settings=lambda: {"monitor_allow_private": True}, rejects_dir=lambda: rejects,
        flush_seconds=0.05, backoff_base=0.25)
    follower.start()
    try:
        assert until(lambda: monitors.all()[0].state.items == 48, 30, 0.02), \
            monitors.all()[0].state
        catch_ups = server.hits("/api/v1/timelines/tag/x")
        # two more reconnects, each caught up through REST and its state saved
        assert until(lambda: server.hits("/api/v1/timelines/tag/x") >= catch_ups + 2, 30,
                     0.02)
        saved = monitors.all()[0].state.last_success
        assert until(lambda: monitors.all()[0].state.last_success != saved, 30, 0.02)
    finally:
        follower.stop()
        writer.close()
    state = monitors.all()[0].state
    assert (state.items, state.rejected) == (48, 0), state
    # the later connections closed at once with nothing: said (and backed off), or not
    # yet when the state was last saved
    assert "closed the stream" in (state.last_error or "closed the stream"), state
    assert monitors.all()[0].id == monitor.id


def test_a_batch_whose_write_failed_is_written_by_the_next_job(
        embedded_store: Any, tmp_path: Path) -> None:
    """A stream job that fails before its batch is committed (here: the rejects folder
    cannot be made) leaves that batch to the next job. It was dropped: the next job
    moved the Jetstream cursor past it, so neither the running server nor a restarted
    one ever wrote the post."""
    monitors = MonitorFile(tmp_path / "monitors.json")
    monitor = monitors.add("jetstream", {"dids": "did:plc:brand"}, "ws://127.0.0.1:9", 300.0)
    rejects = tmp_path / "rejects"
    rejects.write_text("a file where the folder should be")
    follower = StreamFollower(monitors, lambda payload: None, settings=dict,
                              rejects_dir=lambda: rejects, flush_seconds=0.01)
    stream = follower.streams[monitor.id] = _Stream(follower, monitor)  # not connected
    follower._preparer.start()  # the preparing thread alone: this test writes by hand
    post = {"did": "did:plc:fan", "time_us": 100, "kind": "commit", "commit": {
        "operation": "create", "collection": "app.bsky.feed.post", "rkey": "3kept",
        "record": {"text": "hi @brand", "createdAt": "2026-07-04T12:00:00Z"}}}
    writer = embedded_store.sibling()
    try:
        stream.put({"unreadable": "x"}, stamp=100)  # a reject: the folder is needed
        stream.put(post, stamp=100)
        assert until(lambda: len(stream.buffer.ready) == 2, 10, 0.02)
        with pytest.raises(OSError):
            follower.flush(writer)
        assert monitors.all()[0].state.cursor is None  # nothing committed, nothing moved
        rejects.unlink()  # the operator makes room
        stream.put(None, stamp=200)  # later: an event that concerns no one
        done = follower.flush(writer)
    finally:
        follower.stop()
        writer.close()
    assert done["loaded"] == 1, done
    assert len(embedded_store.post_frame(None, None)) == 1
    state = monitors.all()[0].state
    assert (state.cursor, state.items, state.rejected) == ("200", 1, 1), state
    assert len(list(rejects.iterdir())) == 1


def test_a_stream_down_for_hours_keeps_trying(tmp_path: Path) -> None:
    """A stream that failed 1,024 times in a row (about 13 hours down, one try every
    30-60 s) still backs off at most a minute. 5 * 2**1024 overflowed a float: the
    reader thread died of the OverflowError and the stream was never opened again
    until the server restarted."""
    monitors = MonitorFile(tmp_path / "monitors.json")
    monitor = monitors.add("jetstream", {"dids": "did:plc:brand"}, "ws://127.0.0.1:9", 300.0)
    follower = StreamFollower(monitors, lambda payload: None, settings=dict,
                              rejects_dir=lambda: tmp_path)
    stream = _Stream(follower, monitor)  # not connected
    stream.buffer.failures = 1024
    wait = stream._failed("could not subscribe to ws://127.0.0.1:9: ConnectionRefusedError")
    assert 30.0 <= wait <= 60.0
    assert stream.buffer.failures == 1025


def test_a_catch_up_waits_for_the_time_a_rate_limit_gave(
        embedded_store: Any, server: ReplayServer, tmp_path: Path) -> None:
    """A REST catch-up answered 429 with Retry-After is not made again before that time,
    whatever the stream does meanwhile. Each reconnect caught up at once: a stream that
    kept dropping asked the rate-limited timeline again every second."""
    server.add("/api/v1/timelines/tag/x", Canned(b'{"error": "Too many requests"}', 429,
                                                 {"retry-after": "3600"}))
    monitors = MonitorFile(tmp_path / "monitors.json")
    monitor = monitors.add("mastodon", {"tag": "x", "stream": "yes"}, server.url, 300.0)
    follower = StreamFollower(monitors, lambda payload: None,
                              settings=lambda: {"monitor_allow_private": True},
                              rejects_dir=lambda: tmp_path / "rejects")
    stream = follower.streams[monitor.id] = _Stream(follower, monitor)  # not connected
    writer = embedded_store.sibling()
    try:
        assert stream.buffer.catch_up  # owed before the first connection
        follower.flush(writer)
        assert server.hits("/api/v1/timelines/tag/x") == 1
        assert "rate limited" in (monitors.all()[0].state.last_error or "")
        for _ in range(3):  # three reconnects, each owing a catch-up
            with follower.cv:
                stream.buffer.catch_up = True
            follower.flush(writer)
    finally:
        follower.stop()
        writer.close()
    assert server.hits("/api/v1/timelines/tag/x") == 1
    assert monitors.all()[0].state.cursor is None


def test_a_stream_to_a_private_address_is_refused_before_every_connection(
        server: ReplayServer, tmp_path: Path) -> None:
    """Refused without a request, said in the state, and looked at again before each
    try (a name may resolve elsewhere later): the reader lives on, backing off. It
    was checked once, when the reader started, which then ended for good."""
    server.route("/api/v1/streaming/hashtag", lambda query: Canned(b":thump\n\n"))
    monitors = MonitorFile(tmp_path / "monitors.json")
    monitor = monitors.add("mastodon", {"tag": "x", "stream": "yes"}, server.url, 300.0)
    follower = StreamFollower(monitors, lambda payload: None, settings=dict,
                              rejects_dir=lambda: tmp_path, backoff_base=0.05)
    stream = follower.streams[monitor.id] = _Stream(follower, monitor)  # 127.0.0.1
    stream.thread.start()
    try:
        assert until(lambda: stream.buffer.failures >= 3, 10, 0.01), stream.buffer
        assert stream.thread.is_alive()
    finally:
        stream.stop.set()
        stream.thread.join(5)
    assert "SCRM_MONITOR_ALLOW_PRIVATE" in (stream.buffer.error or "")
    assert server.requests == []


def _reader(server: ReplayServer, tmp_path: Path, backoff: float) -> tuple[Any, Any]:
    """A Mastodon stream reader on ``server`` (its thread started) and its follower,
    which writes nothing (the catch-ups' timeline answers nothing)."""
    server.route("/api/v1/timelines/tag/x", lambda query: Canned(b"[]"))
    monitors = MonitorFile(tmp_path / "monitors.json")
    monitor = monitors.add("mastodon", {"tag": "x", "stream": "yes"}, server.url, 300.0)
    follower = StreamFollower(monitors, lambda payload: None,
                              settings=lambda: {"monitor_allow_private": True},
                              rejects_dir=lambda: tmp_path, backoff_base=backoff)
    stream = follower.streams[monitor.id] = _Stream(follower, monitor)
    stream.thread.start()
    return follower, stream


def test_a_stream_closed_as_soon_as_it_opens_backs_off(
        server: ReplayServer, tmp_path: Path) -> None:
    """A stream that ends at once with nothing on it (a proxy closing it, a server
    turning readers away) is a failure: reconnected with backoff, and said in the
    state. It was taken for a drop and opened again every ``backoff_base / 5`` (each
    time owing a REST catch-up): here ~60 connections in 3 s, now a handful."""
    server.route("/api/v1/streaming/hashtag", lambda query: Canned(b":thump\n\n"))
    follower, stream = _reader(server, tmp_path, backoff=0.25)
    try:
        assert until(lambda: stream.buffer.failures >= 2, 10, 0.01), stream.buffer
        time.sleep(3)
        hits = server.hits("/api/v1/streaming/hashtag")
        assert 2 <= hits <= 8, hits
        assert "closed the stream" in (stream.buffer.error or ""), stream.buffer
    finally:
        follower.stop()


def test_a_stream_answered_429_waits_for_retry_after(
        server: ReplayServer, tmp_path: Path) -> None:
    """The streaming endpoint's own 429 is honoured: the next connection waits for its
    Retry-After. The stream's error had no retry time, and the reader came back after
    its short backoff (here 25-50 ms) however long the platform asked it to wait."""
    server.route("/api/v1/streaming/hashtag", lambda query: Canned(
        b'{"error": "Too many requests"}', 429, {"retry-after": "3600"}))
    follower, stream = _reader(server, tmp_path, backoff=0.05)
    try:
        assert until(lambda: stream.buffer.failures >= 1, 10, 0.01), stream.buffer
        time.sleep(1.5)
        assert server.hits("/api/v1/streaming/hashtag") == 1
        assert "rate limited" in (stream.buffer.error or ""), stream.buffer
    finally:
        follower.stop()


def _jetstream_post(did: str, rkey: str, text: str, stamp: int,
                    reply_to: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"text": text, "createdAt": "2026-07-04T12:00:00Z"}
    if reply_to is not None:
        parent = {"uri": reply_to, "cid": "x"}
        record["reply"] = {"parent": parent, "root": parent}
    return {"did": did, "time_us": stamp, "kind": "commit", "commit": {
        "operation": "create", "collection": "app.bsky.feed.post", "rkey": rkey,
        "record": record}}


def test_a_batch_writes_the_posts_its_care_queue_waits_for_first(
        embedded_store: Any, tmp_path: Path) -> None:
    """A stream batch is written in two commits: the posts the care queue waits for
    (negative on arrival), with the posts they reply to, and then the rest, whose commit
    the checkpoint is left to. The queue is told each part as it is committed, so a
    complaint is shown without waiting for the rest of its batch; the cursor moves only
    after both, and the queue kept this way equals one read afresh."""
    monitors = MonitorFile(tmp_path / "monitors.json")
    monitor = monitors.add("jetstream", {"dids": "did:plc:brand"}, "ws://127.0.0.1:9", 300.0)
    embedded_store.set_brand([], {"brand.terms": json.dumps(["brightloop"])})
    queue = CareQueueIndex()
    queue.refresh(embedded_store)
    told: list[list[str]] = []

    @contextmanager
    def writing(store: Any) -> Iterator[Any]:
        with queue.writing() as tell:
            def telling(keys: Any, created: int, written: Any = None) -> None:
                told.append(list(keys))
                tell(keys, created, written)
            yield telling

    def prepare(units: list[Unit]) -> None:  # sentiment on arrival, by hand
        for unit in units:
            unit.records[:] = [replace(r, sentiment=-0.8 if "broken" in r.text else 0.4)
                               if isinstance(r, Post) else r for r in unit.records]

    deferred: list[bool] = []
    committed: list[int] = []  # how many parts were told when the first was committed
    writer = embedded_store.sibling()
    deferring = writer.deferring_checkpoint

    @contextmanager
    def noting() -> Iterator[None]:
        deferred.append(True)
        with deferring():
            yield

    writer.deferring_checkpoint = noting
    follower = StreamFollower(monitors, lambda payload: None, settings=dict,
                              rejects_dir=lambda: tmp_path, prepare=prepare,
                              writing=writing, first=lambda store: queue.waits_on_arrival(),
                              committed=lambda: committed.append(len(told)),
                              first_part_units=4, flush_seconds=0.01)
    stream = follower.streams[monitor.id] = _Stream(follower, monitor)  # not connected
    follower._preparer.start()  # the preparing thread alone: this test writes by hand
    root = "at://did:plc:a/app.bsky.feed.post/1root"
    events = [
        _jetstream_post("did:plc:a", "1root", "I just got my brightloop lamp", 100),
        _jetstream_post("did:plc:b", "2calm", "brightloop is fine I guess", 101),
        _jetstream_post("did:plc:c", "3angry", "brightloop mine arrived broken", 102,
                        reply_to=root),
        _jetstream_post("did:plc:d", "4happy", "love my brightloop", 103)]
    key = {e["commit"]["rkey"]: f"bluesky:at://{e['did']}/app.bsky.feed.post/"
           f"{e['commit']['rkey']}" for e in events}
    try:
        for event in events:
            stream.put(event, stamp=event["time_us"])
        assert until(lambda: len(stream.buffer.ready) == 4, 10, 0.02)
        done = follower.flush(writer)
        # a batch smaller than first_part_units is one commit: a second one would cost
        # the writer more than its rest takes to write
        stream.put(_jetstream_post("did:plc:e", "5worse", "brightloop broken again", 104),
                   stamp=104)
        stream.put(_jetstream_post("did:plc:f", "6fine", "brightloop ok", 105), stamp=105)
        assert until(lambda: len(stream.buffer.ready) == 2, 10, 0.02)
        again = follower.flush(writer)
    finally:
        follower.stop()
        writer.close()
    assert (done["loaded"], again["loaded"]) == (4, 2), (done, again)
    # the complaint and the post it answers, in their order; then the rest
    assert told[:2] == [[key["1root"], key["3angry"]], [key["2calm"], key["4happy"]]], told
    assert len(told) == 3 and len(told[2]) == 2  # the small batch: as it came
    assert deferred == [True]  # the first commit left the checkpoint to the second
    assert committed == [1]  # said once the first part was in, before the rest
    state = monitors.all()[0].state
    assert (state.cursor, state.items) == ("105", 6), state
    queue.refresh(embedded_store)
    fresh = CareQueueIndex()
    fresh.refresh(embedded_store)
    now = datetime.now(UTC)
    assert sorted(i.post_key for i in queue.items(now)) == \
        sorted(i.post_key for i in fresh.items(now)) == \
        sorted([key["3angry"], "bluesky:at://did:plc:e/app.bsky.feed.post/5worse"])
    assert queue.rebuilds == 1  # brought up to date from the parts told, never reread


def _unit(n: int, post_id: str, parent: str | None = None, root: str | None = None,
          sentiment: float = 0.3) -> Unit:
    post = Post("bluesky", post_id, f"u{n}", datetime(2026, 7, 4, tzinfo=UTC), "x",
                parent_id=parent, conversation_id=root or post_id, sentiment=sentiment)
    return Unit(n, "", [post])


def test_care_first_takes_the_posts_a_wanted_reply_answers_up_to_its_root() -> None:
    from ingest.connectors.streaming import care_first

    def negative(post: Post) -> bool:
        return (post.sentiment or 0) < 0

    chain = [_unit(1, "a"), _unit(2, "b", "a", "a"), _unit(3, "other"),
             _unit(4, "c", "b", "a", sentiment=-0.7), _unit(5, "d", "c", "a")]
    first, rest = care_first(chain, negative)
    # c, the posts above it in its thread (b, a), in the batch's order; d (below) waits
    assert [u.line for u in first] == [1, 2, 4] and [u.line for u in rest] == [3, 5]
    # a parent that is not in the batch (stored, or still to come) takes nothing along
    lone = [_unit(1, "x"), _unit(2, "y", "stored", "stored", sentiment=-0.5)]
    assert [[u.line for u in part] for part in care_first(lone, negative)] == [[2], [1]]
    # nothing wanted, or everything: one part, as it came
    assert care_first(chain[:3], negative) == [chain[:3]]
    assert care_first([chain[3], chain[0]], negative) == [[chain[3], chain[0]]]
