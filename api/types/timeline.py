"""A person's timeline (interactions across their accounts) and a conversation's thread."""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api.context import Context, Info
from api.errors import UserError
from api.types.pagination import (
    PageInfo,
    check_page_size,
    decode_interaction_cursor,
    encode_interaction_cursor,
)
from api.types.understanding import PostIntent, post_intents
from graph import store as port
from graph.model import Post

if TYPE_CHECKING:
    from api.types.outbox import Delivery
    from api.types.people import Account

# people.py imports this module (an account's timeline), so the account type is lazy here
LazyAccount = Annotated["Account", strawberry.lazy("api.types.people")]
LazyDelivery = Annotated["Delivery", strawberry.lazy("api.types.outbox")]
_DELIVERY = ("For a response recorded in scrm (a 'scrm-' post id): how it reaches the "
             "platform (the outbox's state, the platform's id and link once sent, why it "
             "failed or is to send by hand); null for posts that came from the platform.")

__all__ = [
    "Conversation",
    "Direction",
    "Interaction",
    "InteractionConnection",
    "InteractionEdge",
    "QUICK_TIMELINE_ACCOUNTS",
    "ThreadPost",
    "TimelineFilter",
    "interaction_page",
]


@strawberry.enum(description="How an interaction relates to the person whose timeline it is in.")
class Direction(Enum):
    AUTHORED = "authored"
    REPLY_RECEIVED = "reply_received"
    MENTION_RECEIVED = "mention_received"
    SHARE_RECEIVED = "share_received"


@strawberry.input(description="Which interactions a timeline shows; omitted fields do not "
                              "filter. 'since' is inclusive, 'until' exclusive.")
class TimelineFilter:
    platforms: list[str] | None = None
    kinds: list[str] | None = strawberry.field(
        default=None, description="Post kinds: post, reply, comment, share, quote, "
                                  "private_reply.")
    directions: list[Direction] | None = None
    since: datetime | None = None
    until: datetime | None = None
    intents: list[str] | None = strawberry.field(
        default=None, description="Posts flagged with any of these intents (complaint, "
                                  "question, suggestion, praise, purchase, churn, security).")
    languages: list[str] | None = strawberry.field(
        default=None, description="Posts detected in any of these languages (ISO 639-1, "
                                  "'und' for undetermined).")

    def to_domain(self) -> port.TimelineFilter:
        if self.since and self.until and self.since >= self.until:
            raise UserError("filter.since must be before filter.until")
        return port.TimelineFilter(
            platforms=tuple(p.lower() for p in self.platforms or ()),
            kinds=tuple(k.lower() for k in self.kinds or ()),
            directions=tuple(d.value for d in self.directions or ()),
            since=_aware_utc(self.since), until=_aware_utc(self.until),
            intents=tuple(i.lower() for i in self.intents or ()),
            languages=tuple(lang.lower() for lang in self.languages or ()))


def _aware_utc(value: datetime | None) -> datetime | None:
    """GraphQL DateTime without an offset is taken as UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ----------------------------------------------------------------- interactions
@strawberry.type(description="One entry in a person's timeline.")
class Interaction:
    post_id: strawberry.ID = strawberry.field(
        description="The post's store key, platform:post_id.")
    time: datetime
    platform: str
    kind: str = strawberry.field(description="post, reply, comment, share, quote or "
                                             "private_reply.")
    direction: Direction
    text: str
    sentiment: float | None
    subject_key: str = strawberry.field(
        description="Which of the person's accounts this interaction is about.")
    counterpart: LazyAccount | None = strawberry.field(
        description="The other account: the one replied to, or the one who replied, "
                    "mentioned or shared.")
    conversation_id: str | None = strawberry.field(
        description="The conversation's store key, platform:root_post_id.")
    url: str | None
    is_brand_response: bool = strawberry.field(description="A brand account replied.")
    language: str | None = strawberry.field(
        default=None, description="ISO 639-1 code, 'und' when undetermined; null until the "
                                  "post is understood.")
    sentiment_label: str | None = strawberry.field(
        default=None, description="negative, neutral, positive (the sentiment model's class) "
                                  "or unscored (a language it does not read).")
    # as stored: read into PostIntents only when a query asks for them (a timeline page
    # of 50 parsed every entry's evidence, asked or not)
    stored_intents: strawberry.Private[str | None] = None
    intent_evidence: strawberry.Private[str | None] = None

    @strawberry.field(description="What the post asks for or says, strongest first, with "
                                  "the cues found.")
    def intents(self) -> list[PostIntent]:
        return post_intents(self.stored_intents, self.intent_evidence)

    @classmethod
    def from_domain(cls, i: port.Interaction) -> Interaction:
        from api.types.people import Account

        return cls(post_id=strawberry.ID(i.post_key), time=i.time, platform=i.platform,
                   kind=i.kind, direction=Direction(i.direction), text=i.text,
                   sentiment=i.sentiment, subject_key=i.subject_key,
                   counterpart=Account.from_domain(i.counterpart) if i.counterpart else None,
                   conversation_id=i.conversation_key, url=i.url,
                   is_brand_response=i.is_brand_response, language=i.language,
                   sentiment_label=i.sentiment_label, stored_intents=i.intents,
                   intent_evidence=i.intent_evidence)

    @strawberry.field(description=_DELIVERY)
    async def delivery(self, info: Info) -> LazyDelivery | None:
        from api.types.outbox import delivery_of

        return await delivery_of(info, str(self.post_id))


@strawberry.type
class InteractionEdge:
    cursor: str
    node: Interaction


@strawberry.type(description="A page of a timeline, newest first.")
class InteractionConnection:
    edges: list[InteractionEdge]
    page_info: PageInfo


QUICK_TIMELINE_ACCOUNTS = 8


async def interaction_page(context: Context, account_keys: list[str], first: int,
                           after: str | None, filter: TimelineFilter | None = None, *,
                           quick: bool = True) -> InteractionConnection:
    """One page of the timeline of ``account_keys``, after the ``after`` cursor.

    ``quick``: the accounts are people, not brand accounts, whose hundreds of thousands
    of mentions make a page take the database's slow path (0.4 s at a million posts),
    which must not hold up the event loop.

    A cursor stays valid under the same filter; with another filter it still marks a
    position in time, so paging never repeats or skips an entry the filter passes."""
    check_page_size(first)
    before = decode_interaction_cursor(after) if after else None
    filters = filter.to_domain() if filter else None
    items: list[port.Interaction] = []
    if account_keys and first:
        # a page of a few people's timelines is a handful of key look-ups: quick
        items = await context.store.call(
            lambda s: s.timeline(account_keys, first=first + 1, before=before, filters=filters),
            quick=quick and len(account_keys) <= QUICK_TIMELINE_ACCOUNTS)
    has_next = len(items) > first
    items = items[:first]
    context.accounts.prime_many({i.counterpart.key: i.counterpart for i in items if i.counterpart})
    edges = [InteractionEdge(cursor=encode_interaction_cursor(i.cursor_key),
                             node=Interaction.from_domain(i)) for i in items]
    return InteractionConnection(edges=edges, page_info=PageInfo.of(
        edges, has_next=has_next, has_previous=after is not None))


@strawberry.type(description="A post in a conversation, placed in the reply tree.")
class ThreadPost:
    post_id: str = strawberry.field(description="The store key, platform:post_id.")
    parent_id: str | None = strawberry.field(
        description="The post this one answers (null for the root or an orphan).")
    depth: int = strawberry.field(description="0 for the root, 1 for its replies, ...")
    time: datetime
    kind: str
    text: str
    title: str | None
    sentiment: float | None
    url: str | None
    author_key: strawberry.Private[str]
    language: str | None = strawberry.field(
        default=None, description="ISO 639-1 code, 'und' when undetermined.")
    sentiment_label: str | None = strawberry.field(
        default=None, description="negative, neutral, positive or unscored.")
    intents: list[PostIntent] = strawberry.field(
        default_factory=list, description="Intents flagged, strongest first, with their cues.")

    @classmethod
    def from_domain(cls, row: dict[str, Any], depth: int = 0) -> ThreadPost:
        """From a store row of :meth:`graph.store.GraphStore.conversation_posts`, placed
        ``depth`` replies below the root."""
        return cls(post_id=row["key"], parent_id=row["parent_key"], depth=depth,
                   time=row["created_at"], kind=row["kind"], text=row["text"] or "",
                   title=row["title"], sentiment=row["sentiment"], url=row["url"],
                   author_key=row["author_key"], language=row.get("language"),
                   sentiment_label=row.get("sentiment_label"),
                   intents=post_intents(row.get("intents"), row.get("intent_evidence")))

    @classmethod
    def from_post(cls, post: Post) -> ThreadPost:
        """A post just written (not read back), e.g. a recorded brand response."""
        return cls(post_id=post.key,
                   parent_id=f"{post.platform}:{post.parent_id}" if post.parent_id else None,
                   depth=0, time=post.created_at, kind=post.kind.value, text=post.text,
                   title=post.title, sentiment=None, url=post.url, author_key=post.author_key)

    @strawberry.field(description="Who wrote it.")
    async def author(self, info: Info) -> LazyAccount | None:
        from api.types.people import Account

        account = await info.context.accounts.load(self.author_key)
        return Account.from_domain(account) if account else None

    @strawberry.field(description=_DELIVERY)
    async def delivery(self, info: Info) -> LazyDelivery | None:
        from api.types.outbox import delivery_of

        return await delivery_of(info, self.post_id)


@strawberry.type(description="A thread: its posts in reply-tree order (depth-first, oldest "
                             "first among siblings).")
class Conversation:
    id: str
    posts: list[ThreadPost]
    truncated: bool = strawberry.field(description="More posts exist than were returned.")

    @classmethod
    def from_domain(cls, key: str, rows: list[dict[str, Any]], limit: int) -> Conversation:
        """The thread ``key`` from its store rows (read with ``limit``)."""
        present = {r["key"] for r in rows}
        children: dict[str | None, list[dict[str, Any]]] = {}
        for r in rows:
            parent = r["parent_key"] if r["parent_key"] in present else None
            children.setdefault(parent, []).append(r)
        ordered: list[ThreadPost] = []
        stack = [(r, 0) for r in reversed(children.get(None, []))]
        while stack:
            row, depth = stack.pop()
            ordered.append(ThreadPost.from_domain(row, depth))
            stack.extend((c, depth + 1) for c in reversed(children.get(row["key"], [])))
        return cls(id=key, posts=ordered, truncated=len(rows) >= limit)
