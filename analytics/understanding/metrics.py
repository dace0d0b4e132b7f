"""Classification metrics over the classes present in the true labels.

A file labelled with two of three sentiment classes is scored over those two: a class
that no post in the file carries has no recall to average, and averaging its F1 of zero
in would halve the figure (0.496 instead of 0.744 on such a file).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["classification_report"]


def classification_report(truth: Sequence[str], predicted: Sequence[str], *,
                          labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Accuracy, macro F1/recall, per-class figures and the confusion matrix.

    Args:
        truth: The true class of each item.
        predicted: The predicted class of each item, in the same order.
        labels: The order of the confusion matrix's rows and columns; the classes
            present in ``truth`` or ``predicted`` by default (sorted). Macro averages
            always run over the classes present in ``truth`` only.

    Returns:
        ``n``, ``accuracy``, ``macro_f1``, ``macro_recall``, ``macro_precision``,
        ``classes`` (those averaged over), ``per_class`` (``{label: {precision, recall,
        f1, support}}``), ``labels`` and ``confusion`` (rows = truth, columns = predicted).

    Raises:
        ValueError: The two sequences differ in length or are empty.

    Example:
        >>> r = classification_report(["a", "a", "b"], ["a", "b", "b"])
        >>> r["confusion"], round(r["macro_f1"], 3)
        ([[1, 1], [0, 1]], 0.667)
    """
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels but {len(predicted)} predictions")
    if not truth:
        raise ValueError("no labelled items to evaluate")
    t = [str(v) for v in truth]
    p = [str(v) for v in predicted]
    present = sorted(set(t))
    order = list(labels) if labels is not None else sorted(set(t) | set(p))
    for extra in sorted((set(t) | set(p)) - set(order)):
        order.append(extra)
    index = {label: i for i, label in enumerate(order)}
    confusion = np.zeros((len(order), len(order)), dtype=np.int64)
    np.add.at(confusion, ([index[v] for v in t], [index[v] for v in p]), 1)
    tp = np.diag(confusion).astype(float)
    support = confusion.sum(axis=1).astype(float)
    called = confusion.sum(axis=0).astype(float)
    precision = np.divide(tp, called, out=np.zeros_like(tp), where=called > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    rows = [index[c] for c in present]
    return {
        "n": len(t),
        "accuracy": float(tp.sum() / len(t)),
        "macro_f1": float(f1[rows].mean()),
        "macro_recall": float(recall[rows].mean()),
        "macro_precision": float(precision[rows].mean()),
        "classes": present,
        "per_class": {label: {"precision": float(precision[i]), "recall": float(recall[i]),
                              "f1": float(f1[i]), "support": int(support[i])}
                      for label, i in index.items()},
        "labels": order,
        "confusion": confusion.tolist(),
    }
