"""The embedded store's Cypher (LadybugDB dialect), one named constant per statement.

Statements that really vary (a label or a column list from an allow-list, an
optional time window) are still built where they are used; everything else is
here, so the two adapters' statements read side by side (``graph/neo4j/queries.py``).
Values always travel as ``$parameters``.
"""

from __future__ import annotations

from graph import schema

# ------------------------------------------------------------------ base
# how much log the engine lets commits add before one checkpoints (a database-wide
# setting; the engine takes no parameter here: an int is formatted in)
CHECKPOINT_THRESHOLD = "CALL checkpoint_threshold={bytes:d}"

PROJECTION_GENERATION = (
    "MATCH (s:Setting {key: 'projection.generation'}) "
    "RETURN s.value AS v"
)
SET_PROJECTION_GENERATION = "MERGE (s:Setting {key: 'projection.generation'}) SET s.value = $g"

# ------------------------------------------------------------------ writes
PENDING_EDGES = (
    "MATCH (e:PendingEdge) RETURN e.key AS key, e.rel AS rel, "
    "e.from_key AS from_key, e.to_key AS to_key, "
    "e.share_kind AS kind"
)
PENDING_TOTAL = "MATCH (e:PendingEdge) RETURN count(e) AS n"
PENDING_FOR_TARGETS = (
    "LOAD FROM $scan MATCH (e:PendingEdge) WHERE e.to_key = k "
    "RETURN e.key AS key, e.rel AS rel, e.from_key AS from_key, e.to_key AS to_key, "
    "e.share_kind AS kind"
)
DELETE_PENDING = "UNWIND $keys AS k MATCH (e:PendingEdge {key: k}) DELETE e"
CONVERSATION_POST_KEYS = (
    "MATCH (p:Post)-[:IN_CONVERSATION]->(:Conversation {key: $old}) "
    "RETURN p.key AS k"
)
DELETE_CONVERSATION_EDGES = (
    "MATCH (:Post)-[r:IN_CONVERSATION]->(:Conversation {key: $old}) DELETE r"
)
DELETE_CONVERSATION = "MATCH (c:Conversation {key: $old}) DELETE c"
# A care case and notes filed under a provisional conversation move with its posts;
# the real conversation's own case, if it has one, stays.
MOVE_CARE_CASE = (
    "MATCH (old:CareCase {key: $old}) OPTIONAL MATCH (real:CareCase {key: $real}) "
    "WITH old, real WHERE real IS NULL "
    "CREATE (:CareCase {key: $real, status: old.status, assignee: old.assignee, "
    "team: old.team, updated_at: old.updated_at, resolved_at: old.resolved_at})"
)
DELETE_CARE_CASE = "MATCH (c:CareCase {key: $old}) DELETE c"
MOVE_CARE_NOTES = (
    "MATCH (n:CareNote) WHERE n.conversation_key = $old SET n.conversation_key = $real"
)
SET_POST_CONVERSATION = (
    "UNWIND $keys AS k MATCH (p:Post {key: k}) "
    "SET p.conversation_key = $real"
)
EXISTING_LINKS = (
    "UNWIND $rows AS row "
    "MATCH (c:Customer {key: row.c})-[o:OWNS]->(a:Account {key: row.a}) "
    "RETURN c.key AS c, a.key AS a, o.confidence AS confidence, o.method AS method"
)
UPDATE_LINKS = (
    "UNWIND $rows AS row MATCH (c:Customer {key: row.c})-[o:OWNS]->(a:Account "
    "{key: row.a}) SET o.confidence = row.confidence, o.method = row.method, "
    "o.evidence = row.evidence"
)
EXISTING_FOLLOWS = (
    "UNWIND $rows AS row MATCH (a:Account {key: row.a})-[:FOLLOWS]->(b:Account "
    "{key: row.b}) RETURN a.key AS a, b.key AS b"
)
CLEAR_BRANDS = "MATCH (a:Account) WHERE a.is_brand SET a.is_brand = false"
MARK_BRANDS = "UNWIND $keys AS k MATCH (a:Account {key: k}) SET a.is_brand = true"
MERGE_SETTING = (  # privacy.salt is written once (see SET_PRIVACY_SALT), never replaced
    "MERGE (s:Setting {key: $k}) ON CREATE SET s.value = $v ON MATCH SET s.value = "
    "CASE WHEN $k = 'privacy.salt' THEN s.value ELSE $v END"
)
GET_SETTINGS = "MATCH (s:Setting) RETURN s.key AS k, s.value AS v"
RECORD_FILE = (
    "MERGE (f:IngestFile {key: $k}) SET f.path = $path, f.source = $source, "
    "f.read = $read, f.loaded = $loaded, f.rejected = $rejected, f.ingested_at = $at"
)
DELETE_LINK = "MATCH (c:Customer {key: $c})-[o:OWNS]->(a:Account {key: $a}) DELETE o"
DELETE_LINK_COUNTED = (
    "MATCH (c:Customer {key: $c})-[o:OWNS]->(a:Account {key: $a}) "
    "DELETE o RETURN count(*) AS n"
)

# ------------------------------------------------------------------ identities
CUSTOMER_FRAME = (
    "MATCH (c:Customer) RETURN c.key AS customer_id, c.name AS name, "
    "c.email AS email, c.location AS location, c.company AS company"
)
LINK_FRAME = (
    "MATCH (c:Customer)-[o:OWNS]->(a:Account) RETURN c.key AS customer_id, "
    "a.key AS account_key, o.method AS method, o.confidence AS confidence"
)
MERGE_DECISION = (
    "MERGE (d:IdentityDecision {key: $k}) SET d.customer_id = $c, "
    "d.account_key = $a, d.decision = $d, d.decided_at = $at"
)
DELETE_CANDIDATE = "MATCH (x:IdentityCandidate {key: $k}) DELETE x"
DECISION_FRAME = (
    "MATCH (d:IdentityDecision) RETURN d.customer_id AS customer_id, "
    "d.account_key AS account_key, d.decision AS decision"
)
DELETE_CANDIDATES = "MATCH (x:IdentityCandidate) DELETE x"
PENDING_CANDIDATES = (
    "MATCH (x:IdentityCandidate) RETURN x.customer_id AS customer_id, "
    "x.account_key AS account_key, x.confidence AS confidence, "
    "x.evidence AS evidence ORDER BY x.confidence DESC, x.key LIMIT $n"
)

# ------------------------------------------------------------------ projection
ACCOUNT_PROFILES = (
    "UNWIND $keys AS k MATCH (a:Account {key: k}) RETURN a.key AS key, "
    "a.followers AS followers, a.created_at AS created_at, a.following AS following, "
    "a.listed AS listed, a.client AS client"
)
ACCOUNT_OWNER_LINKS = (
    "MATCH (c:Customer)-[o:OWNS]->(a:Account) RETURN a.key AS key, c.key AS customer_id, "
    "c.lifetime_value AS lifetime_value, c.nps AS nps, o.confidence AS link_confidence"
)
CUSTOMER_SPEND = (
    "MATCH (c:Customer)-[:PURCHASED]->(p:Purchase) "
    "RETURN c.key AS customer_id, sum(p.amount) AS purchases_total"
)
POST_AUTHOR_OFFSETS = (
    "MATCH (a:Account)-[:POSTED]->(p:Post) RETURN offset(id(p)) AS p, offset(id(a)) AS a"
)
POST_TIME_OFFSETS = "MATCH (p:Post) RETURN offset(id(p)) AS p, p.created_at AS t"
LAST_POST_OFFSET = "MATCH (p:Post) RETURN max(offset(id(p))) AS m"
ACCOUNT_OFFSETS = "MATCH (a:Account) RETURN offset(id(a)) AS o, a.key AS key"
POST_SENTIMENT_OFFSETS = (
    "MATCH (p:Post) RETURN offset(id(p)) AS o, "
    "p.sentiment AS s, p.sentiment_label AS l"
)
BRAND_ACCOUNT_KEYS = (
    "MATCH (a:Account) WHERE a.is_brand "
    "RETURN a.key AS k"
)
BRAND_ROOT_POSTS = (
    "MATCH (b:Account)-[:POSTED]->(r:Post) WHERE b.is_brand "
    "RETURN r.key AS key, offset(id(r)) AS o"
)
POST_SENTIMENT_UPTO = (
    "MATCH (p:Post) WHERE offset(id(p)) <= $mark "
    "RETURN offset(id(p)) AS o, p.sentiment AS s"
)
POST_DETAILS = (
    "UNWIND $keys AS k MATCH (p:Post {key: k}) RETURN p.key AS key, "
    "p.platform AS platform, p.conversation_key AS conversation_key, p.text AS text, "
    "p.url AS url, p.language AS language, p.sentiment_label AS sentiment_label, "
    "p.intents AS intents, p.intent_evidence AS intent_evidence"
)
BRAND_REPLY_TIMES = (
    "MATCH (b:Account)-[:POSTED]->(p:Post) WHERE b.is_brand "
    "RETURN p.conversation_key AS conversation_key, "
    "max(p.created_at) AS last_brand_post_at"
)
POST_MARK_AND_COUNT = (
    "MATCH (p:Post) RETURN max(offset(id(p))) AS m, "
    "count(*) AS n"
)
SET_POST_SENTIMENT = (
    "LOAD FROM $scan MATCH (p:Post {key: k}) SET p.sentiment = s, "
    "p.sentiment_model = $m"
)
SET_POST_UNDERSTANDING = (
    "LOAD FROM $scan MATCH (p:Post {key: key}) SET p.sentiment = sentiment, "
    "p.sentiment_model = $m, p.sentiment_label = sentiment_label, p.language = language, "
    "p.language_confidence = language_confidence, p.intents = intents, "
    "p.intent_evidence = intent_evidence, p.intent_model_label = intent_model_label"
)

# ------------------------------------------------------------------ scores
CREATE_RUN = (
    "CREATE (r:AnalysisRun {run_id: $id, started_at: $at, status: 'running', "
    "params: $params, stats: '{}'})"
)
COMPLETE_RUN = (
    "MATCH (r:AnalysisRun {run_id: $id}) SET r.status = 'completed', "
    "r.finished_at = $at, r.stats = $stats"
)
DELETE_RUN_SCORES = "MATCH (s:AccountScore) WHERE s.run_id = $id DELETE s"
EXPIRE_RUN = "MATCH (r:AnalysisRun {run_id: $id}) SET r.status = 'expired'"
FAIL_RUN = (
    "MATCH (r:AnalysisRun {run_id: $id}) SET r.status = 'failed', r.error = $e, "
    "r.finished_at = $at"
)

# ------------------------------------------------------------------ reads
OWNER_LINKS = (
    "MATCH (c:Customer)-[o:OWNS]->(a:Account) RETURN a.key AS a, "
    "c.key AS c, o.confidence AS w"
)
CONVERSATION_POSTS = (
    "MATCH (p:Post)-[:IN_CONVERSATION]->(:Conversation {key: $k}) RETURN p.key AS key, "
    "p.parent_key AS parent_key, p.author_key AS author_key, p.text AS text, "
    "p.title AS title, p.created_at AS created_at, p.kind AS kind, "
    "p.sentiment AS sentiment, p.url AS url, p.language AS language, "
    "p.sentiment_label AS sentiment_label, p.intents AS intents, "
    "p.intent_evidence AS intent_evidence ORDER BY created_at, key LIMIT $n"
)
PURCHASES = (
    "MATCH (c:Customer {key: $k})-[:PURCHASED]->(p:Purchase) "
    "RETURN p.order_id AS order_id, p.amount AS amount, "
    "p.purchased_at AS purchased_at ORDER BY purchased_at DESC, order_id"
)
POST_AUTHORS = "UNWIND $keys AS k MATCH (q:Post {key: k}) RETURN k AS k, q.author_key AS a"
TOPIC_AUTHORS = (
    "MATCH (p:Post) WHERE lower(p.text) CONTAINS $t OR lower(p.title) "
    "CONTAINS $t RETURN p.author_key AS author_key, count(*) AS posts"
)
NEWEST_POST_AT = "MATCH (p:Post) RETURN max(p.created_at) AS t"
PURCHASE_FRAME = (
    "MATCH (c:Customer)-[:PURCHASED]->(p:Purchase) RETURN "
    "c.key AS customer_id, p.amount AS amount, "
    "p.purchased_at AS purchased_at"
)
BRAND_REPLY_ENGAGEMENTS = (
    "MATCH (b:Account)-[:POSTED]->(p:Post)-[:REPLY_TO]->(:Post)"
    "<-[:POSTED]-(a:Account) WHERE b.is_brand AND NOT a.is_brand "
    "RETURN a.key AS account_key, min(p.created_at) AS first_at"
)
BRAND_MENTION_ENGAGEMENTS = (
    "MATCH (b:Account)-[:POSTED]->(p:Post)-[:MENTIONS]->(a:Account) "
    "WHERE b.is_brand AND NOT a.is_brand "
    "RETURN a.key AS account_key, min(p.created_at) AS first_at"
)

# ------------------------------------------------------------------ care
CREATE_CARE_NOTE = (
    "CREATE (n:CareNote {key: $key, conversation_key: $c, author: $a, "
    "text: $t, created_at: $now})"
)
CARE_NOTES = (
    "UNWIND $keys AS k MATCH (n:CareNote) WHERE n.conversation_key = k "
    "RETURN n.key AS key, n.conversation_key AS conversation_key, "
    "n.author AS author, n.text AS text, n.created_at AS created_at "
    "ORDER BY created_at, key"
)
POST_COUNT = "MATCH (p:Post) RETURN count(*) AS n"
CARE_NOTES_CONTAINING = (
    "MATCH (n:CareNote) WHERE lower(n.text) CONTAINS $t "
    "RETURN n.conversation_key AS conversation_key, n.text AS text"
)
# write-once: a new salt would let an erased person back in through a later import
SET_PRIVACY_SALT = "MERGE (s:Setting {key: 'privacy.salt'}) ON CREATE SET s.value = $v"
FORGOTTEN_KEYS = "MATCH (f:Forgotten) RETURN f.key AS k"
FORGET_LINKED_ACCOUNTS = (
    "MATCH (:Customer {key: $c})-[:OWNS]->(a:Account) "
    "WHERE NOT a.is_brand RETURN a.key AS key, a.platform AS platform, "
    "a.handle AS handle, a.followers AS followers"
)
CREATE_ANONYMOUS_ACCOUNT = (  # no follower count: an exact figure can point at a person
    "CREATE (:Account {key: $k, platform: $p, handle: $h, is_brand: false})"
)
MOVE_AUTHORED_POSTS = (
    "MATCH (a:Account {key: $old})-[:POSTED]->(p:Post), (n:Account {key: $new}) "
    "CREATE (n)-[:POSTED]->(p) SET p.author_key = $new, p.text = '', "
    "p.title = NULL, p.url = NULL, p.hashtags = NULL RETURN count(*) AS n"
)
MOVE_MENTIONS = (
    "MATCH (p:Post)-[:MENTIONS]->(a:Account {key: $old}), (n:Account {key: $new}) "
    "CREATE (p)-[:MENTIONS]->(n) RETURN p.key AS key, p.text AS text, "
    "p.title AS title, p.author_key AS author, p.created_at AS created_at"
)
# A stored post's shortened text replaced by its full text (graph.planning decides).
# What was understood of the shortened text goes (the next analysis understands the post
# again: it has no language); its sentiment is the one the batch brings, if any.
REPLACE_POST_TEXTS = (
    "LOAD FROM $scan MATCH (p:Post {key: k}) SET p.text = t, p.content_hash = h, "
    "p.sentiment = s, p.sentiment_model = m, p.sentiment_label = NULL, p.language = NULL, "
    "p.language_confidence = NULL, p.intents = NULL, p.intent_evidence = NULL, "
    "p.intent_model_label = NULL"
)
REDACT_POSTS = (
    "UNWIND $rows AS row MATCH (p:Post {key: row.k}) SET p.text = row.t, "
    "p.title = row.ti, p.content_hash = row.h"
)
MOVE_FOLLOWING = (
    "MATCH (a:Account {key: $old})-[:FOLLOWS]->(x:Account), "
    "(n:Account {key: $new}) CREATE (n)-[:FOLLOWS]->(x)"
)
MOVE_FOLLOWERS = (
    "MATCH (x:Account)-[:FOLLOWS]->(a:Account {key: $old}), "
    "(n:Account {key: $new}) CREATE (x)-[:FOLLOWS]->(n)"
)
DELETE_ACCOUNT = "MATCH (a:Account {key: $old}) DETACH DELETE a"
CREATE_ANONYMOUS_CUSTOMER = (
    "MATCH (c:Customer {key: $c}) CREATE (:Customer {key: $n, "
    "lifetime_value: c.lifetime_value, nps: c.nps})"
)
CUSTOMER_ORDERS = (
    "MATCH (:Customer {key: $c})-[:PURCHASED]->(p:Purchase) "
    "RETURN p.key AS key, p.amount AS amount, "
    "p.purchased_at AS purchased_at"
)
CREATE_ANONYMOUS_ORDER = (
    "MATCH (c:Customer {key: $c}) CREATE (c)-[:PURCHASED]->(:Purchase {key: "
    "$k, customer_id: $c, order_id: $o, amount: $a, purchased_at: $d})"
)
DELETE_PURCHASE = "MATCH (p:Purchase {key: $k}) DETACH DELETE p"
DELETE_CUSTOMER = "MATCH (c:Customer {key: $c}) DETACH DELETE c"
ADD_TOMBSTONES = (
    "UNWIND $keys AS k MERGE (f:Forgotten {key: k}) "
    "SET f.kind = 'person', f.forgotten_at = $now"
)

# ------------------------------------------------------------------ export
EXPORT_CUSTOMER_LINKS = (
    "UNWIND $keys AS k MATCH (c:Customer {key: k})-[o:OWNS]->(a:Account) "
    "RETURN c.key AS c, a.platform AS platform, a.handle AS handle, "
    "o.confidence AS confidence, o.method AS method, o.evidence AS evidence"
)
EXPORT_CUSTOMER_PURCHASES = (
    "UNWIND $keys AS k MATCH (c:Customer {key: k})-[:PURCHASED]->(p:Purchase) "
    "RETURN c.key AS c, p.order_id AS order_id, p.amount AS amount, "
    "p.purchased_at AS purchased_at"
)
EXPORT_ACCOUNT_FOLLOWS = (
    "UNWIND $keys AS k MATCH (a:Account {key: k})-[:FOLLOWS]->"
    "(b:Account) RETURN a.platform AS platform, a.handle AS a, "
    "b.handle AS b"
)
EXPORT_POST_MENTIONS = (
    "UNWIND $keys AS k MATCH (p:Post {key: k})-[:MENTIONS]->"
    "(a:Account) RETURN p.key AS p, a.handle AS handle"
)
IMPORT_RUN = (
    "MERGE (r:AnalysisRun {run_id: $id}) SET r.started_at = $started, "
    "r.finished_at = CAST($finished AS TIMESTAMP), r.status = $status, r.params = $params, "
    "r.stats = $stats, r.error = CAST($error AS STRING)"
)

# ------------------------------------------------------------------ erasure
PERSON_CUSTOMER = "MATCH (c:Customer {key: $c}) RETURN c.name AS name, c.email AS email"
PERSON_ACCOUNTS = (
    "MATCH (:Customer {key: $c})-[:OWNS]->(a:Account) WHERE NOT a.is_brand "
    "RETURN a.key AS key, a.handle AS handle, a.display_name AS display_name, "
    "a.description AS description, a.user_id AS user_id"
)
ACCOUNT_POSTS = (
    "MATCH (:Account {key: $a})-[:POSTED]->(p:Post) RETURN p.key AS key, p.text AS text, "
    "p.title AS title, p.conversation_key AS conversation_key"
)
MENTIONS_OF_ACCOUNT = "MATCH (p:Post)-[:MENTIONS]->(:Account {key: $a}) RETURN p.key AS key"
SHARES_OF_POST = "MATCH (s:Post)-[:SHARES]->(:Post {key: $k}) RETURN s.key AS key"
POSTS_IN_CONVERSATION = (
    "MATCH (p:Post)-[:IN_CONVERSATION]->(:Conversation {key: $k}) RETURN p.key AS key"
)
POSTS_NAMING = (
    "MATCH (p:Post) WHERE lower(p.text) CONTAINS $t OR lower(p.title) CONTAINS $t "
    "RETURN p.key AS key"
)
POSTS_BY_KEY = (
    "UNWIND $keys AS k MATCH (p:Post {key: k}) RETURN p.key AS key, p.text AS text, "
    "p.title AS title, p.author_key AS author, p.created_at AS created_at, p.kind AS kind"
)
CLEAR_POST_URLS = "UNWIND $keys AS k MATCH (p:Post {key: k}) SET p.url = NULL"
ALL_CARE_NOTES = "MATCH (n:CareNote) RETURN n.key AS key, n.text AS text"
REDACT_CARE_NOTES = "UNWIND $rows AS row MATCH (n:CareNote {key: row.k}) SET n.text = row.t"
EXPORT_DATABASE = "EXPORT DATABASE '{path}' (format='parquet')"
IMPORT_DATABASE = "IMPORT DATABASE '{path}'"

# ------------------------------------------------------------------ users
_USER_RETURN = ("u.key AS name, u.role AS role, u.password_hash AS password_hash, "
                "u.created_at AS created_at, u.disabled AS disabled")
GET_USER = f"MATCH (u:User {{key: $name}}) RETURN {_USER_RETURN}"
ALL_USERS = f"MATCH (u:User) RETURN {_USER_RETURN} ORDER BY name"
SAVE_USER = (
    "MERGE (u:User {key: $name}) "
    "ON CREATE SET u.created_at = $now, u.disabled = false "
    "SET u.role = $role, u.password_hash = coalesce($hash, u.password_hash), "
    "u.disabled = coalesce($disabled, u.disabled) "
    f"RETURN {_USER_RETURN}"
)
DELETE_USER = "MATCH (u:User {key: $name}) DELETE u RETURN count(*) AS n"
DELETE_EXPIRED_SESSIONS = "MATCH (s:Session) WHERE s.expires_at <= $now DELETE s"
CREATE_SESSION = (
    "CREATE (s:Session {key: $key, user: $user, created_at: $now, expires_at: $expires})"
)
SESSION_USER = (
    "MATCH (s:Session {key: $key}) WHERE s.expires_at > $now "
    "MATCH (u:User {key: s.user}) WHERE NOT u.disabled "
    f"RETURN {_USER_RETURN}"
)
END_SESSION = "MATCH (s:Session {key: $key}) DELETE s RETURN count(*) AS n"
END_USER_SESSIONS = "MATCH (s:Session) WHERE s.user = $user DELETE s RETURN count(*) AS n"
ADD_AUDIT = (
    "CREATE (e:AuditEntry {key: $key, at: $at, actor: $actor, action: $action, "
    "conversation_key: $conversation_key, customer_id: $customer_id, summary: $summary})"
)
_AUDIT_RETURN = ("e.key AS key, e.at AS at, e.actor AS actor, e.action AS action, "
                 "e.conversation_key AS conversation_key, e.customer_id AS customer_id, "
                 "e.summary AS summary")
AUDIT_ALL = f"MATCH (e:AuditEntry) RETURN {_AUDIT_RETURN} ORDER BY at DESC, key DESC LIMIT $n"
AUDIT_OF_CONVERSATION = (
    "MATCH (e:AuditEntry) WHERE e.conversation_key = $k "
    f"RETURN {_AUDIT_RETURN} ORDER BY at DESC, key DESC LIMIT $n"
)
AUDIT_OF_CUSTOMER = (
    "MATCH (e:AuditEntry) WHERE e.customer_id = $c "
    f"RETURN {_AUDIT_RETURN} ORDER BY at DESC, key DESC LIMIT $n"
)
AUDIT_ABOUT = (
    "MATCH (e:AuditEntry) WHERE e.customer_id = $c "
    "OR any(t IN $terms WHERE lower(e.summary) CONTAINS t) "
    "RETURN e.key AS key, e.customer_id AS customer_id, e.summary AS summary"
)
REDACT_AUDIT = (
    "UNWIND $rows AS r MATCH (e:AuditEntry {key: r.key}) SET e.summary = r.summary"
)
AUDIT_CUSTOMER_NAMES = (
    "MATCH (c:Customer {key: $c}) "
    "OPTIONAL MATCH (c)-[:OWNS]->(a:Account) "
    "RETURN c.name AS name, c.email AS email, collect(a.handle) AS handles"
)


# ---------------------------------------------------------------- events and webhooks
_WEBHOOK_RETURN = ("w.key AS key, w.url AS url, w.events AS events, w.secret AS secret, "
                   "w.enabled AS enabled, w.created_at AS created_at, "
                   "w.description AS description")
WEBHOOK_SUBSCRIPTIONS = f"MATCH (w:WebhookSubscription) RETURN {_WEBHOOK_RETURN} " \
    "ORDER BY created_at, key"
SAVE_WEBHOOK_SUBSCRIPTION = (
    "MERGE (w:WebhookSubscription {key: $key}) SET w.url = $url, w.events = $events, "
    "w.secret = $secret, w.enabled = $enabled, w.created_at = $created_at, "
    "w.description = $description"
)
DELETE_WEBHOOK_SUBSCRIPTION = (
    "MATCH (w:WebhookSubscription {key: $key}) DELETE w RETURN count(*) AS n"
)
ADD_WEBHOOK_DELIVERIES = (
    "UNWIND $rows AS r CREATE (d:WebhookDelivery {key: r.key, "
    "subscription_id: r.subscription_id, event_id: r.event_id, kind: r.kind, "
    "attempt: r.attempt, at: r.at, outcome: r.outcome, http_status: r.status, error: r.error, "
    "duration_ms: r.duration_ms})"
)
_DELIVERY_RETURN = ("d.subscription_id AS subscription_id, d.event_id AS event_id, "
                    "d.kind AS kind, d.attempt AS attempt, d.at AS at, d.outcome AS outcome, "
                    "d.http_status AS status, d.error AS error, d.duration_ms AS duration_ms")
WEBHOOK_DELIVERIES = (f"MATCH (d:WebhookDelivery) RETURN {_DELIVERY_RETURN} "
                      "ORDER BY at DESC, d.key DESC LIMIT $limit")
WEBHOOK_DELIVERIES_OF = (f"MATCH (d:WebhookDelivery) WHERE d.subscription_id = $sub "
                         f"RETURN {_DELIVERY_RETURN} ORDER BY at DESC, d.key DESC LIMIT $limit")
EVENT_STATES = ("MATCH (s:EventState) WHERE s.kind = $kind AND s.active "
                "RETURN s.item_key AS item_key")
EVENT_STATES_CHECKED = "MATCH (s:EventState {key: $marker}) RETURN s.key AS key"
# (save_event_states appends the states new to the table from an Arrow scan)
ACTIVATE_EVENT_STATES = (
    "LOAD FROM $scan MATCH (s:EventState {key: k}) SET s.last_seen = $now, s.active = true"
)
DEACTIVATE_EVENT_STATES = "LOAD FROM $scan MATCH (s:EventState {key: k}) SET s.active = false"
MARK_EVENT_STATES_CHECKED = (
    "MERGE (s:EventState {key: $marker}) ON CREATE SET s.kind = $kind + '*', "
    "s.first_seen = $now SET s.last_seen = $now, s.active = false"
)

# ------------------------------------------------------------------ outbox
SAVE_OUTBOX_ITEM = (
    "MERGE (o:OutboxItem {key: $key}) SET o.conversation_key = $conversation_key, "
    "o.platform = $platform, o.target_key = $target_key, o.target_author = $target_author, "
    "o.author_key = $author_key, o.state = $state, o.attempts = $attempts, "
    "o.idempotency_key = $idempotency_key, o.remote_id = $remote_id, "
    "o.remote_url = $remote_url, o.error = $error, o.next_try = $next_try, "
    "o.sending_at = $sending_at, o.sent_at = $sent_at, o.created_at = $created_at, "
    "o.updated_at = $updated_at"
)
# the outbox's reads are the same in both dialects (graph.schema)
OUTBOX_ITEMS = schema.OUTBOX_ITEMS
OUTBOX_ITEMS_IN_STATES = schema.OUTBOX_ITEMS_IN_STATES
OUTBOX_ITEMS_BY_KEY = schema.OUTBOX_ITEMS_BY_KEY
OUTBOX_ITEMS_ANSWERING = schema.OUTBOX_ITEMS_ANSWERING

BLANK_POST_TEXTS = (
    "UNWIND $keys AS k MATCH (p:Post {key: k}) SET p.text = '', p.title = NULL, p.url = NULL "
    "RETURN count(p) AS n"
)

# What a care-queue update reads about the posts a batch wrote (brand_posts_among): each
# starts from the written posts' keys (a primary-key look-up), never from every post.
_AMONG_COLUMNS = ("p.key AS key, p.author_key AS author_key, p.sentiment AS sentiment, "
                  "p.created_at AS created_at, p.kind AS kind, "
                  "p.conversation_key AS conversation_key, p.platform AS platform, "
                  "p.text AS text, p.url AS url, p.language AS language, "
                  "p.sentiment_label AS sentiment_label, p.intents AS intents, "
                  "p.intent_evidence AS intent_evidence")
POSTS_AMONG = (
    f"UNWIND $keys AS k MATCH (p:Post {{key: k}}) RETURN {_AMONG_COLUMNS}, "
    "p.title AS title, offset(id(p)) AS o"
)
# from the oldest of the written posts on (they are the newest: a stream's), not by key:
# the engine joined every brand mention to the keys (0.17 s at 100k posts; this 0.02 s)
MENTIONING_BRAND_FROM = (
    "MATCH (p:Post)-[:MENTIONS]->(b:Account) WHERE offset(id(p)) >= $low AND b.is_brand "
    "RETURN DISTINCT p.key AS key"
)
REPLYING_TO_BRAND_AMONG = (
    "UNWIND $keys AS k MATCH (p:Post {key: k})-[:REPLY_TO]->(:Post)<-[:POSTED]-(b:Account) "
    "WHERE b.is_brand RETURN DISTINCT p.key AS key"
)
BRAND_POSTS_AMONG = (
    "UNWIND $keys AS k MATCH (b:Account)-[:POSTED]->(r:Post {key: k}) WHERE b.is_brand "
    "RETURN DISTINCT r.key AS key"
)
# the conversations brand posts started (brand_posts reads them the same way: by the
# property, a scan; only for a batch that holds a brand post)
THREAD_POSTS_OF = (
    f"MATCH (p:Post) WHERE list_contains($keys, p.conversation_key) RETURN {_AMONG_COLUMNS}"
)
# the parent first, then its replies: one pattern from the reply's end was planned as a
# scan of the replies (500 keys: 14 ms against 3 ms, with no reply among them)
REPLIES_TO = (
    "UNWIND $keys AS k MATCH (p:Post {key: k}) MATCH (c:Post)-[:REPLY_TO]->(p) "
    "RETURN DISTINCT c.key AS key"
)

# What brand_posts reads of the posts written since its kept rows (offset > $mark): one
# scan of the new posts answers every part at once (names a term, joins a thread a kept
# brand post started), so each post's strings are read once rather than once per part,
# which reading them cost most of (10,000 new posts: 0.2 against 0.7 s); the parts that
# start from an edge return offsets only.
_NEW_POSTS_ADDRESSING = (
    "{match} WHERE offset(id(p)) > $mark "
    "WITH {carry}p, lower(p.text) AS text, lower(p.title) AS title "
    "RETURN offset(id(p)) AS post, "
    "any(t IN CAST($terms, 'STRING[]') WHERE text CONTAINS t OR title CONTAINS t) AS named, "
    "list_contains(CAST($roots, 'STRING[]'), p.conversation_key) AS threaded, "
    "p.key AS key, {author} AS author_key, p.sentiment AS sentiment, "
    "p.created_at AS created_at, p.kind AS kind"
)
NEW_POSTS_ADDRESSING = _NEW_POSTS_ADDRESSING.format(
    match="MATCH (p:Post)", carry="", author="p.author_key")
# The same with each post's author key read from its POSTED edge's account: the
# post's own author_key strings cost the most to read (10,000 new posts: 0.03 against
# 0.1 s). Used only when every new post has exactly one such edge (NEW_POST_COUNT),
# as every write makes it (an author_key always names its POSTED account).
NEW_POSTS_ADDRESSING_BY_AUTHOR = _NEW_POSTS_ADDRESSING.format(
    match="MATCH (a:Account)-[:POSTED]->(p:Post)", carry="a, ", author="a.key")
NEW_POST_COUNT = "MATCH (p:Post) WHERE offset(id(p)) > $mark RETURN count(*) AS n"
# author_activity's rows of the posts written since its kept file, authors likewise
NEW_POST_ACTIVITY_BY_AUTHOR = (
    "MATCH (a:Account)-[:POSTED]->(p:Post) WHERE offset(id(p)) > $mark "
    "RETURN offset(id(p)) AS post, a.key AS author_key, p.created_at AS last_post_at, "
    "p.accepted AS accepted"
)
NEW_POSTS_MENTIONING_BRAND = (
    "MATCH (p:Post)-[:MENTIONS]->(b:Account) WHERE offset(id(p)) > $mark AND b.is_brand "
    "RETURN DISTINCT offset(id(p)) AS post"
)
NEW_REPLY_PARENT_AUTHORS = (
    "MATCH (p:Post)-[:REPLY_TO]->(q:Post) WHERE offset(id(p)) > $mark "
    "RETURN offset(id(p)) AS post, q.author_key AS parent_author_key"
)
