"""The source table: every input format scrm reads, registered in one place.

Adding a platform is adding one parser module and one row here. A JSON-lines
source only needs ``parse_line(text, line_no, source_file) -> list[Record]``;
this module does the reading (plain, gzip or zstd files, or standard input),
decoding and line numbering for all of them.
"""

from __future__ import annotations

import codecs
import gzip
import importlib
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, cast

import orjson

from graph.model import Customer, Record, Reject
from ingest.errors import IngestError, SourceFormatError, TruncatedInputError
from ingest.loader import Unit

__all__ = ["DEFAULT_MAX_LINE_BYTES", "SOURCES", "Source", "get_source", "open_binary"]

# A JSON line longer than this is not one post or page (SCRM_MAX_LINE_BYTES).
DEFAULT_MAX_LINE_BYTES = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# A reject keeps this much of a line that is too long to keep whole.
_SHOWN_BYTES = 1_000


class _ZstdStream(io.RawIOBase):
    """A zstd file's decompressed bytes, frame after frame, that raises ``EOFError``
    when the file ends inside a frame (``zstandard``'s own reader just stops there)."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self._obj = self._new()
        self._buffer = b""
        self._started = False

    @staticmethod
    def _new() -> Any:
        import zstandard

        return zstandard.ZstdDecompressor(max_window_size=2**31).decompressobj()

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        view = memoryview(target).cast("B")
        while not self._buffer:
            chunk = self._fh.read(1 << 17)
            if not chunk:
                if self._started and not self._obj.eof:
                    raise EOFError("the zstd stream ends inside a frame")
                return 0
            while chunk:
                self._started = True
                self._buffer += self._obj.decompress(chunk)
                chunk = b""
                if self._obj.eof:
                    chunk = self._obj.unused_data
                    self._obj, self._started = self._new(), False
        n = min(len(view), len(self._buffer))
        view[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def open_binary(path: Path | str) -> IO[bytes]:
    """Open a file for reading bytes, decompressing gzip and zstd (by suffix or by the
    file's first bytes); ``-`` is stdin."""
    if str(path) == "-":
        return sys.stdin.buffer
    p = Path(path)
    with p.open("rb") as fh:
        magic = fh.read(4)
    if p.suffix == ".gz" or magic.startswith(_GZIP_MAGIC):
        return cast(IO[bytes], gzip.open(p, "rb"))
    if p.suffix == ".zst" or magic == _ZSTD_MAGIC:
        return io.BufferedReader(_ZstdStream(p.open("rb")), 1 << 17)
    return p.open("rb")


def _refuse_binary(fh: IO[bytes], source_file: str) -> None:
    """Refuse a file that is not text before reading a line of it."""
    peek = getattr(fh, "peek", None)
    try:
        head = peek(1 << 16)[: 1 << 16] if peek is not None else b""
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise SourceFormatError(source_file, f"cannot be decompressed ({exc}); check that "
                                "the file is whole and its suffix says how it is "
                                "compressed (.gz, .zst)") from None
    nul = head.find(b"\0")
    if nul >= 0:
        raise SourceFormatError(source_file, f"is not a text file (a NUL byte at byte {nul:,}); "
                                "expected JSON lines: check that this is the export you meant")


_NEWLINE = b"\n"


def _check_text_file(path: Path, source_file: str) -> None:
    """Refuse a row-oriented file (a CSV) that is not UTF-8 text before reading a row:
    such files are small, and a spreadsheet's "CSV" in another encoding is common."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            nul = chunk.find(b"\0")
            if nul >= 0:
                at = line + chunk.count(_NEWLINE, 0, nul)
                raise SourceFormatError(source_file, f"is not a text file (a NUL byte on line "
                                        f"{at:,}); expected a CSV with a header row")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = line + chunk.count(_NEWLINE, 0, max(exc.start, 0))
                raise SourceFormatError(
                    source_file, f"is not UTF-8 text (line {at:,}: {exc.reason}); "
                    "save it as UTF-8 (in Excel: CSV UTF-8) and run the command again"
                ) from None
            line += chunk.count(_NEWLINE)


def _lines(fh: IO[bytes], limit: int) -> Iterator[tuple[bytes, int, bool]]:
    """``(line, length in bytes, whole)`` for each line; a line longer than ``limit`` is
    read past in pieces, never held whole, and only its first bytes are given."""
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n") and len(line) == limit + 1:
            yield line, len(line), True
            continue
        length, head = len(line), line[:_SHOWN_BYTES]
        while not line.endswith(b"\n"):
            line = fh.readline(1 << 20)
            if not line:
                break
            length += len(line)
        yield head, length, False


def _line_at(path: Path, offset: int, length: int) -> str:
    """A line of a plain file again, by its byte position."""
    with path.open("rb") as fh:
        fh.seek(offset)
        return fh.read(length).decode("utf-8")


# A file that is one JSON document (an array, or a pretty-printed object) is read whole;
# above this it should be converted to JSON lines first.
MAX_DOCUMENT_BYTES = 512 << 20


def _is_document(fh: IO[bytes]) -> bool:
    """Whether the file is one JSON document rather than JSON lines: it opens with
    ``[``, or with ``{`` on a line of its own (pretty-printed)."""
    peek = getattr(fh, "peek", None)
    head = peek(1 << 16)[: 1 << 16] if peek is not None else b""
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[") or head.split(b"\n", 1)[0].strip() == b"{"


def _document_units(module: Any, fh: IO[bytes], path: Path | str,
                    source_file: str) -> Iterator[Unit]:
    """One unit per item of a JSON document: the source's ``document_items`` says what
    an item is (a tweet of an array, a comment of a Reddit thread); by default each
    element of an array. A unit's line is the item's number in the document."""
    data = fh.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise SourceFormatError(source_file, f"is one JSON document of more than "
                                f"{MAX_DOCUMENT_BYTES:,} bytes; convert it to JSON lines "
                                "first, e.g. jq -c '.[]' FILE > FILE.jsonl")
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SourceFormatError(source_file, f"is neither JSON lines nor one JSON document "
                                f"({exc.msg} at line {exc.lineno}, column {exc.colno})"
                                ) from None
    del data
    items_of = getattr(module, "document_items", None)
    items = items_of(document, path) if items_of is not None else (
        document if isinstance(document, list) else [document])
    for n, item in enumerate(items, start=1):
        text = orjson.dumps(item).decode("utf-8")
        try:
            records = module.parse_line(text, n, source_file)
        except Exception as exc:  # a parser bug must not lose the rest of the file
            records = [Reject(source_file, n, f"could not be parsed: {exc!r}", text)]
        yield Unit(n, text, records)


def _jsonl_units(module: Any, path: Path | str,
                 source_file: str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
                 ) -> Iterator[Unit]:
    parse_line: Callable[[str, int, str], list[Record]] = module.parse_line
    end, line_no = 0, 0
    with open_binary(path) as fh:
        # A plain file's line can be read again by position when it is rejected, so its
        # unit does not keep the text (a batch of Twitter pages is ~60 MB of it).
        plain = Path(path) if str(path) != "-" and isinstance(fh, io.BufferedReader) \
            and isinstance(fh.raw, io.FileIO) else None
        _refuse_binary(fh, source_file)
        try:
            if _is_document(fh):
                yield from _document_units(module, fh, path, source_file)
                return
            for line_no, (line, length, whole) in enumerate(_lines(fh, max_line_bytes),
                                                            start=1):
                start, end = end, end + length
                if not whole:
                    shown = line.decode("utf-8", "replace") + "…"
                    yield Unit(line_no, shown, [Reject(
                        source_file, line_no, f"the line is {length:,} bytes; the limit is "
                        f"{max_line_bytes:,} (SCRM_MAX_LINE_BYTES); only its first "
                        f"{len(line):,} bytes are kept here", shown)])
                    continue
                yield from _jsonl_unit(parse_line, line, line_no, source_file, plain, start)
        except (EOFError, OSError) as exc:
            kind = "gzip" if isinstance(fh, gzip.GzipFile) else "zstd" if isinstance(
                fh, io.BufferedReader) and isinstance(fh.raw, _ZstdStream) else "input"
            raise TruncatedInputError(
                source_file, f"the {kind} stream breaks after line {line_no:,} (byte {end:,} "
                f"of the decompressed data): {exc}. The lines before were loaded; ingest the "
                "complete file again to load the rest") from None


def _jsonl_unit(parse_line: Callable[[str, int, str], list[Record]], line: bytes,
                line_no: int, source_file: str, plain: Path | None, start: int
                ) -> Iterator[Unit]:
    """The unit of one whole line (none for a blank line)."""
    raw = line.rstrip(b"\r\n")
    if not raw.strip():
        return
    nul = raw.find(b"\0")
    if nul >= 0:  # binary data past the start of the file: not kept whole
        shown = raw[:_SHOWN_BYTES].replace(b"\0", b"").decode("utf-8", "replace")
        yield Unit(line_no, shown or "[binary]", [Reject(
            source_file, line_no, f"the line is not text (a NUL byte at byte {nul:,})",
            shown or "[binary]")])
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = raw.decode("utf-8", "replace")
        yield Unit(line_no, shown, [Reject(
            source_file, line_no,
            f"invalid UTF-8 at byte {exc.start} of the line ({exc.reason})", shown)])
        return
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
    column_mapping: bool = False  # takes --preset / --mapping (CSV columns of a known export)

    def _module(self) -> Any:
        return importlib.import_module(self.module)

    def units(self, path: Path | str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
              **options: Any) -> Iterator[Unit]:
        """The units of one input; ``max_line_bytes`` bounds a JSON line."""
        source_file = "<stdin>" if str(path) == "-" else str(path)
        mod = self._module()
        if self.kind == "jsonl":
            return _jsonl_units(mod, path, source_file, max_line_bytes)
        if self.kind == "csv":
            if str(path) == "-":
                raise IngestError(f"The {self.name} source reads files, not standard input.")
            _check_text_file(Path(path), source_file)
            parse = getattr(mod, self.function)
            return _grouped_units(parse(path, **options), lambda _n: "")
        return mod.units(path, **options)  # type: ignore[no-any-return]


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("twitter", "ingest.twitter",
               "Twitter/X: API v2 pages, v2 flat tweets, v1.1 statuses and Gnip activities "
               "(detected per line); JSON arrays and academictwitteR data/users files"),
        Source("reddit", "ingest.reddit",
               "Reddit: comments (t1) and submissions (t3), one JSON object per line, or saved "
               "API listings and threads; .gz/.zst ok"),
        Source("generic", "ingest.generic",
               "Any other channel, one interaction per line (platform, id, author, text, time, "
               "reply_to, mentions, url; see docs/ingest.md)"),
        Source("stackexchange", "ingest.stackexchange",
               "Stack Exchange data dump folders (Posts.xml, Users.xml, Comments.xml)",
               kind="folder"),
        Source("crm", "ingest.crm",
               "CRM contacts CSV: customer_id (required), name, email, twitter, reddit, "
               "lifetime_value, nps, signup_date (columns mapped by --preset or --mapping)",
               kind="csv", column_mapping=True),
        Source("orders", "ingest.crm",
               "Orders CSV: customer_id, order_id, amount, date (feeds customer value)",
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
