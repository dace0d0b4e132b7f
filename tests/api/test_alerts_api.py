"""Alerts through the real store: GraphQL ``alerts`` and ``scrm alerts`` on a replayed spike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from api_testkit import LiveServer, score_frame

from graph.embedded import EmbeddedStore
from graph.model import Account, Post
from graph.store import GraphBatch

START = datetime(2026, 10, 13, 0, tzinfo=UTC)
HOURS = 40
SPIKE_HOUR = START + timedelta(hours=HOURS)  # 60 posts in this hour, 6 an hour before
AT = SPIKE_HOUR + timedelta(minutes=59)


def _posts() -> tuple[list[Post], dict[str, float]]:
    posts, sentiment = [], {}
    n = 0
    for h in range(HOURS + 1):
        for i in range(60 if h == HOURS else 6):
            n += 1
            post = Post("twitter", f"p{n}", f"fan{(n % 60) + 1:02d}",
                        START + timedelta(hours=h, seconds=50 * i), f"@acme hello {n}",
                        mentions=("acme",))
            posts.append(post)
            sentiment[f"twitter:p{n}"] = 0.5
    for pid, who in (("angry1", "carol"), ("angry2", "fan05")):
        posts.append(Post("twitter", pid, who, SPIKE_HOUR + timedelta(minutes=30),
                          "@acme this is a disgrace", mentions=("acme",)))
        sentiment[f"twitter:{pid}"] = -0.8
    return posts, sentiment


@pytest.fixture(scope="module")
def alerts_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("alerts") / "alerts.lbdb"
    store = EmbeddedStore(path)
    try:
        posts, sentiment = _posts()
        accounts = [Account("twitter", "acme"), Account("twitter", "carol", followers=25_000),
                    *(Account("twitter", f"fan{i:02d}") for i in range(1, 61))]
        store.write_batch(GraphBatch(accounts=accounts, posts=posts))
        store.write_post_sentiment(list(sentiment), list(sentiment.values()), "test")
        store.set_brand(["twitter:acme"], {"brand.name": "Acme"})
        scores = score_frame()
        scores["customer_value"] = 10.0
        scores.loc["twitter:fan05", "customer_value"] = 5_000.0  # the one high-value customer
        run = store.start_run({"test": True})
        store.write_scores(run, scores)
        store.finish_run(run, {})
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def server(alerts_db: Path) -> Iterator[LiveServer]:
    from api.app import create_app

    store = EmbeddedStore(alerts_db, read_only=True)
    with LiveServer(create_app(store=store)) as live:
        yield live
    store.close()


QUERY = """query($at: DateTime, $kinds: [AlertKind!]) {
  alerts(at: $at, kinds: $kinds) { id kind subject startedAt endedAt observed expected pValue
                                   message postId account { handle } } }"""


def test_graphql_alerts_on_a_replayed_spike(server: LiveServer) -> None:
    body = server.graphql(QUERY, {"at": AT.isoformat()})
    assert "errors" not in body, body
    found = {(a["kind"], a["subject"], a["postId"]) for a in body["data"]["alerts"]}
    assert found == {("VOLUME_SPIKE", "brand", None),
                     ("DETRACTOR_POST", "twitter:carol", "twitter:angry1"),
                     ("CUSTOMER_COMPLAINT", "twitter:fan05", "twitter:angry2")}
    spike = next(a for a in body["data"]["alerts"] if a["kind"] == "VOLUME_SPIKE")
    assert spike["observed"] == 62 and spike["expected"] == pytest.approx(6.0 * 59 / 60, rel=0.01)
    assert spike["id"] == f"volume_spike|brand|{SPIKE_HOUR.isoformat()}"


def test_graphql_alerts_filtered_and_quiet_before(server: LiveServer) -> None:
    body = server.graphql(QUERY, {"at": AT.isoformat(), "kinds": ["DETRACTOR_POST"]})
    [alert] = body["data"]["alerts"]
    assert alert["account"] == {"handle": "carol"}
    quiet = server.graphql(QUERY, {"at": (SPIKE_HOUR - timedelta(minutes=1)).isoformat()})
    assert quiet["data"]["alerts"] == []


@pytest.mark.slow
def test_cli_alerts_json(alerts_db: Path) -> None:
    env = {**os.environ}
    env.pop("SCRM_NEO4J_URI", None)
    proc = subprocess.run([sys.executable, "-m", "api.cli", "alerts", "--db", str(alerts_db),
                           "--at", AT.isoformat(), "--json", "--kind", "volume_spike"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    [alert] = json.loads(proc.stdout)
    assert alert["subject"] == "brand" and alert["observed"] == 62


@pytest.mark.slow
def test_cli_alerts_refuses_an_unknown_kind(alerts_db: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "api.cli", "alerts", "--db", str(alerts_db),
                           "--kind", "nope"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "unknown alert kind 'nope'" in proc.stderr


@pytest.mark.parametrize("topics", ['{"billing": 5}', '{"billing": "refund"}',
                                    '{"billing": ["refund", 3]}'])
def test_topics_that_do_not_list_their_terms_are_refused_in_one_line(topics: str) -> None:
    from api.alerts import watched_series
    from api.errors import UserError

    with pytest.raises(UserError, match="'billing' must list its terms"):
        watched_series({}, "", topics)


@pytest.mark.slow
def test_cli_alerts_refuses_topics_without_a_list(alerts_db: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "api.cli", "alerts", "--db", str(alerts_db),
                           "--topics", '{"billing": 5}'], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2 and "'billing' must list its terms" in proc.stderr
    assert "Traceback" not in proc.stderr
