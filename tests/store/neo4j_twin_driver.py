"""A Neo4j driver with no server: the Neo4j adapter's Cypher runs on a LadybugDB twin.

The contract suite's ``neo4j`` cases run without a server through :class:`TwinDriver`:
it records every statement and its parameters as :class:`RecordingDriver` does (so
``test_cypher_lint.py``'s linter sees them), then executes the statement itself on an
embedded LadybugDB database with scrm's schema, where the two dialects agree, and
answers with what that database returns. So a case that writes and reads back judges
the Neo4j adapter's own statements and planning, not canned rows.

Where the dialects differ only in spelling, :data:`DIALECT` holds LadybugDB's spelling
of that one statement, and :func:`ladybug_dialect` makes the rest of the differences
mechanical (UNWIND infers STRING for a column that is null in every row, so typed
properties are cast; LadybugDB stores naive UTC times; results come back as the Neo4j
driver's temporal types). A statement LadybugDB cannot run (a primary key renamed in
place, say) raises :class:`NotOnTwin`: the contract case that needs it then checks what
the adapter sent instead (:data:`SERVER_ONLY`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from neo4j import Record
from neo4j.time import DateTime
from neo4j_recording import RecordingDriver

from graph.embedded import EmbeddedStore
from graph.neo4j import queries as q
from graph.schema import (
    ACCOUNT_PLATFORM_COLUMNS,
    EMBEDDED_SCHEMA,
    POST_UNDERSTANDING_COLUMNS,
)
from graph.store import GraphStore


class NotOnTwin(Exception):
    """A statement the LadybugDB twin cannot run; only a Neo4j server can."""


def _property_types() -> dict[str, str]:
    """Each property name of the schema with its LadybugDB type (one type per name)."""
    types: dict[str, str] = {}
    for ddl in EMBEDDED_SCHEMA:
        body = ddl[ddl.index("(") + 1:]
        for name, kind in re.findall(
                r"(\w+) (STRING\[\]|STRING|DOUBLE|INT64|BOOLEAN|DATE|TIMESTAMP)", body):
            if types.setdefault(name, kind) != kind:
                raise ValueError(f"property {name!r} has two types: cast it per label")
    return types


# The schema's properties, and the parameters that are compared with them.
TYPES = {**_property_types(), **dict(POST_UNDERSTANDING_COLUMNS),
         **dict(ACCOUNT_PLATFORM_COLUMNS),
         "before_time": "TIMESTAMP", "since": "TIMESTAMP",
         "until": "TIMESTAMP", "now": "TIMESTAMP", "platforms": "STRING[]",
         "kinds": "STRING[]", "languages": "STRING[]", "intents": "STRING[]"}
_ROW_FIELD = re.compile(r"\brow\.(\w+)\b")
_PARAM = re.compile(r"\$(\w+)\b")
_WRITES = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE)\b")

# LadybugDB's spelling of the statements whose Neo4j text it does not parse. Each is
# the same question; the twin answers it as Neo4j would.
_COUNTED_NODES = ("Customer", "Account", "Post", "Conversation", "Purchase", "PendingEdge",
                  "IdentityCandidate")
_COUNTED_RELS = ("OWNS", "POSTED", "REPLY_TO", "MENTIONS", "SHARES", "FOLLOWS")
DIALECT: dict[str, str] = {
    q.COUNTS: " UNION ALL ".join(
        [f"OPTIONAL MATCH (n:{label}) RETURN '{label}' AS name, count(n) AS n"
         for label in _COUNTED_NODES]
        + [f"OPTIONAL MATCH ()-[r:{rel}]->() RETURN '{rel}' AS name, count(r) AS n"
           for rel in _COUNTED_RELS]),
    q.RECORD_DECISION: """\
MERGE (d:IdentityDecision {key: $key})
SET d.customer_id = $customer_id, d.account_key = $account_key, d.decision = $decision,
    d.decided_at = current_timestamp()
WITH d
OPTIONAL MATCH (x:IdentityCandidate {key: $key})
DELETE x""",
    q.CREATE_CANDIDATES: """\
UNWIND $rows AS row
CREATE (x:IdentityCandidate {key: row.key, customer_id: row.customer_id,
        account_key: row.account_key, confidence: CAST(row.confidence AS DOUBLE),
        evidence: row.evidence, created_at: current_timestamp()})""",
    q.DELETE_CANDIDATES: "MATCH (x:IdentityCandidate) DELETE x",
    q.TIMELINE_MENTIONS_RECEIVED: q.TIMELINE_MENTIONS_RECEIVED.replace(
        "UNWIND range(0, size($keys) - 1) AS i\nWITH i, $keys[i] AS k",
        "UNWIND range(1, size($keys)) AS i\nWITH i, $keys[i] AS k"),  # lists count from 1
    # a WITH may sort only when it also skips or limits; collect keeps a struct of
    # nulls for an account with no owner, where Neo4j's head() of [] is null
    q.ACCOUNT_FRAME_PAGE: q.ACCOUNT_FRAME_PAGE
    .replace("ORDER BY o.confidence DESC", "ORDER BY o.confidence DESC SKIP 0")
    .replace("head(owners)", "list_extract(owners, 1)")
    .replace("collect(CASE WHEN c IS NULL THEN null ELSE {", "collect({")
    .replace("o.confidence} END) AS owners", "o.confidence}) AS owners"),
    q.EXPORT_CUSTOMER_PAGE: """\
MATCH (c:Customer)
WHERE c.key > $after
WITH c ORDER BY c.key LIMIT $limit
OPTIONAL MATCH (c)-[o:OWNS]->(a:Account)
WITH c, collect(CASE WHEN a IS NULL THEN NULL ELSE {platform: a.platform, handle: a.handle,
    confidence: o.confidence, method: o.method, evidence: o.evidence} END) AS links
OPTIONAL MATCH (c)-[:PURCHASED]->(p:Purchase)
WITH c, links, collect(CASE WHEN p IS NULL THEN NULL ELSE {order_id: p.order_id,
    amount: p.amount, purchased_at: p.purchased_at} END) AS purchases
RETURN c.key AS key, c.name AS name, c.email AS email, c.lifetime_value AS lifetime_value,
       c.nps AS nps, c.signup_date AS signup_date, c.location AS location,
       c.company AS company, links, purchases
ORDER BY c.key""",
    q.EXPORT_ACCOUNT_PAGE: """\
MATCH (a:Account)
WHERE a.key > $after
WITH a ORDER BY a.key LIMIT $limit
OPTIONAL MATCH (a)-[:FOLLOWS]->(b:Account)
WITH a, collect(b.handle) AS follows
RETURN a.key AS key, a.platform AS platform, a.handle AS handle, a.user_id AS user_id,
       a.display_name AS display_name, a.followers AS followers, a.is_brand AS is_brand,
       a.location AS location, a.description AS description, a.created_at AS created_at,
       a.following AS following, a.listed AS listed, a.client AS client, follows
ORDER BY a.key""",
    q.EXPORT_POST_PAGE: """\
MATCH (p:Post)
WHERE p.key > $after
WITH p ORDER BY p.key LIMIT $limit
OPTIONAL MATCH (p)-[:MENTIONS]->(m:Account)
WITH p, collect(m.handle) AS mentions
RETURN p.key AS key, p.platform AS platform, p.post_id AS post_id, p.author_key AS author_key,
       p.text AS text, p.title AS title, p.created_at AS created_at, p.url AS url,
       p.kind AS kind, p.parent_key AS parent_key, p.conversation_key AS conversation_key,
       p.shared_key AS shared_key, p.hashtags AS hashtags, p.lang AS lang, p.likes AS likes,
       p.reposts AS reposts, p.replies AS replies, p.score AS score, p.accepted AS accepted,
       mentions
ORDER BY p.key""",
}

# Statements only a Neo4j server runs, with the reason. A contract case that sends one
# is judged by what the adapter sent (see ``conftest.py``).
SERVER_ONLY: dict[str, str] = {
    q.FORGET_ACCOUNT: "renames an account's primary key in place (LadybugDB cannot)",
    q.MOVE_ORDERS: "renames a purchase's primary key in place (LadybugDB cannot)",
    q.DELETE_ACCOUNT_RECORDS: "matches a label union (x:A|B), which LadybugDB lacks",
    q.DELETE_CUSTOMER: "matches a label union (x:A|B), which LadybugDB lacks",
}
for _statement in q.SCHEMA_STATEMENTS:  # the twin's tables come from the embedded DDL
    DIALECT[_statement] = ""
DIALECT[q.WIPE_DATABASE] = ""


def _to_ladybug(value: Any) -> Any:
    """A parameter as LadybugDB stores it: times naive UTC, containers walked."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dict):
        return {k: _to_ladybug(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_ladybug(v) for v in value]
    return value


def _to_neo4j(value: Any) -> Any:
    """A LadybugDB value as the Neo4j driver returns it (aware DateTime in UTC)."""
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
        return DateTime.from_native(aware)
    if isinstance(value, dict):
        return {k: _to_neo4j(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_neo4j(v) for v in value if v is not None]
    return value


def ladybug_dialect(query: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``query`` and ``params`` as the twin runs them.

    Args:
        query: A statement of :mod:`graph.neo4j.queries`.
        params: Its parameters, as the adapter sent them.

    Returns:
        The LadybugDB statement (empty: nothing to run) and its parameters.

    Raises:
        NotOnTwin: Only a Neo4j server runs this statement.
    """
    if query in SERVER_ONLY:
        raise NotOnTwin(SERVER_ONLY[query])
    text = DIALECT.get(query, query).replace("EXISTS { (", "EXISTS { MATCH (") \
        .replace(" split(", " string_split(")
    # UNWIND types a column that is null in every row as STRING; a typed property
    # refuses it, so every row field and null parameter of a typed property is cast.
    text = _ROW_FIELD.sub(
        lambda m: (f"CAST(row.{m[1]} AS {TYPES[m[1]]})"
                   if TYPES.get(m[1], "STRING") not in ("STRING", "STRING[]") else m[0]),
        text)
    text = _PARAM.sub(
        lambda m: (f"CAST(${m[1]} AS {TYPES[m[1]]})"
                   if params.get(m[1], 0) is None
                   and TYPES.get(m[1], "STRING") != "STRING" else m[0]),
        text)
    return text, {k: _to_ladybug(v) for k, v in params.items()
                  if f"${k}" in text}


class TwinDriver(RecordingDriver):
    """Records what the Neo4j adapter sends and runs it on ``twin``'s database.

    Args:
        twin: An embedded store used only as a database holding scrm's schema.
    """

    def __init__(self, twin: EmbeddedStore) -> None:
        super().__init__()
        self.twin = twin
        # Set by a case judged by what is sent: a server-only statement is then recorded
        # and answered with no rows instead of raising NotOnTwin.
        self.pass_server_only = False

    def _record(self, query: str, params: dict[str, Any] | None) -> list[Record]:
        super()._record(query, params)
        return [Record(row) for row in self.run_on_twin(query, dict(params or {}))]

    def run_on_twin(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """What LadybugDB answers to the Neo4j statement ``query``."""
        if self.pass_server_only and query in SERVER_ONLY:
            return []
        text, sent = ladybug_dialect(query, params)
        if not text:
            return []
        for name in ("rows", "keys"):  # an empty list has no element type to bind
            if text.startswith(f"UNWIND ${name} ") and not params.get(name):
                return []
        # a server orders its writers itself; on the twin a statement that writes takes
        # the embedded family's write lock, as the embedded adapter's writes say they do
        run = self.twin._write_rows if _WRITES.search(text) else self.twin._rows
        rows = run(text, sent)
        if query == q.COUNTS:
            return [{r["name"]: r["n"] for r in rows}]
        return [{k: _to_neo4j(v) for k, v in r.items()} for r in rows]

    def session(self, database: str | None = None) -> TwinSession:
        assert database == "scrm"
        return TwinSession(self)


class TwinSession:
    """A session whose write transactions are LadybugDB transactions."""

    def __init__(self, driver: TwinDriver) -> None:
        self.driver = driver

    def __enter__(self) -> TwinSession:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute_write(self, work: Callable[[Any], Any]) -> Any:
        twin = self.driver.twin
        with twin._writing():
            twin._exec("BEGIN TRANSACTION")
            try:
                out = work(self)  # the session stands in for the transaction
            except BaseException:
                try:
                    twin._exec("ROLLBACK")
                except RuntimeError:  # LadybugDB already rolled back the failed statement's
                    pass
                raise
            twin._exec("COMMIT")
        return out

    def run(self, query: str, parameters: dict[str, Any] | None = None) -> Iterator[Record]:
        return iter(self.driver._record(query, parameters))


__all__ = ["DIALECT", "SERVER_ONLY", "NotOnTwin", "TwinDriver", "ladybug_dialect"]


def sent_only(store: GraphStore) -> TwinDriver | None:
    """The twin driver when ``store`` runs on it, else None (a server, the embedded store).

    A case that reads back what only a server can do checks, on the twin, what the
    adapter sent: the server-only statements are then recorded and answered with no rows.
    """
    twin = getattr(store, "twin", None)
    if twin is None:
        return None
    driver: TwinDriver = getattr(store, "_driver")  # noqa: B009 - the adapter's own driver
    driver.pass_server_only = True
    return driver
