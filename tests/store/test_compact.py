"""``compact()``: deleted values leave the embedded database's bytes, while other threads
of the process keep reading through the swap; and the erasure rules above the adapters."""

from __future__ import annotations

import threading
from pathlib import Path

from graph.embedded import EmbeddedStore
from graph.erasure import PersonalData, redact_text, scrub_files
from graph.model import Customer
from graph.store import GraphBatch

SECRET = "Ottoline Quarrendon-Vesey"


def test_compact_removes_deleted_bytes_and_keeps_readers_going(tmp_path: Path) -> None:
    db = tmp_path / "c.lbdb"
    with EmbeddedStore(db) as store:
        store.write_batch(GraphBatch(customers=[
            Customer(customer_id="c1", name=SECRET, email="ottoline@example.org"),
            Customer(customer_id="c2", name="Someone Else")]))
        store.forget_customer("c1")
        assert store.get_customer("c1") is None
    assert SECRET.encode() in db.read_bytes()  # LadybugDB keeps deleted values in its pages

    store = EmbeddedStore(db)
    sibling = store.sibling()  # as the server's job runner: the same database object
    errors: list[BaseException] = []
    reads = [0]
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                assert store.get_customer("c2") is not None
                reads[0] += 1
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        assert sibling.compact() is True
    finally:
        stop.set()
        reader.join(timeout=60)
    assert errors == [] and reads[0] > 0
    assert store.get_customer("c2") is not None and sibling.get_customer("c2") is not None
    store.write_batch(GraphBatch(customers=[Customer(customer_id="c3", name="After")]))
    assert sibling.get_customer("c3") is not None
    sibling.close()
    store.close()
    assert SECRET.encode() not in db.read_bytes()
    assert not list(tmp_path.glob("c.lbdb.compact-*"))
    with EmbeddedStore(db, read_only=True) as again:
        assert again.get_customer("c3") is not None


def test_redaction_takes_out_the_person_and_only_them() -> None:
    person = PersonalData.collect(
        {"name": "Gus Grimsby", "email": "gus@example.com"},
        [{"handle": "grumpygus", "display_name": "Gus G", "description": None,
          "user_id": "42"}],
        ["my bike has been broken for five days now"])
    text = ("@grumpygus my bike has been broken for five days now, said GUS GRIMSBY "
            "(gus@example.com); Gusto and grumpygusto stay")
    assert redact_text(text, person) == (
        "@[erased] [erased], said [erased] ([erased]); Gusto and grumpygusto stay")
    assert redact_text(None, person) is None


def test_rejects_lose_only_the_lines_that_hold_them(tmp_path: Path) -> None:
    rejects = tmp_path / "twitter-1.jsonl"
    rejects.write_text('{"raw": "Gus Grimsby wrote"}\n{"raw": "dana wrote"}\n'
                       '{"raw": "GUS@EXAMPLE.COM"}\n')
    person = PersonalData.collect({"name": "Gus Grimsby", "email": "gus@example.com"}, [], [])
    assert scrub_files([rejects], person.file_terms()) == 2
    assert rejects.read_text() == '{"raw": "dana wrote"}\n'
    assert scrub_files([rejects], person.file_terms()) == 0


def test_a_model_their_words_trained_is_deleted_and_another_kept(tmp_path: Path) -> None:
    from analytics.sentiment import TrainedSentimentModel
    from graph.erasure import _erase_from_model

    theirs = "the sprocket hums like a kazoo orchestra at dawn"
    person = PersonalData.collect({"name": "Gus Grimsby"}, [], [theirs])
    others = ["lovely ride today", "terrible app again", "great bikes", "awful support"]
    labels = ["positive", "negative", "positive", "negative"]
    kept, deleted = tmp_path / "kept.joblib", tmp_path / "deleted.joblib"
    TrainedSentimentModel.train(others, labels).save(kept)
    TrainedSentimentModel.train([*others, theirs], [*labels, "negative"]).save(deleted)
    assert "kept" in str(_erase_from_model(kept, person, person.file_terms()))
    assert "deleted" in str(_erase_from_model(deleted, person, person.file_terms()))
    assert kept.exists() and not deleted.exists()
