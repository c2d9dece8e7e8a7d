"""Typo repair before intent classification (hybridcx.nlu.spelling)."""

from __future__ import annotations

import dataclasses

import pytest

from hybridcx.nlu.classifier import IntentClassifier
from hybridcx.nlu.spelling import Speller, english_words

VOCAB = {"refund": 2.0, "order": 1.5, "warranty": 3.0, "password": 2.5, "store": 2.0, "stores": 3.1}


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(VOCAB, english_words())


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        ("rfeund", "refund"),  # two letters swapped
        ("refnd", "refund"),  # one left out
        ("reffund", "refund"),  # one too many
        ("rehund", "refund"),  # one wrong
        ("warranyt", "warranty"),
        ("paswsord", "password"),
        ("Odrer", "order"),
    ],
)
def test_a_word_one_edit_from_the_vocabulary_is_repaired(
    speller: Speller, typo: str, word: str
) -> None:
    assert speller.suggest(typo) == word


@pytest.mark.parametrize(
    "word",
    [
        "stoves",  # an English word (inflected): never "stores"
        "hikes",  # never "bikes"
        "refunds",  # the vocabulary word, inflected
        "cook",  # a known English word
    ],
)
def test_known_words_are_left_alone(speller: Speller, word: str) -> None:
    assert speller.suggest(word) is None


def test_short_words_and_words_two_edits_away_are_left_alone(speller: Speller) -> None:
    assert speller.suggest("ordr") == "order"  # four letters: long enough
    assert speller.suggest("ord") is None  # three: too short to tell
    assert speller.suggest("rfeudn") is None  # two edits away


def test_correct_keeps_everything_but_the_repaired_words(speller: Speller) -> None:
    text = "Is my rfeund on its way?? Order #1001, thx"
    assert speller.correct(text) == "Is my refund on its way?? Order #1001, thx"
    clean = "Where is my order 1001?"
    assert speller.correct(clean) == clean


def test_the_classifier_reads_typos_as_the_intended_words(demo_model: IntentClassifier) -> None:
    raw = dataclasses.replace(demo_model, spelling=False)
    for text, intent in [
        ("Is my rfeund on its way?", "refund_status"),
        ("What does the wararnty cover?", "warranty_policy"),
        ("tsore locations", "store_locations"),
    ]:
        repaired, plain = demo_model.predict(text), raw.predict(text)
        assert repaired.intent == intent and repaired.confidence >= 0.7, (text, repaired)
        assert repaired.confidence > plain.confidence
    # Clean text reads exactly as without repair.
    clean = "Where is my order? It should have arrived yesterday"
    assert demo_model.predict(clean) == raw.predict(clean)
