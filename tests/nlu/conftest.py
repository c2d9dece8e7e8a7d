from __future__ import annotations

import time
from pathlib import Path

import pytest

from hybridcx.nlu.classifier import IntentClassifier
from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples


@pytest.fixture(scope="session")
def demo_model() -> IntentClassifier:
    """The demo workspace's model, trained once per test session (~3 s on a quiet machine)."""
    started = time.perf_counter()
    model = IntentClassifier.train(load_examples(DEMO_INTENTS_PATH))
    DEMO_TRAINING_SECONDS.append(time.perf_counter() - started)
    return model


DEMO_TRAINING_SECONDS: list[float] = []


@pytest.fixture(scope="session")
def saved_demo_model(
    demo_model: IntentClassifier, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return demo_model.save(tmp_path_factory.mktemp("nlu") / "model")
