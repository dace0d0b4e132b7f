"""Helpers the Neo4j store's sections share: value conversion between the driver's
temporal types and Python's, and chunking of rows for ``UNWIND $rows`` statements.

One module, public names: each section imports what it needs from here, never an
underscore name from another section.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

__all__ = ["chunks", "native", "timestamps", "utc"]


def utc(ts: datetime) -> datetime:
    """An aware UTC datetime (the driver sends it as a Neo4j DateTime); naive means UTC,
    as in the embedded store."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def native(value: Any) -> Any:
    """Neo4j temporal values as Python ones (aware datetimes in UTC)."""
    to_native = getattr(value, "to_native", None)
    if to_native is None:
        return value
    out = to_native()
    if isinstance(out, datetime):
        return utc(out)
    return out


def timestamps(values: Sequence[Any]) -> pd.Series:
    """Neo4j DateTimes as naive-UTC ``datetime64[us]``, the embedded store's dtype."""
    py = [native(v) for v in values]
    series = pd.to_datetime(pd.Series(py, dtype="object"), utc=True)
    return series.dt.tz_localize(None).astype("datetime64[us]")


def chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
