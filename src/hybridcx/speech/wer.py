"""Word error rate: the standard Levenshtein alignment of reference and hypothesis words.

Both sides are normalised the same way first, so that a transcript is not charged for writing
"Order #1001." where the reference said "order one zero zero one": lower case, punctuation
dropped (apostrophes inside words kept), and every number spelled out digit by digit
("1001" and "1 0 0 1" both become "one zero zero one"; "10am" becomes "one zero am").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_DIGIT = re.compile(r"\d")
_NOT_WORD = re.compile(r"[^\w'\s]+")
_EDGE_APOSTROPHES = re.compile(r"(?<!\w)'|'(?!\w)")


def normalize_words(text: str) -> list[str]:
    """The words WER compares: lower case, no punctuation, numbers digit by digit."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = text.replace("%", " percent ").replace("&", " and ").replace("@", " at ")
    text = re.sub(r"(?<=\d)[,.](?=\d)", "", text)  # 1,001 and 1.5 keep their digits together
    text = _NOT_WORD.sub(" ", text)
    text = _EDGE_APOSTROPHES.sub(" ", text)
    text = _DIGIT.sub(lambda m: f" {DIGIT_WORDS[int(m.group())]} ", text)
    return text.replace("_", " ").split()


@dataclass(frozen=True)
class WordAlignment:
    """The edit counts of one reference/hypothesis pair after normalisation."""

    substitutions: int
    deletions: int
    insertions: int
    reference_words: int
    hypothesis_words: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float:
        """Errors over reference words; an empty reference scores 0 if the hypothesis is empty
        too, else 1 per inserted word (so it is never a division by zero)."""
        if self.reference_words == 0:
            return float(self.insertions)
        return self.errors / self.reference_words


def align_words(reference: list[str], hypothesis: list[str]) -> WordAlignment:
    """Minimum-edit alignment (substitution, deletion, insertion each cost 1).

    Ties are broken towards substitutions, then deletions, as the usual tools (sclite, jiwer)
    do, so the counts per kind match theirs."""
    n, m = len(reference), len(hypothesis)
    # cost[i][j]: (edits, subs, dels, ins) aligning reference[:i] with hypothesis[:j]
    prev = [(j, 0, 0, j) for j in range(m + 1)]
    for i in range(1, n + 1):
        cur = [(i, 0, i, 0)]
        for j in range(1, m + 1):
            if reference[i - 1] == hypothesis[j - 1]:
                cur.append(prev[j - 1])
                continue
            s, d, ins = prev[j - 1], prev[j], cur[j - 1]
            cur.append(
                min(
                    (s[0] + 1, s[1] + 1, s[2], s[3]),
                    (d[0] + 1, d[1], d[2] + 1, d[3]),
                    (ins[0] + 1, ins[1], ins[2], ins[3] + 1),
                    key=lambda c: c[0],
                )
            )
        prev = cur
    _, subs, dels, inss = prev[m]
    return WordAlignment(subs, dels, inss, n, m)


def word_alignment(reference: str, hypothesis: str) -> WordAlignment:
    return align_words(normalize_words(reference), normalize_words(hypothesis))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of one transcript against its reference text."""
    return word_alignment(reference, hypothesis).wer


def corpus_wer(pairs: list[tuple[str, str]]) -> float:
    """Total errors over total reference words (not the mean of per-sentence rates)."""
    alignments = [word_alignment(ref, hyp) for ref, hyp in pairs]
    words = sum(a.reference_words for a in alignments)
    errors = sum(a.errors for a in alignments)
    return errors / words if words else 0.0
