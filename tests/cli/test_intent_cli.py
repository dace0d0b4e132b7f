"""``scrm intent`` and ``scrm sentiment evaluate``: label handling and metrics end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from clirun import scrm

from api.cli import app


class _Result:
    """What one ``scrm`` run through ``main()`` printed, as the tests read it."""

    def __init__(self, args: list[str]) -> None:
        run = scrm(*args)
        self.exit_code, self.stdout, self.output = run.code, run.out, run.out + run.err


class _Runner:
    @staticmethod
    def invoke(_app: object, args: list[str]) -> _Result:
        return _Result(args)


runner = _Runner()


def _csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def _rows() -> list[tuple[str, str]]:
    complaints = [f"my order {i} never arrived, terrible service" for i in range(12)]
    questions = [f"how do I reset the device number {i}?" for i in range(12)]
    praise = [f"thanks, the new app {i} is great" for i in range(12)]
    return ([(t, "complaint") for t in complaints] + [(t, "question") for t in questions]
            + [(t, "praise") for t in praise])


def test_intent_train_evaluate_score(tmp_path: Path) -> None:
    db = str(tmp_path / "t.lbdb")
    data = _csv(tmp_path / "train.csv", _rows())
    result = runner.invoke(app, ["intent", "train", str(data), "--db", db])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "t.lbdb.intent.joblib").exists()
    result = runner.invoke(app, ["intent", "evaluate", str(data), "--db", db, "--json"])
    report = json.loads(result.stdout)
    assert report["n"] == 36 and report["accuracy"] == 1.0
    assert report["labels"] == ["complaint", "praise", "question"]
    assert report["confusion"] == [[12, 0, 0], [0, 12, 0], [0, 0, 12]]
    assert report["decision"] == "predicted class"
    lines = tmp_path / "posts.txt"
    lines.write_text("my order never arrived\nhow do I reset it?\n", encoding="utf-8")
    result = runner.invoke(app, ["intent", "score", str(lines), "--db", db, "--json"])
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert [r["model_label"] for r in rows] == ["complaint", "question"]
    assert rows[0]["evidence"] == {"complaint": ["never arrived"]}


def test_intent_labels_are_class_names_even_when_numbers(tmp_path: Path) -> None:
    db = str(tmp_path / "t.lbdb")
    rows = [(t, "1" if label == "complaint" else "0") for t, label in _rows()]
    data = _csv(tmp_path / "train.csv", rows)
    assert runner.invoke(app, ["intent", "train", str(data), "--db", db]).exit_code == 0
    report = json.loads(runner.invoke(
        app, ["intent", "evaluate", str(data), "--db", db, "--json"]).stdout)
    assert report["classes"] == ["0", "1"] and report["confusion"] == [[24, 0], [0, 12]]


def test_intent_rules_known_answer(tmp_path: Path) -> None:
    # Rule flags rows 0 and 2; truth complaint = rows 0, 1 -> confusion [[1, 1], [1, 1]].
    data = _csv(tmp_path / "x.csv", [("the app crashed", "1"), ("meh", "1"),
                                     ("it is broken lol", "0"), ("nice day", "0")])
    result = runner.invoke(app, ["intent", "evaluate", str(data), "--rules", "complaint",
                                 "--positive", "1", "--json", "--db", str(tmp_path / "d")])
    report = json.loads(result.stdout)
    assert report["confusion"] == [[1, 1], [1, 1]]
    assert report["macro_f1"] == pytest.approx(0.5)


def test_intent_without_model_says_what_to_do(tmp_path: Path) -> None:
    data = _csv(tmp_path / "x.csv", [("a", "b")])
    result = runner.invoke(app, ["intent", "evaluate", str(data), "--db",
                                 str(tmp_path / "d")])
    assert result.exit_code == 2 and "scrm intent train" in result.output


def test_sentiment_class_ids_need_labels(tmp_path: Path) -> None:
    data = _csv(tmp_path / "s.csv", [("I love it", "2"), ("I hate it", "0"),
                                     ("it is a table", "1")])
    db = str(tmp_path / "d")
    result = runner.invoke(app, ["sentiment", "evaluate", str(data), "--db", db, "--vader"])
    assert result.exit_code == 2 and "--labels negative,neutral,positive" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = runner.invoke(app, ["sentiment", "evaluate", str(data), "--db", db, "--vader",
                                 "--labels", "negative,neutral,positive", "--json"])
    report = json.loads(result.stdout)
    assert report["confusion"] == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]


def test_sentiment_two_class_file_averages_over_two(tmp_path: Path) -> None:
    # VADER: love +, hate -, awful -, "it is ok" + (0.296). Truth has no neutral.
    # negative: p 2/2, r 2/3, F1 0.8; positive: p 1/2, r 1, F1 2/3 -> macro 0.7333
    # (averaging a neutral F1 of 0 in would give 0.4889).
    data = _csv(tmp_path / "s.csv", [("I love it", "positive"), ("I hate it", "negative"),
                                     ("this is awful", "negative"),
                                     ("it is ok", "negative")])
    result = runner.invoke(app, ["sentiment", "evaluate", str(data), "--db",
                                 str(tmp_path / "d"), "--vader", "--json"])
    report = json.loads(result.stdout)
    assert report["classes"] == ["negative", "positive"]
    assert report["confusion"] == [[2, 0, 1], [0, 0, 0], [0, 0, 1]]
    assert report["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert report["macro_recall"] == pytest.approx((2 / 3 + 1) / 2)
    assert report["labels"] == ["negative", "neutral", "positive"]
    # the same figures in words, printed as intent evaluate prints them
    text = runner.invoke(app, ["sentiment", "evaluate", str(data), "--db",
                               str(tmp_path / "d"), "--vader"])
    assert text.exit_code == 0
    lines = text.stdout.strip().splitlines()
    assert lines[0].startswith("model vader on 4 posts: accuracy 0.750, macro F1 0.733")
    assert "decision: compound score's ±0.05 band" in lines[0]
    assert lines[1].strip() == "negative: precision 1.000, recall 0.667, F1 0.800, 3 posts"
    assert lines[-1].startswith("confusion (rows = truth, columns = predicted): negative:")
