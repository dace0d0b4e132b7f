"""The store port: the one interface every other package uses to reach the graph.

Adapters: :class:`graph.embedded.EmbeddedStore` (LadybugDB, the default,
no server) and :class:`graph.neo4j.Neo4jStore` (production). Nothing
outside ``graph/`` imports an adapter directly; :func:`graph.open_store` picks one
from the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, runtime_checkable

from graph.errors import BusyError, Failure
from graph.model import Account, Customer, Follow, OwnsLink, Post, Purchase

if TYPE_CHECKING:
    import pandas as pd

    from graph.erasure import PersonalData

__all__ = [
    "ACCOUNT_PROFILE_COLUMNS",
    "CARE_STATUSES",
    "AccountScores",
    "AccountView",
    "AnalysisRunInfo",
    "CustomerView",
    "GraphBatch",
    "GraphStore",
    "Interaction",
    "LinkedAccount",
    "ScoredAccount",
    "StoreBusyError",
    "StoreError",
    "TimelineFilter",
    "Tell",
    "WriteResult",
    "WrittenPosts",
]

CARE_STATUSES: tuple[str, ...] = ("open", "assigned", "resolved")
# account_frame columns that ``profile=False`` leaves out
ACCOUNT_PROFILE_COLUMNS: tuple[str, ...] = ("platform", "display_name", "location",
                                            "description")


class StoreError(Failure):
    """A store operation failed; the message says what to do about it."""


class StoreBusyError(BusyError, StoreError):
    """Another process holds the database for writing."""


@dataclass(slots=True)
class GraphBatch:
    """Records to write in one transaction, already de-duplicated by the loader."""

    customers: list[Customer] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    links: list[OwnsLink] = field(default_factory=list)
    follows: list[Follow] = field(default_factory=list)
    purchases: list[Purchase] = field(default_factory=list)
    # give the new posts back as written (``WriteResult.written``): a stream's writer
    # tells its care queue what it wrote
    give_written: bool = False

    def __len__(self) -> int:
        return (
            len(self.customers)
            + len(self.accounts)
            + len(self.posts)
            + len(self.links)
            + len(self.follows)
            + len(self.purchases)
        )


ConflictKind = Literal["in_batch", "stored", "customer"]


class Conflict(NamedTuple):
    """A record a batch did not write, and why.

    ``kind`` says what it disagreed with: ``in_batch`` (another record of the same key in
    the batch), ``stored`` (what the store holds under that key) or ``customer`` (a link
    or an order whose customer is not in the CRM).
    """

    key: str
    reason: str
    kind: ConflictKind = "stored"


@dataclass(slots=True)
class WriteResult:
    """What a batch changed: created and updated counts per kind, plus pending edges."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    pending_edges: int = 0
    # the new posts as written, for a reader kept up to date from its writes
    written: list[WrittenPosts] = field(default_factory=list)

    def add(self, other: WriteResult) -> None:
        for k, v in other.created.items():
            self.created[k] = self.created.get(k, 0) + v
        for k, v in other.updated.items():
            self.updated[k] = self.updated.get(k, 0) + v
        self.conflicts.extend(other.conflicts)
        self.pending_edges = other.pending_edges
        self.written.extend(other.written)


@dataclass(frozen=True, slots=True)
class WrittenPosts:
    """The new posts of one written batch as stored (:data:`graph.planning.WRITTEN_COLUMNS`),
    their mentions (post key, account key), and ``late``: the batch also changed stored
    posts (a parent that arrived after its replies moved or answered them, a fuller text
    replaced a stored one), which what it wrote alone does not say."""

    posts: pd.DataFrame
    mentions: tuple[tuple[str, str], ...]
    late: bool


#: what a writer tells a reader kept up to date from its writes (the care queue:
#: ``CareQueueIndex.writing``): the keys of the posts written, how many were new, and
#: the new posts as written when the writer has them
Tell = Callable[[Sequence[str], int, "Sequence[WrittenPosts] | None"], None]


@dataclass(frozen=True, slots=True)
class AccountView:
    key: str
    platform: str
    handle: str
    display_name: str | None = None
    followers: int | None = None
    is_brand: bool = False
    user_id: str | None = None
    location: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerView:
    customer_id: str
    name: str | None = None
    email: str | None = None
    lifetime_value: float | None = None
    nps: int | None = None
    signup_date: date | None = None
    location: str | None = None
    company: str | None = None


@dataclass(frozen=True, slots=True)
class LinkedAccount:
    account: AccountView
    customer_id: str
    confidence: float
    method: str
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class AccountScores:
    """One account's scores from one analysis run."""

    run_id: str
    account_key: str
    influence: float
    reach: float
    engagement: float
    brand_sentiment: float | None
    brand_posts: int
    customer_value: float | None
    community: int | None
    bridge: float | None
    advocate: float
    influencer: float
    detractor: float
    ranks: dict[str, int]
    explanations: dict[str, list[tuple[str, float]]]


@dataclass(frozen=True, slots=True)
class ScoredAccount:
    """An entry of a ranking."""

    kind: str
    rank: int
    score: float
    account: AccountView
    scores: AccountScores

    @property
    def explanation(self) -> list[tuple[str, float]]:
        return self.scores.explanations.get(self.kind, [])


@dataclass(frozen=True, slots=True)
class Interaction:
    """One entry in a person's timeline.

    ``direction`` is ``authored`` (their own post), ``reply_received``,
    ``mention_received`` or ``share_received``; ``counterpart`` is the other
    account (the one replied to, or the one who replied / mentioned / shared).
    """

    post_key: str
    time: datetime
    platform: str
    kind: str
    direction: str
    text: str
    sentiment: float | None
    subject_key: str
    counterpart: AccountView | None
    conversation_key: str | None
    url: str | None
    language: str | None = None
    sentiment_label: str | None = None  # negative/neutral/positive/unscored; None: not yet
    intents: str = ""  # flagged intents, strongest first, |-joined
    intent_evidence: str = ""  # JSON: intent → cues found

    @property
    def cursor_key(self) -> tuple[datetime, str, str]:
        return (self.time, self.post_key, self.direction)

    @property
    def is_brand_response(self) -> bool:
        return self.direction == "reply_received" and bool(
            self.counterpart and self.counterpart.is_brand
        )


@dataclass(frozen=True, slots=True)
class TimelineFilter:
    """Which interactions a timeline shows; empty means everything.

    ``platforms`` and ``kinds`` (post kinds: post, reply, comment, share, quote,
    private_reply) are lower case; ``directions`` as in :class:`Interaction`;
    ``since`` inclusive, ``until`` exclusive; ``intents`` keeps posts flagged with any
    of them, ``languages`` posts detected in any of them (both lower case).
    """

    platforms: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    directions: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    intents: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AnalysisRunInfo:
    run_id: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    params: dict[str, Any]
    stats: dict[str, Any]
    error: str | None = None


@runtime_checkable
class GraphStore(Protocol):
    """What scrm needs from a graph database."""

    backend: str
    location: str

    def close(self) -> None: ...

    def sibling(self) -> GraphStore:
        """A handle for use from another thread (same database, own connection)."""
        ...

    # --- writes -----------------------------------------------------------
    def deferring_checkpoint(self) -> AbstractContextManager[None]:
        """Around writes whose commits must return as soon as they are durable: the
        database's checkpoint (the embedded store's pause of every write, up to a second
        at 100,000 posts) is left to the first commit after it. A stream writes the posts
        its care queue waits for this way, then the rest of the batch. Neo4j has no such
        pause: nothing to defer."""
        ...

    def write_batch(self, batch: GraphBatch) -> WriteResult:
        """Upsert a batch atomically: nodes, edges, pending edges resolved.

        Re-writing the same records changes nothing. A post whose id is known
        with different content is not written and comes back in ``conflicts``
        (:class:`Conflict`, kind ``stored``, or ``in_batch`` for two copies in the
        batch), except as :mod:`graph.planning` decides: a full text replaces a stored
        shortened one (counted in ``updated["posts"]``), and a shortened or embedded
        copy gives way to the fuller one without a conflict.
        """
        ...

    def set_brand(self, account_keys: Sequence[str], settings: dict[str, str]) -> int:
        """Mark brand accounts (creating stubs if needed) and store brand settings."""
        ...

    def get_settings(self) -> dict[str, str]: ...

    def save_settings(self, settings: dict[str, str]) -> None:
        """Create or replace key-value settings (the brand's accounts unchanged); an empty
        value is how a setting is removed by the keys that treat it so (``replies.*``)."""
        ...

    def brand_accounts(self) -> list[AccountView]:
        """The brand's own accounts, by key."""
        ...

    def file_ingested(self, fingerprint: str) -> bool: ...

    def record_file(
        self, fingerprint: str, path: str, source: str, read: int, loaded: int, rejected: int
    ) -> None: ...

    def link_account(self, link: OwnsLink) -> None: ...

    def unlink_account(self, customer_id: str, account_key: str) -> bool: ...

    # --- identity resolution ----------------------------------------------
    def customer_frame(self) -> pd.DataFrame:
        """customer_id, name, email, location, company."""
        ...

    def link_frame(self) -> pd.DataFrame:
        """Every Customer→Account link: customer_id, account_key, method, confidence."""
        ...

    def record_decision(self, customer_id: str, account_key: str, decision: str) -> None:
        """Keep a person's ``link`` / ``reject`` decision; it wins over automatic matching."""
        ...

    def decision_frame(self) -> pd.DataFrame:
        """customer_id, account_key, decision."""
        ...

    def replace_candidates(self, candidates: Sequence[dict[str, Any]]) -> None:
        """Replace the review list (customer_id, account_key, confidence, evidence)."""
        ...

    def pending_candidates(self, limit: int = 100) -> list[dict[str, Any]]: ...

    # --- projection for analytics -----------------------------------------
    def account_profiles(self, keys: Sequence[str]) -> pd.DataFrame:
        """What the platforms said about the ``keys`` accounts (stored ones only): key,
        followers, created_at (when the account was opened; ``datetime64[us]`` naive
        UTC, NaT unknown), following, listed (float64, NaN unknown) and client (the
        app it last posted from, or None). Bot detection reads them."""
        ...

    def account_frame(self, *, profile: bool = True) -> pd.DataFrame:
        """Every account: key, platform, handle, followers, is_brand, display_name,
        location, description, customer_id, lifetime_value, nps, link_confidence,
        purchases_total. With ``profile=False`` the texts (platform, display_name,
        location, description) are left out: a million of each cost analysis time and
        memory it has no use for."""
        ...

    def interaction_frame(self, *, sentiment: bool = True) -> pd.DataFrame:
        """Account-to-account interactions: src, dst (account keys), kind
        (reply|mention|share|quote), created_at (datetime64[us]), sentiment (of the
        post that made the interaction; NaN until analysed) and tone (its sentiment class:
        -1 negative, 0 neutral, 1 positive, NaN unscored; ``graph.understanding.tone``);
        both left out with ``sentiment=False``, which spares reading every post's score).
        src, dst and kind may be categoricals (ten million rows, a million distinct keys): group
        with ``observed=True`` or convert first."""
        ...

    def unscored_posts(
        self, batch_size: int = 100_000, *, model: str | None = None
    ) -> Iterator[pd.DataFrame]:
        """Posts that need understanding (key, title, text): those with no language yet
        (never understood, whatever sentiment they have), or, when ``model`` is given,
        also those whose sentiment another model decided."""
        ...

    def brand_posts(self, terms: Sequence[str]) -> pd.DataFrame:
        """Posts that address the brand, not written by a brand account: they mention
        or reply to a brand account, sit in a conversation a brand post started, or
        name one of ``terms`` (case-insensitive). Columns: key, author_key, sentiment,
        created_at, kind, parent_author_key."""
        ...

    def post_details(self, keys: Sequence[str]) -> pd.DataFrame:
        """key, platform, conversation_key, text, url for these posts, with what
        understanding found (language, sentiment_label,
        intents, intent_evidence; null until understood)."""
        ...

    def brand_reply_times(self) -> pd.DataFrame:
        """Per conversation the brand posted in: conversation_key, last_brand_post_at."""
        ...

    def brand_posts_among(self, terms: Sequence[str], keys: Sequence[str]) -> pd.DataFrame:
        """What :meth:`brand_posts` and :meth:`brand_reply_times` hold now about these
        (just written) posts, without reading the others: those of them that address the
        brand, the posts that sit in the conversation of a brand post among them, and,
        with ``by_brand`` true, those of them a brand account wrote. Columns: key,
        author_key, sentiment, created_at, kind, conversation_key, what
        :meth:`post_details` gives (platform, text, url, language, sentiment_label,
        intents, intent_evidence) and by_brand (``graph.views.BRAND_AMONG_COLUMNS``)."""
        ...

    def replies_to(self, keys: Sequence[str]) -> list[str]:
        """The keys of the posts that reply to one of these posts (each once)."""
        ...

    def author_activity(self) -> pd.DataFrame:
        """Per author: author_key, posts (count), last_post_at, accepted_answers."""
        ...

    def write_post_sentiment(
        self, keys: Sequence[str], values: Sequence[float], model: str
    ) -> None: ...

    def write_post_understanding(
        self, keys: Sequence[str], frame: pd.DataFrame, model: str
    ) -> None:
        """Store what :func:`analytics.understanding.understand` found for these posts
        (``frame`` in the same order as ``keys``): sentiment (null when unscored),
        sentiment_label, language, language_confidence, intents, intent_evidence and
        intent_model_label (null without an intent model); ``model`` names the
        sentiment model, as ``write_post_sentiment`` does."""
        ...

    # --- analysis runs and scores -----------------------------------------
    def start_run(self, params: dict[str, Any]) -> str: ...

    def write_scores(self, run_id: str, scores: pd.DataFrame) -> None:
        """Write one run's per-account scores (columns as in AccountScore)."""
        ...

    def finish_run(self, run_id: str, stats: dict[str, Any]) -> None: ...

    def fail_run(self, run_id: str, error: str) -> None: ...

    def latest_run(self) -> AnalysisRunInfo | None: ...

    def runs(self, limit: int = 20) -> list[AnalysisRunInfo]: ...

    def ranked_accounts(
        self, kind: str, *, first: int, after_rank: int = 0, run_id: str | None = None
    ) -> list[ScoredAccount]: ...

    def account_scores(
        self, account_key: str, run_id: str | None = None
    ) -> AccountScores | None: ...

    def scores_for_accounts(
        self, account_keys: Sequence[str], run_id: str | None = None
    ) -> dict[str, AccountScores]:
        """The scores of each of these accounts that one run (latest completed by default)
        has, by account key: one read for a page of accounts."""
        ...

    def score_frame(self, run_id: str | None = None, columns: Sequence[str] | None = None
                    ) -> pd.DataFrame:
        """All scores of a run (latest completed by default), indexed by account key,
        with the AccountScore columns, ``run_id`` and the ``explanation`` JSON — or
        only ``columns`` of them (an unknown name is a StoreError)."""
        ...

    # --- reads -------------------------------------------------------------
    def counts(self) -> dict[str, int]: ...

    def get_account(self, key: str) -> AccountView | None: ...

    def get_accounts(self, keys: Sequence[str]) -> dict[str, AccountView]: ...

    def get_customer(self, customer_id: str) -> CustomerView | None: ...

    def customers_for_accounts(self, keys: Sequence[str]) -> dict[str, CustomerView]: ...

    def linked_accounts(self, customer_id: str) -> list[LinkedAccount]: ...

    def purchases(self, customer_id: str) -> list[dict[str, Any]]:
        """A customer's orders, newest first: order_id, amount, purchased_at (date)."""
        ...

    def conversation_posts(self, conversation_key: str, limit: int = 1000
                           ) -> list[dict[str, Any]]:
        """The posts of one conversation, oldest first: key, parent_key, author_key, text,
        title, created_at (aware), kind, sentiment, url, language, sentiment_label,
        intents, intent_evidence (null until understood)."""
        ...

    def timeline(
        self,
        account_keys: Sequence[str],
        *,
        first: int,
        before: tuple[datetime, str, str] | None = None,
        filters: TimelineFilter | None = None,
    ) -> list[Interaction]:
        """Newest-first interactions of these accounts, strictly after ``before``
        in that order (a cursor from :attr:`Interaction.cursor_key`), that pass
        ``filters``."""
        ...

    def active_accounts(self, keys: Sequence[str], since: datetime | None,
                        until: datetime | None) -> set[str]:
        """Those of ``keys`` that posted in the window (``since`` inclusive, ``until``
        exclusive; None leaves that side open)."""
        ...

    def post_frame(self, since: datetime | None, until: datetime | None, *,
                   columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Every post in the window: key, author_key, platform, kind, created_at
        (datetime64, UTC, naive), sentiment, text, title, and what understanding found:
        sentiment_label, language, intents (null until understood). ``columns``: only
        these of them (in that order), e.g. what the bots step reads."""
        ...

    def topic_authors(self, term: str) -> pd.DataFrame:
        """Who wrote about ``term`` (case-insensitive, in text or title):
        author_key, posts."""
        ...

    def newest_post_at(self) -> datetime | None:
        """The time of the newest post (aware UTC), or None when there are none."""
        ...

    def purchase_frame(self) -> pd.DataFrame:
        """Every order: customer_id, amount, purchased_at (date)."""
        ...

    def brand_engagements(self) -> pd.DataFrame:
        """Accounts a brand account replied to or mentioned: account_key, first_at
        (the first time, naive UTC)."""
        ...

    # --- the care workflow ---------------------------------------------------
    def care_cases(self, conversation_keys: Sequence[str] | None = None
                   ) -> dict[str, dict[str, Any]]:
        """The workflow state of conversations (all with a state when ``None``):
        conversation_key -> status (open|assigned|resolved), assignee, team,
        updated_at (aware UTC), resolved_at (aware UTC or None)."""
        ...

    def save_care_case(self, conversation_key: str, *, status: str,
                       assignee: str | None, team: str | None) -> dict[str, Any]:
        """Create or replace a conversation's workflow state; returns it."""
        ...

    def add_care_note(self, conversation_key: str, author: str, text: str) -> dict[str, Any]:
        """Add an internal note: returns key, conversation_key, author, text, created_at."""
        ...

    def care_notes(self, conversation_keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Notes per conversation, oldest first."""
        ...

    def post_count(self) -> int:
        """How many posts are stored: a cheap sign that posts were written (the kept
        care queue, ``api.carequeue``, reads what changed only when it moved)."""
        ...

    def care_notes_containing(self, text: str) -> dict[str, list[str]]:
        """The texts of the notes holding ``text`` (case-insensitive), by conversation
        key: candidates for what a caller looks for in them (an ``@name``), across the
        whole queue rather than a page of it."""
        ...

    # --- people and permissions (graph.audit says what they mean) -------------
    def save_user(self, name: str, *, role: str, password_hash: str | None = None,
                  disabled: bool | None = None) -> dict[str, Any]:
        """Create a user or change one; ``None`` keeps what is stored (a new user needs
        a password hash). Returns name, role, password_hash, created_at, disabled."""
        ...

    def get_user(self, name: str) -> dict[str, Any] | None:
        """A user as :meth:`save_user` returns it, or None."""
        ...

    def users(self) -> list[dict[str, Any]]:
        """Every user, by name."""
        ...

    def remove_user(self, name: str) -> bool:
        """Delete a user and their sessions; False when there was no such user."""
        ...

    def create_session(self, key: str, user: str, expires_at: datetime) -> None:
        """Keep a session (``key``: :func:`graph.audit.session_key` of its token), and drop
        every expired one."""
        ...

    def session_user(self, key: str, now: datetime) -> dict[str, Any] | None:
        """The user a session belongs to, while it has not expired and the user exists and
        is not disabled; else None."""
        ...

    def end_sessions(self, *, key: str | None = None, user: str | None = None) -> int:
        """Delete one session, or every session of a user; returns how many."""
        ...

    def add_audit(self, actor: str, action: str, summary: str, *,
                  conversation_key: str | None = None,
                  customer_id: str | None = None) -> dict[str, Any]:
        """Record a change: returns key, at (aware UTC), actor, action, conversation_key,
        customer_id, summary."""
        ...

    def audit_log(self, *, conversation_key: str | None = None,
                  customer_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Changes, newest first: of one conversation, of one customer, or all."""
        ...

    def redact_audit(self, customer_id: str) -> int:
        """Erase what the log says about a customer (entries recorded against them, and
        their name, e-mail and handles anywhere), keeping every entry. Call it before the
        customer's own data is forgotten (it reads their names). Returns entries changed."""

    # --- events: webhook subscriptions, their delivery log, what was told ------
    def webhook_subscriptions(self) -> list[dict[str, Any]]:
        """Every subscription: key, url, events (list of kinds), secret, enabled,
        created_at (aware UTC), description; oldest first."""
        ...

    def save_webhook_subscription(self, subscription: dict[str, Any]) -> None:
        """Create or replace a subscription (the fields of :meth:`webhook_subscriptions`)."""
        ...

    def delete_webhook_subscription(self, key: str) -> bool:
        """Remove a subscription (its delivery log stays); False when there was none."""
        ...

    def add_webhook_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append tries to the delivery log: subscription_id, event_id, kind, attempt, at
        (aware), outcome, status, error, duration_ms."""
        ...

    def webhook_deliveries(self, limit: int = 50, subscription_id: str | None = None
                           ) -> list[dict[str, Any]]:
        """The latest tries, newest first (the fields of :meth:`add_webhook_deliveries`)."""
        ...

    def event_states(self, kind: str) -> set[str] | None:
        """The items of ``kind`` (``care_item``, ``alert``) that were current at the last
        check, or None when ``kind`` was never checked."""
        ...

    def save_event_states(self, kind: str, added: Sequence[str], removed: Sequence[str]
                          ) -> None:
        """Record a check of ``kind``: ``added`` items became current (their first
        sighting is kept when they come back), ``removed`` ones stopped being."""
        ...

    # --- the outbox (graph/outbox.py decides; see OutboxItem there) -----------
    def save_outbox_items(self, rows: Sequence[dict[str, Any]]) -> None:
        """Create or replace outbox items (every field of ``graph.outbox.OutboxItem``;
        times aware). Each call is committed before it returns."""
        ...

    def outbox_items(self, *, keys: Sequence[str] | None = None,
                     states: Sequence[str] | None = None, limit: int = 1000
                     ) -> list[dict[str, Any]]:
        """Outbox items: those of ``keys`` (response post keys), or in ``states``, or all;
        newest first (by ``keys``: any order), at most ``limit``."""
        ...

    def outbox_items_answering(self, account_keys: Sequence[str]) -> list[dict[str, Any]]:
        """Every outbox item whose ``target_author`` is one of ``account_keys`` (the
        replies to a person's posts, for an erasure), newest first."""
        ...

    def blank_post_texts(self, keys: Sequence[str]) -> int:
        """Erase the text, title and URL of these posts (unsent replies of an erased
        person); returns how many posts there were."""
        ...

    # --- privacy ------------------------------------------------------------
    def forget_customer(self, customer_id: str) -> dict[str, int] | None:
        """Erase a customer's personal data (None when unknown).

        The CRM record keeps only its id and anonymous figures; every linked
        account is renamed to an anonymous key and loses its handle, names and
        profile; its posts lose text, title and URL but keep time, kind and
        sentiment (the anonymous aggregates); scores, identity candidates and
        decisions about it are deleted. Tombstones (salted hashes of the customer id
        and account keys, and of other people's posts redacted for them) make later
        ingests skip the same person. Other people's posts that mention them, sit in their
        conversations or name them have their names, e-mail, handles and words replaced by
        ``[erased]`` (:func:`graph.erasure.redact_text`), shares of their posts are
        blanked, care notes naming them are redacted. Returns counts (accounts, posts,
        mentions_redacted, copies_blanked, notes_redacted, purchases).

        This is the store's part only: :func:`graph.erasure.erase_customer` is the whole
        erasure (the files rewritten, rejects and caches cleaned, a model deleted).
        """
        ...

    def forgotten_keys(self) -> set[str]:
        """The tombstone hashes (see :func:`graph.model.tombstone`)."""
        ...

    def personal_data(self, customer_id: str) -> PersonalData | None:
        """What identifies a customer (None when unknown): CRM name and e-mail, their
        accounts' handles, display names, ids and bios, their posts' texts. Read by
        :func:`graph.erasure.erase_customer` before it erases them."""
        ...

    def compact(self) -> bool:
        """Make deleted values unrecoverable from the store's own files; True when the
        files were rewritten (the embedded store: a fresh database file swapped in),
        False when the database deletes by itself (Neo4j: see the README on its
        transaction logs)."""
        ...
