"""The twin driver itself: how much of the Neo4j adapter's Cypher runs unchanged."""

from __future__ import annotations

from neo4j_twin_driver import DIALECT, SERVER_ONLY, ladybug_dialect
from test_cypher_lint import statements as named_statements

from graph.neo4j import queries as q


def test_most_statements_run_on_the_twin_as_the_adapter_wrote_them() -> None:
    statements = set(named_statements().values())
    spelled = {s for s, text in DIALECT.items() if text}  # schema statements map to ""
    assert spelled <= statements and set(SERVER_ONLY) <= statements
    assert all(SERVER_ONLY.values())  # every statement the twin refuses says why
    unchanged = statements - set(DIALECT) - set(SERVER_ONLY)
    # the twin exists to judge the adapter's own text: keep the respellings few
    assert len(unchanged) >= 5 * (len(spelled) + len(SERVER_ONLY))


def test_typed_nulls_are_cast_and_times_sent_as_naive_utc() -> None:
    from datetime import UTC, datetime

    text, params = ladybug_dialect(q.FAIL_RUN, {"run_id": "r", "error": None,
                                                "finished_at": datetime(2024, 1, 1, tzinfo=UTC)})
    assert "$error" in text and params["finished_at"].tzinfo is None
    text, _ = ladybug_dialect(q.MERGE_CUSTOMERS, {"rows": [{"key": "c", "nps": None}]})
    assert "CAST(row.nps AS INT64)" in text
