"""Every score carries its explanation wherever it appears: on a customer's accounts, on
``account(...)`` and on a ranking's entries, and they agree."""

from __future__ import annotations

from api_testkit import LiveServer

EXPLAIN = """explanation { advocate { factor contribution } influencer { factor contribution }
                          detractor { factor contribution } }"""
CUSTOMER = f"""query($id: ID!) {{ customer(id: $id) {{
  accounts {{ key scores {{ advocate {EXPLAIN} }} account {{ scores {{ {EXPLAIN} }} }} }} }} }}"""
ACCOUNT = f"""query($p: String!, $h: String!) {{ account(platform: $p, handle: $h) {{
  scores {{ advocate detractor {EXPLAIN} }} }} }}"""
TARGETS = f"""{{ engagementTargets(kind: ADVOCATE, first: 1) {{ edges {{ node {{
  account {{ key }} explanation {{ factor contribution }} scores {{ {EXPLAIN} }} }} }} }} }}"""
# what api_testkit.score_frame stores for every account
STORED = {
    "advocate": [{"factor": "brand sentiment", "contribution": 0.3},
                 {"factor": "customer value", "contribution": 0.2}],
    "influencer": [{"factor": "reach", "contribution": 0.4}],
    "detractor": [{"factor": "negative sentiment", "contribution": 0.5}],
}


def test_a_customers_accounts_carry_their_explanations(server: LiveServer) -> None:
    accounts = server.data(CUSTOMER, id="C1")["customer"]["accounts"]
    assert {a["key"] for a in accounts} == {"twitter:danaw", "reddit:dana_w"}
    for a in accounts:
        assert a["scores"]["explanation"] == STORED
        assert a["account"]["scores"]["explanation"] == STORED


def test_an_account_carries_its_explanation(server: LiveServer) -> None:
    scores = server.data(ACCOUNT, p="reddit", h="eve")["account"]["scores"]
    assert scores["explanation"] == STORED


def test_a_rankings_explanation_is_the_scores_own(server: LiveServer) -> None:
    node = server.data(TARGETS)["engagementTargets"]["edges"][0]["node"]
    assert node["explanation"] == node["scores"]["explanation"]["advocate"] == STORED["advocate"]
