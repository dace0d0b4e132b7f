"""engagementTargets filters, through the real server."""

from __future__ import annotations

from api_testkit import LiveServer

QUERY = """query($kind: TargetKind!, $first: Int!, $after: String, $platform: String,
  $audience: Audience! = ALL, $minScore: Float, $community: Int) {
  engagementTargets(kind: $kind, first: $first, after: $after, platform: $platform,
                    audience: $audience, minScore: $minScore, community: $community) {
    edges { cursor node { rank score account { key platform } customer { id } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _page(server: LiveServer, **variables: object) -> dict:
    result = server.graphql(QUERY, {"kind": "INFLUENCER", "first": 100, **variables})
    assert "errors" not in result, result
    return result["data"]["engagementTargets"]


def test_platform_and_audience_filters(server: LiveServer) -> None:
    whole = _page(server)
    assert not whole["pageInfo"]["hasNextPage"]  # the test graph's ranking fits one page
    everyone = whole["edges"]
    reddit = _page(server, platform="reddit")["edges"]
    assert reddit and all(e["node"]["account"]["platform"] == "reddit" for e in reddit)
    assert {e["node"]["account"]["key"] for e in reddit} == {
        e["node"]["account"]["key"] for e in everyone
        if e["node"]["account"]["platform"] == "reddit"}
    customers = _page(server, audience="CUSTOMERS")["edges"]
    prospects = _page(server, audience="PROSPECTS")["edges"]
    assert customers and all(e["node"]["customer"] for e in customers)
    assert prospects and all(e["node"]["customer"] is None for e in prospects)
    assert len(customers) + len(prospects) == len(everyone)


def test_min_score_and_paging_through_a_filter(server: LiveServer) -> None:
    everyone = _page(server)["edges"]
    cut = everyone[len(everyone) // 2]["node"]["score"]
    high = _page(server, minScore=cut)["edges"]
    assert high and all(e["node"]["score"] >= cut for e in high)
    assert len(high) == sum(e["node"]["score"] >= cut for e in everyone)
    first = _page(server, audience="CUSTOMERS", first=3)
    rest = _page(server, audience="CUSTOMERS", after=first["pageInfo"]["endCursor"])
    assert first["pageInfo"]["hasNextPage"]
    whole = _page(server, audience="CUSTOMERS")["edges"]
    assert [e["node"]["rank"] for e in first["edges"] + rest["edges"]] == [
        e["node"]["rank"] for e in whole]


TIMELINE = """query($f: TimelineFilter, $first: Int!, $after: String) {
  customer(id: "C1") { interactions(first: $first, after: $after, filter: $f) {
    edges { node { postId platform kind direction time } }
    pageInfo { hasNextPage endCursor } } } }"""


def _timeline(server: LiveServer, f: dict | None, first: int = 50,
              after: str | None = None) -> dict:
    result = server.graphql(TIMELINE, {"f": f, "first": first, "after": after})
    assert "errors" not in result, result
    return result["data"]["customer"]["interactions"]


def _ids(page: dict) -> list[str]:
    return [e["node"]["postId"] for e in page["edges"]]


def test_timeline_filters_by_platform_kind_direction_and_date(server: LiveServer) -> None:
    from api_testkit import DANA_TIMELINE

    assert _ids(_timeline(server, None)) == DANA_TIMELINE
    reddit = _ids(_timeline(server, {"platforms": ["Reddit"]}))
    assert reddit == [k for k in DANA_TIMELINE if k.startswith("reddit:")]
    mentions = _timeline(server, {"directions": ["MENTION_RECEIVED"]})
    assert _ids(mentions) == ["twitter:tw8", "twitter:tw7", "twitter:tw4"]
    window = _ids(_timeline(server, {"since": "2024-03-01T11:00:00Z",
                                     "until": "2024-03-01T14:00:00Z"}))
    assert window == ["twitter:tw5", "twitter:tw4", "twitter:tw3"]  # until is exclusive
    shares = _timeline(server, {"kinds": ["share"]})
    assert _ids(shares) == ["twitter:tw5"]
    both = _ids(_timeline(server, {"platforms": ["twitter"], "directions": ["AUTHORED"]}))
    assert both == ["twitter:tw6", "twitter:tw1"]


def test_filtered_timeline_pages_without_gaps(server: LiveServer) -> None:
    f = {"platforms": ["twitter"]}
    whole = _ids(_timeline(server, f))
    seen, after = [], None
    while True:
        page = _timeline(server, f, first=2, after=after)
        seen += _ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == whole and len(whole) == 8


def test_timeline_filter_rejects_an_empty_window(server: LiveServer) -> None:
    result = server.graphql(TIMELINE, {"f": {"since": "2024-03-02T00:00:00Z",
                                             "until": "2024-03-01T00:00:00Z"}, "first": 5})
    assert result["errors"][0]["message"] == "filter.since must be before filter.until"


ACTIVE = """query($since: DateTime, $until: DateTime) {
  engagementTargets(kind: INFLUENCER, first: 100, activeSince: $since, activeUntil: $until) {
    edges { node { account { key } } } } }"""


def test_targets_active_in_a_date_window(server: LiveServer) -> None:
    def keys(since: str | None, until: str | None) -> list[str]:
        result = server.graphql(ACTIVE, {"since": since, "until": until})
        assert "errors" not in result, result
        return [e["node"]["account"]["key"] for e in result["data"]["engagementTargets"]["edges"]]

    everyone = keys(None, None)
    march_2 = keys("2024-03-02T00:00:00Z", "2024-03-03T00:00:00Z")
    # who posted on 2 March: eve (t1_def), the brand (t1_ghi), dana on reddit (t3_abc, t1_jkl)
    assert set(march_2) == {"reddit:eve", "reddit:dana_w", "reddit:acme_official"} & set(everyone)
    assert march_2 == [k for k in everyone if k in march_2]  # still in rank order
    assert "twitter:carol" in keys("2024-03-03T00:00:00Z", None)
    bad = server.graphql(ACTIVE, {"since": "2024-03-03T00:00:00Z", "until": "2024-03-01T00:00:00Z"})
    assert bad["errors"][0]["message"] == "activeSince must be before activeUntil"
