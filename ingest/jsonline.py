"""Decoding one JSON-lines record, with the reason when it is not one."""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["json_object"]


def json_object(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """``(object, None)`` for a JSON object, else ``(None, why not)``."""
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return None, f"malformed JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(obj, dict):
        return None, "expected a JSON object per line"
    return obj, None
