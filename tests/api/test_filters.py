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
