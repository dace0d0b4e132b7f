"""careQueue on the demo data, through a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_testkit import LiveServer

from analytics.job import run_analysis
from graph.embedded import EmbeddedStore
from ingest.pipeline import ingest_paths

SAMPLES = Path(__file__).resolve().parents[2] / "ingest" / "samples" / "demo"
QUERY = """query($team: String, $first: Int!, $after: String) {
  careQueue(team: $team, first: $first, after: $after) {
    total pageInfo { hasNextPage endCursor }
    edges { node { conversationId priority team sentiment waitingHours text
                   author { handle } customer { id } reasons { factor contribution } } } } }"""


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from api.app import create_app

    path = tmp_path_factory.mktemp("care") / "demo.lbdb"
    with EmbeddedStore(path) as store:
        store.set_brand(["twitter:brightloop", "twitter:brightloop_help",
                         "reddit:brightloop_team"], {"brand.name": "Brightloop",
                                                     "brand.terms": '["brightloop"]'})
        for source, name in (("crm", "crm.csv"), ("orders", "orders.csv"),
                             ("twitter", "twitter.jsonl"), ("reddit", "reddit.jsonl")):
            ingest_paths(store, source, [SAMPLES / name], rejects_dir=path.parent)
        run_analysis(store)
    store = EmbeddedStore(path, read_only=True)
    with LiveServer(create_app(store=store)) as server:
        yield server
    store.close()


def test_queue_is_ranked_routed_and_paged(demo_server: LiveServer) -> None:
    data = demo_server.graphql(QUERY, {"first": 100})["data"]["careQueue"]
    items = [e["node"] for e in data["edges"]]
    assert data["total"] >= len(items) > 5
    assert [i["priority"] for i in items] == sorted((i["priority"] for i in items),
                                                    reverse=True)
    assert all(i["sentiment"] <= -0.05 for i in items)
    handles = [i["author"]["handle"] for i in items]
    assert "grumpygus" in handles[:5]  # the high-value angry customer is near the top
    assert {i["team"] for i in items} <= {"support", "sales", "product", "pr"}
    assert {r["factor"] for r in items[0]["reasons"]} >= {"negative sentiment",
                                                          "customer value"}
    sales = demo_server.graphql(QUERY, {"team": "sales", "first": 100})["data"]["careQueue"]
    assert all(e["node"]["team"] == "sales" for e in sales["edges"])
    first = demo_server.graphql(QUERY, {"first": 2})["data"]["careQueue"]
    second = demo_server.graphql(QUERY, {"first": 2, "after": first["pageInfo"]["endCursor"]}
                                 )["data"]["careQueue"]
    assert [e["node"]["conversationId"] for e in first["edges"] + second["edges"]] == [
        i["conversationId"] for i in items[:4]]


def test_customer_360_has_purchases_and_link_evidence(demo_server: LiveServer) -> None:
    import csv

    with (SAMPLES / "orders.csv").open() as fh:
        orders = [r for r in csv.DictReader(fh) if r["customer_id"] == "C00001"]
    data = demo_server.graphql("""{ customer(id: "C00001") { name lifetimeValue
        purchases { orderId amount purchasedAt }
        accounts { key linkConfidence linkMethod linkEvidence } } }""")["data"]["customer"]
    assert data["name"] == "Dana Whitfield" and data["lifetimeValue"] == 12000.0
    assert sorted(p["orderId"] for p in data["purchases"]) == sorted(o["order_id"]
                                                                     for o in orders)
    dates = [p["purchasedAt"] for p in data["purchases"]]
    assert dates == sorted(dates, reverse=True)
    assert {a["key"] for a in data["accounts"]} == {"twitter:danarides", "reddit:dana_rides"}
    assert all(a["linkMethod"] == "crm" and a["linkEvidence"] for a in data["accounts"])
