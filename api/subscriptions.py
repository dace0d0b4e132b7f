"""GraphQL subscriptions (graphql-transport-ws at ``/graphql``): new care items, alerts and
settled deliveries of recorded responses as they are found, without polling.

Events come from the writer (:mod:`api.events`); every server process, read processes
included, follows the event log, so a client sees them whichever process its WebSocket
reached. The API-key check is the one every request passes: a WebSocket sends its key in
the handshake's headers (``Authorization: Bearer …`` or ``X-API-Key``), and one without a
valid key is refused before the handshake.
"""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry

from analytics.alerts import Alert as DomainAlert
from api.alerts import Alert
from api.context import Info
from api.events import EventBus, EventLog
from api.types.outbox import Delivery, DeliveryState
from api.webhooks import Event

__all__ = ["CareItemEvent", "DeliveryEvent", "Subscription", "event_bus"]


def event_bus(info: Info) -> EventBus:
    """This process's event bus: the writer's (``scrm serve`` sets it), or one that
    follows the writer's event log (a read process, a test app)."""
    request: Any = info.context.request
    state = request.app.state
    bus = getattr(state, "events", None)
    if not isinstance(bus, EventBus):
        bus = state.events = EventBus(EventLog.beside(state.settings.db))
    return bus


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


@strawberry.type(description="A conversation that has just entered the care queue.")
class CareItemEvent:
    event_id: strawberry.ID
    conversation_id: str
    post_id: str
    author_key: str
    platform: str
    text: str
    url: str | None
    sentiment: float | None = strawberry.field(description="Null when not scored yet.")
    priority: float
    team: str
    waiting_since: datetime | None

    @classmethod
    def from_event(cls, event: Event) -> CareItemEvent:
        d = event.data
        return cls(event_id=strawberry.ID(event.id), conversation_id=d["conversation_id"],
                   post_id=d["post_id"], author_key=d["author_key"], platform=d["platform"],
                   text=d["text"], url=d.get("url"),
                   sentiment=None if d["sentiment"] is None else float(d["sentiment"]),
                   priority=float(d["priority"]), team=d["team"],
                   waiting_since=_time(d.get("waiting_since")))


@strawberry.type(description="A recorded response the outbox is done with: sent (the "
                              "platform's id and link), or given up on after trying or "
                              "refused by the platform (left to send by hand, with why).")
class DeliveryEvent:
    event_id: strawberry.ID
    kind: str = strawberry.field(description="response_sent or response_failed (the "
                                             "webhook event's kind).")
    delivery: Delivery

    @classmethod
    def from_event(cls, event: Event) -> DeliveryEvent:
        d = event.data
        return cls(event_id=strawberry.ID(event.id), kind=event.kind, delivery=Delivery(
            response_id=d["post_id"], conversation_id=d["conversation_id"],
            in_reply_to=d["in_reply_to"], platform=d["platform"],
            state=DeliveryState(d["state"]), platform_id=d.get("platform_id"),
            url=d.get("url"), reason=d.get("reason"), next_try=None,
            attempts=int(d.get("attempts") or 0), sent_at=_time(d.get("sent_at")),
            updated_at=_time(d.get("at"))))


def _alert(event: Event) -> Alert:
    d = dict(event.data)
    d["started_at"] = _time(d["started_at"])
    d["ended_at"] = _time(d.get("ended_at"))
    return Alert.from_domain(DomainAlert(**d))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Conversations as they enter the care queue (a "
                                          "check runs every SCRM_EVENTS_SECONDS).")
    async def care_items(self, info: Info) -> AsyncGenerator[CareItemEvent, None]:
        async for event in event_bus(info).subscribe(["care_item"]):
            yield CareItemEvent.from_event(event)

    @strawberry.subscription(description="New alerts as they are found (see 'alerts').")
    async def alerts(self, info: Info) -> AsyncGenerator[Alert, None]:
        async for event in event_bus(info).subscribe(["alert"]):
            yield _alert(event)

    @strawberry.subscription(description="Recorded responses as the outbox settles them: "
                                          "sent, or left to send by hand after trying "
                                          "(webhook events response_sent, response_failed).")
    async def response_deliveries(self, info: Info) -> AsyncGenerator[DeliveryEvent, None]:
        async for event in event_bus(info).subscribe(["response_sent", "response_failed"]):
            yield DeliveryEvent.from_event(event)
