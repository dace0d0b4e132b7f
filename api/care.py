"""The social care workflow over GraphQL: the queue, and the mutations that work it.

A conversation enters the queue when someone addresses the brand in a negative
tone and the brand has not answered since (:mod:`analytics.care`). Its workflow
state is kept per conversation: ``open`` → ``assigned`` (to a person, optionally
re-routed to another team) → ``resolved``. A resolved conversation leaves the
queue; a newer negative post in it brings it back as ``open``. ``recordResponse``
writes the brand's answer into the graph as a post by a brand account (public
reply or ``private_reply``), so it joins the customer's timeline and the
conversation tree, and the conversation stops waiting.
"""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry

from api.auth import CARE, CONTENT
from api.context import Info, StoreRunner
from api.errors import UserError
from api.events import publish_from
from api.types import (
    AuditEntry,
    CareItem,
    CareItemEdge,
    CareNote,
    CareQueueConnection,
    CareStatus,
    Conversation,
    PageInfo,
    ThreadPost,
    check_page_size,
)
from api.types.audit import check_audit_size
from api.types.outbox import DeliveryConnection, conversation_deliveries
from graph.audit import summarize
from graph.model import Post, PostKind
from graph.store import GraphBatch, GraphStore

__all__ = ["CareCase", "CareMutations", "RecordedResponse", "actor", "care_backlog", "care_case",
           "care_queue", "queue_cursor", "queue_state", "record"]

MAX_NOTE_CHARS = 10_000
MAX_RESPONSE_CHARS = 10_000


def queue_cursor(n: int) -> str:
    """The cursor after the queue's first ``n`` items (``careQueue(after:)``)."""
    return base64.b64encode(f"care:{n}".encode()).decode()


_encode_offset = queue_cursor


def _decode_offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        kind, _, n = base64.b64decode(cursor).decode().partition(":")
        if kind == "care" and n.isdigit():
            return int(n)
    except (ValueError, UnicodeDecodeError):
        pass
    raise UserError("not a care queue cursor; start again without 'after'")


QUEUE_MEMO_SECONDS = 60.0


def _fresh_index(store: GraphStore) -> Any:
    from api.carequeue import care_index

    index = care_index(store)
    index.refresh(store)
    return index


def mentioned_in_notes(store: GraphStore, name: str) -> set[str]:
    """The conversations whose notes @mention ``name`` (whole names, as the workspace
    highlights them), among all conversations."""
    from api.workspace.collab import mentions

    me = name.lower()
    return {key for key, texts in store.care_notes_containing(f"@{me}").items()
            if any(me in mentions(t) for t in texts)}


async def queue_state(runner: StoreRunner) -> tuple[Any, dict[str, dict[str, Any]]]:
    """The queue's index (:class:`api.carequeue.CareQueueIndex`) and every conversation's
    case, as of the last write.

    The index is brought up to date once per write of content (api.carequeue: from what
    was written since, not ranked again; a care note, an assignment or a resolution
    changes no entry, and the check that nothing changed reads the brand's accounts,
    0.3-0.6 s at a million accounts); the cases are read again after any care write. A
    view of them is an ordering of arrays."""
    index = await runner.memoized("care_queue:index", QUEUE_MEMO_SECONDS, _fresh_index,
                                  reads=frozenset({CONTENT}))
    cases: dict[str, dict[str, Any]] = await runner.memoized(
        "care_queue:cases", QUEUE_MEMO_SECONDS, lambda s: s.care_cases(),
        reads=frozenset({CARE}))
    return index, cases


async def care_backlog(runner: StoreRunner, now: datetime | None = None
                       ) -> list[dict[str, Any]]:
    """The whole queue's backlog per team (most items first): how many wait, how many of
    them are open and assigned, and their median and longest waiting time in hours."""
    index, cases = await queue_state(runner)
    backlog: list[dict[str, Any]] = index.backlog(now or datetime.now(UTC), cases)
    return backlog


async def care_queue(info: Info, team: str | None = None, status: CareStatus | None = None,
                     assignee: str | None = None, first: int = 20, after: str | None = None,
                     intent: str | None = None, language: str | None = None,
                     platform: str | None = None, mentioning: Annotated[
                         str | None, strawberry.argument(description=(
                             "Only conversations whose notes @mention this name."))] = None
                     ) -> CareQueueConnection:
    check_page_size(first)
    if status == CareStatus.RESOLVED:
        raise UserError("resolved conversations are not in the queue; read one with "
                        "careCase(conversationId)")
    offset = _decode_offset(after)

    index, cases = await queue_state(info.context.store)
    noted = None
    if mentioning is not None:
        name = mentioning.strip().lstrip("@")
        noted = await info.context.store.call(lambda s: mentioned_in_notes(s, name))
    now = datetime.now(UTC)
    view = index.view(now, cases, team=team, status=status.value if status else None,
                      assignee=assignee, intent=intent, language=language,
                      platform=platform.lower() if platform else None, conversations=noted)
    page = view.rows(offset, first)
    items = view.items(now, page)
    notes = await info.context.store.call(
        lambda s: s.care_notes([r.conversation_key for r in page]))
    edges = [CareItemEdge(cursor=_encode_offset(offset + n + 1), node=CareItem.from_domain(
        i, status=r.status, team=r.team, assignee=r.assignee,
        notes=notes.get(i.conversation_key, [])))
        for n, (i, r) in enumerate(zip(items, page, strict=True))]
    return CareQueueConnection(edges=edges, total=view.total, page_info=PageInfo.of(
        edges, has_next=offset + first < view.total, has_previous=offset > 0))


# ------------------------------------------------------------------- the case
@strawberry.type(description="A conversation's place in the care workflow, with its notes.")
class CareCase:
    conversation_id: str
    status: CareStatus
    assignee: str | None
    team: str | None = strawberry.field(description="The team it was routed to by hand "
                                                    "(null: by the routing rules).")
    updated_at: datetime | None
    resolved_at: datetime | None
    notes: list[CareNote]

    @strawberry.field(description="The thread itself.")
    async def conversation(self, info: Info, limit: int = 500) -> Conversation | None:
        if not 1 <= limit <= 5000:
            raise UserError("limit must be between 1 and 5000")
        key = self.conversation_id
        rows = await info.context.store.call(lambda s: s.conversation_posts(key, limit))
        return Conversation.from_domain(key, rows, limit) if rows else None

    @strawberry.field(description="The responses recorded in scrm in this conversation and "
                                  "how each reaches its platform (the outbox), newest first.")
    async def deliveries(self, info: Info, first: int = 20, after: str | None = None
                         ) -> DeliveryConnection:
        return await conversation_deliveries(info, self.conversation_id, first, after)

    @strawberry.field(description="Every change to this conversation, newest first: who "
                                  "(the signed-in user or the API key's name), when, what.")
    async def audit(self, info: Info, first: int = 50) -> list[AuditEntry]:
        key, limit = self.conversation_id, check_audit_size(first)
        rows = await info.context.store.call(
            lambda s: s.audit_log(conversation_key=key, limit=limit), quick=True)
        return [AuditEntry.from_domain(r) for r in rows]


def _case(key: str, case: dict[str, Any] | None, notes: list[dict[str, Any]]) -> CareCase:
    case = case or {}
    return CareCase(conversation_id=key, status=CareStatus(case.get("status", "open")),
                    assignee=case.get("assignee"), team=case.get("team"),
                    updated_at=case.get("updated_at"), resolved_at=case.get("resolved_at"),
                    notes=[CareNote.from_domain(n) for n in notes])


def _read_case(store: GraphStore, key: str) -> CareCase:
    return _case(key, store.care_cases([key]).get(key), store.care_notes([key]).get(key, []))


async def care_case(info: Info, conversation_id: strawberry.ID) -> CareCase | None:
    key = str(conversation_id)

    def work(s: GraphStore) -> CareCase | None:
        if not s.conversation_posts(key, 1):
            return None
        return _read_case(s, key)

    result: CareCase | None = await info.context.store.call(work)
    return result


# ------------------------------------------------------------------ mutations
def actor(info: Info) -> str:
    """Under whose name a change is recorded: the signed-in user, the API key's name, or
    ``anonymous`` on a server without keys. Never a name the client sends."""
    return info.context.actor or "anonymous"


def _conversation_customer(store: GraphStore, rows: list[dict[str, Any]]) -> str | None:
    """The customer a conversation is about: the first of its non-brand authors linked to
    one (so the change shows in that customer's audit log too)."""
    brand = {a.key for a in store.brand_accounts()}
    authors = list(dict.fromkeys(r["author_key"] for r in rows if r["author_key"] not in brand))
    found = store.customers_for_accounts(authors) if authors else {}
    return next((found[a].customer_id for a in authors if a in found), None)


def record(store: GraphStore, who: str, action: str, summary: str, *,
           conversation_key: str | None = None, rows: list[dict[str, Any]] | None = None,
           customer_id: str | None = None) -> None:
    """Add an audit entry (the conversation's customer found from its ``rows``)."""
    if customer_id is None and rows is not None:
        customer_id = _conversation_customer(store, rows)
    store.add_audit(who, action, summarize(summary), conversation_key=conversation_key,
                    customer_id=customer_id)


def _writable(store: GraphStore) -> None:
    if getattr(store, "read_only", False):
        raise UserError("this server is read-only: run 'scrm serve' to make changes")


def _conversation(store: GraphStore, key: str) -> list[dict[str, Any]]:
    rows = store.conversation_posts(key, 5000)
    if not rows:
        raise UserError(f"no conversation {key!r}")
    return rows


def _text(value: str, what: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise UserError(f"{what} must not be empty")
    if len(text) > limit:
        raise UserError(f"{what} is {len(text):,} characters; the limit is {limit:,}")
    return text


@strawberry.type(description="A response recorded from the care queue.")
class RecordedResponse:
    post: ThreadPost
    care_case: CareCase


def _default_target(store: GraphStore, key: str, rows: list[dict[str, Any]],
                    brand_keys: set[str]) -> dict[str, Any]:
    """The post a response without ``replyTo`` answers: the conversation's queued post, or,
    when the conversation is not queued, the newest post of its one customer. Never the
    newest post of just anyone: in a thread with two people that would answer (and file
    the response in the timeline of) someone other than the person who was waiting."""
    found = _fresh_index(store).item(key, datetime.now(UTC))
    queued = found.post_key if found is not None else None
    if queued is not None:
        target = next((r for r in rows if r["key"] == queued), None)
        if target is not None:
            return target
    waiting = [r for r in rows if r["author_key"] not in brand_keys]
    if not waiting:
        raise UserError(f"conversation {key!r} has no post by a customer to answer")
    people = {r["author_key"] for r in waiting}
    if len(people) > 1:
        raise UserError(f"conversation {key!r} is not waiting in the care queue and has posts "
                        f"by {len(people)} people: pass replyTo with the post to answer")
    return waiting[-1]


def _record_response(store: GraphStore, key: str, text: str, public: bool,
                     reply_to: str | None, brand_account: str | None) -> tuple[Post, CareCase]:
    rows = _conversation(store, key)
    brand = store.brand_accounts()
    brand_keys = {a.key for a in brand}
    platform = key.split(":", 1)[0]
    if reply_to is not None:
        target = next((r for r in rows if r["key"] == reply_to), None)
        if target is None:
            raise UserError(f"post {reply_to!r} is not in conversation {key!r}")
    else:
        target = _default_target(store, key, rows, brand_keys)
    if brand_account is not None:
        author = next((a for a in brand if a.key == brand_account.lower()
                       or (a.platform == platform and a.handle == brand_account.lower()
                           .lstrip("@"))), None)
        if author is None:
            raise UserError(f"{brand_account!r} is not a brand account (see 'scrm brand')")
    else:
        author = next((a for a in brand if a.platform == platform), None)
        if author is None:
            raise UserError(f"the brand has no {platform} account to answer from; add one with "
                            "'scrm brand --account' or pass brandAccount")
    if author.platform != platform:
        raise UserError(f"{author.key} cannot answer on {platform}")
    root_id = key.split(":", 1)[1]
    post = Post(platform=platform, post_id=f"scrm-{uuid.uuid4().hex}",
                author_handle=author.handle, created_at=datetime.now(UTC), text=text,
                kind=PostKind.REPLY if public else PostKind.PRIVATE_REPLY,
                parent_id=target["key"].split(":", 1)[1], conversation_id=root_id)
    store.write_batch(GraphBatch(posts=[post]))
    _enqueue(store, post, key, target, public)
    return post, _read_case(store, key)


def _enqueue(store: GraphStore, post: Post, key: str, target: dict[str, Any],
             public: bool) -> None:
    """Hand the response to the outbox (sent by the platform's API, or by hand)."""
    from graph.config import get_settings
    from ingest.outbox import enqueue_response

    enqueue_response(store, response=post, conversation_key=key, target=target,
                     public=public, settings=get_settings())


@strawberry.type(description="The care workflow. Needs a write key when API keys are on.")
class CareMutations:
    @strawberry.mutation(description="Assign a conversation to a person (and optionally "
                                     "re-route it to a team).")
    async def assign_conversation(self, info: Info, conversation_id: strawberry.ID,
                                  assignee: str, team: str | None = None) -> CareCase:
        key, who = str(conversation_id), _text(assignee, "assignee", 200)
        by = actor(info)

        def work(s: GraphStore) -> CareCase:
            _writable(s)
            rows = _conversation(s, key)
            old = s.care_cases([key]).get(key) or {}
            routed = team.lower() if team else old.get("team")
            s.save_care_case(key, status="assigned", assignee=who, team=routed)
            record(s, by, "assign", f"assigned to {who}" + (f", team {routed}" if routed
                                                              else ""),
                   conversation_key=key, rows=rows)
            return _read_case(s, key)

        result: CareCase = await info.context.store.call(work)
        publish_from(info, "assignment", {"conversation_id": key, "assignee": who,
                                          "team": result.team})
        return result

    @strawberry.mutation(description="Add an internal note to a conversation, under the "
                                     "name of whoever makes the change (the signed-in user "
                                     "or the API key's name).")
    async def add_note(self, info: Info, conversation_id: strawberry.ID, text: str,
                       author: Annotated[str | None, strawberry.argument(
                           deprecation_reason="Ignored: a note is recorded under the "
                           "signed-in user or the API key's name.")] = None) -> CareNote:
        key = str(conversation_id)
        who, body = actor(info), _text(text, "text", MAX_NOTE_CHARS)

        def work(s: GraphStore) -> dict[str, Any]:
            _writable(s)
            rows = _conversation(s, key)
            note = s.add_care_note(key, who, body)
            record(s, who, "note", f"note: {body}", conversation_key=key, rows=rows)
            return note

        return CareNote.from_domain(await info.context.store.call(work))

    @strawberry.mutation(description="Record the brand's response: public (a reply in the "
                                     "thread) or private (a direct message). It becomes part "
                                     "of the interaction history, and the conversation stops "
                                     "waiting. By default it answers the conversation's queued "
                                     "post (or, if it is not queued, the newest post of its "
                                     "one customer), from the brand's first account on that "
                                     "platform; a private response goes to that person.")
    async def record_response(self, info: Info, conversation_id: strawberry.ID, text: str,
                              public: bool = True, reply_to: strawberry.ID | None = None,
                              brand_account: str | None = None) -> RecordedResponse:
        key, body = str(conversation_id), _text(text, "text", MAX_RESPONSE_CHARS)
        target = str(reply_to) if reply_to is not None else None
        by = actor(info)

        def work(s: GraphStore) -> tuple[Post, CareCase]:
            _writable(s)
            post, case = _record_response(s, key, body, public, target, brand_account)
            record(s, by, "reply", f"{'public' if public else 'private'} reply as "
                   f"@{post.author_handle}: {body}", conversation_key=key,
                   rows=s.conversation_posts(key, 5000))
            return post, _read_case(s, key)

        post, case = await info.context.store.call(work)
        publish_from(info, "response", {"conversation_id": key, "post_id": post.key,
                                        "public": public, "author": post.author_key,
                                        "in_reply_to": f"{post.platform}:{post.parent_id}"})
        return RecordedResponse(care_case=case, post=ThreadPost.from_post(post))

    @strawberry.mutation(description="Mark a conversation resolved, with an optional closing "
                                     "note. It leaves the queue until someone writes again.")
    async def resolve_conversation(self, info: Info, conversation_id: strawberry.ID,
                                   note: str | None = None,
                                   author: Annotated[str | None, strawberry.argument(
                                       deprecation_reason="Ignored: the note is recorded "
                                       "under the signed-in user or the API key's name.")
                                   ] = None) -> CareCase:
        key = str(conversation_id)
        body = _text(note, "note", MAX_NOTE_CHARS) if note else None
        who = actor(info)

        def work(s: GraphStore) -> CareCase:
            _writable(s)
            rows = _conversation(s, key)
            old = s.care_cases([key]).get(key) or {}
            if body:
                s.add_care_note(key, who, body)
            s.save_care_case(key, status="resolved", assignee=old.get("assignee"),
                             team=old.get("team"))
            record(s, who, "resolve", "resolved" + (f" with note: {body}" if body else ""),
                   conversation_key=key, rows=rows)
            return _read_case(s, key)

        result: CareCase = await info.context.store.call(work)
        publish_from(info, "resolution", {"conversation_id": key, "assignee": result.assignee,
                                          "team": result.team, "note": body})
        return result

    @strawberry.mutation(description="Put a resolved or assigned conversation back in the "
                                     "queue as open.")
    async def reopen_conversation(self, info: Info, conversation_id: strawberry.ID
                                  ) -> CareCase:
        key = str(conversation_id)
        who = actor(info)

        def work(s: GraphStore) -> CareCase:
            _writable(s)
            rows = _conversation(s, key)
            old = s.care_cases([key]).get(key) or {}
            s.save_care_case(key, status="open", assignee=None, team=old.get("team"))
            record(s, who, "reopen", "reopened", conversation_key=key, rows=rows)
            return _read_case(s, key)

        result: CareCase = await info.context.store.call(work)
        return result

