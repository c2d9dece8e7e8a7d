from __future__ import annotations

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


def test_trained_sentiment_model_round_trip(tmp_path):
    from hybridcx.nlu.sentiment_model import SentimentClassifier

    rows = []
    for i in range(10):
        rows += [
            (f"I love this, great service {i}", "positive"),
            (f"awful, hate it, worst ever {i}", "negative"),
            (f"the store opens at {i} am", "neutral"),
        ]
    model = SentimentClassifier.train(rows)
    assert model.predict("great, love it") == "positive"
    assert model.predict("worst service, I hate it") == "negative"
    loaded = SentimentClassifier.load(model.save(tmp_path / "s"))
    texts = ["great, love it", "@bob the store opens at 9"]
    assert (loaded.predict_proba(texts) == model.predict_proba(texts)).all()
