"""Bot likelihood: behaviour signals for scrm's own accounts, and a classifier trained on
labelled accounts.

Two halves, both pure (no store):

* :func:`behaviour_scores` reads what any ingest gives (each account's posts with kind,
  time and text, and who shared whom) and gives every account a likelihood in [0, 1]
  with its reasons: duplicate or near-duplicate texts, share of reposts, reciprocal
  repost rings, posting rate and regularity. The signals are combined as independent
  pieces of evidence, ``1 - Π(1 - wᵢ sᵢ)``: one strong signal (an account that posts
  the same text 60 times) is enough, two middling ones add up.
* :class:`BotModel` is a random forest on the account features of Gilani et al.'s
  labelled set that scrm can also compute from ingested data (:data:`MODEL_FEATURES`);
  ``scrm bots train`` / ``scrm bots evaluate`` fit and measure it.

References:
    Gilani, Kochmar, Crowcroft. Classification of Twitter Accounts into Automated
    Agents and Human Users (ASONAM 2017).
    Chavoshi, Hamooni, Mueen. DeBot: Twitter Bot Detection via Warped Correlation
    (ICDM 2016) — lock-step and duplicate posting.
    Breiman. Random Forests (Machine Learning 2001).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "CLIENT_CATEGORIES",
    "SIGNATURE_COLUMNS",
    "FLAG_AT",
    "MODEL_FEATURES",
    "BotModel",
    "BotScores",
    "account_features",
    "behaviour_scores",
    "bot_cache_path",
    "bot_model_path",
    "post_signatures",
    "client_category",
    "evaluate_labelled",
    "read_labelled",
    "window_signatures",
]

FLAG_AT = 0.5
"""Likelihood at which an account is flagged as a bot (and left out of rankings)."""

CLIENT_CATEGORIES = 7
"""Client (posting app) categories, as the labelled set codes them (``source_identity``):
0 an app not in the list below, 1 the web site, 2 a phone or tablet app, 3 a
social-media management or desktop tool, 4 an automation service, 5 another network
cross-posting, 6 advertising tools. Stweeler's own list of sources is not published;
this grouping follows the codes' shares among the set's bots and humans (2 is in 85%
of humans' timelines, 4 mostly in bots')."""

MODEL_FEATURES: tuple[str, ...] = (
    "user_tweeted", "user_retweeted", "user_replied", "lists_per_user",
    "follower_friend_ratio", "tweet_frequency", "age_of_account_in_days", "urls_count",
    *(f"client_{i}" for i in range(CLIENT_CATEGORIES)))
"""What the trained model reads, all of it computable for scrm's own accounts
(:func:`account_features`): posts, reposts and replies counted from ingested posts,
posts per day, URLs posted; from the account's profile, where the platform gives it,
listed count per follower, follower/following ratio, the account's age at its last
post, and the category of the app it posts from (``client_0`` … ``client_6``, one-hot).
Left out: likes given (``user_favourited``, ``favourite_tweet_ratio``) and media size
(``cdn_content_in_kb``), which ingested posts do not carry; likes and reposts received
per post (not read with the posts) and the number of distinct apps (scrm keeps the
latest), which added nothing measurable."""

_CLIENTS: Mapping[str, int] = {
    **dict.fromkeys(("twitter web client", "twitter web app", "mobile web", "mobile web (m2)",
                     "mobile web (m5)", "twitter lite", "web", "bsky.app"), 1),
    **dict.fromkeys(("twitter for iphone", "twitter for android", "twitter for ipad",
                     "twitter for windows phone", "twitter for blackberry",
                     "twitter for android tablets", "tweetbot for ios",
                     "twitterrific", "echofon", "fenix for android", "talon android",
                     "ubersocial for android", "tusky", "ivory for ios", "mastodon for ios",
                     "mastodon for android", "ice cubes", "metatext", "toot!", "megalodon",
                     "fedilab", "moshidon", "mona"), 2),
    **dict.fromkeys(("tweetdeck", "tweetdeck web app", "hootsuite", "hootsuite inc.", "buffer",
                     "sprout social", "twitter for mac", "tweetbot for mac", "socialflow",
                     "falcon social media management", "khoros", "sprinklr",
                     "brandwatch", "agorapulse", "later", "sendible", "twitter for windows",
                     "tweetlogix", "janetter"), 3),
    **dict.fromkeys(("ifttt", "dlvr.it", "twitterfeed", "zapier.com", "zapier", "botize",
                     "roundteam", "twittascope", "twibble.io", "cheap bots, done quick!",
                     "tweetadder", "socialoomph", "recurpost", "publer", "feedly"), 4),
    **dict.fromkeys(("facebook", "instagram", "linkedin", "wordpress.com", "tumblr",
                     "paper.li", "google", "youtube", "foursquare", "swarm", "pinterest",
                     "medium", "soundcloud", "spotify", "vine - make a scene"), 5),
    **dict.fromkeys(("twitter ads", "twitter for advertisers", "twitter media studio",
                     "twitter for advertisers.", "advertiser-interface"), 6),
}
_AUTOMATION = re.compile(r"\bbots?\b|\bfeed\b|\brss\b|\bauto|schedul|\bapi\b", re.I)


def client_category(client: str | None) -> int | None:
    """The category (0–6, see :data:`CLIENT_CATEGORIES`) of a posting app's name; None
    when the app is not known.

    Example:
        >>> client_category("Twitter for iPhone"), client_category("My RSS Bot")
        (2, 4)
    """
    if not isinstance(client, str) or not client.strip():
        return None
    name = client.strip().lower()
    if name in _CLIENTS:
        return _CLIENTS[name]
    return 4 if _AUTOMATION.search(name) else 0


# Signal weights: how far one signal alone moves the likelihood.
_WEIGHTS: Mapping[str, float] = {
    "duplicate texts": 0.8, "reciprocal repost ring": 0.8, "share of reposts": 0.4,
    "posting rate": 0.6, "posting regularity": 0.5}
_URL = re.compile(r"https?://\S+")
_REST = re.compile(r"^rt\s+|[@#]\w+|[^a-z @#]+|[@#]")


@dataclass
class BotScores:
    """Per account: ``likelihood`` (0–1) and ``reasons`` (signal → strength 0–1, the
    ones that add something), indexed by account key."""

    likelihood: pd.Series
    reasons: dict[str, dict[str, float]] = field(default_factory=dict)

    def flagged(self, decisions: Mapping[str, str] | None = None,
                threshold: float = FLAG_AT) -> set[str]:
        """Accounts to keep out of rankings: at or above ``threshold``, unless a person
        said ``human``; plus every account a person said is a ``bot``."""
        decided = dict(decisions or {})
        over = self.likelihood.index[self.likelihood.to_numpy(dtype=float) >= threshold]
        out = {str(k) for k in over} - {k for k, v in decided.items() if v == "human"}
        return out | {k for k, v in decided.items() if v == "bot"}


def _normalise(texts: pd.Series) -> pd.Series:
    """Text reduced to what makes it the same message: lower case, no links, mentions,
    hashtags, digits or punctuation, and no "RT " prefix.

    Each distinct text is reduced once (copies are what this looks for), in two
    passes: links first (a link's own ``@`` or ``#`` is not a mention), then an "RT "
    prefix, mentions, hashtags and everything but letters together."""
    codes, uniques = pd.factorize(texts.fillna("").astype(str))
    t = pd.Series(uniques, dtype=object).str.lower().str.replace(_URL, " ", regex=True)
    t = t.str.replace(_REST, " ", regex=True).str.split().str.join(" ")
    return pd.Series(t.to_numpy(dtype=object)[codes] if len(t) else np.array([], dtype=object),
                     index=texts.index, dtype=object)


SIGNATURE_COLUMNS = ("author", "share", "reply", "t", "words", "text_hash", "urls")
POST_COLUMNS = ("author_key", "kind", "created_at", "text")
"""What :func:`post_signatures` reads of each post (``GraphStore.post_frame(columns=)``)."""


def _url_counts(text: pd.Series) -> np.ndarray:
    """How many links each text holds; only texts with ``http`` in them are searched."""
    values = text.to_numpy(dtype=object)
    out = np.zeros(len(values), dtype=np.int64)
    if not len(values):
        return out
    maybe = np.flatnonzero(pc.match_substring(pa.array(values, pa.string()), "http")
                           .to_numpy(zero_copy_only=False))
    findall = _URL.findall
    for i in maybe.tolist():
        out[i] = len(findall(values[i]))
    return out


def _categorical(author: pd.Series) -> pd.Categorical:
    """Account keys as a categorical over their string forms (as ``astype(str)``
    gives them), without a string per row when they come as one already."""
    if isinstance(author.dtype, pd.CategoricalDtype) and not author.isna().any():
        values = author.array
        assert isinstance(values, pd.Categorical)
        if pd.api.types.is_string_dtype(values.categories.dtype):
            return values
    if pd.api.types.is_string_dtype(author.dtype) and not author.isna().any():
        return pd.Categorical(author)  # strings as they are (Arrow's: encoded there)
    return pd.Categorical(author.astype(str).to_numpy(dtype=object))


def _author_codes(author: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(author.astype(str), sort=True)``: each row's author as the rank
    of its name among the names present, and those names in order. A categorical
    (what :func:`post_signatures` keeps) is ranked by its few categories, not by a
    string per row."""
    if isinstance(author.dtype, pd.CategoricalDtype) and not author.isna().any():
        codes = author.cat.codes.to_numpy()
        used = np.flatnonzero(np.bincount(codes, minlength=len(author.cat.categories)))
        names = np.asarray(author.cat.categories.to_numpy(dtype=object)[used], dtype=object)
        order = np.argsort(names, kind="stable")
        rank = np.full(len(author.cat.categories), -1, dtype=np.int64)
        rank[used[order]] = np.arange(len(used))
        return rank[codes], names[order]
    code, names = pd.factorize(author.astype(str), sort=True)
    return code, np.asarray(names, dtype=object)


def post_signatures(posts: pd.DataFrame) -> pd.DataFrame:
    """What bot detection keeps of each post (no text, no key): ``author`` (a
    categorical), ``share`` and ``reply`` (its kind), ``t`` (seconds since 1970), and
    of its text reduced by :func:`_normalise` (own posts only: a repost's text is
    another's) the number of
    ``words`` and a 64-bit ``text_hash``, and the number of ``urls`` it holds.

    Args:
        posts: One row per post: ``author_key``, ``kind``, ``created_at``, ``text``.
    """
    kind = posts["kind"].astype(str).to_numpy()
    share = kind == "share"
    text = posts["text"].fillna("").astype(str)
    reduced = pd.Series("", index=posts.index, dtype=object)
    if (~share).any():
        reduced[~share] = _normalise(text[~share])
    return pd.DataFrame({
        "author": _categorical(posts["author_key"]),
        "share": share, "reply": np.isin(kind, ("reply", "comment")),
        "t": pd.to_datetime(posts["created_at"]).astype("datetime64[ns]").astype(
            np.int64).to_numpy() / 1e9,
        # a reduced text is words of letters joined by single spaces
        "words": (pc.count_substring(pa.array(reduced.to_numpy(dtype=object), pa.string()),
                                     " ").to_numpy(zero_copy_only=False).astype(np.int64)
                  + (reduced != "").to_numpy(dtype=np.int64)),
        "text_hash": pd.util.hash_pandas_object(reduced, index=False).to_numpy().view(
            np.int64),
        "urls": _url_counts(text)})


def behaviour_scores(posts: pd.DataFrame, shares: pd.DataFrame, *,
                     min_posts: int = 10, model: BotModel | None = None,
                     profiles: pd.DataFrame | None = None) -> BotScores:
    """Bot likelihood of every author from their posting behaviour (and, with a
    trained ``model``, from its verdict on their :func:`account_features`).

    Args:
        posts: One row per post: ``author_key``, ``kind`` (``share`` for reposts),
            ``created_at`` (datetime) and ``text``.
        shares: One row per repost: ``src`` (who shared), ``dst`` (whose post).
        min_posts: Fewer posts than this say nothing about behaviour (likelihood 0).
        model: A trained :class:`BotModel` (``scrm bots train``); its verdict is one
            more signal, ``trained model`` (alone enough to flag).
        profiles: The authors' profiles (``GraphStore.account_profiles``) the model
            reads; without them it reads the training set's medians.

    Returns:
        :class:`BotScores` for every author in ``posts``.

    Example:
        >>> p = pd.DataFrame({"author_key": ["a"] * 12, "kind": ["post"] * 12,
        ...     "created_at": pd.date_range("2026-01-01", periods=12, freq="h"),
        ...     "text": ["Best bike I have ever owned!"] * 12})
        >>> s = behaviour_scores(p, pd.DataFrame({"src": [], "dst": []}))
        >>> bool(s.likelihood["a"] > 0.5), sorted(s.reasons["a"])[0]
        (True, 'duplicate texts')
    """
    if posts.empty:
        return BotScores(pd.Series(dtype=float))
    frame = posts if "text_hash" in posts else post_signatures(posts)
    # authors as integer codes (sorted names), every per-author sum a bincount
    code, names = _author_codes(frame["author"])
    n = len(names)
    authors = pd.Index(names, name="author")
    share = frame["share"].to_numpy(dtype=bool)
    t = frame["t"].to_numpy(dtype=float)
    count = np.bincount(code, minlength=n).astype(float)
    signals = pd.DataFrame(index=authors)
    # Duplicates: the share of an author's own texts (reposts aside, 5+ words) that
    # repeat one they posted before. People repeat themselves too (a complaint sent
    # again, a stock "thanks!"): half their texts repeated counts nothing, all of them
    # counts fully.
    own = ~share & (frame["words"].to_numpy() >= 5)
    own_code = code[own]
    repeated = pd.DataFrame({"a": own_code, "h": frame["text_hash"].to_numpy()[own]}
                            ).duplicated().to_numpy(dtype=float)
    own_n = np.bincount(own_code, minlength=n)
    dup = np.divide(np.bincount(own_code, weights=repeated, minlength=n), own_n,
                    out=np.zeros(n), where=own_n > 0)
    signals["duplicate texts"] = np.clip((dup - 0.5) / 0.4, 0.0, 1.0)
    repost = np.bincount(code, weights=share, minlength=n) / count
    signals["share of reposts"] = np.clip((repost - 0.5) / 0.5, 0.0, 1.0)
    # Posting rate (posts per day over the active span) and regularity (coefficient
    # of variation of the gaps: people post in bursts, ≥ 1; schedulers near 0).
    order = np.lexsort((t, code))
    by_code, by_time = code[order], t[order]
    first = np.searchsorted(by_code, np.arange(n), "left")
    last = np.searchsorted(by_code, np.arange(n), "right") - 1
    span_days = (by_time[last] - by_time[first]) / 86400.0
    rate = count / np.maximum(span_days, 1.0)
    signals["posting rate"] = np.clip((rate - 50.0) / 100.0, 0.0, 1.0)
    same = by_code[1:] == by_code[:-1]
    gaps = np.diff(by_time)[same]
    gap_code = by_code[1:][same]
    gap_n = np.bincount(gap_code, minlength=n).astype(float)
    gap_sum = np.bincount(gap_code, weights=gaps, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = gap_sum / gap_n
        var = (np.bincount(gap_code, weights=gaps * gaps, minlength=n)
               - gap_n * mean * mean) / (gap_n - 1.0)
        cv = np.sqrt(np.maximum(var, 0.0)) / np.where(mean > 0, mean, np.nan)
    cv[gap_n < 2] = np.nan  # one gap has no spread (as pandas' std says)
    signals["posting regularity"] = np.nan_to_num(np.clip(1.0 - cv / 0.5, 0.0, 1.0))
    signals["reciprocal repost ring"] = _ring_strength(shares).reindex(authors).fillna(
        0.0).to_numpy()
    if model is not None:
        if profiles is None:
            profiles = pd.DataFrame({"key": [], "followers": [], "created_at": [],
                                     "following": [], "listed": [], "client": []})
        signals["trained model"] = model.strength(
            account_features(frame, profiles).reindex(authors)).to_numpy()
    enough = count >= min_posts
    signals.loc[~enough, :] = 0.0
    weights = np.array([_WEIGHTS.get(c, 1.0) for c in signals.columns])
    likelihood = 1.0 - np.prod(1.0 - signals.to_numpy() * weights, axis=1)
    some = likelihood > 0
    names = signals.columns.tolist()
    reasons = {
        str(k): {name: round(v, 3) for name, v in zip(names, row, strict=True) if v > 0}
        for k, row in zip(signals.index[some], signals.to_numpy(dtype=float)[some].tolist(),
                          strict=True)}
    return BotScores(pd.Series(likelihood, index=signals.index, name="bot_likelihood"),
                     reasons)


def _ring_strength(shares: pd.DataFrame, *, min_each_way: int = 2) -> pd.Series:
    """Per account, how many others it reposts and is reposted by (each at least
    ``min_each_way`` times), as 0–1 (3 such partners: 1)."""
    if shares.empty:
        return pd.Series(dtype=float)
    # accounts as integer codes, a pair as one integer
    src_type, dst_type = shares["src"].dtype, shares["dst"].dtype
    if isinstance(src_type, pd.CategoricalDtype) and src_type == dst_type \
            and not shares[["src", "dst"]].isna().any().any():
        # one categorical over the accounts (what the analysis hands over): its codes
        names = np.asarray(src_type.categories.to_numpy(dtype=object), dtype=object)
        a = shares["src"].cat.codes.to_numpy().astype(np.int64)
        b = shares["dst"].cat.codes.to_numpy().astype(np.int64)
    else:
        src = shares["src"].astype(str).to_numpy(dtype=object)
        codes, names = pd.factorize(np.concatenate([src, shares["dst"].astype(str).to_numpy(
            dtype=object)]))
        a, b = codes[:len(src)].astype(np.int64), codes[len(src):].astype(np.int64)
    n = len(names)
    apart = a != b
    pair, count = np.unique(a[apart] * n + b[apart], return_counts=True)
    pair = pair[count >= min_each_way]
    a, b = pair // n, pair % n
    mutual = a[np.isin(b * n + a, pair)]
    partners = np.bincount(mutual, minlength=n)
    who = np.flatnonzero(partners)
    return pd.Series(np.minimum(partners[who] / 3.0, 1.0), index=pd.Index(names[who]),
                     dtype=float)


# --- the trained model ------------------------------------------------------------


def bot_model_path(location: str) -> Path:
    """Where a trained bot model is kept: beside the database (``scrm bots train``)."""
    p = Path(location)
    return p.parent / (p.name + ".bots.joblib")


def read_labelled(path: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Labelled accounts in the bots-gilani2017 format (one JSON object a line, the
    :data:`MODEL_FEATURES` among its fields, ``label`` ``bot`` or ``human``).

    Returns:
        (features, labels with 1 for bot). A missing feature is NaN.
    """
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    if not rows:
        raise ValueError(f"{path}: no labelled accounts")
    bad = sorted({str(r.get("label")) for r in rows} - {"bot", "human"})
    if bad:
        raise ValueError(f"{path}: labels must be bot or human, found {', '.join(bad)}")
    frame = pd.DataFrame(rows)
    columns: dict[str, Any] = {c: pd.to_numeric(frame.get(c), errors="coerce")
                               for c in MODEL_FEATURES}
    codes = frame.get("source_identity")
    if codes is not None:  # the set's list of client categories, one-hot
        for i in range(CLIENT_CATEGORIES):
            columns[f"client_{i}"] = [float(i in v) if isinstance(v, list) else np.nan
                                      for v in codes]
    features = pd.DataFrame(columns, index=frame.index).astype(float)
    return features, (frame["label"] == "bot").to_numpy(dtype=np.int64)


def account_features(posts: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    """:data:`MODEL_FEATURES` of scrm's own accounts, from their posts and profiles.

    Args:
        posts: One row per post (as :func:`behaviour_scores` reads them): ``author_key``,
            ``kind``, ``created_at``, ``text``; or their :func:`post_signatures`.
        profiles: ``GraphStore.account_profiles`` of those authors: ``key``,
            ``followers``, ``created_at`` (when the account was opened), ``following``,
            ``listed``, ``client``. What a platform does not give is NaN, and the
            model reads it as the training set's median.

    Returns:
        One row per author, indexed by account key.
    """
    if posts.empty:
        return pd.DataFrame(columns=list(MODEL_FEATURES), dtype=float)
    frame = posts if "text_hash" in posts else post_signatures(posts)
    frame = frame.assign(author=frame["author"].astype(str))
    by = frame.groupby("author", sort=True)
    count = by.size()
    out = pd.DataFrame(index=count.index)
    out["user_retweeted"] = by["share"].sum().astype(float)
    out["user_replied"] = by["reply"].sum().astype(float)
    out["user_tweeted"] = count - out["user_retweeted"] - out["user_replied"]
    span_days = (by["t"].max() - by["t"].min()) / 86400.0
    out["tweet_frequency"] = count / span_days.clip(lower=1.0)
    out["urls_count"] = by["urls"].sum().astype(float)
    prof = profiles.drop_duplicates("key").set_index("key").reindex(out.index)
    followers = pd.to_numeric(prof["followers"], errors="coerce")
    following = pd.to_numeric(prof["following"], errors="coerce")
    listed = pd.to_numeric(prof["listed"], errors="coerce")
    out["lists_per_user"] = listed / followers.where(followers > 0)
    out["follower_friend_ratio"] = followers / following.where(following > 0)
    opened = pd.to_datetime(prof["created_at"], utc=True, errors="coerce").dt.tz_localize(None)
    last = pd.to_datetime(by["t"].max(), unit="s")
    out["age_of_account_in_days"] = ((last - opened).dt.total_seconds() / 86400.0).clip(
        lower=0.0)
    category = prof["client"].map(client_category)
    for i in range(CLIENT_CATEGORIES):
        out[f"client_{i}"] = np.where(category.isna(), np.nan, (category == i).astype(float))
    return out.reindex(columns=list(MODEL_FEATURES)).astype(float)


def _design(features: pd.DataFrame, medians: Mapping[str, float]) -> np.ndarray:
    x = features.reindex(columns=list(MODEL_FEATURES)).astype(float)
    x = x.fillna({c: medians.get(c, 0.0) for c in MODEL_FEATURES}).fillna(0.0)
    values = x.to_numpy()
    return np.column_stack([values, np.sign(values) * np.log1p(np.abs(values))])


@dataclass
class BotModel:
    """A random forest on :data:`MODEL_FEATURES` (and their logs), with the decision
    threshold that maximised bot-class F1 out of fold on its training data."""

    forest: Any
    threshold: float
    medians: dict[str, float]

    @classmethod
    def fit(cls, features: pd.DataFrame, labels: np.ndarray, *, seed: int = 0) -> BotModel:
        """Fit on labelled accounts (labels: 1 bot, 0 human)."""
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.metrics import f1_score
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        medians = {c: float(v) for c, v in features.median().items() if pd.notna(v)}
        x = _design(features, medians)

        def forest() -> Any:
            return RandomForestClassifier(
                n_estimators=500, min_samples_leaf=2, class_weight="balanced_subsample",
                random_state=seed, n_jobs=1)

        folds = StratifiedKFold(5, shuffle=True, random_state=seed)
        oof = cross_val_predict(forest(), x, labels, cv=folds, method="predict_proba")[:, 1]
        grid = np.round(np.arange(0.2, 0.65, 0.025), 3)
        threshold = float(max(grid, key=lambda t: f1_score(labels, oof >= t)))
        return cls(forest().fit(x, labels), threshold, medians)

    def probability(self, features: pd.DataFrame) -> np.ndarray:
        """Bot probability per row of ``features``."""
        if not len(features):
            return np.zeros(0)
        return np.asarray(self.forest.predict_proba(_design(features, self.medians))[:, 1])

    def strength(self, features: pd.DataFrame) -> pd.Series:
        """The model's verdict per row as a 0–1 signal: 0 below its threshold, from
        :data:`FLAG_AT` at the threshold up to 1 at probability 1, so the model alone
        flags exactly what it calls a bot."""
        p = self.probability(features)
        room = max(1.0 - self.threshold, 1e-9)
        s = np.where(p >= self.threshold,
                     FLAG_AT + (1.0 - FLAG_AT) * (p - self.threshold) / room, 0.0)
        return pd.Series(s, index=features.index, name="trained model")

    def save(self, path: str | Path) -> None:
        import joblib

        joblib.dump({"forest": self.forest, "threshold": self.threshold,
                     "medians": self.medians}, path)

    @classmethod
    def load(cls, path: str | Path) -> BotModel:
        import joblib

        data = joblib.load(path)
        return cls(data["forest"], float(data["threshold"]), dict(data["medians"]))


def evaluate_labelled(features: pd.DataFrame, labels: np.ndarray, *, seed: int = 0,
                      test_size: float = 0.3, strata: Iterable[str] | None = None
                      ) -> dict[str, Any]:
    """Fit on a stratified split of labelled accounts and measure on the held-out rest.

    Returns:
        ``bot_f1`` (F1 of the bot class at the model's threshold), ``auc`` (ROC AUC),
        ``threshold``, ``train`` and ``test`` sizes, ``features``.
    """
    from sklearn.metrics import f1_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    stratify = labels if strata is None else [f"{s}|{y}" for s, y in
                                              zip(strata, labels, strict=True)]
    train, test = train_test_split(np.arange(len(labels)), test_size=test_size,
                                   stratify=stratify, random_state=seed)
    model = BotModel.fit(features.iloc[train], labels[train], seed=seed)
    p = model.probability(features.iloc[test])
    return {"bot_f1": round(float(f1_score(labels[test], p >= model.threshold)), 4),
            "auc": round(float(roc_auc_score(labels[test], p)), 4),
            "threshold": model.threshold, "train": int(len(train)), "test": int(len(test)),
            "features": list(MODEL_FEATURES)}


# --- the window of posts, kept between runs --------------------------------------

_OVERLAP_S = 86_400.0
"""A warm start reads again the posts of the day before the last run's newest post."""


def bot_cache_path(location: str) -> Path:
    """Where the last run's post signatures are kept: beside the database."""
    p = Path(location)
    return p.parent / (p.name + ".bots.arrow")


def window_signatures(read: Callable[[datetime | None], pd.DataFrame],
                      since: datetime | None, newest: datetime | None, *,
                      cache: Path | None = None, identity: str = "",
                      reuse: bool = True, total: int | None = None
                      ) -> tuple[pd.DataFrame, int]:
    """:func:`post_signatures` of the posts from ``since`` on, incrementally.

    The signatures of the last run's window are kept in ``cache`` (uncompressed Arrow
    beside the database, no texts, only their hashes; it names accounts, so an erasure
    finds the person's handle in it and deletes it). With ``reuse`` and a cache made
    under the same ``identity`` (the analysis window), only the posts from a day before
    the cached newest post on are read, replacing the kept signatures of the posts
    from that time on (no keys are kept: the read gives each of them again); posts
    that fell out of the window are dropped. When the store holds more new posts than
    that read found (``total``, the number of posts now, against the cached number: a
    late import of older posts), the whole window is read again. Authors are kept as
    a categorical (a dictionary in the file), not a string per post.

    Args:
        read: Reads the posts from a time on (``GraphStore.post_frame(since, None)``).
        since: Start of the window (None: every post).
        newest: The newest post's time now.
        total: How many posts the store holds now (None: never reuse the cache).

    Returns:
        (the window's signatures, how many posts were read).
    """
    frame: pd.DataFrame | None = None
    read_count = 0
    if reuse and cache is not None and cache.is_file():
        try:
            with pa.memory_map(str(cache)) as source:
                table = pa.ipc.open_file(source).read_all()
            meta = table.schema.metadata or {}
            if meta.get(b"identity", b"").decode() == identity and b"newest" in meta \
                    and total is not None and b"total" in meta \
                    and table.column_names == list(SIGNATURE_COLUMNS):
                start = datetime.fromtimestamp(float(meta[b"newest"]) - _OVERLAP_S, UTC)
                if since is not None:
                    start = max(start, since)
                posts = read(start)
                read_count = len(posts)
                # the kept posts from ``start`` on are the ones read again (the same
                # arithmetic as post_signatures' ``t``, so the same side of ``start``)
                again = pc.greater_equal(table.column("t"), _seconds(start))
                kept_again = int(pc.sum(again).as_py() or 0)
                # posts stored since the last run all from ``start`` on: nothing older
                # came late
                if total - int(meta[b"total"]) == read_count - kept_again:
                    kept = table.filter(pc.invert(again))
                    frame = _joined(kept, post_signatures(posts)) if read_count \
                        else kept.to_pandas()
        except (OSError, ValueError, KeyError, pa.ArrowException):
            frame = None
    if frame is None:
        posts = read(since)
        read_count = len(posts)
        frame = post_signatures(posts) if len(posts) else pd.DataFrame(
            columns=list(SIGNATURE_COLUMNS))
    if since is not None and len(frame):
        frame = frame[frame["t"].to_numpy(dtype=float) >= since.timestamp()]
    frame = frame.reset_index(drop=True)
    if cache is not None and total is not None:
        _keep(frame, cache, identity, newest, total)
    return frame, read_count


def _seconds(at: datetime) -> float:
    """``at`` as :func:`post_signatures` computes a post's ``t`` from its time (so a
    post at ``at`` or later has a ``t`` at least this)."""
    stamp = pd.Timestamp(at)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return float((np.array([stamp.as_unit("ns").value], dtype=np.int64) / 1e9)[0])


def _joined(kept: pa.Table, fresh: pd.DataFrame) -> pd.DataFrame:
    """Kept and fresh signatures as one frame, authors as one categorical: joined in
    Arrow (the two dictionaries unified there), and each column handed to pandas as
    an array (pandas' union of categoricals and Arrow's own ``to_pandas`` check string
    categories in Python)."""
    fresh_table = pa.Table.from_pandas(fresh.reindex(columns=list(SIGNATURE_COLUMNS)),
                                       preserve_index=False)
    author = pa.chunked_array([kept.column("author").combine_chunks(),
                               fresh_table.column("author").combine_chunks().cast(
                                   kept.schema.field("author").type)]
                              ).unify_dictionaries().combine_chunks()
    rest = pa.concat_tables([kept.drop_columns(["author"]),
                             fresh_table.drop_columns(["author"]).cast(
                                 kept.drop_columns(["author"]).schema)]).combine_chunks()
    return _frame(author, rest)


def _frame(author: pa.DictionaryArray, rest: pa.Table) -> pd.DataFrame:
    """Signatures as a frame: ``author`` a categorical over the dictionary's names,
    the other columns NumPy arrays."""
    categories = pd.Index(np.asarray(author.dictionary.to_numpy(zero_copy_only=False),
                                     dtype=object), dtype=object)
    codes = pc.fill_null(author.indices, -1).to_numpy().astype(np.int64)
    columns: dict[str, Any] = {"author": pd.Categorical.from_codes(
        codes, dtype=pd.CategoricalDtype(categories))}
    for name in rest.column_names:
        columns[name] = rest.column(name).to_numpy()
    return pd.DataFrame(columns)


def _keep(frame: pd.DataFrame, cache: Path, identity: str, newest: datetime | None,
          total: int) -> None:
    frame = frame.reindex(columns=list(SIGNATURE_COLUMNS))
    if isinstance(frame["author"].dtype, pd.CategoricalDtype):  # the window's authors only
        frame = frame.assign(author=frame["author"].cat.remove_unused_categories())
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({
        "identity": identity,
        "newest": repr(newest.timestamp() if newest else 0.0), "total": str(total)})
    part = cache.with_name(cache.name + ".part")
    try:
        with pa.OSFile(str(part), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
            out.write_table(table)
        part.replace(cache)
    except OSError:  # a cache: the next run reads the window again
        part.unlink(missing_ok=True)
