"""Tokens for lexical search: lowercase words, stop words dropped, a light English stemmer."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

_STOP_WORDS_TEXT = """a about above after again all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me
    more most my myself no nor not now of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these they
    this those through to too under until up very was we were what when where which while who whom
    why will with would you your yours yourself yourselves s t d ll m re ve"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

_VOWEL = re.compile(r"[aeiouy]")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A small suffix stripper (plural, -ing, -ed, -ly, -ation...): recall over precision.

    Porter's full algorithm is not needed for FAQ-sized vocabularies; what matters is that
    "deleting", "deleted" and "deletes" meet "delete" and that codes and numbers are untouched.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl in (
        ("ational", "ate"),
        ("ization", "ize"),
        ("ations", "ate"),
        ("ation", "ate"),
        ("iness", "y"),
        ("fulness", "ful"),
        ("ousness", "ous"),
        ("ements", ""),
        ("ement", ""),
        ("ments", ""),
        ("ment", ""),
        ("ingly", ""),
        ("edly", ""),
        ("ies", "y"),
        ("ied", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", "e"),
        ("s", ""),
    ):
        if word.endswith(suffix):
            base = word[: -len(suffix)] + repl
            if len(base) >= 3 and _VOWEL.search(base) and not word.endswith("ss"):
                return _tidy(base)
            break
    return _tidy(word)


def _tidy(base: str) -> str:
    # "stopp" -> "stop", "delete" -> "delet": make the -ing/-ed forms meet the plain form.
    if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
        base = base[:-1]
    if len(base) > 3 and base.endswith("e"):
        base = base[:-1]
    return base


def tokenize(text: str) -> list[str]:
    """Stemmed lexical tokens, stop words removed."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]
