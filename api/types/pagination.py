"""Relay pages and cursors, shared by every connection.

Cursors are opaque to clients; inside they are base64 of:

* ``<run_id>:<kind>:<rank>`` for a ranking (see :func:`encode_target_cursor`);
* ``i:<JSON [time ISO, post key, direction]>`` for a timeline, matching
  :attr:`graph.store.Interaction.cursor_key`.
"""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from api.errors import UserError

__all__ = [
    "MAX_PAGE_SIZE",
    "PageInfo",
    "check_page_size",
    "decode_interaction_cursor",
    "decode_target_cursor",
    "encode_interaction_cursor",
    "encode_target_cursor",
]


MAX_PAGE_SIZE = 100


# ---------------------------------------------------------------- cursors, pages
def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")


def _unb64(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise UserError("invalid cursor: pass a cursor exactly as the API returned it") from None


def encode_target_cursor(run_id: str, kind: str, rank: int) -> str:
    return _b64(f"{run_id}:{kind}:{rank}")


def decode_target_cursor(cursor: str) -> tuple[str, str, int]:
    """Return ``(run_id, kind, rank)`` of a ranking cursor."""
    parts = _unb64(cursor).rsplit(":", 2)
    if len(parts) != 3 or not parts[2].isdigit():
        raise UserError("invalid cursor: pass a cursor exactly as the API returned it")
    return parts[0], parts[1], int(parts[2])


def encode_interaction_cursor(key: tuple[datetime, str, str]) -> str:
    time, post_key, direction = key
    return _b64("i:" + json.dumps([time.isoformat(), post_key, direction]))


def decode_interaction_cursor(cursor: str) -> tuple[datetime, str, str]:
    """Return ``(time, post key, direction)`` of a timeline cursor."""
    text = _unb64(cursor)
    try:
        if not text.startswith("i:"):
            raise ValueError(text)
        time, post_key, direction = json.loads(text[2:])
        return datetime.fromisoformat(time), str(post_key), str(direction)
    except (ValueError, TypeError):
        raise UserError("invalid cursor: pass a cursor exactly as the API returned it") from None


def check_page_size(first: int) -> None:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise UserError(f"'first' must be between 0 and {MAX_PAGE_SIZE} (got {first})")


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(cls, edges: Sequence[Any], *, has_next: bool, has_previous: bool) -> PageInfo:
        """The page information of a page of ``edges`` (each with a ``cursor``)."""
        return cls(has_next_page=has_next, has_previous_page=has_previous,
                   start_cursor=edges[0].cursor if edges else None,
                   end_cursor=edges[-1].cursor if edges else None)
