"""The graph schema: node and relationship tables, applied idempotently at open.

The same labels and relationship types are used by every adapter; the Neo4j
adapter turns them into uniqueness constraints, the embedded adapter into
``CREATE ... TABLE IF NOT EXISTS`` statements. They are also the allow-list
for any label or type that is ever spliced into a query.
"""

from __future__ import annotations

__all__ = [
    "ACCOUNT_PLATFORM_COLUMNS",
    "EMBEDDED_MIGRATIONS",
    "EMBEDDED_SCHEMA",
    "POST_UNDERSTANDING_COLUMNS",
    "NODE_LABELS",
    "REL_ENDS",
    "REL_TYPES",
    "SCHEMA_VERSION",
    "SCORE_KINDS",
]

SCHEMA_VERSION = 1

NODE_LABELS: tuple[str, ...] = (
    "Customer",
    "Account",
    "Post",
    "Conversation",
    "Purchase",
    "AccountScore",
    "AnalysisRun",
    "PendingEdge",
    "IngestFile",
    "Setting",
    "IdentityCandidate",
    "IdentityDecision",
    "CareCase",
    "CareNote",
    "Forgotten",
    "User",
    "Session",
    "AuditEntry",
    "WebhookSubscription",
    "WebhookDelivery",
    "EventState",
    "OutboxItem",
)

REL_TYPES: tuple[str, ...] = (
    "OWNS",
    "POSTED",
    "REPLY_TO",
    "IN_CONVERSATION",
    "MENTIONS",
    "SHARES",
    "FOLLOWS",
    "PURCHASED",
)

# Each relationship type's ends (FROM label, TO label), as the DDL below declares them:
# a write through the log matches both ends by key (``tests/store`` checks they agree).
REL_ENDS: dict[str, tuple[str, str]] = {
    "OWNS": ("Customer", "Account"),
    "POSTED": ("Account", "Post"),
    "REPLY_TO": ("Post", "Post"),
    "IN_CONVERSATION": ("Post", "Conversation"),
    "MENTIONS": ("Post", "Account"),
    "SHARES": ("Post", "Post"),
    "FOLLOWS": ("Account", "Account"),
    "PURCHASED": ("Customer", "Purchase"),
}

# The score kinds a ranking can be asked for; each maps to its own columns, so
# this tuple is the allow-list for ``<kind>`` and ``<kind>_rank`` in queries.
SCORE_KINDS: tuple[str, ...] = ("advocate", "influencer", "detractor")

EMBEDDED_SCHEMA: tuple[str, ...] = (
    """CREATE NODE TABLE IF NOT EXISTS Customer(
        key STRING, name STRING, email STRING, lifetime_value DOUBLE, nps INT64,
        signup_date DATE, location STRING, company STRING, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS Account(
        key STRING, platform STRING, handle STRING, user_id STRING, display_name STRING,
        followers INT64, is_brand BOOLEAN, location STRING, description STRING,
        PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS Post(
        key STRING, platform STRING, post_id STRING, author_key STRING, text STRING,
        title STRING, created_at TIMESTAMP, url STRING, kind STRING, parent_key STRING,
        conversation_key STRING, shared_key STRING, hashtags STRING[], lang STRING,
        likes INT64, reposts INT64, replies INT64, score INT64, accepted BOOLEAN,
        content_hash INT64, sentiment DOUBLE, sentiment_model STRING, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS Conversation(
        key STRING, platform STRING, root_post_key STRING, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS Purchase(
        key STRING, customer_id STRING, order_id STRING, amount DOUBLE,
        purchased_at DATE, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS AccountScore(
        key STRING, run_id STRING, account_key STRING, influence DOUBLE, reach DOUBLE,
        engagement DOUBLE, brand_sentiment DOUBLE, brand_posts INT64,
        customer_value DOUBLE, community INT64, bridge DOUBLE,
        advocate DOUBLE, influencer DOUBLE, detractor DOUBLE,
        advocate_rank INT64, influencer_rank INT64, detractor_rank INT64,
        explanation STRING, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS AnalysisRun(
        run_id STRING, started_at TIMESTAMP, finished_at TIMESTAMP, status STRING,
        params STRING, stats STRING, error STRING, PRIMARY KEY(run_id))""",
    """CREATE NODE TABLE IF NOT EXISTS PendingEdge(
        key STRING, rel STRING, from_key STRING, to_key STRING, share_kind STRING,
        PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS IngestFile(
        key STRING, path STRING, source STRING, read INT64, loaded INT64,
        rejected INT64, ingested_at TIMESTAMP, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS Setting(key STRING, value STRING, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS IdentityCandidate(
        key STRING, customer_id STRING, account_key STRING, confidence DOUBLE,
        evidence STRING, created_at TIMESTAMP, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS IdentityDecision(
        key STRING, customer_id STRING, account_key STRING, decision STRING,
        decided_at TIMESTAMP, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS CareCase(
        key STRING, status STRING, assignee STRING, team STRING, updated_at TIMESTAMP,
        resolved_at TIMESTAMP, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS CareNote(
        key STRING, conversation_key STRING, author STRING, text STRING,
        created_at TIMESTAMP, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS Forgotten(
        key STRING, kind STRING, forgotten_at TIMESTAMP, PRIMARY KEY(key))""",
    # people and permissions: key = the user's name; a session's key is the SHA-256 of
    # its token (the token itself is only ever in the browser's cookie)
    """CREATE NODE TABLE IF NOT EXISTS User(
        key STRING, role STRING, password_hash STRING, created_at TIMESTAMP,
        disabled BOOLEAN, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS Session(
        key STRING, user STRING, created_at TIMESTAMP, expires_at TIMESTAMP,
        PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS AuditEntry(
        key STRING, at TIMESTAMP, actor STRING, action STRING, conversation_key STRING,
        customer_id STRING, summary STRING, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS WebhookSubscription(
        key STRING, url STRING, events STRING, secret STRING, enabled BOOLEAN,
        created_at TIMESTAMP, description STRING, PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS WebhookDelivery(
        key STRING, subscription_id STRING, event_id STRING, kind STRING, attempt INT64,
        at TIMESTAMP, outcome STRING, http_status INT64, error STRING, duration_ms DOUBLE,
        PRIMARY KEY(key))""",
    """CREATE NODE TABLE IF NOT EXISTS EventState(
        key STRING, kind STRING, item_key STRING, first_seen TIMESTAMP, last_seen TIMESTAMP,
        active BOOLEAN, PRIMARY KEY(key))""",
    # the outbox (graph/outbox.py): one row per recorded response, keyed by its post key
    """CREATE NODE TABLE IF NOT EXISTS OutboxItem(
        key STRING, conversation_key STRING, platform STRING, target_key STRING,
        target_author STRING, author_key STRING, state STRING, attempts INT64,
        idempotency_key STRING, remote_id STRING, remote_url STRING, error STRING,
        next_try TIMESTAMP, sending_at TIMESTAMP, sent_at TIMESTAMP, created_at TIMESTAMP,
        updated_at TIMESTAMP, PRIMARY KEY(key))""",
    """CREATE REL TABLE IF NOT EXISTS OWNS(
        FROM Customer TO Account, confidence DOUBLE, method STRING, evidence STRING)""",
    "CREATE REL TABLE IF NOT EXISTS POSTED(FROM Account TO Post)",
    "CREATE REL TABLE IF NOT EXISTS REPLY_TO(FROM Post TO Post)",
    "CREATE REL TABLE IF NOT EXISTS IN_CONVERSATION(FROM Post TO Conversation)",
    "CREATE REL TABLE IF NOT EXISTS MENTIONS(FROM Post TO Account)",
    "CREATE REL TABLE IF NOT EXISTS SHARES(FROM Post TO Post, kind STRING)",
    "CREATE REL TABLE IF NOT EXISTS FOLLOWS(FROM Account TO Account)",
    "CREATE REL TABLE IF NOT EXISTS PURCHASED(FROM Customer TO Purchase)",
)

# What post understanding adds to each post (``analytics.understanding``): added to
# databases of every age by ``ALTER TABLE ... ADD IF NOT EXISTS`` at open, so an old
# database gains them and a new one gets them the same way. Writes that COPY posts
# name their columns, so a table with more columns than a batch still takes it.
POST_UNDERSTANDING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("language", "STRING"),
    ("language_confidence", "DOUBLE"),
    ("sentiment_label", "STRING"),
    ("intents", "STRING"),
    ("intent_evidence", "STRING"),
    ("intent_model_label", "STRING"),
)

# What platforms say about an account besides its name (``graph.model.Account``): when
# it was opened, how many it follows, how many lists name it, the app it last posted
# from. Bot detection reads them (``analytics.bots``); added the same way.
ACCOUNT_PLATFORM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("created_at", "TIMESTAMP"),
    ("following", "INT64"),
    ("listed", "INT64"),
    ("client", "STRING"),
)

EMBEDDED_MIGRATIONS: tuple[str, ...] = (
    *(f"ALTER TABLE Post ADD IF NOT EXISTS {name} {kind}"
      for name, kind in POST_UNDERSTANDING_COLUMNS),
    *(f"ALTER TABLE Account ADD IF NOT EXISTS {name} {kind}"
      for name, kind in ACCOUNT_PLATFORM_COLUMNS),
)


# The outbox's columns (graph/outbox.py ``OutboxItem``), in the order both adapters return them.
OUTBOX_COLUMNS = (
    "key", "conversation_key", "platform", "target_key", "target_author", "author_key",
    "state", "attempts", "idempotency_key", "remote_id", "remote_url", "error", "next_try",
    "sending_at", "sent_at", "created_at", "updated_at")


def return_list(var: str, columns: tuple[str, ...]) -> str:
    """``var.c AS c, …`` for a RETURN clause of ``columns`` (the same in both dialects)."""
    return ", ".join(f"{var}.{c} AS {c}" for c in columns)


# The outbox's reads, the same in both dialects; each adapter's ``queries`` module
# re-exports them beside its other statements.
_OUTBOX_RETURN = return_list("o", OUTBOX_COLUMNS)
OUTBOX_ITEMS = (f"MATCH (o:OutboxItem) RETURN {_OUTBOX_RETURN} "
                "ORDER BY created_at DESC, key LIMIT $limit")
OUTBOX_ITEMS_IN_STATES = (f"MATCH (o:OutboxItem) WHERE o.state IN $states "
                          f"RETURN {_OUTBOX_RETURN} ORDER BY created_at DESC, key LIMIT $limit")
OUTBOX_ITEMS_BY_KEY = (f"UNWIND $keys AS k MATCH (o:OutboxItem {{key: k}}) "
                       f"RETURN {_OUTBOX_RETURN}")
# the items answering an erased person's accounts (a few keys: a scan of the outbox)
OUTBOX_ITEMS_ANSWERING = (f"MATCH (o:OutboxItem) WHERE o.target_author IN $authors "
                          f"RETURN {_OUTBOX_RETURN} ORDER BY created_at DESC, key")
