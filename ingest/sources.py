"""The source table: every input format scrm reads, registered in one place.

Adding a platform is adding one parser module and one row here. A JSON-lines
source only needs ``parse_line(text, line_no, source_file) -> list[Record]``;
this module does the reading (plain, gzip or zstd files, or standard input),
decoding and line numbering for all of them.
"""

from __future__ import annotations

import gzip
import importlib
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, cast

from graph.model import Customer, Record, Reject
from ingest.errors import IngestError
from ingest.loader import Unit

__all__ = ["SOURCES", "Source", "get_source", "open_binary"]


def open_binary(path: Path | str) -> IO[bytes]:
    """Open a file for reading bytes, decompressing ``.gz`` and ``.zst``; ``-`` is stdin."""
    if str(path) == "-":
        return sys.stdin.buffer
    p = Path(path)
    if p.suffix == ".gz":
        return cast(IO[bytes], gzip.open(p, "rb"))
    if p.suffix == ".zst":
        import zstandard

        fh = p.open("rb")
        reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(fh)
        return io.BufferedReader(reader)
    return p.open("rb")


def _line_at(path: Path, offset: int, length: int) -> str:
    """A line of a plain file again, by its byte position."""
    with path.open("rb") as fh:
        fh.seek(offset)
        return fh.read(length).decode("utf-8")


def _jsonl_units(parse_line: Callable[[str, int, str], list[Record]], path: Path | str,
                 source_file: str) -> Iterator[Unit]:
    # A plain file's line can be read again by position when it is rejected, so its
    # unit does not keep the text (a batch of Twitter pages is ~60 MB of it).
    plain = Path(path) if str(path) != "-" and Path(path).suffix not in (".gz", ".zst") \
        else None
    end = 0
    with open_binary(path) as fh:
        for line_no, line in enumerate(fh, start=1):
            start, end = end, end + len(line)
            raw = line.rstrip(b"\r\n")
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                shown = raw.decode("utf-8", "replace")
                yield Unit(line_no, shown, [Reject(
                    source_file, line_no,
                    f"invalid UTF-8 at byte {exc.start} of the line ({exc.reason})", shown)])
                continue
            try:
                records = parse_line(text, line_no, source_file)
            except Exception as exc:  # a parser bug must not lose the rest of the file
                records = [Reject(source_file, line_no, f"could not be parsed: {exc!r}", text)]
            if plain is None:
                yield Unit(line_no, text, records)
            else:
                yield Unit(line_no, "", records, partial(_line_at, plain, start, len(raw)))


def _grouped_units(records: Iterator[Record], raw_of: Callable[[int], str]) -> Iterator[Unit]:
    """Group a row-oriented parser's records into units: each Customer (or other
    primary record) starts one; a Reject is a unit of its own."""
    current: Unit | None = None
    line = 1
    for r in records:
        if isinstance(r, Reject) and r.warning and current is not None:
            current.records.append(r)  # a field dropped from the record being built
            continue
        if isinstance(r, Reject):
            if current is not None:
                yield current
                current = None
            yield Unit(r.line, r.raw or raw_of(r.line), [r])
            line = r.line
            continue
        if current is None or isinstance(r, Customer) or not isinstance(
                current.records[0], Customer):
            if current is not None:
                yield current
            line += 1
            current = Unit(line, "", [r])
        else:
            current.records.append(r)
    if current is not None:
        yield current


@dataclass(frozen=True)
class Source:
    """One input format."""

    name: str
    module: str
    description: str
    kind: str = "jsonl"  # jsonl | csv | folder
    function: str = "parse"

    def _module(self) -> Any:
        return importlib.import_module(self.module)

    def units(self, path: Path | str, **options: Any) -> Iterator[Unit]:
        source_file = "<stdin>" if str(path) == "-" else str(path)
        mod = self._module()
        if self.kind == "jsonl":
            return _jsonl_units(mod.parse_line, path, source_file)
        if self.kind == "csv":
            if str(path) == "-":
                raise IngestError(f"The {self.name} source reads files, not standard input.")
            parse = getattr(mod, self.function)
            return _grouped_units(parse(path, **options), lambda _n: "")
        return mod.units(path, **options)  # type: ignore[no-any-return]


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("twitter", "ingest.twitter",
               "Twitter/X API v2 pages, v2 flat tweets and v1.1 statuses, one JSON per line"),
        Source("reddit", "ingest.reddit",
               "Reddit comments (t1) and submissions (t3), one JSON per line; .gz/.zst ok"),
        Source("generic", "ingest.generic",
               "Any channel: one interaction per line (platform, id, author, text, time, "
               "reply_to, mentions, url); see ingest/generic.py"),
        Source("stackexchange", "ingest.stackexchange",
               "A Stack Exchange data dump folder (Posts.xml, Users.xml, Comments.xml)",
               kind="folder"),
        Source("crm", "ingest.crm", "CRM contacts CSV (customer_id, name, email, handles, ...)",
               kind="csv"),
        Source("orders", "ingest.crm", "Orders/purchases CSV (customer_id, order_id, amount, date)",
               kind="csv", function="parse_orders"),
    )
}


def get_source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise IngestError(
            f"Unknown source {name!r}. Known sources: {', '.join(sorted(SOURCES))}."
        ) from None
