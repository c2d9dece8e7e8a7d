from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from hybridcx.nlu.sentiment import analyze_sentiment, frustration_score, sentiment_trend


def test_angry_happy_neutral():
    angry = analyze_sentiment(
        "This is RIDICULOUS!!! Third time I'm asking, your service is useless"
    )
    happy = analyze_sentiment("Thanks so much, you were a great help!")
    neutral = analyze_sentiment("What time do you open tomorrow?")
    assert angry.label == "negative" and angry.score < -0.5 and angry.frustration >= 0.8
    assert happy.label == "positive" and happy.score > 0.5 and happy.frustration == 0.0
    assert neutral.label == "neutral" and neutral.frustration == 0.0


def test_frustration_without_negative_words():
    assert frustration_score("I'm fed up, I'll take my business to a competitor") >= 0.5
    assert frustration_score("WHERE IS MY ORDER") >= 0.3
    assert 0.0 <= frustration_score("fine") <= 1.0


def test_trend():
    worse = sentiment_trend([0.5, 0.2, -0.1, -0.6])
    assert worse.worsening and worse.slope < 0
    assert not sentiment_trend([-0.6, -0.1, 0.3]).worsening
    assert not sentiment_trend([]).worsening
    assert not sentiment_trend([-0.9]).worsening


class HashEmbedder:
    """A deterministic stand-in for MiniLM: a bag of hashed words, L2-normalised."""

    model_id = "test-hash-embedder"
    dim = 384

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.clip(norms, 1e-9, None)


def tiny_training_rows() -> list[dict[str, str]]:
    rows = []
    for i in range(40):
        source = "twitter-2016test-A.tsv" if i % 2 else "twitter-2013train-A.tsv"
        rows += [
            {"text": f"I love this, great service {i}", "label": "positive", "source_file": source},
            {"text": f"awful, hate it, worst ever {i}", "label": "negative", "source_file": source},
            {"text": f"the store opens at {i} am", "label": "neutral", "source_file": source},
        ]
    return rows


def test_trained_sentiment_model_round_trip_and_hash_check(tmp_path: Path) -> None:
    from hybridcx.nlu.errors import ModelIntegrityError
    from hybridcx.nlu.sentiment_model import SentimentAnalyzer, SentimentModel
    from hybridcx.nlu.sentiment_train import train_sentiment

    requests = [
        {"text": f"This is ridiculous, I am furious, {i} times now!!", "label": "rant_or_emotion"}
        for i in range(12)
    ] + [{"text": f"What time is flight {i} boarding?", "label": "none"} for i in range(60)]
    embedder = HashEmbedder()
    model, report = train_sentiment(tiny_training_rows(), embedder=embedder, requests=requests)
    assert report.n_carve == 18 and report.n_train == 102  # 30 % of the 2016 rows carved
    analyzer = SentimentAnalyzer(model, embedder)
    happy, angry = analyzer.read("great service, love it"), analyzer.read("worst ever, I hate it")
    assert happy.label == "positive" and happy.score > 0 and angry.label == "negative"
    assert abs(sum(happy.probabilities.values()) - 1.0) < 1e-3
    upset = analyzer.read("This is ridiculous, I am furious!!")
    assert analyzer.is_upset(upset) and upset.emotion == "anger"
    assert not analyzer.is_upset(analyzer.read("What time is flight 9 boarding?"))

    loaded = SentimentModel.load(model.save(tmp_path / "s"))
    again = SentimentAnalyzer(loaded, embedder).read("worst ever, I hate it")
    assert again.label == angry.label and abs(again.score - angry.score) < 1e-3
    vector = embedder.encode(["worst ever, I hate it"])[0]
    assert (
        SentimentAnalyzer(loaded, embedder).read("worst ever, I hate it", embedding=vector) == again
    )

    arrays = tmp_path / "s" / "sentiment.npz"
    arrays.write_bytes(arrays.read_bytes()[:-1] + b"x")
    with pytest.raises(ModelIntegrityError):
        SentimentModel.load(tmp_path / "s")
    with pytest.raises(ModelIntegrityError):
        SentimentAnalyzer(loaded, MiniLMLike())


class MiniLMLike(HashEmbedder):
    model_id = "another-embedder"


def test_the_shipped_model_is_hash_pinned_and_reads_customers() -> None:
    from hybridcx.nlu.embeddings import sha256_file
    from hybridcx.nlu.sentiment_model import (
        ARRAYS_FILE,
        PACKAGED_ARRAYS_SHA256,
        PACKAGED_MODEL_DIR,
        load_packaged_analyzer,
    )

    assert sha256_file(PACKAGED_MODEL_DIR / ARRAYS_FILE) == PACKAGED_ARRAYS_SHA256
    analyzer = load_packaged_analyzer()
    angry = analyzer.read("Third time I'm asking. This is ridiculous, I'm furious!!")
    calm = analyzer.read("What time do you open on Saturday?")
    thanks = analyzer.read("Thanks so much, that solved it, you were a great help!")
    assert analyzer.is_upset(angry) and angry.emotion in {"anger", "frustration"}
    assert angry.label == "negative" and angry.score < -0.5
    assert not analyzer.is_upset(calm) and calm.emotion is None
    assert thanks.label == "positive" and thanks.emotion == "satisfaction"
    assert not analyzer.is_upset(thanks)
