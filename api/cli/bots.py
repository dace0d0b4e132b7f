"""``scrm bots``: accounts flagged as bots, a person's decision on them, and the
classifier trained on labelled accounts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.common import DbOption, console, fail, open_for, open_reader, settings_for

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["app"]

app = typer.Typer(help="Bots: who is flagged and why, your decisions, a trained model.",
                  no_args_is_help=True)


def model_path(db: Path | None) -> Path:
    """Where a trained bot model is kept: beside the database (the analysis reads it)."""
    from analytics.bots import bot_model_path

    return bot_model_path(str(settings_for(db).db))


def _labelled(path: Path) -> tuple[pd.DataFrame, np.ndarray, list[str] | None]:
    from analytics.bots import read_labelled

    try:
        features, labels = read_labelled(path)
        bands = [str(json.loads(line).get("band", "")) for line in
                 path.read_text().splitlines() if line.strip()]
    except OSError as exc:
        fail(f"{path}: {exc.strerror}", code=2)
    except ValueError as exc:
        fail(str(exc), code=2)
    return features, labels, bands if any(bands) else None


Labelled = Annotated[Path, typer.Argument(
    metavar="JSONL",
    help="Labelled accounts, one JSON object per line (bots-gilani2017 format).")]


@app.command("train")
def train(labelled: Labelled, db: DbOption = None,
          seed: Annotated[int, typer.Option(metavar="N", help="Random forest seed.")] = 0,
          ) -> None:
    """Train on labelled accounts (JSON lines in the bots-gilani2017 format); the model
    is kept beside the database."""
    from analytics.bots import BotModel

    features, labels, _ = _labelled(labelled)
    model = BotModel.fit(features, labels, seed=seed)
    target = model_path(db)
    model.save(target)
    console.print(f"trained on {len(labels):,} accounts (threshold {model.threshold}); "
                  f"saved to {target}", highlight=False)


@app.command("evaluate")
def evaluate(labelled: Labelled,
             seed: Annotated[int, typer.Option(metavar="N", help="Split and forest seed.")] = 0,
             test_size: Annotated[float, typer.Option(
                 min=0.05, max=0.9, metavar="FRACTION", help="Share held out.")] = 0.3,
             as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
             ) -> None:
    """Bot-class F1 and ROC AUC on a held-out split (stratified by label, and by
    popularity band where the file has one) of labelled accounts."""
    from analytics.bots import evaluate_labelled

    features, labels, bands = _labelled(labelled)
    result = evaluate_labelled(features, labels, seed=seed,
                               test_size=test_size, strata=bands)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    console.print(f"held out {result['test']:,} of {result['train'] + result['test']:,}: "
                  f"bot F1 {result['bot_f1']:.3f}, ROC AUC {result['auc']:.3f}",
                  highlight=False)


@app.command("list")
def list_bots(db: DbOption = None,
              as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
              ) -> None:
    """Accounts the latest analysis flagged as bots (kept out of rankings), with reasons."""
    with open_reader(db) as store:
        run = store.latest_run()
    bots = (run.stats if run else {}).get("bots", [])
    if as_json:
        print(json.dumps(bots, indent=2))
        return
    if not bots:
        console.print("no account flagged as a bot in the latest analysis")
    for b in bots:
        why = ", ".join(f"{k} {v:.2f}" for k, v in b["reasons"].items()) or "your decision"
        console.print(f"{b['key']}  {b['likelihood']:.2f}  {why}", highlight=False)


@app.command("decide")
def decide(account: Annotated[str, typer.Argument(
               metavar="PLATFORM:HANDLE", help="The account, e.g. twitter:somebody.")],
           bot: Annotated[bool, typer.Option("--bot/--human",
                                             help="Is a bot / is not a bot.")],
           db: DbOption = None) -> None:
    """Record a person's decision on an account; it wins over the likelihood from the
    next analysis on."""
    with open_for(db) as store:
        decisions = json.loads(store.get_settings().get("bots.decisions", "{}"))
        decisions[account.lower()] = "bot" if bot else "human"
        store.set_brand([a.key for a in store.brand_accounts()],
                        {"bots.decisions": json.dumps(decisions, sort_keys=True)})
    console.print(f"{account}: {'a bot' if bot else 'not a bot'} (from the next "
                  "'scrm analyze' on)", highlight=False)
