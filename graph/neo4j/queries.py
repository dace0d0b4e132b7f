"""Every Cypher statement the Neo4j adapter sends, as named constants.

Values always travel as ``$parameters``; the only text that varies is a score kind
(:func:`ranked_accounts_query`), taken from the :data:`graph.schema.SCORE_KINDS`
allow-list. Writes are ``UNWIND $rows AS row MERGE ...`` so a batch is one round trip
and re-sending it changes nothing. Bulk reads page by key (``WHERE n.key > $after
... ORDER BY n.key LIMIT $limit``), which the uniqueness constraint's index serves in
order, so a projection larger than one response streams in pages.

``tests/store/test_cypher_lint.py`` runs every statement here through Neo4j's own
parser and semantic analysis (``tools/cypher-lint``).
"""

from __future__ import annotations

from graph import schema

__all__ = ["SCHEMA_STATEMENTS", "ranked_accounts_query"]

# --------------------------------------------------------------------------- schema
# The key every node label is unique on; AnalysisRun is the one not keyed by ``key``.
_NODE_KEYS: dict[str, str] = {label: "run_id" if label == "AnalysisRun" else "key"
                              for label in schema.NODE_LABELS}

CONSTRAINT_STATEMENTS: tuple[str, ...] = tuple(
    f"CREATE CONSTRAINT {label.lower()}_{prop} IF NOT EXISTS "
    f"FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"
    for label, prop in _NODE_KEYS.items()
)

INDEX_STATEMENTS: tuple[str, ...] = (
    "CREATE INDEX accountscore_run_id IF NOT EXISTS FOR (n:AccountScore) ON (n.run_id)",
    "CREATE INDEX post_created_at IF NOT EXISTS FOR (n:Post) ON (n.created_at)",
    "CREATE INDEX post_author_key IF NOT EXISTS FOR (n:Post) ON (n.author_key)",
    "CREATE INDEX pendingedge_to_key IF NOT EXISTS FOR (n:PendingEdge) ON (n.to_key)",
    "CREATE INDEX analysisrun_status IF NOT EXISTS FOR (n:AnalysisRun) ON (n.status)",
    "CREATE INDEX carenote_conversation_key IF NOT EXISTS FOR (n:CareNote) "
    "ON (n.conversation_key)",
    "CREATE INDEX session_user IF NOT EXISTS FOR (n:Session) ON (n.user)",
    "CREATE INDEX auditentry_conversation_key IF NOT EXISTS FOR (n:AuditEntry) "
    "ON (n.conversation_key)",
    "CREATE INDEX auditentry_customer_id IF NOT EXISTS FOR (n:AuditEntry) "
    "ON (n.customer_id)",
)

SCHEMA_STATEMENTS: tuple[str, ...] = CONSTRAINT_STATEMENTS + INDEX_STATEMENTS

# ---------------------------------------------------------------------- batch writes
EXISTING_CUSTOMERS = """\
UNWIND $keys AS k
MATCH (n:Customer {key: k})
RETURN n.key AS key, n.name AS name, n.email AS email, n.lifetime_value AS lifetime_value,
       n.nps AS nps, n.signup_date AS signup_date, n.location AS location, n.company AS company"""

MERGE_CUSTOMERS = """\
UNWIND $rows AS row
MERGE (n:Customer {key: row.key})
SET n.name = coalesce(row.name, n.name), n.email = coalesce(row.email, n.email),
    n.lifetime_value = coalesce(row.lifetime_value, n.lifetime_value),
    n.nps = coalesce(row.nps, n.nps), n.signup_date = coalesce(row.signup_date, n.signup_date),
    n.location = coalesce(row.location, n.location), n.company = coalesce(row.company, n.company)"""

EXISTING_ACCOUNTS = """\
UNWIND $keys AS k
MATCH (n:Account {key: k})
RETURN n.key AS key, n.platform AS platform, n.handle AS handle, n.user_id AS user_id,
       n.display_name AS display_name, n.followers AS followers, n.is_brand AS is_brand,
       n.location AS location, n.description AS description, n.created_at AS created_at,
       n.following AS following, n.listed AS listed, n.client AS client"""

# A stub (a mention, a link's target) never overwrites what is known: every field is
# coalesced, and only an explicit True marks a brand.
MERGE_ACCOUNTS = """\
UNWIND $rows AS row
MERGE (n:Account {key: row.key})
SET n.platform = coalesce(row.platform, n.platform), n.handle = coalesce(row.handle, n.handle),
    n.user_id = coalesce(row.user_id, n.user_id),
    n.display_name = coalesce(row.display_name, n.display_name),
    n.followers = coalesce(row.followers, n.followers),
    n.is_brand = coalesce(row.is_brand, n.is_brand, false),
    n.location = coalesce(row.location, n.location),
    n.description = coalesce(row.description, n.description),
    n.created_at = coalesce(row.created_at, n.created_at),
    n.following = coalesce(row.following, n.following),
    n.listed = coalesce(row.listed, n.listed), n.client = coalesce(row.client, n.client)"""

EXISTING_POSTS = """\
UNWIND $keys AS k
MATCH (n:Post {key: k})
RETURN n.key AS key, n.content_hash AS content_hash"""

# Stored texts of posts a batch holds other content for (graph.planning settles them).
STORED_POST_TEXTS = """\
UNWIND $keys AS k
MATCH (n:Post {key: k})
RETURN n.key AS key, n.text AS text"""

# A stored post's shortened text replaced by its full text. What was understood of the
# shortened text goes (the next analysis understands the post again: it has no language);
# its sentiment is the one the batch brings, if any.
REPLACE_POST_TEXTS = """\
UNWIND $rows AS row
MATCH (p:Post {key: row.key})
SET p.text = row.text, p.content_hash = row.content_hash, p.sentiment = row.sentiment,
    p.sentiment_model = row.sentiment_model, p.sentiment_label = null, p.language = null,
    p.language_confidence = null, p.intents = null, p.intent_evidence = null,
    p.intent_model_label = null"""

EXISTING_CONVERSATIONS = """\
UNWIND $keys AS k
MATCH (n:Conversation {key: k})
RETURN n.key AS key"""

# The stored conversations of parents of replies that name no thread.
POST_CONVERSATIONS = """\
UNWIND $keys AS k
MATCH (n:Post {key: k})
RETURN n.key AS key, n.conversation_key AS conversation_key"""

# A parent arrived after its replies: what was filed under its key provisionally
# moves to its conversation (created by MERGE_POSTS before this runs).
MOVE_CONVERSATION_POSTS = """\
UNWIND $rows AS row
MATCH (p:Post)-[r:IN_CONVERSATION]->(:Conversation {key: row.from_key})
MATCH (real:Conversation {key: row.to_key})
SET p.conversation_key = row.to_key
MERGE (p)-[:IN_CONVERSATION]->(real)
DELETE r"""

# A care case and notes filed under a provisional conversation move with its posts;
# the real conversation's own case, if it has one, stays (copied, then deleted below:
# keys are never renamed in place, so LadybugDB's twin runs it too).
MOVE_CARE_CASES = """\
UNWIND $rows AS row
MATCH (old:CareCase {key: row.from_key})
OPTIONAL MATCH (real:CareCase {key: row.to_key})
WITH old, row, real
WHERE real IS NULL
CREATE (:CareCase {key: row.to_key, status: old.status, assignee: old.assignee,
    team: old.team, updated_at: old.updated_at, resolved_at: old.resolved_at})"""

DELETE_CARE_CASES = """\
UNWIND $keys AS k
MATCH (c:CareCase {key: k})
DELETE c"""

MOVE_CARE_NOTES = """\
UNWIND $rows AS row
MATCH (n:CareNote {conversation_key: row.from_key})
SET n.conversation_key = row.to_key"""

DELETE_CONVERSATIONS = """\
UNWIND $keys AS k
MATCH (c:Conversation {key: k})
DETACH DELETE c"""

# Posts, their author edge and their conversation in one statement; only new posts
# reach it (stored ones were filtered by content hash), so ON CREATE is the whole story.
MERGE_POSTS = """\
UNWIND $rows AS row
MATCH (a:Account {key: row.author_key})
MERGE (p:Post {key: row.key})
ON CREATE SET p.platform = row.platform, p.post_id = row.post_id, p.author_key = row.author_key,
    p.text = row.text, p.title = row.title, p.created_at = row.created_at, p.url = row.url,
    p.kind = row.kind, p.parent_key = row.parent_key, p.conversation_key = row.conversation_key,
    p.shared_key = row.shared_key, p.hashtags = row.hashtags, p.lang = row.lang,
    p.likes = row.likes, p.reposts = row.reposts, p.replies = row.replies, p.score = row.score,
    p.accepted = row.accepted, p.content_hash = row.content_hash,
    p.sentiment = row.sentiment, p.sentiment_model = row.sentiment_model
MERGE (a)-[:POSTED]->(p)
MERGE (c:Conversation {key: row.conversation_key})
ON CREATE SET c.platform = row.platform, c.root_post_key = row.conversation_key
MERGE (p)-[:IN_CONVERSATION]->(c)"""

MERGE_MENTIONS = """\
UNWIND $rows AS row
MATCH (p:Post {key: row.from_key})
MATCH (a:Account {key: row.to_key})
MERGE (p)-[:MENTIONS]->(a)"""

MERGE_REPLIES = """\
UNWIND $rows AS row
MATCH (p:Post {key: row.from_key})
MATCH (q:Post {key: row.to_key})
MERGE (p)-[:REPLY_TO]->(q)"""

MERGE_SHARES = """\
UNWIND $rows AS row
MATCH (p:Post {key: row.from_key})
MATCH (q:Post {key: row.to_key})
MERGE (p)-[s:SHARES]->(q)
SET s.kind = row.share_kind"""

PENDING_TOTAL = "MATCH (e:PendingEdge) RETURN count(e) AS n"

PENDING_FOR_TARGETS = """\
UNWIND $keys AS k
MATCH (e:PendingEdge {to_key: k})
RETURN e.key AS key, e.rel AS rel, e.from_key AS from_key, e.to_key AS to_key,
       e.share_kind AS share_kind"""

EXISTING_PENDING = """\
UNWIND $keys AS k
MATCH (e:PendingEdge {key: k})
RETURN e.key AS key"""

MERGE_PENDING = """\
UNWIND $rows AS row
MERGE (e:PendingEdge {key: row.key})
ON CREATE SET e.rel = row.rel, e.from_key = row.from_key, e.to_key = row.to_key,
    e.share_kind = row.share_kind"""

DELETE_PENDING = """\
UNWIND $keys AS k
MATCH (e:PendingEdge {key: k})
DELETE e"""

EXISTING_LINKS = """\
UNWIND $rows AS row
MATCH (c:Customer {key: row.customer_id})-[o:OWNS]->(a:Account {key: row.account_key})
RETURN c.key AS customer_id, a.key AS account_key, o.confidence AS confidence,
       o.method AS method"""

MERGE_LINKS = """\
UNWIND $rows AS row
MATCH (c:Customer {key: row.customer_id})
MATCH (a:Account {key: row.account_key})
MERGE (c)-[o:OWNS]->(a)
SET o.confidence = row.confidence, o.method = row.method, o.evidence = row.evidence"""

DELETE_LINK = """\
MATCH (c:Customer {key: $customer_id})-[o:OWNS]->(a:Account {key: $account_key})
DELETE o
RETURN count(*) AS n"""

EXISTING_FOLLOWS = """\
UNWIND $rows AS row
MATCH (a:Account {key: row.from_key})-[:FOLLOWS]->(b:Account {key: row.to_key})
RETURN a.key AS from_key, b.key AS to_key"""

MERGE_FOLLOWS = """\
UNWIND $rows AS row
MATCH (a:Account {key: row.from_key})
MATCH (b:Account {key: row.to_key})
MERGE (a)-[:FOLLOWS]->(b)"""

EXISTING_PURCHASES = """\
UNWIND $keys AS k
MATCH (n:Purchase {key: k})
RETURN n.key AS key"""

MERGE_PURCHASES = """\
UNWIND $rows AS row
MATCH (c:Customer {key: row.customer_id})
MERGE (p:Purchase {key: row.key})
ON CREATE SET p.customer_id = row.customer_id, p.order_id = row.order_id, p.amount = row.amount,
    p.purchased_at = row.purchased_at
MERGE (c)-[:PURCHASED]->(p)"""

# ---------------------------------------------------------------- brand, settings, files
CLEAR_BRANDS = "MATCH (a:Account) WHERE a.is_brand SET a.is_brand = false"

MARK_BRANDS = """\
UNWIND $keys AS k
MATCH (a:Account {key: k})
SET a.is_brand = true"""

# privacy.salt is written once (see PRIVACY_SALT): a new salt would let an erased
# person back in through a later import
MERGE_SETTINGS = """\
UNWIND $rows AS row
MERGE (s:Setting {key: row.key})
SET s.value = CASE WHEN row.key = 'privacy.salt' AND coalesce(s.value, '') <> ''
                   THEN s.value ELSE row.value END"""

GET_SETTINGS = "MATCH (s:Setting) RETURN s.key AS key, s.value AS value"

FILE_INGESTED = "MATCH (f:IngestFile {key: $key}) RETURN f.key AS key"

RECORD_FILE = """\
MERGE (f:IngestFile {key: $key})
SET f.path = $path, f.source = $source, f.read = $read, f.loaded = $loaded,
    f.rejected = $rejected, f.ingested_at = $ingested_at"""

# ----------------------------------------------------------------------- projection
ACCOUNT_PROFILES = """\
UNWIND $keys AS k
MATCH (a:Account {key: k})
RETURN a.key AS key, a.followers AS followers, a.created_at AS created_at,
       a.following AS following, a.listed AS listed, a.client AS client"""

ACCOUNT_FRAME_PAGE = """\
MATCH (a:Account)
WHERE a.key > $after
WITH a ORDER BY a.key LIMIT $limit
OPTIONAL MATCH (c:Customer)-[o:OWNS]->(a)
WITH a, c, o ORDER BY o.confidence DESC
WITH a, collect(CASE WHEN c IS NULL THEN null ELSE {customer_id: c.key,
    lifetime_value: c.lifetime_value, nps: c.nps, link_confidence: o.confidence} END) AS owners
WITH a, head(owners) AS owner
RETURN a.key AS key, a.platform AS platform, a.handle AS handle, a.followers AS followers,
       a.is_brand AS is_brand, a.display_name AS display_name, a.location AS location,
       a.description AS description, owner.customer_id AS customer_id,
       owner.lifetime_value AS lifetime_value, owner.nps AS nps,
       owner.link_confidence AS link_confidence
ORDER BY key"""

PURCHASE_PAGE = """\
MATCH (c:Customer)-[:PURCHASED]->(p:Purchase)
WHERE p.key > $after
RETURN p.key AS key, c.key AS customer_id, p.amount AS amount
ORDER BY p.key LIMIT $limit"""

POST_KEY_PAGE = """\
MATCH (p:Post)
WHERE p.key > $after
RETURN p.key AS key
ORDER BY p.key LIMIT $limit"""

REPLY_INTERACTIONS = """\
UNWIND $keys AS k
MATCH (p:Post {key: k})-[:REPLY_TO]->(q:Post)
RETURN p.author_key AS src, q.author_key AS dst, 'reply' AS kind, p.created_at AS created_at,
       p.sentiment AS sentiment, p.sentiment_label AS sentiment_label
ORDER BY k, dst"""

MENTION_INTERACTIONS = """\
UNWIND $keys AS k
MATCH (p:Post {key: k})-[:MENTIONS]->(b:Account)
RETURN p.author_key AS src, b.key AS dst, 'mention' AS kind, p.created_at AS created_at,
       p.sentiment AS sentiment, p.sentiment_label AS sentiment_label
ORDER BY k, dst"""

SHARE_INTERACTIONS = """\
UNWIND $keys AS k
MATCH (p:Post {key: k})-[s:SHARES]->(q:Post)
RETURN p.author_key AS src, q.author_key AS dst,
       CASE WHEN s.kind = 'quote' THEN 'quote' ELSE 'share' END AS kind,
       p.created_at AS created_at, p.sentiment AS sentiment, p.sentiment_label AS sentiment_label
ORDER BY k, dst"""

UNSCORED_POST_PAGE = """\
MATCH (p:Post)
WHERE p.key > $after AND p.language IS NULL
RETURN p.key AS key, p.title AS title, p.text AS text
ORDER BY p.key LIMIT $limit"""

UNSCORED_BY_MODEL_POST_PAGE = """\
MATCH (p:Post)
WHERE p.key > $after
  AND (p.language IS NULL OR p.sentiment_model IS NULL OR p.sentiment_model <> $model)
RETURN p.key AS key, p.title AS title, p.text AS text
ORDER BY p.key LIMIT $limit"""

BRAND_MENTION_POSTS = """\
MATCH (p:Post)-[:MENTIONS]->(b:Account)
WHERE b.is_brand
RETURN DISTINCT p.key AS key, p.author_key AS author_key, p.sentiment AS sentiment,
       p.created_at AS created_at, p.kind AS kind"""

BRAND_REPLY_POSTS = """\
MATCH (p:Post)-[:REPLY_TO]->(:Post)<-[:POSTED]-(b:Account)
WHERE b.is_brand
RETURN DISTINCT p.key AS key, p.author_key AS author_key, p.sentiment AS sentiment,
       p.created_at AS created_at, p.kind AS kind"""

# A conversation a brand post started is keyed by that post's key.
BRAND_CONVERSATION_POSTS = """\
MATCH (b:Account)-[:POSTED]->(r:Post)
WHERE b.is_brand
MATCH (:Conversation {key: r.key})<-[:IN_CONVERSATION]-(p:Post)
RETURN DISTINCT p.key AS key, p.author_key AS author_key, p.sentiment AS sentiment,
       p.created_at AS created_at, p.kind AS kind"""

TERM_POSTS = """\
MATCH (p:Post)
WHERE toLower(p.text) CONTAINS $term OR toLower(p.title) CONTAINS $term
RETURN p.key AS key, p.author_key AS author_key, p.sentiment AS sentiment,
       p.created_at AS created_at, p.kind AS kind"""

BRAND_ACCOUNT_KEYS = "MATCH (a:Account) WHERE a.is_brand RETURN a.key AS key"

PARENT_AUTHORS = """\
UNWIND $keys AS k
MATCH (p:Post {key: k})-[:REPLY_TO]->(q:Post)
RETURN p.key AS key, q.author_key AS parent_author_key"""

AUTHOR_ACTIVITY = """\
MATCH (p:Post)
RETURN p.author_key AS author_key, count(*) AS posts, max(p.created_at) AS last_post_at,
       sum(CASE WHEN p.accepted THEN 1 ELSE 0 END) AS accepted_answers"""

SET_POST_SENTIMENT = """\
UNWIND $rows AS row
MATCH (p:Post {key: row.key})
SET p.sentiment = row.sentiment, p.sentiment_model = $model"""

SET_POST_UNDERSTANDING = """\
UNWIND $rows AS row
MATCH (p:Post {key: row.key})
SET p.sentiment = row.sentiment, p.sentiment_model = $model,
    p.sentiment_label = row.sentiment_label, p.language = row.language,
    p.language_confidence = row.language_confidence, p.intents = row.intents,
    p.intent_evidence = row.intent_evidence, p.intent_model_label = row.intent_model_label"""

# ------------------------------------------------------------------ runs and scores
CREATE_RUN = """\
CREATE (r:AnalysisRun {run_id: $run_id, started_at: $started_at, status: 'running',
    params: $params, stats: '{}'})"""

# Migration copies a run as it was, id and all.
MERGE_RUN = """\
MERGE (r:AnalysisRun {run_id: $run_id})
SET r.started_at = $started_at, r.finished_at = $finished_at, r.status = $status,
    r.params = $params, r.stats = $stats, r.error = $error"""

MERGE_SCORES = """\
UNWIND $rows AS row
MERGE (s:AccountScore {key: row.key})
SET s.run_id = row.run_id, s.account_key = row.account_key, s.influence = row.influence,
    s.reach = row.reach, s.engagement = row.engagement, s.brand_sentiment = row.brand_sentiment,
    s.brand_posts = row.brand_posts, s.customer_value = row.customer_value,
    s.community = row.community, s.bridge = row.bridge, s.advocate = row.advocate,
    s.influencer = row.influencer, s.detractor = row.detractor,
    s.advocate_rank = row.advocate_rank, s.influencer_rank = row.influencer_rank,
    s.detractor_rank = row.detractor_rank, s.explanation = row.explanation"""

COMPLETE_RUN = """\
MATCH (r:AnalysisRun {run_id: $run_id})
SET r.status = 'completed', r.finished_at = $finished_at, r.stats = $stats"""

EXPIRE_RUN = "MATCH (r:AnalysisRun {run_id: $run_id}) SET r.status = 'expired'"

FAIL_RUN = """\
MATCH (r:AnalysisRun {run_id: $run_id})
SET r.status = 'failed', r.error = $error, r.finished_at = $finished_at"""

DELETE_RUN_SCORES = """\
MATCH (s:AccountScore)
WHERE s.run_id = $run_id
DELETE s"""

_RUN_RETURN = """\
RETURN r.run_id AS run_id, r.started_at AS started_at, r.finished_at AS finished_at,
       r.status AS status, r.params AS params, r.stats AS stats, r.error AS error"""

LATEST_RUN = f"""\
MATCH (r:AnalysisRun)
WHERE r.status = 'completed'
{_RUN_RETURN}
ORDER BY r.finished_at DESC LIMIT 1"""

RUNS = f"""\
MATCH (r:AnalysisRun)
{_RUN_RETURN}
ORDER BY r.started_at DESC LIMIT $limit"""

_SCORE_RETURN = """\
s.run_id AS run_id, s.account_key AS account_key, s.influence AS influence, s.reach AS reach,
       s.engagement AS engagement, s.brand_sentiment AS brand_sentiment,
       s.brand_posts AS brand_posts, s.customer_value AS customer_value,
       s.community AS community, s.bridge AS bridge, s.advocate AS advocate,
       s.influencer AS influencer, s.detractor AS detractor, s.advocate_rank AS advocate_rank,
       s.influencer_rank AS influencer_rank, s.detractor_rank AS detractor_rank,
       s.explanation AS explanation"""

_ACCOUNT_RETURN = """\
a.key AS key, a.platform AS platform, a.handle AS handle, a.user_id AS user_id,
       a.display_name AS display_name, a.followers AS followers, a.is_brand AS is_brand,
       a.location AS location, a.description AS description, a.created_at AS created_at,
       a.following AS following, a.listed AS listed, a.client AS client"""

SCORE_FRAME = f"""\
MATCH (s:AccountScore)
WHERE s.run_id = $run_id
RETURN {_SCORE_RETURN}
ORDER BY s.account_key"""

ACCOUNT_SCORE = f"""\
MATCH (s:AccountScore {{key: $key}})
RETURN {_SCORE_RETURN}"""

ACCOUNT_SCORES = f"""\
UNWIND $keys AS k
MATCH (s:AccountScore {{key: k}})
RETURN {_SCORE_RETURN}"""


def ranked_accounts_query(kind: str) -> str:
    """The ranking read for one score kind (from :data:`SCORE_KINDS`, never user text).

    Args:
        kind: ``advocate``, ``influencer`` or ``detractor``.

    Returns:
        A query with ``$run_id``, ``$after`` and ``$upto`` that returns the score row
        and the account of each rank in ``(after, upto]``, best first.

    Raises:
        ValueError: ``kind`` is not an allowed score kind.
    """
    if kind not in schema.SCORE_KINDS:
        raise ValueError(
            f"Unknown ranking {kind!r}; choose one of {', '.join(schema.SCORE_KINDS)}")
    return f"""\
MATCH (s:AccountScore)
WHERE s.run_id = $run_id AND s.{kind}_rank > $after AND s.{kind}_rank <= $upto
MATCH (a:Account {{key: s.account_key}})
RETURN {_SCORE_RETURN},
       {_ACCOUNT_RETURN}
ORDER BY s.{kind}_rank"""


RANKED_ACCOUNTS: dict[str, str] = {kind: ranked_accounts_query(kind)
                                   for kind in schema.SCORE_KINDS}

# ---------------------------------------------------------------------------- reads
COUNTS = """\
RETURN COUNT { (:Customer) } AS Customer, COUNT { (:Account) } AS Account,
       COUNT { (:Post) } AS Post, COUNT { (:Conversation) } AS Conversation,
       COUNT { (:Purchase) } AS Purchase, COUNT { ()-[:OWNS]->() } AS OWNS,
       COUNT { ()-[:POSTED]->() } AS POSTED, COUNT { ()-[:REPLY_TO]->() } AS REPLY_TO,
       COUNT { ()-[:MENTIONS]->() } AS MENTIONS, COUNT { ()-[:SHARES]->() } AS SHARES,
       COUNT { ()-[:FOLLOWS]->() } AS FOLLOWS, COUNT { (:PendingEdge) } AS PendingEdge,
       COUNT { (:IdentityCandidate) } AS IdentityCandidate"""

GET_ACCOUNTS = f"""\
UNWIND $keys AS k
MATCH (a:Account {{key: k}})
RETURN {_ACCOUNT_RETURN}"""

_CUSTOMER_RETURN = """\
c.key AS key, c.name AS name, c.email AS email, c.lifetime_value AS lifetime_value,
       c.nps AS nps, c.signup_date AS signup_date, c.location AS location,
       c.company AS company"""

GET_CUSTOMER = f"""\
MATCH (c:Customer {{key: $key}})
RETURN {_CUSTOMER_RETURN}"""

# Ascending confidence: the caller keeps the last row per account, the most confident.
CUSTOMERS_FOR_ACCOUNTS = f"""\
UNWIND $keys AS k
MATCH (c:Customer)-[o:OWNS]->(a:Account {{key: k}})
RETURN a.key AS account_key, o.confidence AS confidence, {_CUSTOMER_RETURN}
ORDER BY confidence"""

LINKED_ACCOUNTS = f"""\
MATCH (c:Customer {{key: $key}})-[o:OWNS]->(a:Account)
RETURN {_ACCOUNT_RETURN}, o.confidence AS confidence, o.method AS method,
       o.evidence AS evidence
ORDER BY a.platform, a.handle"""

# Timelines: one statement per direction. ``$before_time`` / ``$before_key`` are the
# cursor (null on the first page); the caller merges the four lists, so each returns
# its own newest ``$limit`` rows at or before the cursor.
_TIMELINE_CURSOR = ("p.created_at IS NOT NULL "
                    "AND ($before_time IS NULL OR p.created_at < $before_time "
                    "OR (p.created_at = $before_time AND p.key <= $before_key)) "
                    "AND ($platforms IS NULL OR p.platform IN $platforms) "
                    "AND ($kinds IS NULL OR p.kind IN $kinds) "
                    "AND ($since IS NULL OR p.created_at >= $since) "
                    "AND ($until IS NULL OR p.created_at < $until) "
                    "AND ($languages IS NULL OR p.language IN $languages) "
                    "AND ($intents IS NULL OR any(wanted IN $intents "
                    "WHERE wanted IN split(coalesce(p.intents, ''), '|')))")
_TIMELINE_RETURN = """\
RETURN k AS subject, p.key AS key, p.created_at AS time, p.platform AS platform,
       p.kind AS kind, p.text AS text, p.sentiment AS sentiment,
       p.conversation_key AS conversation_key, p.url AS url, b.key AS counterpart,
       p.language AS language, p.sentiment_label AS sentiment_label, p.intents AS intents,
       p.intent_evidence AS intent_evidence
ORDER BY time DESC, key DESC LIMIT $limit"""

TIMELINE_AUTHORED = f"""\
UNWIND $keys AS k
MATCH (:Account {{key: k}})-[:POSTED]->(p:Post)
WHERE {_TIMELINE_CURSOR}
OPTIONAL MATCH (p)-[:REPLY_TO]->(:Post)<-[:POSTED]-(b:Account)
{_TIMELINE_RETURN}"""

TIMELINE_REPLIES_RECEIVED = f"""\
UNWIND $keys AS k
MATCH (:Account {{key: k}})-[:POSTED]->(:Post)<-[:REPLY_TO]-(p:Post)<-[:POSTED]-(b:Account)
WHERE {_TIMELINE_CURSOR} AND b.key <> k
{_TIMELINE_RETURN}"""

# A reply to or share of their post is listed as that, never also as a mention. A post
# that mentions several of the subject accounts is one row, for the first of them in
# ``$keys`` (as the embedded store keeps it), so duplicates never thin a page.
TIMELINE_MENTIONS_RECEIVED = f"""\
UNWIND range(0, size($keys) - 1) AS i
WITH i, $keys[i] AS k
MATCH (s:Account {{key: k}})<-[:MENTIONS]-(p:Post)<-[:POSTED]-(b:Account)
WHERE {_TIMELINE_CURSOR} AND b.key <> k
  AND NOT EXISTS {{ (p)-[:REPLY_TO]->(:Post)<-[:POSTED]-(s) }}
  AND NOT EXISTS {{ (p)-[:SHARES]->(:Post)<-[:POSTED]-(s) }}
WITH p, b, min(i) AS first
WITH p, b, $keys[first] AS k
{_TIMELINE_RETURN}"""

TIMELINE_SHARES_RECEIVED = f"""\
UNWIND $keys AS k
MATCH (:Account {{key: k}})-[:POSTED]->(:Post)<-[:SHARES]-(p:Post)<-[:POSTED]-(b:Account)
WHERE {_TIMELINE_CURSOR} AND b.key <> k
{_TIMELINE_RETURN}"""

TIMELINE: dict[str, str] = {
    "authored": TIMELINE_AUTHORED,
    "reply_received": TIMELINE_REPLIES_RECEIVED,
    "mention_received": TIMELINE_MENTIONS_RECEIVED,
    "share_received": TIMELINE_SHARES_RECEIVED,
}

# ------------------------------------------------------------------- export (migrate)
EXPORT_CUSTOMER_PAGE = f"""\
MATCH (c:Customer)
WHERE c.key > $after
WITH c ORDER BY c.key LIMIT $limit
RETURN {_CUSTOMER_RETURN},
       [(c)-[o:OWNS]->(a:Account) | {{platform: a.platform, handle: a.handle,
           confidence: o.confidence, method: o.method, evidence: o.evidence}}] AS links,
       [(c)-[:PURCHASED]->(p:Purchase) | {{order_id: p.order_id, amount: p.amount,
           purchased_at: p.purchased_at}}] AS purchases
ORDER BY c.key"""

EXPORT_ACCOUNT_PAGE = f"""\
MATCH (a:Account)
WHERE a.key > $after
WITH a ORDER BY a.key LIMIT $limit
RETURN {_ACCOUNT_RETURN}, [(a)-[:FOLLOWS]->(b:Account) | b.handle] AS follows
ORDER BY a.key"""

EXPORT_POST_PAGE = """\
MATCH (p:Post)
WHERE p.key > $after
WITH p ORDER BY p.key LIMIT $limit
RETURN p.key AS key, p.platform AS platform, p.post_id AS post_id, p.author_key AS author_key,
       p.text AS text, p.title AS title, p.created_at AS created_at, p.url AS url,
       p.kind AS kind, p.parent_key AS parent_key, p.conversation_key AS conversation_key,
       p.shared_key AS shared_key, p.hashtags AS hashtags, p.lang AS lang, p.likes AS likes,
       p.reposts AS reposts, p.replies AS replies, p.score AS score, p.accepted AS accepted,
       [(p)-[:MENTIONS]->(m:Account) | m.handle] AS mentions
ORDER BY p.key"""

# graph.understanding.EXPORT_COLUMNS, for migration
EXPORT_UNDERSTANDING_PAGE = """\
MATCH (p:Post)
WHERE p.key > $after AND (p.sentiment IS NOT NULL OR p.language IS NOT NULL)
RETURN p.key AS key, p.sentiment_model AS sentiment_model, p.sentiment AS sentiment,
    p.sentiment_label AS sentiment_label, p.language AS language,
    p.language_confidence AS language_confidence, p.intents AS intents,
    p.intent_evidence AS intent_evidence, p.intent_model_label AS intent_model_label
ORDER BY p.key LIMIT $limit"""

# --------------------------------------------------------------------------- tests
# Empties the configured database (the contract suite's fixture, never the adapter);
# batched, so it must run as an auto-commit transaction (``session.run``).
WIPE_DATABASE = """\
MATCH (n)
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF 10000 ROWS"""

# ---------------------------------------------------------------- identities
REJECTED_LINKS = """\
UNWIND $keys AS k
MATCH (d:IdentityDecision {key: k})
WHERE d.decision = 'reject'
RETURN d.key AS key"""

CUSTOMER_FRAME_PAGE = """\
MATCH (c:Customer)
WHERE c.key > $after
RETURN c.key AS key, c.key AS customer_id, c.name AS name, c.email AS email,
       c.location AS location, c.company AS company
ORDER BY c.key LIMIT $limit"""

LINK_FRAME = """\
MATCH (c:Customer)-[o:OWNS]->(a:Account)
RETURN c.key AS customer_id, a.key AS account_key, o.method AS method,
       o.confidence AS confidence"""

RECORD_DECISION = """\
MERGE (d:IdentityDecision {key: $key})
SET d.customer_id = $customer_id, d.account_key = $account_key, d.decision = $decision,
    d.decided_at = datetime()
WITH d
OPTIONAL MATCH (x:IdentityCandidate {key: $key})
DETACH DELETE x"""

DECISION_FRAME = """\
MATCH (d:IdentityDecision)
RETURN d.customer_id AS customer_id, d.account_key AS account_key, d.decision AS decision"""

DELETE_CANDIDATES = "MATCH (x:IdentityCandidate) DETACH DELETE x"

CREATE_CANDIDATES = """\
UNWIND $rows AS row
CREATE (x:IdentityCandidate {key: row.key, customer_id: row.customer_id,
        account_key: row.account_key, confidence: row.confidence, evidence: row.evidence,
        created_at: datetime()})"""

PENDING_CANDIDATES = """\
MATCH (x:IdentityCandidate)
RETURN x.customer_id AS customer_id, x.account_key AS account_key,
       x.confidence AS confidence, x.evidence AS evidence
ORDER BY x.confidence DESC, x.key LIMIT $limit"""

CONVERSATION_POSTS = """\
MATCH (p:Post)-[:IN_CONVERSATION]->(:Conversation {key: $key})
RETURN p.key AS key, p.parent_key AS parent_key, p.author_key AS author_key, p.text AS text,
       p.title AS title, p.created_at AS created_at, p.kind AS kind,
       p.sentiment AS sentiment, p.url AS url, p.language AS language,
       p.sentiment_label AS sentiment_label, p.intents AS intents,
       p.intent_evidence AS intent_evidence
ORDER BY created_at, key LIMIT $limit"""

POST_DETAILS = """\
UNWIND $keys AS k
MATCH (p:Post {key: k})
RETURN p.key AS key, p.platform AS platform, p.conversation_key AS conversation_key,
       p.text AS text, p.url AS url, p.language AS language,
       p.sentiment_label AS sentiment_label, p.intents AS intents,
       p.intent_evidence AS intent_evidence"""

BRAND_REPLY_TIMES = """\
MATCH (b:Account)-[:POSTED]->(p:Post)
WHERE b.is_brand
RETURN p.conversation_key AS conversation_key, max(p.created_at) AS last_brand_post_at"""

PURCHASES = """\
MATCH (c:Customer {key: $key})-[:PURCHASED]->(p:Purchase)
RETURN p.order_id AS order_id, p.amount AS amount, p.purchased_at AS purchased_at
ORDER BY purchased_at DESC, order_id"""


# ------------------------------------------------------------- windows and metrics
_WINDOW = ("($since IS NULL OR p.created_at >= $since) "
           "AND ($until IS NULL OR p.created_at < $until)")

ACTIVE_ACCOUNTS = f"""\
UNWIND $keys AS k
MATCH (:Account {{key: k}})-[:POSTED]->(p:Post)
WHERE {_WINDOW}
RETURN DISTINCT k AS k"""

POST_FRAME_PAGE = f"""\
MATCH (p:Post)
WHERE p.key > $after AND {_WINDOW}
RETURN p.key AS key, p.author_key AS author_key, p.platform AS platform, p.kind AS kind,
       p.created_at AS created_at, p.sentiment AS sentiment, p.text AS text, p.title AS title,
       p.sentiment_label AS sentiment_label, p.language AS language, p.intents AS intents
ORDER BY p.key LIMIT $limit"""

NEWEST_POST = "MATCH (p:Post) RETURN max(p.created_at) AS t"

PURCHASE_FRAME = """\
MATCH (c:Customer)-[:PURCHASED]->(p:Purchase)
RETURN c.key AS customer_id, p.amount AS amount, p.purchased_at AS purchased_at"""

BRAND_REPLY_ENGAGEMENTS = """\
MATCH (b:Account {is_brand: true})-[:POSTED]->(p:Post)-[:REPLY_TO]->(:Post)
      <-[:POSTED]-(a:Account)
WHERE NOT coalesce(a.is_brand, false)
RETURN a.key AS account_key, min(p.created_at) AS first_at"""

BRAND_MENTION_ENGAGEMENTS = """\
MATCH (b:Account {is_brand: true})-[:POSTED]->(p:Post)-[:MENTIONS]->(a:Account)
WHERE NOT coalesce(a.is_brand, false)
RETURN a.key AS account_key, min(p.created_at) AS first_at"""

BRAND_ACCOUNTS = f"""\
MATCH (a:Account {{is_brand: true}})
RETURN {_ACCOUNT_RETURN}
ORDER BY a.key"""

TOPIC_AUTHORS = """\
MATCH (p:Post)
WHERE toLower(coalesce(p.text, '')) CONTAINS $term
   OR toLower(coalesce(p.title, '')) CONTAINS $term
RETURN p.author_key AS author_key, count(*) AS posts"""


# The people-facing sections' statements live beside this file; they are part of this
# module's namespace, so every statement of the adapter is found (and linted) here.
from graph.neo4j.queries_people import *  # noqa: E402, F403
