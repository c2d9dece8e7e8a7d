from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from hybridcx.nlu.classifier import IntentClassifier
from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples
from hybridcx.nlu.errors import ModelIntegrityError, ModelNotFoundError, TrainingDataError


@pytest.mark.parametrize(
    ("text", "intent", "min_confidence"),
    [
        ("What are your opening hours?", "opening_hours", 0.7),
        ("Where is my order?", "order_status", 0.7),
        ("I forgot my password", "password_reset", 0.5),
        ("I'd like to book an appointment", "book_appointment", 0.5),
        # Paraphrases that are not in the examples:
        ("what time do you guys shut on weekends", "opening_hours", 0.5),
        ("my parcel still hasn't turned up", "order_status", 0.5),
        ("i cant sign in, need to reset my pw", "password_reset", 0.5),
    ],
)
def test_demo_intents(demo_model: IntentClassifier, text: str, intent: str, min_confidence: float):
    p = demo_model.predict(text)
    assert p.intent == intent, p
    assert not p.out_of_scope
    assert p.confidence >= min_confidence
    assert p.ranking[0][0] == intent


@pytest.mark.parametrize(
    "text", ["asdkj qwe zzz", "qwerty uiop lkjh", "what's the weather in Paris"]
)
def test_gibberish_and_off_topic_are_out_of_scope(demo_model: IntentClassifier, text: str):
    p = demo_model.predict(text)
    assert p.out_of_scope or p.confidence < 0.7, p
    if p.out_of_scope:
        assert p.intent is None


def test_ranking_is_sorted_probabilities(demo_model: IntentClassifier):
    p = demo_model.predict("Can I return these boots?")
    probs = [prob for _, prob in p.ranking]
    assert probs == sorted(probs, reverse=True)
    assert all(0.0 <= x <= 1.0 for x in probs)
    assert np.isclose(demo_model.predict_proba(["hi"]).sum(), 1.0)


def test_demo_has_enough_intents_and_examples():
    examples = load_examples(DEMO_INTENTS_PATH)
    per_intent: dict[str, int] = {}
    for _, label in examples:
        per_intent[label] = per_intent.get(label, 0) + 1
    per_intent.pop("oos", None)
    assert len(per_intent) >= 20
    assert min(per_intent.values()) >= 15


def test_save_load_round_trip_gives_identical_predictions(
    demo_model: IntentClassifier, saved_demo_model: Path
):
    loaded = IntentClassifier.load(saved_demo_model)
    texts = ["Where is my order?", "asdkj qwe zzz", "refund for my tent please", "hello"]
    for text in texts:
        assert loaded.predict(text) == demo_model.predict(text)
    assert np.array_equal(loaded.predict_proba(texts), demo_model.predict_proba(texts))
    assert loaded.temperature == demo_model.temperature
    assert loaded.thresholds == demo_model.thresholds


def test_saved_model_contains_no_pickle(saved_demo_model: Path):
    files = sorted(p.name for p in saved_demo_model.iterdir())
    assert files == ["arrays.npz", "model.json"]
    with zipfile.ZipFile(saved_demo_model / "arrays.npz") as npz:
        for name in npz.namelist():
            header = npz.read(name)[:128]
            assert b"'descr': '|O'" not in header  # object arrays would need pickle
    with np.load(saved_demo_model / "arrays.npz", allow_pickle=False) as arrays:
        assert all(arrays[key].dtype != object for key in arrays.files)


def test_tampered_model_is_refused(saved_demo_model: Path, tmp_path: Path):
    copy = tmp_path / "model"
    copy.mkdir()
    (copy / "model.json").write_bytes((saved_demo_model / "model.json").read_bytes())
    data = bytearray((saved_demo_model / "arrays.npz").read_bytes())
    data[-200] ^= 0xFF
    (copy / "arrays.npz").write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError):
        IntentClassifier.load(copy)


def test_missing_model_dir_is_a_typed_error(tmp_path: Path):
    with pytest.raises(ModelNotFoundError, match="hybridcx nlu train"):
        IntentClassifier.load(tmp_path / "nope")


def test_training_needs_two_intents():
    with pytest.raises(TrainingDataError):
        IntentClassifier.train([("hello", "greeting"), ("hi", "greeting")])


def test_demo_training_is_fast(demo_model: IntentClassifier):
    from tests.nlu.conftest import DEMO_TRAINING_SECONDS

    assert DEMO_TRAINING_SECONDS and DEMO_TRAINING_SECONDS[0] < 60


def test_oos_class_in_training_data_is_used():
    examples = [(f"where is order {n}", "order_status") for n in range(1000, 1012)]
    examples += [(f"reset my password please {w}", "password_reset") for w in "abcdefghijkl"]
    examples += [
        (t, "oos")
        for t in [
            "what's the weather",
            "tell me a joke",
            "who won the game",
            "play some music",
            "how tall is everest",
            "what is 2 plus 2",
            "translate hello to french",
            "set an alarm",
            "book a flight to rome",
            "what's the capital of peru",
            "recommend a movie",
            "how do I cook rice",
        ]
    ]
    model = IntentClassifier.train(examples)
    assert "oos" in model.labels
    p = model.predict("is it going to rain tomorrow")
    assert p.out_of_scope and p.intent is None
    assert all(name != "oos" for name, _ in p.ranking)
    assert model.predict("where is order 1005").intent == "order_status"
