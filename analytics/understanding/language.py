"""Language of each post: py3langid (langid.py's naive Bayes model, 97 languages, shipped
inside the package; no download at run time).

Mentions, links, hashtags' ``#`` and ``RT`` markers are removed first: "@user" and URLs
are not words of any language. A post with fewer than ``min_letters`` letters left (an
emoji, a link) is ``und`` (undetermined), as is one whose best language has a normalised
probability below ``min_confidence``.

References:
    Lui, Baldwin. langid.py: An Off-the-shelf Language Identification Tool (ACL 2012).
"""

from __future__ import annotations

import os
import re
import shutil
from array import array
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

__all__ = ["UNDETERMINED", "detect_languages"]

UNDETERMINED = "und"
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\bRT\b|&\w+;|\\u[0-9a-fA-F]{4}")


class _Model(NamedTuple):
    """py3langid's model as arrays: the byte automaton's next-state table, each
    state's row offset (shifted) and feature (-1: none), P(feature | language) and
    the class priors; the class names and the (first, alias) class pairs."""

    nextmove: np.ndarray
    rowbase: np.ndarray
    output: np.ndarray
    ptc: np.ndarray
    pc: np.ndarray
    classes: list[str]
    alias_pairs: list[tuple[int, int]]


_ARRAYS = ("nextmove", "row", "output", "ptc", "pc", "classes")


@lru_cache(maxsize=1)
def _model() -> _Model:
    """The model, mapped from the user's cache directory (``$XDG_CACHE_HOME/scrm``,
    else ``~/.cache/scrm``). It ships LZMA-packed, and unpacking it costs ~1 s of CPU
    in every process that reads a language (each analysis, ingest, server); the
    unpacked arrays are kept there as raw ``.npy`` files (a folder named after the
    model file's size and time) and mapped read-only: a process reads only the pages
    of the rows its texts touch (~0.01 s instead of ~0.2 s to read 68 MB)."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    source = Path(MODEL_DIR) / MODEL_FILE
    try:
        stat = source.stat()
        cache: Path | None = _cache_dir() / f"py3langid-{stat.st_size}-{stat.st_mtime_ns}"
    except OSError:
        cache = None
    if cache is not None and cache.is_dir():
        try:
            found = {name: np.load(cache / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                     for name in _ARRAYS}
            return _arrays_model(found["nextmove"], found["row"], found["output"],
                                 found["ptc"], found["pc"], [str(c) for c in found["classes"]])
        except (OSError, ValueError, KeyError):
            pass  # unreadable: unpacked again below
    ident = _identifier()
    arrays = {"nextmove": _numbers(ident.tk_nextmove), "row": _numbers(ident.tk_row),
              "output": np.asarray(ident.tk_output, dtype=np.int32),
              "ptc": np.asarray(ident.nb_ptc), "pc": np.asarray(ident.nb_pc),
              "classes": np.array(ident.nb_classes)}
    if cache is not None:
        _keep_model(arrays, cache)
    return _arrays_model(arrays["nextmove"], arrays["row"], arrays["output"], arrays["ptc"],
                         arrays["pc"], list(ident.nb_classes))


def _arrays_model(nextmove: np.ndarray, row: np.ndarray, output: np.ndarray,
                  ptc: np.ndarray, pc: np.ndarray, classes: list[str]) -> _Model:
    first: dict[str, int] = {}
    pairs: list[tuple[int, int]] = []
    for i, c in enumerate(classes):  # as py3langid's _set_alias_pairs
        if c in first:
            pairs.append((first[c], i))
        else:
            first[c] = i
    return _Model(nextmove, np.asarray(row, dtype=np.int64) << 8,
                  np.asarray(output, dtype=np.int64), ptc,
                  np.asarray(pc, dtype=np.float32), classes, pairs)


def _identifier() -> Any:
    """py3langid's identifier (normalised probabilities), unpacked from the package."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "scrm"


def _numbers(values: array[int]) -> np.ndarray:
    """A view of a stdlib unsigned integer array as NumPy's."""
    return np.frombuffer(values, dtype=f"u{values.itemsize}")


def _keep_model(arrays: dict[str, np.ndarray], cache: Path) -> None:
    """Write the unpacked model for the next process, one ``.npy`` file per array, into
    a folder renamed into place whole (a cache: a failure is ignored), and remove the
    copies of other versions of the model (each 68 MB; a process still mapping one
    keeps its pages until it ends)."""
    part = cache.with_name(f"{cache.name}.{os.getpid()}.part")
    try:
        part.mkdir(parents=True, exist_ok=True)
        for name, values in arrays.items():
            np.save(part / f"{name}.npy", values, allow_pickle=False)
        part.rename(cache)
    except OSError:
        shutil.rmtree(part, ignore_errors=True)
        return
    for stale in cache.parent.glob("py3langid-*"):
        if stale != cache and not stale.name.endswith(".part"):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)


def _has_letters(text: str, n: int) -> bool:
    """Whether ``text`` has at least ``n`` letters (stops at the ``n``-th)."""
    if n <= 0:
        return True
    for ch in text:
        if ch.isalpha():
            n -= 1
            if not n:
                return True
    return False


def _classify_batch(encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """py3langid's ``classify`` (normalised probabilities) over many texts at once.

    The byte automaton is walked for all texts in lockstep (one array step per byte
    position, over the texts still that long); the few longest texts finish one by one
    as py3langid walks them. Feature counts become one sparse matrix, scored against
    the model with one product. Same arithmetic as ``classify`` up to the order of
    float32 additions.

    Returns:
        The index of each text's best class and its probability.
    """
    from scipy.sparse import csr_matrix

    model = _model()
    nextmove, rowbase, output, ptc, pc = (model.nextmove, model.rowbase, model.output,
                                          model.ptc, model.pc)
    n = len(encoded)
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=n)
    order = np.argsort(-lengths, kind="stable")
    sorted_len = lengths[order]
    buffer = np.frombuffer(b"".join(encoded[i] for i in order.tolist()), dtype=np.uint8)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(sorted_len[:-1], out=starts[1:])
    rows: list[np.ndarray] = []
    features: list[np.ndarray] = []
    values: list[np.ndarray] = []  # feature counts (summed per text and feature below)
    state = np.zeros(n, dtype=np.int64)
    # texts longer than the 32nd longest are walked alone at the end
    lockstep = int(sorted_len[min(31, n - 1)]) if n else 0
    alone = int(np.searchsorted(-sorted_len, -lockstep, side="left"))
    for j in range(lockstep):
        active = int(np.searchsorted(-sorted_len, -j, side="left"))  # lengths > j
        if active <= alone:
            break
        sl = slice(alone, active)
        state[sl] = nextmove[rowbase[state[sl]] + buffer[starts[sl] + j]]
        found = output[state[sl]]
        hit = found >= 0
        if hit.any():
            rows.append(np.flatnonzero(hit) + alone)
            features.append(found[hit])
            values.append(np.ones(len(rows[-1]), dtype=np.float32))
    from py3langid.langid import visit_counts

    for i in range(alone):
        counts = visit_counts(nextmove, rowbase, output, encoded[int(order[i])])
        if counts:
            rows.append(np.full(len(counts), i, dtype=np.int64))
            features.append(np.fromiter((int(f) for f in counts), dtype=np.int64,
                                        count=len(counts)))
            values.append(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    feature = np.concatenate(features) if features else np.zeros(0, dtype=np.int64)
    value = np.concatenate(values) if values else np.zeros(0, dtype=np.float32)
    # only the features these texts have, as float32 (the model keeps float16)
    present, column = np.unique(feature, return_inverse=True)
    counts_matrix = csr_matrix((value, (row, column.ravel())), shape=(n, len(present)))
    counts_matrix.sum_duplicates()
    np.log1p(counts_matrix.data, out=counts_matrix.data)
    scores = np.asarray(counts_matrix @ ptc[present].astype(np.float32), dtype=np.float32)
    has = np.diff(counts_matrix.indptr) > 0
    scores[has] += pc
    scores[~has] = 0.0  # no features: uniform, as py3langid's norm_probs abstains
    scores *= (1.0 / np.sqrt(np.maximum(sorted_len, 1))).astype(np.float32)[:, None]
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    for i, j in model.alias_pairs:
        scores[:, i] += scores[:, j]
        scores[:, j] = 0.0
    best = scores.argmax(axis=1)
    probability = scores[np.arange(n), best]
    out_best = np.empty(n, dtype=np.int64)
    out_prob = np.empty(n, dtype=np.float64)
    out_best[order] = best
    out_prob[order] = probability
    return out_best, out_prob


def detect_languages(texts: Sequence[str], *, min_letters: int = 3,
                     min_confidence: float = 0.5, batch: int = 20_000
                     ) -> tuple[list[str], np.ndarray]:
    """ISO 639-1 code (or ``und``) and its probability for each text.

    Args:
        texts: Post texts.
        min_letters: Fewer letters than this (after removing mentions and links) give
            ``und``.
        min_confidence: A best language less probable than this gives ``und``.
        batch: Texts classified together (one sparse product each).

    Returns:
        The codes and a float array of confidences (0 for texts too short to read).

    Example:
        >>> detect_languages(["Das ist wirklich ein schöner Tag heute", "👍"])[0]
        ['de', 'und']
    """
    from py3langid.langid import LanguageIdentifier

    encode = LanguageIdentifier._encode
    codes: list[str] = [UNDETERMINED] * len(texts)
    confidence = np.zeros(len(texts))
    readable: list[int] = []
    encoded: list[bytes] = []
    for i, text in enumerate(texts):
        cleaned = _NOISE.sub(" ", text or "")
        if _has_letters(cleaned, min_letters):
            readable.append(i)
            encoded.append(encode(cleaned))
    classes = _model().classes if readable else []
    for start in range(0, len(readable), batch):
        best, probability = _classify_batch(encoded[start:start + batch])
        for i, b, p in zip(readable[start:start + batch], best.tolist(),
                           probability.tolist(), strict=True):
            confidence[i] = p
            if p >= min_confidence:
                codes[i] = classes[b]
    return codes, confidence
