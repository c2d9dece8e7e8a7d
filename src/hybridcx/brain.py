"""Connects the NLU engine to the pipeline's Understander and SentimentScorer protocols, and
loads (or first trains) the workspace model at start."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from hybridcx.kit.ids import utcnow
from hybridcx.pipeline.steps.assess import SentimentScore
from hybridcx.pipeline.steps.understand import RequestPart, Understanding

if TYPE_CHECKING:
    from hybridcx.nlu.classifier import IntentClassifier
    from hybridcx.nlu.sentiment_model import SentimentAnalyzer

log = structlog.get_logger(__name__)

# One-time codes the flows send are six digits; the NLU's order-number rule would claim them.
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
# Where one message may hold several requests.
_PARTS = re.compile(
    r"[.?!;]+\s+|,?\s+\b(?:and also|also|and then|plus|another thing|as well)\b\s*|,?\s+and\s+(?=(?:can|could|i|my|where|when|how|what|why|is|do|please"
    # ...or "and" before a request verb ("where is my order and reset password").
    r"|reset|change|cancel|update|track|check|book|return|refund|send|show|tell)\b)",
    re.IGNORECASE,
)
#: Shorter clauses ("thanks", "hi") are not requests of their own; two words can be
#: ("reset password", "track order").
PART_MIN_WORDS = 2
PART_MIN_CONFIDENCE = 0.7


class NluUnderstander:
    """Understander over the trained IntentClassifier and the entity extractor."""

    def __init__(self, classifier: IntentClassifier, *, phone_region: str = "US") -> None:
        self.classifier = classifier
        self.phone_region = phone_region

    def understand(self, text: str, *, now: datetime | None = None) -> Understanding:
        from hybridcx.nlu.entities import extract_entities

        prediction = self.classifier.predict(text)
        entities: dict[str, list[Any]] = {}
        for entity in extract_entities(text, now=now or utcnow(), region=self.phone_region):
            if entity.valid:
                entities.setdefault(str(entity.type), []).append(entity.value)
        codes = _CODE.findall(text)
        if codes:
            entities["code"] = codes
        parts = self._parts(text)
        return Understanding(
            intent=prediction.intent,
            confidence=prediction.confidence,
            out_of_scope=prediction.out_of_scope,
            ranking=list(prediction.ranking),
            entities=entities,
            part_intents=[p.intent for p in parts if p.intent],
            parts=parts,
        )

    def _parts(self, text: str) -> list[RequestPart]:
        """Classify each clause of a multi-part message; distinct confident intents in order."""
        clauses = message_parts(text)
        if len(clauses) < 2:
            return []
        found: list[RequestPart] = []
        for clause, prediction in zip(clauses, self.classifier.predict_many(clauses), strict=True):
            confident = prediction.confidence >= PART_MIN_CONFIDENCE and not prediction.out_of_scope
            known = {p.intent for p in found}
            if confident and prediction.intent and prediction.intent not in known:
                found.append(RequestPart(clause, prediction.intent, prediction.confidence))
            elif not confident:
                found.append(RequestPart(clause, None, prediction.confidence))
        return found


def message_parts(text: str) -> list[str]:
    """The clauses of a message long enough to classify on their own."""
    return [p.strip() for p in _PARTS.split(text) if p and len(p.split()) >= PART_MIN_WORDS]


def texts_to_encode(text: str, classifier: IntentClassifier | None = None) -> list[str]:
    """What the model steps embed for one customer message: the message, and its clauses when
    it holds several requests (the service embeds them in one batch before the turn). With the
    intent ``classifier``, also the texts as it reads them when it repairs a typo in them (the
    knowledge search and sentiment read the text as written)."""
    parts = message_parts(text)
    texts = [text, *parts] if len(parts) >= 2 else [text]
    if classifier is not None:
        texts += [r for r, t in zip(classifier.repaired(texts), texts, strict=True) if r != t]
    return texts


class NluSentiment:
    """SentimentScorer over the trained sentiment and emotion model (hybridcx.nlu.sentiment_model).

    Readings of texts read without a precomputed vector are kept (a bounded cache): each turn
    also reads the customer's earlier messages for the trend."""

    def __init__(self, analyzer: SentimentAnalyzer, *, cache_size: int = 2048) -> None:
        self.analyzer = analyzer
        self._cache: OrderedDict[str, SentimentScore] = OrderedDict()
        self._cache_size = cache_size

    def score(self, text: str, *, embedding: Any = None) -> SentimentScore:
        found = self._cache.get(text)
        if found is not None:
            self._cache.move_to_end(text)
            return found
        reading = self.analyzer.read(text, embedding=embedding)
        found = SentimentScore(
            polarity=reading.score,
            upset=reading.upset,
            upset_threshold=self.analyzer.model.upset_threshold,
            emotion=reading.emotion,
            emotions=reading.emotions,
            label=reading.label,
        )
        self._cache[text] = found
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return found


@dataclass(frozen=True)
class Brain:
    understander: NluUnderstander
    sentiment: NluSentiment


def load_brain(model_dir: Path, *, training_data: Path | None = None) -> Brain:
    """Load the intent model from ``model_dir``; if there is none yet, train it from
    ``training_data`` (default: the demo company's intents) and save it there first."""
    from hybridcx.nlu.classifier import IntentClassifier
    from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples

    if not (model_dir / "model.json").exists():
        source = training_data or DEMO_INTENTS_PATH
        started = time.perf_counter()
        log.info("nlu.training", data=str(source), out=str(model_dir))
        # Several processes may start at once on one data dir: each trains into its own folder
        # and the first to finish moves it into place (a rename is atomic).
        scratch = model_dir.with_name(f".{model_dir.name}.{os.getpid()}.tmp")
        shutil.rmtree(scratch, ignore_errors=True)
        IntentClassifier.train(load_examples(source)).save(scratch)
        try:
            if model_dir.exists() and not any(model_dir.iterdir()):
                model_dir.rmdir()
            os.rename(scratch, model_dir)
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)  # another process won the race
        log.info("nlu.trained", seconds=round(time.perf_counter() - started, 1))
    from hybridcx.nlu.sentiment_model import load_packaged_analyzer

    classifier = IntentClassifier.load(model_dir)
    sentiment = NluSentiment(load_packaged_analyzer(classifier.embedder))
    return Brain(NluUnderstander(classifier), sentiment)


def describe(brain: Brain | None) -> Mapping[str, Any]:
    return {"nlu": brain is not None}
