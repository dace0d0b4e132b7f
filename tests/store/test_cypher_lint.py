"""Every Cypher statement the Neo4j adapter can send, checked by Neo4j's own parser.

``tools/cypher-lint/lint.mjs`` runs ``lintCypherQuery`` from
``@neo4j-cypher/language-support`` (the parser and semantic analysis behind Neo4j's
editors) over each statement with this project's schema: the labels and relationship
types of :mod:`graph.schema`, the property keys of its tables, which relationship joins
which labels, and, per statement, the parameters the adapter really sends with it
(recorded by ``neo4j_recording``). Syntax errors, undefined variables, parameters the
adapter never sends, unknown labels or properties and wrong-way relationships all show.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from neo4j_recording import recorded

from graph.neo4j import queries as neo4j_queries
from graph.schema import (
    ACCOUNT_PLATFORM_COLUMNS,
    EMBEDDED_SCHEMA,
    NODE_LABELS,
    POST_UNDERSTANDING_COLUMNS,
    REL_TYPES,
    SCORE_KINDS,
)

REPO = Path(__file__).resolve().parents[2]
LINT_DIR = REPO / "tools" / "cypher-lint"
INSTALL = "npm ci --prefix tools/cypher-lint --no-audit --no-fund"

# Sent by the contract suite's fixture (tests/store/conftest.py), not by the adapter.
TEST_ONLY = {"WIPE_DATABASE"}


def statements() -> dict[str, str]:
    """Every statement in graph.neo4j.queries, builder outputs included, by name."""
    found: dict[str, str] = {}
    for name, value in vars(neo4j_queries).items():
        if not name.isupper() or name.startswith("_"):
            continue
        if isinstance(value, str):
            found[name] = value
        elif isinstance(value, tuple):
            found.update((f"{name}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str))
        elif isinstance(value, dict):
            found.update((f"{name}[{k!r}]", v) for k, v in value.items() if isinstance(v, str))
    for kind in SCORE_KINDS:
        found[f"ranked_accounts_query({kind!r})"] = neo4j_queries.ranked_accounts_query(kind)
    unique: dict[str, str] = {}
    for name, query in found.items():  # SCHEMA_STATEMENTS repeats its parts, and so on
        if query not in unique.values():
            unique[name] = query
    return unique


def lint_schema() -> dict[str, Any]:
    """The dbSchema the linter checks against, derived from graph.schema."""
    properties: set[str] = set()
    graph_schema = []
    for ddl in EMBEDDED_SCHEMA:
        body = ddl[ddl.index("(") + 1:ddl.rindex(")")]
        rel = re.search(r"FROM\s+(\w+)\s+TO\s+(\w+)", body)
        if rel:
            rel_type = re.search(r"REL TABLE IF NOT EXISTS\s+(\w+)", ddl)
            assert rel_type is not None
            graph_schema.append({"from": rel.group(1), "to": rel.group(2),
                                 "relType": rel_type.group(1)})
        for column in re.split(r",(?![^(]*\))", body):
            word = column.split()[0] if column.split() else ""
            if word not in ("PRIMARY", "FROM"):
                properties.add(word)
    # added at open
    properties.update(name for name, _ in (*POST_UNDERSTANDING_COLUMNS, *ACCOUNT_PLATFORM_COLUMNS))
    return {"labels": list(NODE_LABELS), "relationshipTypes": list(REL_TYPES),
            "propertyKeys": sorted(properties), "graphSchema": graph_schema}


@cache
def sent_parameters() -> dict[str, frozenset[str]]:
    return {query: frozenset(names) for query, names in recorded().sent.items()}


def lint(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the Cypher check needs Node.js 20+")
    if not (LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        pytest.skip(f"tools/cypher-lint/node_modules is missing: run `{INSTALL}`")
    done = subprocess.run(
        ["node", str(LINT_DIR / "lint.mjs")], input=json.dumps(
            {"schema": lint_schema(), "statements": items}),
        capture_output=True, text=True, timeout=280, check=False)
    assert done.returncode in (0, 1), done.stderr
    report: list[dict[str, Any]] = json.loads(done.stdout)
    return report


def test_the_adapter_sends_only_named_statements() -> None:
    named = set(statements().values())
    inline = [query for query in sent_parameters() if query not in named]
    assert inline == [], "Cypher sent by Neo4jStore that is not in graph/neo4j/queries.py"


def test_every_named_statement_is_sent_by_the_adapter() -> None:
    unsent = [name for name, query in statements().items()
              if query not in sent_parameters() and name not in TEST_ONLY]
    assert unsent == [], "statements no port method sends (dead, or the workload misses them)"


@pytest.mark.slow
def test_every_statement_passes_neo4j_cypher_analysis() -> None:
    sent = sent_parameters()
    items = [{"name": name, "query": query, "parameters": sorted(sent.get(query, ()))}
             for name, query in statements().items()]
    report = lint(items)
    problems = {entry["name"]: entry["diagnostics"] for entry in report if entry["diagnostics"]}
    print(f"Cypher statements checked by Neo4j's parser: {len(report)}")
    assert len(report) == len(items) >= 60
    assert problems == {}


# The checks of the check: three statements that must draw a diagnostic, linted in one run
# of the linter (each run loads Neo4j's parser again, ~2 s).
PROBES = [
    {"name": "misspelt", "query": "MATCH (a:Acount {key: $key}) RETURN a.key",
     "parameters": ["key"]},
    {"name": "unsent", "query": "MATCH (a:Account {key: $key}) RETURN a.key",
     "parameters": []},
    {"name": "backwards", "query": "MATCH (p:Post)-[:POSTED]->(a:Account) RETURN a.key",
     "parameters": []},
]


@pytest.fixture(scope="module")
def probed() -> dict[str, dict[str, Any]]:
    report = lint(PROBES)
    assert [entry["name"] for entry in report] == [p["name"] for p in PROBES]
    return {entry["name"]: entry for entry in report}


def test_the_check_reports_a_misspelt_label(probed: dict[str, dict[str, Any]]) -> None:
    messages = [d["message"] for d in probed["misspelt"]["diagnostics"]]
    assert any("Acount" in m for m in messages), messages


def test_the_check_reports_a_parameter_the_adapter_does_not_send(
        probed: dict[str, dict[str, Any]]) -> None:
    assert [d["severity"] for d in probed["unsent"]["diagnostics"]] == ["error"]


def test_the_check_reports_a_relationship_drawn_the_wrong_way(
        probed: dict[str, dict[str, Any]]) -> None:
    assert probed["backwards"]["diagnostics"], "POSTED goes from Account to Post"
