"""``scrm sentiment``: train, evaluate and use a sentiment model on your own labels."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.common import DbOption, console, fail, print_evaluation, settings_for

__all__ = ["app"]

app = typer.Typer(help="Sentiment models: VADER by default, or one trained on your posts.",
                  no_args_is_help=True)

Labelled = Annotated[Path, typer.Argument(
    metavar="CSV", help="Labelled posts: a CSV with columns text,label.")]


LabelsOption = Annotated[str | None, typer.Option(
    "--labels", metavar="NAMES",
    help="What class ids 0,1,2... mean, in order, e.g. negative,neutral,positive "
         "(needed when the label column holds class ids rather than names or signs).")]


def _labelled(path: Path, names: str | None) -> tuple[list[str], list[str]]:
    from analytics.sentiment import parse_labels
    from analytics.understanding.labelled import read_labelled

    try:
        texts, raw = read_labelled(path)
        labels = parse_labels(raw, [n.strip() for n in names.split(",")] if names else None)
    except ValueError as exc:
        fail(f"{path}: {exc}" if not str(exc).startswith(str(path)) else str(exc), code=2)
    return texts, labels


def _model_path(db: Path | None) -> Path:
    from analytics.job import sentiment_model_path

    return sentiment_model_path(str(settings_for(db).db))


@app.command("train")
def train(labelled: Labelled, db: DbOption = None, labels_names: LabelsOption = None) -> None:
    """Train on a CSV with columns text,label (positive/negative/neutral or a signed
    number); the model is kept beside the database and used by 'scrm analyze' from then
    on (run it with --rescore-sentiment to rescore old posts)."""
    from analytics.sentiment import TrainedSentimentModel, evaluate

    texts, labels = _labelled(labelled, labels_names)
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
def evaluate_cmd(labelled: Labelled, db: DbOption = None, labels_names: LabelsOption = None,
                 vader: Annotated[bool, typer.Option(
                     "--vader", help="Evaluate VADER even if a trained model exists.")] = False,
                 as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
                 ) -> None:
    """Accuracy, macro F1/recall over the classes the file holds, per-class figures and
    the confusion matrix of the current model (its predicted classes) on labelled posts."""
    from analytics.sentiment import TrainedSentimentModel, VaderScorer, evaluate

    texts, labels = _labelled(labelled, labels_names)
    path = _model_path(db)
    model: Any = VaderScorer() if vader or not path.exists() else TrainedSentimentModel.load(
        path)
    result = evaluate(model, texts, labels)
    if isinstance(model, VaderScorer):
        result["model"], result["decision"] = "vader", "compound score's ±0.05 band"
    else:
        result["model"], result["decision"] = str(path), model.classifier.decision
    print_evaluation(result, as_json=as_json)


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
