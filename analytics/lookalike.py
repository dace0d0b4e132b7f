"""Lookalike prospects: the non-customers most like the best customers and advocates.

Positive-unlabelled learning (Elkan and Noto 2008): a logistic regression separates
the accounts linked to customers (positives) from everyone else (unlabelled); the
unlabelled accounts it scores highest look most like customers. Features, each a
column anyone can read back as a reason:

* **neighbourhood** — the share of an account's interaction weight that is with
  customers, and with the top advocates;
* **topics** — cosine similarity of its words (TF-IDF) to the customers' words;
* **engagement** — posts addressing the brand, brand sentiment, engagement received,
  influence and reach (log-scaled).

Pure functions over frames; the CLI and the API call :func:`lookalikes` with what the
store gives.

References:
    Elkan, Noto. Learning classifiers from only positive and unlabeled data (KDD 2008).
    Salton, Buckley. Term-weighting approaches in automatic text retrieval (1988).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FEATURES", "Lookalikes", "lookalike_features", "lookalikes"]

FEATURES: tuple[str, ...] = (
    "talks with customers", "talks with advocates", "in a community of customers",
    "on a platform of customers", "writes like customers",
    "posts to the brand", "brand sentiment", "engagement received", "influence", "reach")


@dataclass
class Lookalikes:
    """Prospects best first: ``ranking`` (index account key; ``score`` 0–1 and
    ``rank``) and ``reasons`` (per key, feature → contribution to the log-odds, largest
    first, positive ones only)."""

    ranking: pd.DataFrame
    reasons: dict[str, list[tuple[str, float]]]


def lookalike_features(scores: pd.DataFrame, customers: pd.Series, advocates: set[str],
                       edges: pd.DataFrame, texts: pd.DataFrame) -> pd.DataFrame:
    """The :data:`FEATURES` of every account.

    Args:
        scores: Per account key: ``influence``, ``reach``, ``engagement``,
            ``brand_sentiment``, ``brand_posts``, ``community`` (a run's score frame).
        customers: Per account key, True for accounts linked to a customer.
        advocates: The top advocates' keys.
        edges: ``src``, ``dst``, ``weight`` (interactions, either direction counts).
        texts: ``author_key``, ``text``.
    """
    keys = scores.index.astype(str)
    is_customer = customers.reindex(keys).fillna(False).to_numpy(dtype=bool)
    out = pd.DataFrame(index=keys)
    both = pd.concat([
        pd.DataFrame({"a": edges["src"].astype(str), "b": edges["dst"].astype(str),
                      "w": edges["weight"].astype(float)}),
        pd.DataFrame({"a": edges["dst"].astype(str), "b": edges["src"].astype(str),
                      "w": edges["weight"].astype(float)})], ignore_index=True)
    both = both[both["a"] != both["b"]]
    customer_keys = set(keys[is_customer])
    total = both.groupby("a")["w"].sum()
    for name, group in (("talks with customers", customer_keys),
                        ("talks with advocates", advocates)):
        part = both[both["b"].isin(group)].groupby("a")["w"].sum()
        out[name] = (part / total).reindex(keys).fillna(0.0).to_numpy()
    # The share of customers among the others in the account's community and on its
    # platform (leaving the account itself out, so a customer does not count itself).
    platforms = np.asarray([k.split(":", 1)[0] for k in keys], dtype=object)
    for name, labels in (("in a community of customers", scores["community"].to_numpy()),
                         ("on a platform of customers", platforms)):
        frame = pd.DataFrame({"g": labels, "c": is_customer.astype(float)})
        size = frame.groupby("g")["c"].transform("size").to_numpy()
        total_c = frame.groupby("g")["c"].transform("sum").to_numpy()
        out[name] = np.where(size > 1, (total_c - is_customer) / np.maximum(size - 1, 1), 0.0)
    out["writes like customers"] = _text_similarity(keys, texts, customer_keys)
    out["posts to the brand"] = np.log1p(pd.to_numeric(scores["brand_posts"],
                                                        errors="coerce").fillna(0.0))
    out["brand sentiment"] = pd.to_numeric(scores["brand_sentiment"],
                                           errors="coerce").fillna(0.0)
    out["engagement received"] = np.log1p(pd.to_numeric(scores["engagement"],
                                                         errors="coerce").fillna(0.0))
    influence = pd.to_numeric(scores["influence"], errors="coerce").fillna(0.0)
    out["influence"] = np.log1p(influence / max(float(influence.median()), 1e-12))
    out["reach"] = np.log1p(pd.to_numeric(scores["reach"], errors="coerce").fillna(0.0))
    return out


def _text_similarity(keys: pd.Index, texts: pd.DataFrame, positives: set[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    if texts.empty:
        return np.zeros(len(keys))
    docs = texts.assign(text=texts["text"].fillna("").astype(str)).groupby(
        texts["author_key"].astype(str))["text"].apply(" ".join)
    docs = docs.reindex(keys).fillna("")
    try:
        matrix = TfidfVectorizer(min_df=2, max_features=20_000, stop_words="english",
                                 sublinear_tf=True).fit_transform(docs.to_numpy())
    except ValueError:  # no words at all
        return np.zeros(len(keys))
    mask = keys.isin(list(positives))
    if not mask.any():
        return np.zeros(len(keys))
    centroid = np.asarray(matrix[mask].mean(axis=0)).ravel()
    norm = np.linalg.norm(centroid)
    return np.asarray(matrix @ (centroid / norm if norm else centroid)).ravel()


def lookalikes(features: pd.DataFrame, customers: pd.Series, *, exclude: set[str],
               seed: int = 0) -> Lookalikes:
    """Non-customers ranked by how much they look like customers.

    Args:
        features: :func:`lookalike_features`.
        customers: Per account key, True for customers (the positives).
        exclude: Accounts never offered as prospects (brand, team, flagged bots).
        seed: For the solver (results do not depend on it in practice).

    Returns:
        :class:`Lookalikes` over the accounts that are neither customers nor excluded.
    """
    from sklearn.linear_model import LogisticRegression

    y = customers.reindex(features.index).fillna(False).to_numpy(dtype=bool)
    x = features.to_numpy(dtype=float)
    mean, std = x.mean(axis=0), x.std(axis=0)
    z = (x - mean) / np.where(std > 0, std, 1.0)
    empty = Lookalikes(pd.DataFrame(columns=["score", "rank"]), {})
    if y.sum() < 2 or (~y).sum() < 2:
        return empty
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000,
                               random_state=seed).fit(z, y)
    p = model.predict_proba(z)[:, 1]
    prospect = ~y & ~features.index.isin(list(exclude))
    order = np.flatnonzero(prospect)[np.argsort(-p[prospect], kind="stable")]
    keys = features.index[order]
    ranking = pd.DataFrame({"score": p[order], "rank": np.arange(1, len(order) + 1)},
                           index=keys)
    parts = z[order] * model.coef_[0]
    reasons = {}
    for key, row in zip(keys, parts, strict=True):
        best = np.argsort(-row)[:3]
        reasons[str(key)] = [(features.columns[j], round(float(row[j]), 3))
                             for j in best if row[j] > 0]
    return Lookalikes(ranking, reasons)
