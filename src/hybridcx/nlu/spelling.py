"""Typo repair before intent classification: "wararnty claim", "Is my rfeund on its way?".

Customers type fast. A misspelt key word ("rfeund") is a word neither the TF-IDF features nor
the sentence encoder's word pieces know, and the model's confidence collapses: on the demo
intents a single typo sends a third of in-scope messages under the 0.7 confidence line, to a
person. This module repairs such words before the classifier reads the message.

A word is repaired only when all of these hold, so ordinary words are left alone:

- it is at least ``MIN_LENGTH`` letters long and not a known word: not in the model's own
  training vocabulary, not a whole word of MiniLM's WordPiece vocabulary (about 22,000 English
  words, shipped with the package), and not a simple inflection of one ("hikes", "stoves");
- a word of the training vocabulary is one edit away from it (Damerau-Levenshtein distance 1:
  one letter deleted, inserted, replaced, or two neighbouring letters swapped).

Among several such words the most frequent in training (lowest IDF) wins. Nothing is learnt
from the message and nothing else changes: entities, knowledge search and the transcript see
the customer's own text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 4
_VOCAB_PATH = Path(__file__).parent / "assets" / "minilm-vocab.txt"
_WORD = re.compile(r"[A-Za-z]+")
_SUFFIXES = ("s", "es", "ed", "ing", "ly", "er", "ers")


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole lower-case words of the encoder's WordPiece vocabulary (no word pieces)."""
    words = (line.strip() for line in _VOCAB_PATH.read_text(encoding="utf-8").splitlines())
    return frozenset(w for w in words if w.isalpha() and w.islower())


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _distance_one(a: str, b: str) -> bool:
    """True when a and b differ by one deletion, insertion, substitution or adjacent swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    if len(a) < len(b):  # one insertion
        return any(b[:i] + b[i + 1 :] == a for i in range(len(b)))
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


class Speller:
    """Repairs words one edit away from the training vocabulary (see the module docstring).

    ``vocabulary`` maps each training word to a rank (lower: more common, e.g. its IDF)."""

    def __init__(self, vocabulary: Mapping[str, float], known: Iterable[str] = ()) -> None:
        self.vocabulary = {
            w.lower(): float(r)
            for w, r in vocabulary.items()
            if w.isalpha() and len(w) >= MIN_LENGTH
        }
        self.known = frozenset(known) | frozenset(w.lower() for w in vocabulary)
        # Symmetric-delete index (SymSpell): every word under itself and its one-letter deletes.
        self._index: dict[str, list[str]] = defaultdict(list)
        for word in self.vocabulary:
            self._index[word].append(word)
            for d in _deletes(word):
                self._index[d].append(word)

    def is_known(self, word: str) -> bool:
        w = word.lower()
        if w in self.known:
            return True
        return any(w.endswith(s) and w[: -len(s)] in self.known for s in _SUFFIXES)

    def suggest(self, word: str) -> str | None:
        """The training word one edit away from an unknown ``word``, or None."""
        w = word.lower()
        if len(w) < MIN_LENGTH or self.is_known(w):
            return None
        found: set[str] = set()
        for key in (w, *_deletes(w)):
            for candidate in self._index.get(key, ()):
                if _distance_one(w, candidate):
                    found.add(candidate)
        if not found:
            return None
        return min(found, key=lambda c: (self.vocabulary[c], c))

    def correct(self, text: str) -> str:
        """``text`` with its repairable words repaired (the same string when there are none)."""
        if not self.vocabulary:
            return text

        def repair(match: re.Match[str]) -> str:
            return self.suggest(match.group(0)) or match.group(0)

        return _WORD.sub(repair, text)
