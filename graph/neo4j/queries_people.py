"""Neo4j Cypher of the people-facing sections: care workflow, privacy and erasure,
users, sessions and the audit log, events and webhooks, the outbox. Re-exported by
:mod:`graph.neo4j.queries`, where every statement of the adapter is found (and linted)."""

from __future__ import annotations

from graph import schema

# -------------------------------------------------------------------- care workflow
_CASE_RETURN = """\
c.key AS key, c.status AS status, c.assignee AS assignee, c.team AS team,
       c.updated_at AS updated_at, c.resolved_at AS resolved_at"""

ALL_CARE_CASES = f"MATCH (c:CareCase) RETURN {_CASE_RETURN}"

CARE_CASES = f"""\
UNWIND $keys AS k
MATCH (c:CareCase {{key: k}})
RETURN {_CASE_RETURN}"""

SAVE_CARE_CASE = f"""\
MERGE (c:CareCase {{key: $key}})
SET c.status = $status, c.assignee = $assignee, c.team = $team, c.updated_at = $now,
    c.resolved_at = CASE WHEN $status = 'resolved' THEN $now ELSE null END
RETURN {_CASE_RETURN}"""

ADD_CARE_NOTE = """\
CREATE (n:CareNote {key: $key, conversation_key: $conversation_key, author: $author,
                    text: $text, created_at: $now})"""

CARE_NOTES = """\
UNWIND $keys AS k
MATCH (n:CareNote {conversation_key: k})
RETURN n.key AS key, n.conversation_key AS conversation_key, n.author AS author,
       n.text AS text, n.created_at AS created_at
ORDER BY created_at, key"""

POST_COUNT = "MATCH (p:Post) RETURN count(p) AS n"

CARE_NOTES_CONTAINING = """\
MATCH (n:CareNote)
WHERE toLower(n.text) CONTAINS $text
RETURN n.conversation_key AS conversation_key, n.text AS text"""

# -------------------------------------------------------------------------- privacy
FORGOTTEN_KEYS = "MATCH (f:Forgotten) RETURN f.key AS key"

# Inside the forgetting transaction: the stored salt, or ``$salt`` when there is none
# yet (MERGE locks the setting, so concurrent first forgets agree on one salt).
PRIVACY_SALT = """\
MERGE (s:Setting {key: 'privacy.salt'})
SET s.value = CASE WHEN coalesce(s.value, '') = '' THEN $salt ELSE s.value END
RETURN s.value AS value"""

FORGET_LINKED_ACCOUNTS = """\
MATCH (:Customer {key: $customer_id})-[:OWNS]->(a:Account)
WHERE NOT coalesce(a.is_brand, false)
RETURN a.key AS key, a.platform AS platform, a.handle AS handle"""

# Keys are plain properties in Neo4j: the account is renamed in place and keeps its
# posts, mentions and follows; identity links to it (any customer's) go, as the embedded
# store's copy-and-delete drops them.
FORGET_ACCOUNT = """\
MATCH (a:Account {key: $old})
OPTIONAL MATCH (:Customer)-[o:OWNS]->(a)
DELETE o
WITH DISTINCT a
SET a.key = $new, a.handle = $handle, a.user_id = null, a.display_name = null,
    a.location = null, a.description = null, a.is_brand = false, a.followers = null,
    a.created_at = null, a.following = null, a.listed = null, a.client = null
WITH a
OPTIONAL MATCH (a)-[:POSTED]->(p:Post)
SET p.author_key = $new, p.text = '', p.title = null, p.url = null, p.hashtags = null
RETURN count(p) AS posts"""

REDACT_POSTS = """\
UNWIND $rows AS row
MATCH (p:Post {key: row.key})
SET p.text = row.text, p.title = row.title, p.content_hash = row.content_hash"""

DELETE_ACCOUNT_RECORDS = """\
MATCH (x:AccountScore|IdentityCandidate|IdentityDecision)
WHERE x.account_key = $old
DETACH DELETE x"""

CREATE_ANONYMOUS_CUSTOMER = """\
MATCH (c:Customer {key: $customer_id})
CREATE (:Customer {key: $anonymous, lifetime_value: c.lifetime_value, nps: c.nps})"""

CUSTOMER_ORDERS = """\
MATCH (:Customer {key: $customer_id})-[:PURCHASED]->(p:Purchase)
RETURN p.key AS key"""

MOVE_ORDERS = """\
UNWIND $rows AS row
MATCH (:Customer {key: $customer_id})-[r:PURCHASED]->(p:Purchase {key: row.key})
MATCH (n:Customer {key: $anonymous})
CREATE (n)-[:PURCHASED]->(p)
DELETE r
SET p.key = $anonymous + ':' + row.order_id, p.order_id = row.order_id,
    p.customer_id = $anonymous"""

DELETE_CUSTOMER = """\
MATCH (x:IdentityCandidate|IdentityDecision)
WHERE x.customer_id = $customer_id
DETACH DELETE x
WITH count(*) AS done
MATCH (c:Customer {key: $customer_id})
DETACH DELETE c"""

ADD_TOMBSTONES = """\
UNWIND $keys AS k
MERGE (f:Forgotten {key: k})
SET f.kind = 'person', f.forgotten_at = $now"""

# ------------------------------------------------------------------------- erasure
PERSON_CUSTOMER = """\
MATCH (c:Customer {key: $customer_id})
RETURN c.name AS name, c.email AS email"""

PERSON_ACCOUNTS = """\
MATCH (:Customer {key: $customer_id})-[:OWNS]->(a:Account)
WHERE NOT coalesce(a.is_brand, false)
RETURN a.key AS key, a.handle AS handle, a.display_name AS display_name,
       a.description AS description, a.user_id AS user_id"""

PERSON_POSTS = """\
MATCH (:Customer {key: $customer_id})-[:OWNS]->(a:Account)-[:POSTED]->(p:Post)
WHERE NOT coalesce(a.is_brand, false)
RETURN p.key AS key, p.text AS text, p.title AS title,
       coalesce(p.conversation_key, p.key) AS conversation_key"""

# Other people's posts that may hold the person: shares of their posts, posts in
# conversations they took part in, posts mentioning or naming them ($terms: lower-cased
# names and e-mail). A scan of all posts: erasure is rare, and must miss nothing.
POSTS_ABOUT_PERSON = """\
MATCH (p:Post)
WHERE NOT p.key IN $theirs
  AND (EXISTS { MATCH (p)-[:SHARES]->(o:Post) WHERE o.key IN $theirs }
       OR p.conversation_key IN $conversations
       OR EXISTS { MATCH (p)-[:MENTIONS]->(a:Account) WHERE a.key IN $accounts }
       OR any(t IN $terms WHERE toLower(coalesce(p.text, '')) CONTAINS t
                             OR toLower(coalesce(p.title, '')) CONTAINS t))
RETURN p.key AS key, p.text AS text, p.title AS title, p.author_key AS author,
       p.created_at AS created_at, p.kind AS kind, p.conversation_key AS conversation_key,
       EXISTS { MATCH (p)-[:SHARES]->(o:Post) WHERE o.key IN $theirs } AS shares"""

# a thread they started: its posts' links carry their title (reddit permalinks)
CLEAR_POST_URLS = """\
UNWIND $keys AS k
MATCH (p:Post {key: k})
SET p.url = null"""

ALL_CARE_NOTES = "MATCH (n:CareNote) RETURN n.key AS key, n.text AS text"

REDACT_CARE_NOTES = """\
UNWIND $rows AS row
MATCH (n:CareNote {key: row.key})
SET n.text = row.text"""


# ------------------------------------------------------------ people and permissions
_USER_RETURN = """\
u.key AS name, u.role AS role, u.password_hash AS password_hash,
       u.created_at AS created_at, u.disabled AS disabled"""

GET_USER = f"MATCH (u:User {{key: $name}}) RETURN {_USER_RETURN}"

ALL_USERS = f"MATCH (u:User) RETURN {_USER_RETURN} ORDER BY name"

SAVE_USER = f"""\
MERGE (u:User {{key: $name}})
ON CREATE SET u.created_at = $now, u.disabled = false
SET u.role = $role, u.password_hash = coalesce($hash, u.password_hash),
    u.disabled = coalesce($disabled, u.disabled)
RETURN {_USER_RETURN}"""

DELETE_USER = """\
OPTIONAL MATCH (s:Session {user: $name})
DETACH DELETE s
WITH count(*) AS sessions
MATCH (u:User {key: $name})
DETACH DELETE u
RETURN count(*) AS n"""

CREATE_SESSION = """\
OPTIONAL MATCH (old:Session) WHERE old.expires_at <= $now
DETACH DELETE old
WITH count(*) AS expired
CREATE (s:Session {key: $key, user: $user, created_at: $now, expires_at: $expires})"""

SESSION_USER = f"""\
MATCH (s:Session {{key: $key}}) WHERE s.expires_at > $now
MATCH (u:User {{key: s.user}}) WHERE NOT u.disabled
RETURN {_USER_RETURN}"""

END_SESSION = """\
MATCH (s:Session {key: $key})
DETACH DELETE s
RETURN count(*) AS n"""

END_USER_SESSIONS = """\
MATCH (s:Session {user: $user})
DETACH DELETE s
RETURN count(*) AS n"""

ADD_AUDIT = """\
CREATE (e:AuditEntry {key: $key, at: $at, actor: $actor, action: $action,
                      conversation_key: $conversation_key, customer_id: $customer_id,
                      summary: $summary})"""

_AUDIT_RETURN = """\
e.key AS key, e.at AS at, e.actor AS actor, e.action AS action,
       e.conversation_key AS conversation_key, e.customer_id AS customer_id,
       e.summary AS summary"""

AUDIT_ALL = f"""\
MATCH (e:AuditEntry)
RETURN {_AUDIT_RETURN}
ORDER BY at DESC, key DESC LIMIT $n"""

AUDIT_OF_CONVERSATION = f"""\
MATCH (e:AuditEntry {{conversation_key: $k}})
RETURN {_AUDIT_RETURN}
ORDER BY at DESC, key DESC LIMIT $n"""

AUDIT_OF_CUSTOMER = f"""\
MATCH (e:AuditEntry {{customer_id: $c}})
RETURN {_AUDIT_RETURN}
ORDER BY at DESC, key DESC LIMIT $n"""

AUDIT_CUSTOMER_NAMES = """\
MATCH (c:Customer {key: $c})
OPTIONAL MATCH (c)-[:OWNS]->(a:Account)
RETURN c.name AS name, c.email AS email, collect(a.handle) AS handles"""

AUDIT_ABOUT = """\
MATCH (e:AuditEntry)
WHERE e.customer_id = $c OR any(t IN $terms WHERE toLower(e.summary) CONTAINS t)
RETURN e.key AS key, e.customer_id AS customer_id, e.summary AS summary"""

REDACT_AUDIT = """\
UNWIND $rows AS r
MATCH (e:AuditEntry {key: r.key})
SET e.summary = r.summary"""

# ---------------------------------------------------------------- events and webhooks
_WEBHOOK_RETURN = """\
w.key AS key, w.url AS url, w.events AS events, w.secret AS secret, w.enabled AS enabled,
       w.created_at AS created_at, w.description AS description"""

WEBHOOK_SUBSCRIPTIONS = f"""\
MATCH (w:WebhookSubscription)
RETURN {_WEBHOOK_RETURN}
ORDER BY created_at, key"""

SAVE_WEBHOOK_SUBSCRIPTION = """\
MERGE (w:WebhookSubscription {key: $key})
SET w.url = $url, w.events = $events, w.secret = $secret, w.enabled = $enabled,
    w.created_at = $created_at, w.description = $description"""

DELETE_WEBHOOK_SUBSCRIPTION = """\
MATCH (w:WebhookSubscription {key: $key})
DELETE w
RETURN count(*) AS n"""

ADD_WEBHOOK_DELIVERIES = """\
UNWIND $rows AS row
CREATE (d:WebhookDelivery {key: row.key, subscription_id: row.subscription_id,
                           event_id: row.event_id, kind: row.kind, attempt: row.attempt,
                           at: row.at, outcome: row.outcome, http_status: row.status,
                           error: row.error, duration_ms: row.duration_ms})"""

_DELIVERY_RETURN = """\
d.subscription_id AS subscription_id, d.event_id AS event_id, d.kind AS kind,
       d.attempt AS attempt, d.at AS at, d.outcome AS outcome, d.http_status AS status,
       d.error AS error, d.duration_ms AS duration_ms"""

WEBHOOK_DELIVERIES = f"""\
MATCH (d:WebhookDelivery)
RETURN {_DELIVERY_RETURN}
ORDER BY at DESC, d.key DESC
LIMIT $limit"""

WEBHOOK_DELIVERIES_OF = f"""\
MATCH (d:WebhookDelivery {{subscription_id: $sub}})
RETURN {_DELIVERY_RETURN}
ORDER BY at DESC, d.key DESC
LIMIT $limit"""

EVENT_STATES = """\
MATCH (s:EventState {kind: $kind, active: true})
RETURN s.item_key AS item_key"""

EVENT_STATES_CHECKED = "MATCH (s:EventState {key: $marker}) RETURN s.key AS key"

ADD_EVENT_STATES = """\
UNWIND $keys AS k
MERGE (s:EventState {key: $kind + '|' + k})
ON CREATE SET s.kind = $kind, s.item_key = k, s.first_seen = $now
SET s.last_seen = $now, s.active = true"""

REMOVE_EVENT_STATES = """\
UNWIND $keys AS k
MATCH (s:EventState {key: $kind + '|' + k})
SET s.active = false"""

MARK_EVENT_STATES_CHECKED = """\
MERGE (s:EventState {key: $marker})
ON CREATE SET s.kind = $kind + '*', s.first_seen = $now
SET s.last_seen = $now, s.active = false"""


# --------------------------------------------------------------------------- outbox
# its reads are the same in both dialects (graph.schema); its writes are not
OUTBOX_ITEMS, OUTBOX_ITEMS_IN_STATES = schema.OUTBOX_ITEMS, schema.OUTBOX_ITEMS_IN_STATES
OUTBOX_ITEMS_BY_KEY, OUTBOX_ITEMS_ANSWERING = (schema.OUTBOX_ITEMS_BY_KEY,
                                              schema.OUTBOX_ITEMS_ANSWERING)
SAVE_OUTBOX_ITEMS = (
    "UNWIND $rows AS row MERGE (o:OutboxItem {key: row.key}) "
    "SET o.conversation_key = row.conversation_key, o.platform = row.platform, "
    "o.target_key = row.target_key, o.target_author = row.target_author, "
    "o.author_key = row.author_key, o.state = row.state, o.attempts = row.attempts, "
    "o.idempotency_key = row.idempotency_key, o.remote_id = row.remote_id, "
    "o.remote_url = row.remote_url, o.error = row.error, o.next_try = row.next_try, "
    "o.sending_at = row.sending_at, o.sent_at = row.sent_at, o.created_at = row.created_at, "
    "o.updated_at = row.updated_at"
)
BLANK_POST_TEXTS = (
    "UNWIND $keys AS k MATCH (p:Post {key: k}) SET p.text = '', p.title = null, p.url = null "
    "RETURN count(p) AS n"
)

# What a care-queue update reads about the posts a batch wrote (brand_posts_among): each
# starts from the written posts' keys, never from every post.
POSTS_AMONG = """\
UNWIND $keys AS k
MATCH (p:Post {key: k})
RETURN p.key AS key, p.author_key AS author_key, p.sentiment AS sentiment,
       p.created_at AS created_at, p.kind AS kind, p.conversation_key AS conversation_key,
       p.platform AS platform, p.text AS text, p.url AS url, p.language AS language,
       p.sentiment_label AS sentiment_label, p.intents AS intents,
       p.intent_evidence AS intent_evidence, p.title AS title"""

MENTIONING_BRAND_AMONG = """\
UNWIND $keys AS k
MATCH (p:Post {key: k})-[:MENTIONS]->(b:Account)
WHERE b.is_brand
RETURN DISTINCT p.key AS key"""

REPLYING_TO_BRAND_AMONG = """\
UNWIND $keys AS k
MATCH (p:Post {key: k})-[:REPLY_TO]->(:Post)<-[:POSTED]-(b:Account)
WHERE b.is_brand
RETURN DISTINCT p.key AS key"""

BRAND_POSTS_AMONG = """\
UNWIND $keys AS k
MATCH (b:Account)-[:POSTED]->(r:Post {key: k})
WHERE b.is_brand
RETURN DISTINCT r.key AS key"""

THREAD_POSTS_OF = """\
UNWIND $keys AS k
MATCH (:Conversation {key: k})<-[:IN_CONVERSATION]-(p:Post)
RETURN p.key AS key, p.author_key AS author_key, p.sentiment AS sentiment,
       p.created_at AS created_at, p.kind AS kind, p.conversation_key AS conversation_key,
       p.platform AS platform, p.text AS text, p.url AS url, p.language AS language,
       p.sentiment_label AS sentiment_label, p.intents AS intents,
       p.intent_evidence AS intent_evidence"""

REPLIES_TO = """\
UNWIND $keys AS k
MATCH (c:Post)-[:REPLY_TO]->(:Post {key: k})
RETURN DISTINCT c.key AS key"""
