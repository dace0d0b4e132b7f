"""network, communities and metrics through a real server on the analyzed demo database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from api_testkit import LiveServer

from graph.embedded import EmbeddedStore

SAMPLES = Path(__file__).resolve().parents[2] / "ingest" / "samples" / "demo"

NETWORK = """query($c: String, $d: Int!, $l: Int!, $w: Int!) {
  network(center: $c, depth: $d, limit: $l, minWeight: $w) {
    totalNodes truncated runId
    nodes { id kind community influence isCenter customerId }
    edges { source target weight sentiment } } }"""
COMMUNITIES = """query($first: Int!) { communities(first: $first, top: 3) {
  runId modularity total communities { id size internalInteractions externalInteractions
  topMembers { key scores { influence community } } bridges { key scores { bridge } } } } }"""
METRICS = """query($since: DateTime, $until: DateTime) { metrics(since: $since, until: $until) {
  since until notes
  awareness { mentionVolume uniqueAuthors reach shareOfVoice { name mentions share isBrand } }
  sales { totalRevenue linkedCustomers linkedRevenue engagedCustomers
          purchasesAfterEngagement revenueAfterEngagement }
  change { daily { day posts sentiment negativeShare unscored intents { intent posts } }
           risingTerms { term count previous lift }
           topics { intent posts previousPosts
                    terms { term count previous lift rising } } }
} }"""


@pytest.fixture(scope="module")
def demo(demo_template: Path) -> Iterator[tuple[LiveServer, EmbeddedStore]]:
    from api.app import create_app

    store = EmbeddedStore(demo_template, read_only=True)
    with LiveServer(create_app(store=store)) as live:
        yield live, store
    store.close()


def test_network_around_an_account(demo: tuple[LiveServer, EmbeddedStore]) -> None:
    server, store = demo
    view = server.data(NETWORK, c="@DanaRides", d=1, l=2000, w=1)["network"]
    ids = {n["id"] for n in view["nodes"]}
    centre = [n for n in view["nodes"] if n["isCenter"]]
    assert [n["id"] for n in centre] == ["twitter:danarides"]
    assert centre[0]["customerId"] == "C00001"
    # exactly Dana and everyone she interacted with, in either direction
    inter = store.interaction_frame().astype({"src": str, "dst": str})
    inter = inter[inter["src"] != inter["dst"]]
    touching = inter[(inter["src"] == "twitter:danarides") | (inter["dst"] == "twitter:danarides")]
    assert ids == set(touching["src"]) | set(touching["dst"])
    assert view["totalNodes"] == len(ids) and not view["truncated"]
    assert all(e["source"] in ids and e["target"] in ids for e in view["edges"])
    pairs = inter.groupby(["src", "dst"]).size()
    for e in view["edges"][:50]:
        assert e["weight"] == pairs[(e["source"], e["target"])]

    small = server.data(NETWORK, c="twitter:danarides", d=1, l=10, w=1)["network"]
    assert len(small["nodes"]) == 10 and small["truncated"]
    assert any(n["isCenter"] for n in small["nodes"])  # the centre always stays
    kept = sorted((n["influence"] for n in view["nodes"] if not n["isCenter"]), reverse=True)
    assert sorted((n["influence"] for n in small["nodes"] if not n["isCenter"]),
                  reverse=True) == kept[:9]

    heavy = server.data(NETWORK, c="twitter:danarides", d=1, l=2000, w=3)["network"]
    assert heavy["edges"] and all(e["weight"] >= 3 for e in heavy["edges"])
    assert len(heavy["nodes"]) < len(view["nodes"])

    top = server.data(NETWORK, c=None, d=1, l=25, w=1)["network"]
    assert len(top["nodes"]) == 25 and top["totalNodes"] > 25


def test_network_errors(demo: tuple[LiveServer, EmbeddedStore]) -> None:
    server, _ = demo
    missing = server.graphql(NETWORK, {"c": "twitter:nobody_here", "d": 1, "l": 10, "w": 1})
    assert missing["errors"][0]["message"] == "no account 'twitter:nobody_here'"
    deep = server.graphql(NETWORK, {"c": None, "d": 9, "l": 10, "w": 1})
    assert deep["errors"][0]["message"] == "depth must be between 0 and 4"


def test_communities_cover_the_scored_accounts(demo: tuple[LiveServer, EmbeddedStore]) -> None:
    server, store = demo
    data = server.data(COMMUNITIES, first=500)["communities"]
    run = store.latest_run()
    assert run is not None and data["runId"] == run.run_id
    assert data["modularity"] == pytest.approx(run.stats["modularity"])
    scores = store.score_frame()
    truth = scores["community"].dropna().astype(int).value_counts()
    assert data["total"] == len(truth)
    assert {c["id"]: c["size"] for c in data["communities"]} == truth.to_dict()
    sizes = [c["size"] for c in data["communities"]]
    assert sizes == sorted(sizes, reverse=True)
    biggest = data["communities"][0]
    members = biggest["topMembers"]
    assert members and all(m["scores"]["community"] == biggest["id"] for m in members)
    influence = [m["scores"]["influence"] for m in members]
    assert influence == sorted(influence, reverse=True)
    assert influence[0] == pytest.approx(
        scores.loc[scores["community"] == biggest["id"], "influence"].max())
    assert any(c["externalInteractions"] > 0 for c in data["communities"])
    assert any(c["bridges"] for c in data["communities"])


def test_metrics_over_a_window(demo: tuple[LiveServer, EmbeddedStore]) -> None:
    server, store = demo
    m = server.data(METRICS, since="2026-09-01T00:00:00Z", until="2026-10-01T00:00:00Z")["metrics"]
    a, s, c = m["awareness"], m["sales"], m["change"]
    assert a["mentionVolume"] > 100 and 0 < a["uniqueAuthors"] <= a["mentionVolume"]
    assert a["reach"] >= 250_000  # @techwheels alone has 250k followers
    voices = {v["name"]: v for v in a["shareOfVoice"]}
    assert set(voices) == {"Brightloop", "Loopwise", "Cyclify"} and voices["Brightloop"]["isBrand"]
    assert sum(v["share"] for v in voices.values()) == pytest.approx(1.0)
    assert voices["Brightloop"]["share"] > voices["Loopwise"]["share"]
    assert sum(d["posts"] for d in c["daily"]) == a["mentionVolume"]
    assert all("2026-09-01" <= d["day"] < "2026-10-01" for d in c["daily"])
    assert all(t["lift"] > 1 and t["count"] >= 3 for t in c["risingTerms"])
    # intents counted per day, within each day's posts
    counted = {}
    for d in c["daily"]:
        for i in d["intents"]:
            assert 0 < i["posts"] <= d["posts"]
            counted[i["intent"]] = counted.get(i["intent"], 0) + i["posts"]
    assert counted.get("complaint", 0) > 0 and counted.get("question", 0) > 0
    # topics: what the complaints are about (the demo's planted problems)
    topics = {t["intent"]: t for t in c["topics"]}
    complaints = topics["complaint"]
    assert complaints["posts"] == counted["complaint"]
    words = [t["term"] for t in complaints["terms"]]
    assert {"battery", "billing", "charge", "app"} & set(words), words
    assert not {"awful", "terrible"} & set(words)  # the intent's own cues are not topics
    assert all(t["rising"] == (t["lift"] > 1) and t["count"] >= 2
               for t in complaints["terms"])
    # sales against the orders file itself
    orders = pd.read_csv(SAMPLES / "orders.csv", parse_dates=["date"])
    september = orders[(orders["date"] >= "2026-09-01") & (orders["date"] < "2026-10-01")]
    assert s["totalRevenue"] == pytest.approx(september["amount"].sum(), abs=0.01)
    linked = set(store.link_frame()["customer_id"])
    assert s["linkedCustomers"] == len(linked)
    assert s["linkedRevenue"] == pytest.approx(
        september.loc[september["customer_id"].isin(linked), "amount"].sum(), abs=0.01)
    assert s["revenueAfterEngagement"] <= s["linkedRevenue"]
    assert 0 < s["engagedCustomers"] <= s["linkedCustomers"]


def test_metrics_default_window_and_errors(demo: tuple[LiveServer, EmbeddedStore]) -> None:
    server, store = demo
    m = server.data(METRICS)["metrics"]
    settings = store.get_settings()
    terms = json.loads(settings.get("brand.terms", "[]")) + [settings["brand.name"]]
    newest = pd.to_datetime(store.brand_posts(terms)["created_at"], utc=True).max()
    until = datetime.fromisoformat(m["until"])
    assert 0 < (until - newest.to_pydatetime()).total_seconds() <= 1
    assert (until - datetime.fromisoformat(m["since"])).days == 30
    assert m["notes"] == ["the window ends at the newest post addressing the brand"]
    bad = server.graphql(METRICS, {"since": "2026-10-01T00:00:00Z",
                                   "until": "2026-09-01T00:00:00Z"})
    assert bad["errors"][0]["message"] == "'since' must be before 'until'"
    assert json.dumps(m)  # plain JSON all the way down


WITHIN = """query($c: Int, $t: String, $first: Int!) {
  influenceWithin(community: $c, topic: $t, first: $first) {
    runId seeds accounts { rank score inGroup account { key } } } }"""


def test_influence_within_a_community_and_a_topic(
        demo: tuple[LiveServer, EmbeddedStore]) -> None:
    import networkx as nx

    server, store = demo
    scores = store.score_frame(columns=("community", "influence"))
    community = int(scores["community"].value_counts().index[0])
    data = server.data(WITHIN, c=community, t=None, first=10)["influenceWithin"]
    members = set(scores.index[scores["community"] == community])
    assert data["seeds"] == len(members)
    top = data["accounts"]
    assert [a["rank"] for a in top] == list(range(1, 11)) and top[0]["score"] == 1.0
    assert all(a["inGroup"] == (a["account"]["key"] in members) for a in top)
    # the same walk by networkx: personalised PageRank restarting from the members
    run = store.latest_run()
    assert run is not None
    inter = store.interaction_frame().astype({"src": str, "dst": str, "kind": str})
    inter = inter[inter["src"] != inter["dst"]]
    weight = inter["kind"].map({"reply": 1.0, "mention": 0.5, "share": 1.0, "quote": 1.0})
    age = (inter["created_at"].max() - inter["created_at"]).dt.total_seconds() / 86400
    decay = (0.5 ** (age / run.params["half_life_days"])).clip(
        lower=run.params.get("decay_floor", 0.0))
    inter = inter.assign(w=weight * decay)
    g = nx.DiGraph()
    g.add_nodes_from(store.account_frame()["key"])
    for (s, d), w in inter.groupby(["src", "dst"])["w"].sum().items():
        g.add_edge(s, d, weight=w)
    expected = nx.pagerank(g, alpha=0.85, weight="weight",
                           personalization=dict.fromkeys(members, 1.0), tol=1e-12,
                           max_iter=1000)
    best = sorted(expected, key=lambda k: -expected[k])[:5]
    assert [a["account"]["key"] for a in top[:5]] == best

    topic = server.data(WITHIN, c=None, t="battery", first=5)["influenceWithin"]
    writers = store.topic_authors("battery")
    assert topic["seeds"] == len(writers) > 0
    assert any(a["inGroup"] for a in topic["accounts"])
    both = server.graphql(WITHIN, {"c": 1, "t": "battery", "first": 5})
    assert both["errors"][0]["message"] == "give either 'community' or 'topic'"
    nobody = server.data(WITHIN, c=None, t="zzzz-no-such-topic", first=5)["influenceWithin"]
    assert nobody == {"runId": run.run_id, "seeds": 0, "accounts": []}
