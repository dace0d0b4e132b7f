"""What erasing a person means, above the adapters.

``forget_customer`` (each adapter) re-keys the person's accounts, erases their post
texts and redacts what others wrote about them with the rules here; then
:func:`erase_customer` makes sure no copy is left in any file scrm wrote: it has the
store rewrite its files (``compact``: stale pages of an embedded database still hold
deleted values), rewrites the rejects files without the person's lines, removes caches
kept beside the database that name them, and deletes a trained model whose vocabulary
came in part from their words.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph.model import redact_handles
from graph.outbox import erase_unsent

__all__ = [
    "ANONYMOUS_PREFIX",
    "ERASED",
    "ErasureReport",
    "PersonalData",
    "erase_customer",
    "is_anonymous_key",
    "record_export",
    "redact_text",
    "rejects_folders",
    "scrub_files",
    "text_fingerprint",
]

ANONYMOUS_PREFIX = "forgotten-"  # the handle of an account whose owner was erased
ERASED = "[erased]"  # what stands in another text where the person's name or words were
_MIN_TEXT = 12  # shorter post texts ("thanks!") are not the person's own words elsewhere
_MIN_FILE_TERM = 4  # shorter terms would match unrelated lines of a rejects file


def is_anonymous_key(account_key: str) -> bool:
    """Whether an account key is one ``forget_customer`` made (``platform:forgotten-…``):
    such an account counts in others' scores but is never ranked or shown by itself."""
    return account_key.partition(":")[2].startswith(ANONYMOUS_PREFIX)


@dataclass
class PersonalData:
    """What identifies one customer, read before it is erased.

    Attributes:
        names: Name and e-mail from the CRM, display names of their accounts.
        handles: Their accounts' handles.
        ids: Platform user ids of their accounts.
        bios: Their accounts' descriptions.
        texts: Texts and titles of their posts.
    """

    names: list[str] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    bios: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @classmethod
    def collect(cls, customer: dict[str, Any], accounts: Iterable[dict[str, Any]],
                texts: Iterable[str | None]) -> PersonalData:
        """From a customer row (``name``, ``email``), account rows (``handle``,
        ``display_name``, ``description``, ``user_id``) and their posts' texts."""
        out = cls()
        out.names = _clean([customer.get("name"), customer.get("email")])
        for a in accounts:
            out.names += _clean([a.get("display_name")])
            out.handles += _clean([a.get("handle")])
            out.ids += _clean([a.get("user_id")])
            out.bios += _clean([a.get("description")], _MIN_TEXT)
        out.texts = _clean(texts, _MIN_TEXT)
        return out

    def file_terms(self) -> list[bytes]:
        """Byte strings whose presence in a file means the file holds this person."""
        terms = {t for t in [*self.names, *self.handles, *self.ids, *self.bios, *self.texts]
                 if len(t) >= _MIN_FILE_TERM}
        return sorted({t.lower().encode() for t in terms}, key=len, reverse=True)


def _clean(values: Iterable[str | None], shortest: int = 1) -> list[str]:
    out = []
    for v in values:
        v = (v or "").strip()
        if len(v) >= shortest:
            out.append(v)
    return list(dict.fromkeys(out))


def redact_text(text: str | None, person: PersonalData) -> str | None:
    """``text`` with the person's words, names, e-mail and handles taken out.

    Their post texts and bios (quoted or copied) become ``[erased]``, so do their
    names and e-mail (any case); handles become ``@[erased]`` as in
    :func:`graph.model.redact_handles`.
    """
    if not text:
        return text
    if person.handles:
        text = redact_handles(text, person.handles)
    for words in sorted([*person.texts, *person.bios, *person.names], key=len, reverse=True):
        text = re.sub(r"(?<!\w)" + re.escape(words) + r"(?!\w)", ERASED, text,
                      flags=re.IGNORECASE)
    return text


@dataclass
class ErasureReport:
    """What :func:`erase_customer` did beyond the store's own counts."""

    counts: dict[str, int]
    compacted: bool = False
    reject_lines_removed: int = 0
    files_removed: list[str] = field(default_factory=list)
    model: str | None = None  # what happened to a trained model, in words

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts, "compacted": self.compacted,
                "reject_lines_removed": self.reject_lines_removed,
                "files_removed": self.files_removed, "model": self.model}


def scrub_files(paths: Iterable[Path], terms: Sequence[bytes]) -> int:
    """Rewrite text files without the lines that hold any of ``terms`` (case-insensitive),
    line by line into a file beside each, renamed into place. Returns the lines removed."""
    removed = 0
    for path in paths:
        if not terms or not _file_holds(path, terms):
            continue
        tmp = path.with_name(f"{path.name}.{os.getpid()}.scrub")
        dropped = 0
        with path.open("rb") as source, tmp.open("wb") as kept:
            for line in source:
                if _holds(line, terms):
                    dropped += 1
                else:
                    kept.write(line)
        tmp.replace(path)
        removed += dropped
    return removed


def _holds(data: bytes, terms: Sequence[bytes]) -> bool:
    lowered = data.lower()
    return any(t in lowered for t in terms)


def _file_holds(path: Path, terms: Sequence[bytes], chunk: int = 1 << 22) -> bool:
    """Whether a file holds any of ``terms`` (lower-cased), read in overlapping chunks."""
    overlap = max((len(t) for t in terms), default=1) - 1
    tail = b""
    try:
        with path.open("rb") as fh:
            while block := fh.read(chunk):
                window = tail + block
                if _holds(window, terms):
                    return True
                tail = window[-overlap:] if overlap else b""
    except OSError:
        return False
    return False


def _beside(location: str) -> list[Path]:
    """Files scrm keeps beside an embedded database (``<db>.*``), not the database's own."""
    db = Path(location)
    own = {db.name, f"{db.name}.wal", f"{db.name}.lock", f"{db.name}.shadow"}
    try:
        return sorted(p for p in db.parent.glob(f"{db.name}.*")
                      if p.is_file() and p.name not in own)
    except OSError:
        return []


def rejects_folders(location: str | None) -> list[Path]:
    """Where ingests write rejects: the configured folder (``SCRM_REJECTS_DIR``, else the
    one beside the configured database) and, for an embedded database at ``location``,
    the folder beside it."""
    from graph.config import get_settings

    folders = [get_settings().resolved_rejects_dir()]
    if location is not None:
        db = Path(location)
        folders.append(db.parent / f"{db.name}.rejects")
    return list(dict.fromkeys(p.resolve() for p in folders))


def _ledger(location: str) -> Path:
    db = Path(location)
    return db.parent / f"{db.name}.exports.json"


def record_export(location: str, path: Path) -> None:
    """Remember a file scrm exported from the embedded database at ``location`` (``scrm
    viz``): an erasure deletes it when it names the person."""
    ledger = _ledger(location)
    known = _exports(location)
    target = str(path.resolve())
    if target in known:
        return
    tmp = ledger.with_name(f"{ledger.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps([*known, target], indent=1), encoding="utf-8")
    tmp.replace(ledger)


def _exports(location: str) -> list[str]:
    try:
        known = json.loads(_ledger(location).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(p) for p in known] if isinstance(known, list) else []


def erase_customer(store: Any, customer_id: str, *, rejects_dirs: Sequence[Path] = (),
                   model_path: Path | None = None) -> ErasureReport | None:
    """Erase one customer everywhere scrm keeps data (None when there is no such customer).

    Args:
        store: The open :class:`graph.store.GraphStore` (the writer).
        customer_id: The CRM customer id.
        rejects_dirs: The rejects folders ingests write into (their files are
            rewritten without the person's lines); see :func:`rejects_folders`.
        model_path: A trained model kept beside the database, deleted when their words
            trained it (``analytics.job.sentiment_model_path``).

    Returns:
        The store's counts, whether the database was rewritten, reject lines removed,
        files removed, and what became of a trained model.

    Raises:
        StoreError: The database could not be rewritten (the rest is done by then);
            ``scrm forget --purge`` tries again.
    """
    from graph.store import StoreError

    person = store.personal_data(customer_id)
    if person is None:
        return None
    # their replies not sent yet are never sent, and lose their text (graph/outbox.py)
    accounts = [link.account.key for link in store.linked_accounts(customer_id)]
    unsent = erase_unsent(store, accounts, datetime.now(UTC))
    counts = store.forget_customer(customer_id)
    if counts is None:
        return None
    if unsent:
        counts["replies_unsent"] = unsent
    report = ErasureReport(counts=counts)
    terms = person.file_terms()  # held in memory only, and only until this returns
    for folder in rejects_dirs:
        if folder.is_dir():
            report.reject_lines_removed += scrub_files(
                sorted(p for p in folder.rglob("*") if p.is_file()), terms)
    if model_path is not None:
        report.model = _erase_from_model(model_path, person, terms)
    if store.backend == "embedded":
        for name in _exports(store.location):
            export = Path(name)
            if export.is_file() and _file_holds(export, terms):
                export.unlink(missing_ok=True)  # made again with 'scrm viz'
                report.files_removed.append(str(export))
        for path in _beside(store.location):
            if path != model_path and _file_holds(path, terms):
                path.unlink(missing_ok=True)  # a cache: rebuilt from the database
                report.files_removed.append(path.name)
    try:
        report.compacted = bool(store.compact())
    except (StoreError, OSError, RuntimeError) as exc:
        raise StoreError(
            f"customer {customer_id} was erased, but the database file could not be "
            f"rewritten ({exc}), so deleted values may remain on disk; free some space and "
            "run 'scrm forget --purge'") from None
    return report


def text_fingerprint(text: str) -> str:
    """What a trained model keeps of each text it learnt from: enough to tell, when a
    person is erased, whether their words trained it, not the text."""
    return hashlib.sha256(" ".join((text or "").split()).lower().encode()).hexdigest()


def _erase_from_model(path: Path, person: PersonalData, terms: Sequence[bytes]) -> str | None:
    """Delete the trained sentiment model if their words went into it.

    The model keeps the fingerprints of the texts it learnt from (never the texts);
    a model without them, or whose vocabulary holds any of the person's words, is
    deleted too: it cannot be retrained here, since scrm does not keep the
    operator's labelled file.
    """
    if not path.exists():
        return None
    try:
        import joblib

        data = joblib.load(path)
        trained = set(data.get("texts", ())) if isinstance(data, dict) else set()
    except Exception:  # an unreadable model is deleted like one that holds them
        trained = set()
    theirs = {text_fingerprint(t) for t in person.texts}
    if trained and not (trained & theirs) and not _file_holds(path, terms):
        return f"kept the sentiment model {path.name}: none of their texts trained it"
    path.unlink(missing_ok=True)
    return (f"deleted the sentiment model {path.name}, trained on their texts (or on texts "
            "it cannot tell apart); train it again with 'scrm sentiment train' on labels "
            "without them")

