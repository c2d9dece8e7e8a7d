"""NLU engine: intents with calibrated confidence and out-of-scope detection, entities,
sentiment. Pure: no database, no web, no settings; callers pass paths and `now`.

Names are imported lazily so that `hybridcx --help` does not pay for numpy/scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ClassifierConfig": "classifier",
    "IntentClassifier": "classifier",
    "IntentPrediction": "classifier",
    "DEMO_INTENTS_PATH": "data",
    "load_examples": "data",
    "MiniLMEmbedder": "embeddings",
    "TextEmbedder": "embeddings",
    "default_model_files": "embeddings",
    "MessageAnalysis": "engine",
    "NLUEngine": "engine",
    "Entity": "entities",
    "extract_entities": "entities",
    "ModelIntegrityError": "errors",
    "ModelNotFoundError": "errors",
    "NLUError": "errors",
    "TrainingDataError": "errors",
    "Sentiment": "sentiment",
    "SentimentTrend": "sentiment",
    "analyze_sentiment": "sentiment",
    "sentiment_trend": "sentiment",
    "SentimentAnalyzer": "sentiment_model",
    "SentimentModel": "sentiment_model",
    "SentimentReading": "sentiment_model",
    "load_packaged_analyzer": "sentiment_model",
    "OOSThresholds": "thresholds",
}
__all__ = [
    "ClassifierConfig",
    "DEMO_INTENTS_PATH",
    "Entity",
    "IntentClassifier",
    "IntentPrediction",
    "MessageAnalysis",
    "MiniLMEmbedder",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "NLUEngine",
    "NLUError",
    "OOSThresholds",
    "Sentiment",
    "SentimentAnalyzer",
    "SentimentModel",
    "SentimentReading",
    "SentimentTrend",
    "TextEmbedder",
    "TrainingDataError",
    "analyze_sentiment",
    "default_model_files",
    "extract_entities",
    "load_examples",
    "load_packaged_analyzer",
    "sentiment_trend",
]

if TYPE_CHECKING:
    from hybridcx.nlu.classifier import ClassifierConfig, IntentClassifier, IntentPrediction
    from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples
    from hybridcx.nlu.embeddings import MiniLMEmbedder, TextEmbedder, default_model_files
    from hybridcx.nlu.engine import MessageAnalysis, NLUEngine
    from hybridcx.nlu.entities import Entity, extract_entities
    from hybridcx.nlu.errors import (
        ModelIntegrityError,
        ModelNotFoundError,
        NLUError,
        TrainingDataError,
    )
    from hybridcx.nlu.sentiment import (
        Sentiment,
        SentimentTrend,
        analyze_sentiment,
        sentiment_trend,
    )
    from hybridcx.nlu.sentiment_model import (
        SentimentAnalyzer,
        SentimentModel,
        SentimentReading,
        load_packaged_analyzer,
    )
    from hybridcx.nlu.thresholds import OOSThresholds


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hybridcx.nlu' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hybridcx.nlu.{module}"), name)
