"""Lookalike prospects: the non-customers most like the best customers and advocates.

Positive-unlabelled learning (Elkan and Noto 2008): a logistic regression separates
the accounts linked to customers (positives) from everyone else (unlabelled); the
unlabelled accounts it scores highest look most like customers. Each unlabelled account
is scored by a model fitted without it, and the two sparse models below score every
account from models fitted on the other folds (cross-fitting), so that being a negative
in training does not pull down the customers among the unlabelled. Accounts nothing
was seen from (no post, no interaction: named only by a CRM file) are left out, since
the only such accounts are customers' and keeping them would teach "silent means
customer".
Features, each a column anyone can read back as a reason:

* **neighbourhood** — the share of an account's interaction weight that is with
  customers, and with the top advocates; how near it is to the customers
  (personalised PageRank restarting at them, read off its neighbours); whether it talks
  with the people customers talk with (naive Bayes over whom each account interacts
  with);
* **topics** — cosine similarity of its words (TF-IDF) to the customers' words, and
  whether it uses the words that tell customers apart (naive Bayes over TF-IDF words
  and word pairs; reposts are someone else's words and left out);
* **engagement** — posts addressing the brand, interactions with the brand's own
  accounts and their answers, brand sentiment, engagement received, influence and
  reach (log-scaled).

Pure functions over frames; the CLI and the API call :func:`lookalikes` with what the
store gives.

References:
    Elkan, Noto. Learning classifiers from only positive and unlabeled data (KDD 2008).
    Salton, Buckley. Term-weighting approaches in automatic text retrieval (1988).
    Haveliwala. Topic-sensitive PageRank (WWW 2002).
    McCallum, Nigam. A comparison of event models for naive Bayes text classification
    (AAAI-98 workshop).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["FEATURES", "Lookalikes", "lookalike_features", "lookalikes"]

FEATURES: tuple[str, ...] = (
    "talks with customers", "talks with advocates", "near customers",
    "talks with the people customers talk with", "in a community of customers",
    "on a platform of customers", "writes like customers", "uses customers' words",
    "posts to the brand", "engages with the brand's accounts", "answered by the brand",
    "brand sentiment", "engagement received", "influence", "reach")


@dataclass
class Lookalikes:
    """Prospects best first: ``ranking`` (index account key; ``score`` 0–1 and
    ``rank``) and ``reasons`` (per key, feature → contribution to the log-odds, largest
    first, positive ones only)."""

    ranking: pd.DataFrame
    reasons: dict[str, list[tuple[str, float]]]


def lookalike_features(scores: pd.DataFrame, customers: pd.Series, advocates: set[str],
                       edges: pd.DataFrame, texts: pd.DataFrame,
                       brand: Collection[str] = ()) -> pd.DataFrame:
    """The :data:`FEATURES` of every account.

    Args:
        scores: Per account key: ``influence``, ``reach``, ``engagement``,
            ``brand_sentiment``, ``brand_posts``, ``community`` (a run's score frame).
        customers: Per account key, True for accounts linked to a customer.
        advocates: The top advocates' keys.
        edges: ``src``, ``dst``, ``weight`` (interactions, either direction counts).
        texts: ``author_key``, ``text``.
        brand: The brand's own accounts.
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
    out["near customers"] = _proximity(keys, both, is_customer)
    # The share of customers among the others in the account's community and on its
    # platform (leaving the account itself out, so a customer does not count itself).
    platforms = np.asarray([k.split(":", 1)[0] for k in keys], dtype=object)
    for name, labels in (("in a community of customers", scores["community"].to_numpy()),
                         ("on a platform of customers", platforms)):
        frame = pd.DataFrame({"g": labels, "c": is_customer.astype(float)})
        size = frame.groupby("g")["c"].transform("size").to_numpy()
        total_c = frame.groupby("g")["c"].transform("sum").to_numpy()
        out[name] = np.where(size > 1, (total_c - is_customer) / np.maximum(size - 1, 1), 0.0)
    docs = _documents(keys, texts)
    out["writes like customers"] = _text_similarity(docs, customer_keys)
    neighbours = _neighbour_matrix(keys, both)
    words = _word_matrix(docs)
    live = (docs.to_numpy() != "") | (np.asarray(neighbours.sum(axis=1)).ravel() > 0)
    out["uses customers' words"] = _cross_fitted(words, is_customer, live)
    out["talks with the people customers talk with"] = _cross_fitted(neighbours, is_customer, live)
    out["posts to the brand"] = np.log1p(pd.to_numeric(scores["brand_posts"],
                                                        errors="coerce").fillna(0.0))
    directed = edges[edges["src"].astype(str) != edges["dst"].astype(str)]
    for name, mine, theirs in (("engages with the brand's accounts", "src", "dst"),
                               ("answered by the brand", "dst", "src")):
        part = directed[directed[theirs].astype(str).isin(list(brand))]
        weight = part["weight"].astype(float).groupby(part[mine].astype(str)).sum()
        out[name] = np.log1p(weight.reindex(keys).fillna(0.0).to_numpy())
    out["brand sentiment"] = pd.to_numeric(scores["brand_sentiment"],
                                           errors="coerce").fillna(0.0)
    out["engagement received"] = np.log1p(pd.to_numeric(scores["engagement"],
                                                         errors="coerce").fillna(0.0))
    influence = pd.to_numeric(scores["influence"], errors="coerce").fillna(0.0)
    out["influence"] = np.log1p(influence / max(float(influence.median()), 1e-12))
    out["reach"] = np.log1p(pd.to_numeric(scores["reach"], errors="coerce").fillna(0.0))
    return out


def _proximity(keys: pd.Index, both: pd.DataFrame, is_customer: np.ndarray, *,
               alpha: float = 0.85, rounds: int = 30) -> np.ndarray:
    """How close an account is to the customers in the interaction graph: personalised
    PageRank restarting at the customers, read off the account's neighbours (their
    mean, weighted by interaction) so that a customer's own restarts do not count for
    it, log-scaled."""
    n = len(keys)
    if not is_customer.any() or both.empty:
        return np.zeros(n)
    index = pd.Series(np.arange(n), index=keys)
    a = index.reindex(both["a"].to_numpy()).to_numpy()
    b = index.reindex(both["b"].to_numpy()).to_numpy()
    ok = ~(np.isnan(a) | np.isnan(b))
    adjacency = sp.csr_matrix((both["w"].to_numpy(dtype=float)[ok],
                               (a[ok].astype(int), b[ok].astype(int))), shape=(n, n))
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    step = sp.diags(1.0 / np.where(degree > 0, degree, 1.0)) @ adjacency  # row-stochastic
    restart = is_customer / is_customer.sum()
    x = restart.copy()
    for _ in range(rounds):
        x = (1 - alpha) * restart + alpha * (step.T @ x)
    around = step @ (x / np.where(degree > 0, degree, 1.0))
    return np.asarray(np.log1p(around * n), dtype=float)


def _documents(keys: pd.Index, texts: pd.DataFrame) -> pd.Series:
    """Each account's own words: its posts' texts joined, reposts left out (their words
    are someone else's)."""
    if texts.empty:
        return pd.Series("", index=keys)
    text = texts["text"].fillna("").astype(str)
    own = ~text.str.startswith("RT @")
    docs = text[own].groupby(texts.loc[own, "author_key"].astype(str)).apply(" ".join)
    return docs.reindex(keys).fillna("")


def _word_matrix(docs: pd.Series) -> sp.csr_matrix:
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        matrix = TfidfVectorizer(min_df=2, max_features=50_000, sublinear_tf=True,
                                 ngram_range=(1, 2)).fit_transform(docs.to_numpy())
    except ValueError:  # no words at all
        return sp.csr_matrix((len(docs), 0))
    return sp.csr_matrix(matrix)


def _neighbour_matrix(keys: pd.Index, both: pd.DataFrame) -> sp.csr_matrix:
    """Who each account interacts with (either way), as a 0/1 row over all accounts."""
    n = len(keys)
    index = pd.Series(np.arange(n), index=keys)
    a = index.reindex(both["a"].to_numpy()).to_numpy()
    b = index.reindex(both["b"].to_numpy()).to_numpy()
    ok = ~(np.isnan(a) | np.isnan(b))
    matrix = sp.csr_matrix((np.ones(int(ok.sum())), (a[ok].astype(int), b[ok].astype(int))),
                           shape=(n, n))
    return sp.csr_matrix((matrix > 0).astype(float))


def _cross_fitted(x: sp.csr_matrix, positive: np.ndarray, rows: np.ndarray, *,
                  folds: int = 5, seed: int = 0, alpha: float = 1.0) -> np.ndarray:
    """Naive Bayes log-likelihood ratio of ``positive`` from the sparse counts ``x``
    (words, or whom one talks with; multinomial, Laplace smoothing ``alpha``), each of
    ``rows`` scored by the counts of the other folds, so customers and the others are
    scored alike; 0 elsewhere. Linear in the non-zeros: a logistic regression in its
    place took 40 CPU seconds at 100,000 accounts and ranked no better."""
    out = np.zeros(len(positive))
    held = np.flatnonzero(rows)
    if x.shape[1] == 0 or len(held) < 2 * folds:
        return out
    x = sp.csr_matrix(x)
    fold = np.random.default_rng(seed).permutation(len(held)) % folds
    for k in range(folds):
        train, test = held[fold != k], held[fold == k]
        pos = np.asarray(x[train[positive[train]]].sum(axis=0)).ravel() + alpha
        neg = np.asarray(x[train[~positive[train]]].sum(axis=0)).ravel() + alpha
        weight = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
        out[test] = x[test] @ weight
    return out


def _text_similarity(docs: pd.Series, positives: set[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    keys = docs.index
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
               silent: Collection[str] = (), folds: int = 5, seed: int = 0) -> Lookalikes:
    """Non-customers ranked by how much they look like customers.

    A logistic regression of customers against everyone else (positive-unlabelled
    learning); every unlabelled account is scored by a model fitted without it
    (``folds``-fold), so that having been a negative in training does not pull down
    the customers among them, whom the ranking is meant to find.

    Args:
        features: :func:`lookalike_features`.
        customers: Per account key, True for customers (the positives).
        exclude: Accounts never offered as prospects (brand, team, flagged bots).
        silent: Accounts with no posts and no interactions (known only from a CRM
            file, say): neither learned from nor offered, as nothing about them is known.
        folds: Cross-fitting folds over the unlabelled accounts.
        seed: For the folds and the solver.

    Returns:
        :class:`Lookalikes` over the accounts that are neither customers, nor excluded,
        nor silent.
    """
    from sklearn.linear_model import LogisticRegression

    empty = Lookalikes(pd.DataFrame(columns=["score", "rank"]), {})
    known = ~features.index.isin(list(silent))
    features = features[known]
    y = customers.reindex(features.index).fillna(False).to_numpy(dtype=bool)
    x = features.to_numpy(dtype=float)
    mean, std = x.mean(axis=0) if len(x) else 0.0, x.std(axis=0) if len(x) else 1.0
    z = (x - mean) / np.where(std > 0, std, 1.0)
    if y.sum() < 2 or (~y).sum() < 2:
        return empty

    def fit(rows: np.ndarray) -> LogisticRegression:
        return LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000,
                                  random_state=seed).fit(z[rows], y[rows])

    model = fit(np.ones(len(y), dtype=bool))
    p = model.predict_proba(z)[:, 1]
    unlabelled = np.flatnonzero(~y)
    fold = np.random.default_rng(seed).permutation(len(unlabelled)) % max(folds, 1)
    if folds > 1 and len(unlabelled) >= 2 * folds:
        for k in range(folds):
            held = unlabelled[fold == k]
            rows = np.ones(len(y), dtype=bool)
            rows[held] = False
            p[held] = fit(rows).predict_proba(z[held])[:, 1]
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
