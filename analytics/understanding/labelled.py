"""Reading a labelled CSV (``text,label`` and any other columns)."""

from __future__ import annotations

import csv
from pathlib import Path

__all__ = ["read_labelled"]


def read_labelled(path: Path) -> tuple[list[str], list[str]]:
    """Texts and raw labels (stripped strings) of a CSV with ``text`` and ``label`` columns.

    Raises:
        ValueError: One line naming the file (and the line) that cannot be read.
    """
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror}") from None
    texts: list[str] = []
    labels: list[str] = []
    with fh:
        reader = csv.DictReader(fh)
        try:
            if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
                raise ValueError(f"{path}: needs a header with 'text' and 'label' columns")
            for row in reader:
                label = (row.get("label") or "").strip()
                if not label:
                    raise ValueError(f"{path}, line {reader.line_num}, field 'label': empty")
                texts.append(row.get("text") or "")
                labels.append(label)
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 ({exc.reason})") from None
        except csv.Error as exc:
            raise ValueError(f"{path}, line {reader.line_num}: {exc}") from None
    if not texts:
        raise ValueError(f"{path}: no labelled rows")
    return texts, labels
