"""The GraphQL schema: the ``Query`` type and ``schema``.

Errors: a :class:`api.errors.UserError` shows its message; any other exception
is logged here and reaches the client only as ``internal error``.
"""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import strawberry
from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from api import alerts, care, insights
from api.context import Info
from api.cost import cost_rule
from api.errors import INTERNAL_ERROR, UserError
from api.execution import PlainFieldsExecution
from api.network import NETWORK_CACHE
from api.subscriptions import Subscription
from api.types import (
    Account,
    AnalysisRun,
    Audience,
    Conversation,
    Customer,
    EngagementTarget,
    EngagementTargetConnection,
    EngagementTargetEdge,
    PageInfo,
    TargetKind,
    check_page_size,
    decode_target_cursor,
    encode_target_cursor,
    outbox,
)
from graph.config import get_settings
from graph.erasure import ErasureReport
from graph.model import OwnsLink, account_key
from graph.store import CustomerView, GraphStore, ScoredAccount
from ingest.identity import check_account

__all__ = ["MAX_ALIASES", "MAX_QUERY_DEPTH", "MAX_TOKENS", "Query", "schema"]

logger = logging.getLogger("scrm.api")

MAX_QUERY_DEPTH = 12

RANKING_CHANGED = "the ranking changed (a new analysis run completed); start again without 'after'"


@strawberry.type
class Query:
    @strawberry.field(description="Accounts to engage, best first, from the latest analysis run.")
    async def engagement_targets(
        self, info: Info, kind: TargetKind, first: int = 20, after: str | None = None,
        platform: str | None = None, audience: Audience = Audience.ALL,
        min_score: float | None = None, community: int | None = None,
        active_since: datetime | None = None, active_until: datetime | None = None,
    ) -> EngagementTargetConnection:
        check_page_size(first)
        context = info.context
        after_rank = 0
        run = await context.latest_run()
        if after is not None:
            cursor_run, cursor_kind, after_rank = decode_target_cursor(after)
            if cursor_kind != kind.value:
                raise UserError(f"this cursor belongs to the {cursor_kind} ranking, not "
                                f"{kind.value}; start again without 'after'")
            if run is None or cursor_run != run.run_id:
                raise UserError(RANKING_CHANGED)
        if run is None:
            return EngagementTargetConnection(edges=[], run_id=None, page_info=PageInfo(
                has_next_page=False, has_previous_page=after is not None, start_cursor=None,
                end_cursor=None))
        run_id = run.run_id
        since, until = _utc(active_since), _utc(active_until)
        if since and until and since >= until:
            raise UserError("activeSince must be before activeUntil")
        window = (since, until) if since or until else None
        filtered = platform is not None or audience != Audience.ALL or min_score is not None \
            or community is not None or window is not None
        with_customers = _selects(info.selected_fields, "customer")

        def page(s: GraphStore) -> tuple[list[ScoredAccount], dict[str, CustomerView] | None]:
            if not first:
                return [], None
            if kind == TargetKind.LOOKALIKE:
                from api.lookalikes import lookalike_page

                assert lookalikes is not None  # computed below for any page with rows
                ranked = lookalike_page(s, first + 1, after_rank, lookalikes)
            elif filtered:
                ranked = _filtered_ranking(s, kind.value, first + 1, after_rank, run_id,
                                           platform, audience, min_score, community, window)
            else:
                ranked = s.ranked_accounts(kind.value, first=first + 1, after_rank=after_rank,
                                           run_id=run_id)
            # the page's customers in the same trip to the store thread, when asked for
            customers = s.customers_for_accounts([r.account.key for r in ranked[:first]]) \
                if with_customers and ranked else None
            return ranked, customers

        # an unfiltered page is a slice of the cached ranking and a few key look-ups
        if kind == TargetKind.LOOKALIKE and filtered:
            raise UserError("filters do not apply to the LOOKALIKE ranking: leave them out")
        quick = not filtered and kind != TargetKind.LOOKALIKE
        lookalikes = None
        if kind == TargetKind.LOOKALIKE and first:  # computed once, kept until content changes
            from analytics.job import prospect_lookalikes
            from api.auth import CONTENT
            from api.lookalikes import LOOKALIKE_MEMO_SECONDS

            lookalikes = await context.store.memoized(
                "lookalikes", LOOKALIKE_MEMO_SECONDS, prospect_lookalikes,
                reads=frozenset({CONTENT}))
        ranked, customers = await context.store.call(page, quick=quick)
        has_next = len(ranked) > first
        ranked = ranked[:first]
        context.accounts.prime_many({r.account.key: r.account for r in ranked})
        context.scores.prime_many({r.account.key: r.scores for r in ranked})
        linked: dict[str, Customer | None] = {}
        if customers is not None:
            context.customers.prime_many({r.account.key: customers.get(r.account.key)
                                          for r in ranked})
            linked = {r.account.key: Customer.from_domain(customers[r.account.key])
                      if r.account.key in customers else None for r in ranked}
        edges = [EngagementTargetEdge(
            cursor=encode_target_cursor(run_id, kind.value, r.rank),
            node=EngagementTarget.from_domain(r, linked[r.account.key])
            if customers is not None else EngagementTarget.from_domain(r)) for r in ranked]
        return EngagementTargetConnection(edges=edges, run_id=run_id, page_info=PageInfo.of(
            edges, has_next=has_next, has_previous=after_rank > 0))

    @strawberry.field(description="A CRM customer by id, or null.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        customer_id = str(id)
        found = await info.context.store.call(lambda s: s.get_customer(customer_id), quick=True)
        return Customer.from_domain(found) if found else None

    @strawberry.field(description="An account by platform and handle (any case, with or "
                                  "without @ or u/), or null.")
    async def account(self, info: Info, platform: str, handle: str) -> Account | None:
        found = await info.context.accounts.load(account_key(platform, handle))
        return Account.from_domain(found) if found else None

    @strawberry.field(description="A conversation (thread) by id, e.g. 'twitter:1830…' or "
                                  "'reddit:t3_abc': its posts as a reply tree with sentiment.")
    async def conversation(self, info: Info, id: strawberry.ID, limit: int = 500
                           ) -> Conversation | None:
        if not 1 <= limit <= 5000:
            raise UserError("limit must be between 1 and 5000")
        key = str(id)
        rows = await info.context.store.call(lambda s: s.conversation_posts(key, limit))
        return Conversation.from_domain(key, rows, limit) if rows else None

    care_queue = strawberry.field(
        resolver=care.care_queue,
        description="Conversations waiting for a brand response, most urgent first (need: "
                    "churn, leaks, complaints, questions, purchase intent, suggestions, "
                    "negative or unscored sentiment × author influence and customer value × "
                    "waiting time), each routed to a team; by default open and assigned "
                    "ones; 'intent' and 'language' keep those whose waiting post has them.")
    care_case = strawberry.field(
        resolver=care.care_case,
        description="A conversation's care workflow state and notes, or null if there is no "
                    "such conversation.")
    deliveries = strawberry.field(
        resolver=outbox.deliveries,
        description="The responses recorded in scrm and how each reaches its platform (the "
                    "outbox: queued, sending, sent, failed, by hand, erased), newest first; "
                    "'states' and 'platform' keep those in any of these states, there.")
    network = strawberry.field(
        resolver=insights.network,
        description="Accounts and their interactions around 'center' (a key like "
                    "'twitter:dana' or a Twitter handle) up to 'depth' hops, or the most "
                    "influential accounts without a centre; at most 'limit' nodes, the most "
                    "influential kept; only pairs with at least 'minWeight' interactions.")
    communities = strawberry.field(
        resolver=insights.communities,
        description="Communities of the latest analysis run, largest first, with their top "
                    "members and bridges.")
    influence_within = strawberry.field(
        resolver=insights.influence_within,
        description="Influence within a community or on a topic: personalised PageRank on "
                    "the interaction graph, restarting from the community's members or from "
                    "the accounts that wrote about the topic (weighted by their posts).")
    alerts = strawberry.field(
        resolver=alerts.alerts,
        description="Alerts at 'at' (default: now), newest first: volume spikes and surges "
                    "of negative posts for the brand, a term or a topic against their own "
                    "rolling baseline (EWMA, Poisson and binomial tests), and negative posts "
                    "by top-influence accounts or high-value customers.")
    metrics = strawberry.field(
        resolver=insights.metrics,
        description="Awareness, sales and change metrics over [since, until); by default the "
                    "30 days up to the newest post.")

    @strawberry.field(description="The latest completed analysis run, or null before any.")
    async def latest_run(self, info: Info) -> AnalysisRun | None:
        run = await info.context.latest_run()
        return AnalysisRun.from_domain(run) if run else None


def _selects(selections: Sequence[Any], name: str) -> bool:
    """Whether a field called ``name`` is asked for anywhere below (fragments included)."""
    return any(getattr(f, "name", None) == name or _selects(getattr(f, "selections", ()), name)
               for f in selections)


# A filtered page reads the ranking in chunks and stops after this many rows, so a
# filter that matches almost nobody still answers in bounded time.
FILTER_SCAN_LIMIT = 20_000
_CHUNK = 500


def _filtered_ranking(store: GraphStore, kind: str, wanted: int, after_rank: int, run_id: str,
                      platform: str | None, audience: Audience, min_score: float | None,
                      community: int | None,
                      window: tuple[datetime | None, datetime | None] | None = None
                      ) -> list[ScoredAccount]:
    """Entries of a ranking that pass the filters, in rank order, after ``after_rank``."""
    out: list[ScoredAccount] = []
    cursor, scanned = after_rank, 0
    wanted_platform = platform.lower() if platform else None
    while len(out) < wanted and scanned < FILTER_SCAN_LIMIT:
        chunk = store.ranked_accounts(kind, first=_CHUNK, after_rank=cursor, run_id=run_id)
        if not chunk:
            break
        customers = store.customers_for_accounts([r.account.key for r in chunk]) \
            if audience != Audience.ALL else {}
        active = store.active_accounts([r.account.key for r in chunk], *window) \
            if window is not None else None
        for entry in chunk:
            cursor, scanned = entry.rank, scanned + 1
            if min_score is not None and entry.score < min_score:
                return out  # the ranking is sorted: nothing further can pass
            if wanted_platform and entry.account.platform != wanted_platform:
                continue
            if community is not None and entry.scores.community != community:
                continue
            if active is not None and entry.account.key not in active:
                continue
            is_customer = entry.account.key in customers
            if (audience == Audience.CUSTOMERS and not is_customer) or (
                    audience == Audience.PROSPECTS and is_customer):
                continue
            out.append(entry)
            if len(out) == wanted:
                break
    return out


@strawberry.type(description="Changes. They need a write key when API keys are on, and a "
                              "server that holds the database for writing (scrm serve).")
class Mutation(care.CareMutations):
    @strawberry.mutation(description="Link a social account to a customer by hand. A person's "
                                      "decision always wins over automatic matching.")
    async def link_account(self, info: Info, customer_id: strawberry.ID, platform: str,
                           handle: str) -> Customer:
        checked = _checked_account(platform, handle)
        link = OwnsLink(customer_id=str(customer_id), platform=checked.split(":", 1)[0],
                        handle=checked.split(":", 1)[1], confidence=1.0, method="manual",
                        evidence="linked through the API")

        who = care.actor(info)

        def work(s: GraphStore) -> CustomerView | None:
            _writable(s)
            if s.get_customer(link.customer_id) is None:
                return None
            if s.get_account(checked) is None:
                raise UserError(f"no account {checked} is stored; ingest its posts first")
            s.link_account(link)
            s.record_decision(link.customer_id, link.account_key, "link")
            care.record(s, who, "link", f"linked {checked}", customer_id=link.customer_id)
            return s.get_customer(link.customer_id)

        found = await info.context.store.call(work)
        if found is None:
            raise UserError(f"no customer {customer_id}")
        return Customer.from_domain(found)

    @strawberry.mutation(description="Remove a customer ↔ account link; automatic matching "
                                     "will not propose it again.")
    async def unlink_account(self, info: Info, customer_id: strawberry.ID, platform: str,
                             handle: str) -> bool:
        key = _checked_account(platform, handle)
        who = care.actor(info)

        def work(s: GraphStore) -> bool:
            _writable(s)
            removed = s.unlink_account(str(customer_id), key)
            s.record_decision(str(customer_id), key, "reject")
            if removed:
                care.record(s, who, "unlink", f"unlinked {key}", customer_id=str(customer_id))
            return removed

        result: bool = await info.context.store.call(work)
        return result

    @strawberry.mutation(description="Erase a customer's personal data on request (right to "
                                     "erasure): CRM fields, linked accounts' names and "
                                     "profiles, their post texts; only anonymous aggregates "
                                     "stay, and later imports skip them. Cannot be undone.")
    async def forget_customer(self, info: Info, id: strawberry.ID) -> ForgetResult:
        customer_id = str(id)
        who = care.actor(info)

        def work(s: GraphStore) -> ErasureReport | None:
            _writable(s)
            from api.jobs import erase

            report = erase(s, customer_id)
            if report is not None:  # that it happened, never what was erased
                care.record(s, who, "forget", "erased the customer's personal data",
                            customer_id=customer_id)
            return report

        erased = await info.context.store.call(work)
        if erased is None:
            raise UserError(f"no customer {customer_id}")
        NETWORK_CACHE.clear()
        logger.info("forgot a customer on request: %s", erased.counts)
        return ForgetResult.from_report(customer_id, erased)


@strawberry.type(description="What forgetCustomer erased.")
class ForgetResult:
    customer_id: str
    accounts: int = strawberry.field(description="Linked accounts made anonymous.")
    posts: int = strawberry.field(description="Their posts whose text, title and URL were "
                                              "erased (time, kind and sentiment are kept).")
    mentions_redacted: int = strawberry.field(description="Other people's posts whose "
                                                          "mention of them was blanked.")
    purchases: int = strawberry.field(description="Orders kept as anonymous amounts.")
    copies_blanked: int = strawberry.field(description="Shares of their posts (retweets) "
                                                       "whose copy of their words was blanked.")
    notes_redacted: int = strawberry.field(description="Care notes that named them, redacted.")
    reject_lines_removed: int = strawberry.field(description="Lines about them removed from "
                                                             "the rejects files.")
    compacted: bool = strawberry.field(description="Whether the database files were rewritten "
                                                   "so that no deleted value stays on disk.")
    model: str | None = strawberry.field(description="What became of a trained sentiment "
                                                     "model that may have learnt from their "
                                                     "words (kept or deleted), if any.")

    @classmethod
    def from_report(cls, customer_id: str, report: ErasureReport) -> ForgetResult:
        c = report.counts
        return cls(customer_id=customer_id, accounts=c["accounts"], posts=c["posts"],
                   mentions_redacted=c["mentions_redacted"], purchases=c["purchases"],
                   copies_blanked=c.get("copies_blanked", 0),
                   notes_redacted=c.get("notes_redacted", 0),
                   reject_lines_removed=report.reject_lines_removed,
                   compacted=report.compacted, model=report.model)


def _utc(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _checked_account(platform: str, handle: str) -> str:
    try:
        return check_account(platform, handle)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _writable(store: GraphStore) -> None:
    if getattr(store, "read_only", False):
        raise UserError("this server is read-only: run 'scrm serve' to make changes")


def _is_unexpected(error: GraphQLError) -> bool:
    """An exception raised while resolving, other than a UserError. Errors without an
    original exception (syntax, validation) describe the query and are kept."""
    original = error.original_error
    return original is not None and not isinstance(original, UserError)


class _Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            if _is_unexpected(error):
                logger.error("GraphQL resolver failed at %s", error.path,
                             exc_info=error.original_error)


class _WritesNeedWriteKey(SchemaExtension):
    """Every transport, one rule: a mutation needs a write key when keys are on. The HTTP
    key check refuses it before; this covers a WebSocket, whose operations arrive after
    the handshake the key check saw."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if (self.execution_context.operation_type == OperationType.MUTATION
                and getattr(context, "role", None) == "viewer"):
            self.execution_context.result = ExecutionResult(
                data=None, errors=[GraphQLError("this key may read but not write; use a "
                                                "write key")])
        yield


def _mask_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=_is_unexpected, error_message=INTERNAL_ERROR)


# Complexity: besides depth, a document may not fan out through many aliases or be huge.
MAX_ALIASES = 30
MAX_TOKENS = 5_000

# The depth and alias rules are validator classes that each limiter builds when it is
# constructed. Built once here, they are the same classes in every request, so the
# validation cache (keyed by document and rules) answers a repeated query text.
# The cost limit (api.cost) is read from the settings once, when the schema is built.
MAX_QUERY_COST = get_settings().max_query_cost
_LIMIT_RULES = (*QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH).validation_rules,
                *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
                cost_rule(MAX_QUERY_COST))

# Distinct query texts kept parsed and validated (clients send a handful; variables vary).
DOCUMENT_CACHE_SIZE = 256


def _limit_rules() -> AddValidationRules:
    return AddValidationRules(list(_LIMIT_RULES))


def _token_limiter() -> MaxTokensLimiter:
    return MaxTokensLimiter(max_token_count=MAX_TOKENS)


def _parser_cache() -> ParserCache:
    return ParserCache(maxsize=DOCUMENT_CACHE_SIZE)  # keyed by text and the token limit


def _validation_cache() -> ValidationCache:
    return ValidationCache(maxsize=DOCUMENT_CACHE_SIZE)


schema = _Schema(query=Query, mutation=Mutation, subscription=Subscription, extensions=[
    _mask_errors, _WritesNeedWriteKey, _limit_rules, _token_limiter, _parser_cache,
    _validation_cache],
    execution_context_class=PlainFieldsExecution)
