"""Word error rate: normalisation and the Levenshtein word alignment."""

from __future__ import annotations

import functools
import random

import pytest

from hybridcx.speech.wer import (
    align_words,
    corpus_wer,
    normalize_words,
    wer,
    word_alignment,
)


def test_normalisation_lowercases_drops_punctuation_and_spells_digits() -> None:
    assert normalize_words("Where's my ORDER #1001?!") == [
        "where's", "my", "order", "one", "zero", "zero", "one",
    ]  # fmt: skip
    assert normalize_words("1 0 0 1") == normalize_words("one zero zero one")
    assert normalize_words("1,001") == normalize_words("1001")
    assert normalize_words("'quoted' words -- and dashes") == ["quoted", "words", "and", "dashes"]
    assert normalize_words("10am & 50%") == ["one", "zero", "am", "and", "five", "zero", "percent"]
    assert normalize_words("  ") == []


def test_perfect_and_formatting_only_differences_score_zero() -> None:
    assert wer("Where is my order?", "where is my order") == 0.0
    assert wer("Track order 1001 please", "Track order one zero zero one, please.") == 0.0


def test_counts_each_kind_of_error() -> None:
    a = word_alignment("the cat sat on the mat", "the cat sit on mat")
    assert (a.substitutions, a.deletions, a.insertions) == (1, 1, 0)
    assert a.reference_words == 6 and a.hypothesis_words == 5
    assert a.wer == pytest.approx(2 / 6)
    b = word_alignment("where is my order", "where is is my new order")
    assert (b.substitutions, b.deletions, b.insertions) == (0, 0, 2)
    # equal-cost alignments: substitutions are preferred (as sclite counts them)
    c = word_alignment("a b c", "x b y")
    assert (c.substitutions, c.deletions, c.insertions) == (2, 0, 0)
    assert wer("a b c", "") == 1.0  # all deleted
    assert wer("a b", "a b c d") == 1.0  # two insertions over two words
    assert wer("a b c d", "x y") == 1.0  # 2 substitutions + 2 deletions


def test_empty_reference() -> None:
    assert wer("", "") == 0.0
    assert wer("", "hello there") == 2.0


def test_corpus_wer_weights_by_reference_length() -> None:
    pairs = [("one two three four", "one two three four"), ("five six", "five")]
    # 1 error over 6 words, not the mean of 0 and 0.5
    assert corpus_wer(pairs) == pytest.approx(1 / 6)
    assert corpus_wer([]) == 0.0


def _edit_distance(a: list[str], b: list[str]) -> int:
    """Textbook recursive definition (memoised), to check the aligner against."""

    @functools.cache
    def d(i: int, j: int) -> int:
        if i == 0 or j == 0:
            return i + j
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))

    return d(len(a), len(b))


def test_alignment_matches_the_edit_distance_on_random_sentences() -> None:
    rng = random.Random(8)
    vocab = ["order", "my", "is", "where", "the", "a", "hours", "open"]
    for _ in range(300):
        ref = [rng.choice(vocab) for _ in range(rng.randint(0, 9))]
        hyp = [rng.choice(vocab) for _ in range(rng.randint(0, 9))]
        a = align_words(ref, hyp)
        assert a.errors == _edit_distance(ref, hyp)
        # the kinds add up: every reference word is matched, substituted or deleted
        assert a.reference_words - a.deletions - a.substitutions >= 0
        assert a.hypothesis_words == a.reference_words - a.deletions + a.insertions
