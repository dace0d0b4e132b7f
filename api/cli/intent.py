"""``scrm intent``: train, evaluate and use an intent model on your own labels."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli.common import DbOption, console, fail, print_evaluation, settings_for

if TYPE_CHECKING:
    from analytics.understanding.model import TextClassifier

__all__ = ["app"]

app = typer.Typer(help="Intents (complaint, question, suggestion, ...): rules by default, "
                       "or a model trained on your labelled posts.", no_args_is_help=True)

RulesOption = Annotated[str | None, typer.Option(
    "--rules", metavar="INTENT",
    help="Evaluate the built-in rule for this intent (e.g. complaint) instead of a model: "
         "a post is that intent when the rule flags it.")]
PositiveOption = Annotated[str | None, typer.Option(
    "--positive", metavar="LABEL",
    help="With --rules: the label value that means the intent (e.g. 1); every other "
         "label means 'other'.")]


Labelled = Annotated[Path, typer.Argument(
    metavar="CSV", help="Labelled posts: a CSV with columns text,label.")]


def _labelled(path: Path) -> tuple[list[str], list[str]]:
    from analytics.understanding.labelled import read_labelled

    try:
        return read_labelled(path)
    except ValueError as exc:
        fail(str(exc), code=2)


def _model_path(db: Path | None) -> Path:
    from analytics.understanding.model import intent_model_path

    return intent_model_path(str(settings_for(db).db))


def _load(path: Path) -> TextClassifier:
    from analytics.understanding.model import TextClassifier

    if not path.exists():
        fail(f"no intent model at {path}: train one with 'scrm intent train FILE.csv' "
             "(or evaluate the rules with --rules NAME --positive LABEL)", code=2)
    try:
        return TextClassifier.load(path)
    except ValueError as exc:
        fail(str(exc), code=2)


@app.command("train")
def train(labelled: Labelled, db: DbOption = None) -> None:
    """Train on a CSV with columns text,label (labels are class names, whatever they look
    like: complaint, 0, 1; two classes or many). The model is kept beside the database."""
    from analytics.understanding.model import TextClassifier

    texts, labels = _labelled(labelled)
    try:
        model = TextClassifier.train(texts, labels)
    except ValueError as exc:
        fail(f"{labelled}: {exc}", code=2)
    target = _model_path(db)
    model.save(target)
    counts = ", ".join(f"{k} {v:,}" for k, v in model.trained_on.items())
    console.print(f"trained on {len(texts):,} posts ({counts}); decision: {model.decision}; "
                  f"saved to {target}", highlight=False)


@app.command("evaluate")
def evaluate_cmd(labelled: Labelled, db: DbOption = None, rules: RulesOption = None,
                 positive: PositiveOption = None,
                 as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
                 ) -> None:
    """Accuracy, macro F1/recall over the classes the file holds, per-class figures and the
    confusion matrix of the trained model (or of one rule with --rules) on labelled posts."""
    from analytics.understanding import classification_report, score_intents
    from analytics.understanding.intents import DEFAULT_INTENTS

    texts, labels = _labelled(labelled)
    if rules is not None:
        names = [r.name for r in DEFAULT_INTENTS]
        if rules not in names:
            fail(f"no rule named {rules!r}; the rules are {', '.join(names)}", code=2)
        if positive is None:
            fail("--rules needs --positive LABEL: the label value that means "
                 f"{rules!r}", code=2)
        scored = score_intents(texts, [r for r in DEFAULT_INTENTS if r.name == rules])
        predicted = [rules if f else "other" for f in scored.flags[:, 0]]
        truth = [rules if v == positive else "other" for v in labels]
        result: dict[str, Any] = classification_report(truth, predicted,
                                                       labels=[rules, "other"])
        result["model"] = f"rules:{rules}"
        result["decision"] = "the rule's flag"
    else:
        path = _model_path(db)
        model = _load(path)
        result = classification_report(labels, model.predict(texts), labels=model.classes)
        result["model"] = str(path)
        result["decision"] = model.decision
    print_evaluation(result, as_json=as_json)


@app.command("score")
def score(file: Annotated[Path, typer.Argument(
        metavar="FILE", help="Text, one post per line; '-' = stdin")],
          db: DbOption = None,
          as_json: Annotated[bool, typer.Option(
              "--json", help="One JSON object per line: language, sentiment, intents, "
                             "the cues behind them, and the trained model's class.")] = False
          ) -> None:
    """Print each line's intents: the trained model's class and the features behind it
    when a model exists, else the rules' intents (|-joined) and the words behind them."""
    from analytics.understanding import understand

    try:
        with (sys.stdin if str(file) == "-" else file.open(encoding="utf-8")) as fh:
            texts = fh.read().splitlines()
    except OSError as exc:
        fail(f"{file}: {exc.strerror}", code=2)
    path = _model_path(db)
    model = _load(path) if path.exists() else None
    frame = understand(texts, intent_model=model)
    for i, text in enumerate(texts):
        row = frame.iloc[i]
        evidence = json.loads(row["intent_evidence"])
        if as_json:
            out: dict[str, Any] = {
                "language": row["language"], "sentiment_label": row["sentiment_label"],
                "intents": [x for x in row["intents"].split("|") if x],
                "evidence": evidence}
            if model is not None:
                out["model_label"] = row["intent_model_label"]
                out["model_features"] = [f for f, _ in model.explain(text)]
            print(json.dumps(out, ensure_ascii=False))
        elif model is not None:
            print(f"{row['intent_model_label']}\t" + ", ".join(
                f for f, _ in model.explain(text)))
        else:
            print(f"{row['intents'] or '-'}\t" + "; ".join(
                f"{k}: {', '.join(v)}" for k, v in evidence.items()))
