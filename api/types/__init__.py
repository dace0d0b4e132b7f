"""GraphQL types, written by hand, one module per subject, each built from a store record
by ``from_domain()``.

* :mod:`~api.types.pagination` — Relay pages and cursors;
* :mod:`~api.types.people` — accounts, customers, scores and their explanations;
* :mod:`~api.types.timeline` — a person's timeline and a conversation's thread;
* :mod:`~api.types.targets` — the rankings (engagement targets);
* :mod:`~api.types.care` — the care queue;
* :mod:`~api.types.insights` — analysis runs, networks, communities and metrics.

Connections follow the Relay cursor specification. Everything is re-exported here, so
``from api.types import Account`` keeps working.
"""

from api.types.audit import AuditEntry
from api.types.care import CareItem, CareItemEdge, CareNote, CareQueueConnection, CareStatus
from api.types.insights import AnalysisRun
from api.types.pagination import (
    MAX_PAGE_SIZE,
    PageInfo,
    check_page_size,
    decode_interaction_cursor,
    decode_target_cursor,
    encode_interaction_cursor,
    encode_target_cursor,
)
from api.types.people import (
    Account,
    Customer,
    ExplanationFactor,
    LinkedAccount,
    Purchase,
    ScoreExplanation,
    Scores,
)
from api.types.targets import (
    Audience,
    EngagementTarget,
    EngagementTargetConnection,
    EngagementTargetEdge,
    TargetKind,
)
from api.types.timeline import (
    Conversation,
    Direction,
    Interaction,
    InteractionConnection,
    InteractionEdge,
    ThreadPost,
    TimelineFilter,
    interaction_page,
)

__all__ = [
    "MAX_PAGE_SIZE",
    "Account",
    "AnalysisRun",
    "Audience",
    "AuditEntry",
    "CareItem",
    "CareItemEdge",
    "CareNote",
    "CareQueueConnection",
    "CareStatus",
    "Conversation",
    "Customer",
    "Direction",
    "EngagementTarget",
    "EngagementTargetConnection",
    "EngagementTargetEdge",
    "ExplanationFactor",
    "Interaction",
    "InteractionConnection",
    "InteractionEdge",
    "LinkedAccount",
    "PageInfo",
    "Purchase",
    "ScoreExplanation",
    "Scores",
    "TargetKind",
    "ThreadPost",
    "TimelineFilter",
    "check_page_size",
    "decode_interaction_cursor",
    "decode_target_cursor",
    "encode_interaction_cursor",
    "encode_target_cursor",
    "interaction_page",
]
