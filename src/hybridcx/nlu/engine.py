"""One call that understands a message: intent, entities and sentiment together."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from hybridcx.nlu.classifier import IntentClassifier, IntentPrediction
from hybridcx.nlu.entities import Entity, extract_entities
from hybridcx.nlu.sentiment_model import (
    SentimentAnalyzer,
    SentimentReading,
    load_packaged_analyzer,
)


@dataclass(frozen=True)
class MessageAnalysis:
    """Everything the NLU knows about one customer message."""

    text: str
    intent: IntentPrediction
    entities: list[Entity]
    sentiment: SentimentReading

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "intent": self.intent.intent,
            "confidence": round(self.intent.confidence, 4),
            "out_of_scope": self.intent.out_of_scope,
            "ranking": [[name, round(p, 4)] for name, p in self.intent.ranking],
            "similarity": round(self.intent.similarity, 4),
            "entities": [asdict(e) for e in self.entities],
            "sentiment": self.sentiment.to_dict(),
        }


class NLUEngine:
    """Pipeline step: pure, built once with a trained classifier, then `analyze` per message."""

    def __init__(
        self,
        classifier: IntentClassifier,
        *,
        sentiment: SentimentAnalyzer | None = None,
        phone_region: str = "US",
    ) -> None:
        self.classifier = classifier
        self.sentiment = sentiment or load_packaged_analyzer(classifier.embedder)
        self.phone_region = phone_region

    def analyze(self, text: str, *, now: datetime) -> MessageAnalysis:
        return MessageAnalysis(
            text=text,
            intent=self.classifier.predict(text),
            entities=extract_entities(text, now=now, region=self.phone_region),
            sentiment=self.sentiment.read(text),
        )
