from __future__ import annotations

from pathlib import Path

import pytest

from hybridcx.nlu.classifier import IntentClassifier
from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples


@pytest.fixture(scope="session")
def demo_model() -> IntentClassifier:
    """The demo workspace's model, trained once per test session (~3 s)."""
    return IntentClassifier.train(load_examples(DEMO_INTENTS_PATH))


@pytest.fixture(scope="session")
def saved_demo_model(
    demo_model: IntentClassifier, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return demo_model.save(tmp_path_factory.mktemp("nlu") / "model")
