"""``scrm sentiment``: train, evaluate and use a sentiment model on your own labels."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.common import DbOption, console, fail, settings_for

__all__ = ["app"]

app = typer.Typer(help="Sentiment models: VADER by default, or one trained on your posts.",
                  no_args_is_help=True)

Labelled = Annotated[Path, typer.Argument(
    metavar="CSV", help="Labelled posts: a CSV with columns text,label.")]


def _labelled(path: Path) -> tuple[list[str], list[str]]:
    from analytics.sentiment import parse_label

    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        fail(f"{path}: {exc.strerror}", code=2)
    texts, labels = [], []
    with fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            fail(f"{path}: needs a header with 'text' and 'label' columns", code=2)
        for row in reader:
            try:
                labels.append(parse_label(row["label"]))
            except ValueError as exc:
                fail(f"{path}, line {reader.line_num}, field 'label': {exc}", code=2)
            texts.append(row["text"] or "")
    if not texts:
        fail(f"{path}: no labelled rows", code=2)
    return texts, labels


def _model_path(db: Path | None) -> Path:
    from analytics.job import sentiment_model_path

    return sentiment_model_path(str(settings_for(db).db))


@app.command("train")
def train(labelled: Labelled, db: DbOption = None) -> None:
    """Train on a CSV with columns text,label (positive/negative/neutral or a signed
    number); the model is kept beside the database and used by 'scrm analyze' from then
    on (run it with --rescore-sentiment to rescore old posts)."""
    from analytics.sentiment import TrainedSentimentModel, evaluate

    texts, labels = _labelled(labelled)
    try:
        model = TrainedSentimentModel.train(texts, labels)
    except ValueError as exc:
        fail(str(exc), code=2)
    target = _model_path(db)
    model.save(target)
    scores = evaluate(model, texts, labels)
    console.print(f"trained on {len(texts):,} posts (training accuracy {scores['accuracy']:.3f}); "
                  f"saved to {target}", highlight=False)


@app.command("evaluate")
def evaluate_cmd(labelled: Labelled, db: DbOption = None,
                 vader: Annotated[bool, typer.Option(
                     "--vader", help="Evaluate VADER even if a trained model exists.")] = False,
                 as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
                 ) -> None:
    """Accuracy, macro F1 and the confusion matrix of the current model on labelled posts."""
    from analytics.sentiment import TrainedSentimentModel, VaderScorer, evaluate

    texts, labels = _labelled(labelled)
    path = _model_path(db)
    model: Any = VaderScorer() if vader or not path.exists() else TrainedSentimentModel.load(
        path)
    result = evaluate(model, texts, labels)
    result["model"] = "vader" if isinstance(model, VaderScorer) else str(path)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    console.print(f"model {result['model']} on {result['n']:,} posts: accuracy "
                  f"{result['accuracy']:.3f}, macro F1 {result['macro_f1']:.3f}",
                  highlight=False)
    console.print("confusion (rows = truth, columns = predicted): " + ", ".join(
        f"{label}: {row}" for label, row in zip(result["labels"], result["confusion"],
                                                strict=True)), highlight=False)


@app.command("score")
def score(file: Annotated[Path, typer.Argument(
    metavar="FILE", help="Text, one post per line; '-' reads standard input.")],
          db: DbOption = None) -> None:
    """Print one score in [-1, 1] per input line."""
    from analytics.sentiment import TrainedSentimentModel, VaderScorer

    path = _model_path(db)
    model: Any = TrainedSentimentModel.load(path) if path.exists() else VaderScorer()
    try:
        lines = (sys.stdin if str(file) == "-" else file.open(encoding="utf-8")).read()
    except OSError as exc:
        fail(f"{file}: {exc.strerror}", code=2)
    texts = lines.splitlines()
    for value in model.score(texts):
        print(f"{value:.4f}")
