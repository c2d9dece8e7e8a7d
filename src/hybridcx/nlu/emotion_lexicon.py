"""Cues of the emotions a contact center acts on, from phrases, shouting and punctuation.

No labelled emotion data ships with the project, so these cues are written by hand; the trained
sentiment model (`sentiment_model.py`) uses them as features next to the sentence vector and
gates each emotion by its learned polarity. Each cue score is in [0, 1].
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

EMOTIONS = ("anger", "frustration", "anxiety", "confusion", "satisfaction")


def _patterns(pairs: list[tuple[str, float]]) -> list[tuple[re.Pattern[str], float]]:
    return [(re.compile(p, re.IGNORECASE), w) for p, w in pairs]


CUES: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "anger": _patterns(
        [
            (r"\b(ridiculous|unacceptable|outrageous|disgrace(ful)?|pathetic|appalling)\b", 0.5),
            (r"\b(useless|incompetent|scam|rip[- ]?off|worst|terrible|horrible|awful)\b", 0.45),
            (r"\b(furious|angry|livid|pissed|outraged|disgusted|infuriat\w*)\b", 0.6),
            (r"\b(f+u+c+k+\w*|shit\w*|crap|damn|wtf|bloody|bs|hell)\b", 0.5),
            (r"\b(how dare|shame on you|you people|are you (kidding|serious))\b", 0.5),
            (r"\b(lawyer|legal action|sue you|ombudsman|trading standards|report you)\b", 0.5),
            (r"\b(take my business|never (buy|order|shop|fly)\w* .*again|boycott)\b", 0.5),
            (
                r"\b(switch(ing)? to|going to|go to) (a )?(competitor|another (company|store))\b",
                0.4,
            ),
            (r"\b(hate|liars?|lying|thie(f|ves)|stole|robbed|cheated)\b", 0.4),
        ]
    ),
    "frustration": _patterns(
        [
            (r"\b(fed up|sick of|sick and tired|had enough|frustrat\w*|annoy\w*|tired of)\b", 0.6),
            (r"\b(third|3rd|fourth|fifth|several|many|multiple|countless)\s+times?\b", 0.45),
            (r"\b(again and again|over and over|yet again|once again|every time)\b", 0.35),
            (r"\b(still (not|no|nothing|haven'?t|hasn'?t|waiting|broken|missing))\b", 0.4),
            (
                r"\b(waste of (my )?time|nobody (cares|answers|helps)|no one (cares|answers|helps))\b",
                0.5,
            ),
            (
                r"\b(waiting (for )?(weeks|ages|days|hours|forever)|for (weeks|ages|days) now)\b",
                0.4,
            ),
            (r"\b(no (response|reply|answer|help)|never (heard|got|received))\b", 0.35),
            (r"\b(doesn'?t|does not|won'?t|will not|can'?t|cannot) (even )?work\b", 0.25),
            (r"\b(keep(s)? (getting|saying|failing|happening)|(is|are) always)\b", 0.25),
            (r"\b(ugh+|argh+|seriously|unbelievable|come on)\b", 0.35),
        ]
    ),
    "anxiety": _patterns(
        [
            (r"\b(urgent(ly)?|asap|emergency|immediately|right now|right away)\b", 0.5),
            (r"\b(worried|anxious|scared|afraid|nervous|panic\w*|stressed|desperate)\b", 0.6),
            (r"\b(as soon as possible|time.sensitive|running out of time|deadline)\b", 0.45),
            (r"\b(tomorrow|tonight|today) (morning|night)?\b.*\b(need|must|have to)\b", 0.25),
            (r"\b(stolen|fraud\w*|hacked|locked out|lost my|missed my|stranded)\b", 0.4),
            (r"\bplease help\b|\bhelp me\b", 0.3),
        ]
    ),
    "confusion": _patterns(
        [
            (r"\b(confus\w*|puzzled|baffled|makes no sense|doesn'?t make sense)\b", 0.6),
            (r"\b(don'?t|do not|didn'?t) (understand|get it|know (why|what|how))\b", 0.5),
            (r"\b(not sure|unsure|unclear|no idea|no clue)\b", 0.4),
            (r"\b(what does .* mean|what do you mean|which one|how come)\b", 0.4),
            (r"\bwhy (is|does|did|was|would|can'?t|won'?t)\b", 0.25),
        ]
    ),
    "satisfaction": _patterns(
        [
            (r"\b(thanks?|thank you|thx|cheers|much appreciated|appreciate)\b", 0.5),
            (r"\b(great|perfect|awesome|excellent|brilliant|wonderful|fantastic|amazing)\b", 0.45),
            (r"\b(happy|glad|pleased|satisfied|delighted|love)\b", 0.45),
            (r"\b(that (helps|helped|worked|solved)|problem solved|all (good|sorted|set))\b", 0.55),
            (r"\b(you'?re|you are|you'?ve been) (a star|great|so helpful|very helpful)\b", 0.55),
        ]
    ),
}

_SHOUTED_WORD = re.compile(r"\b[A-Z]{3,}\b")
_WORD = re.compile(r"[A-Za-z]+")
_REPEATED_PUNCT = re.compile(r"[!?]{2,}")


@dataclass(frozen=True)
class Cues:
    """Hand-written emotion cues of one message plus its shouting and punctuation."""

    emotions: dict[str, float]
    shouting: float  # share of words in capitals (0..1), 0 below three words
    repeated_punct: float  # 1 if "!!" / "?!" and the like

    def vector(self) -> np.ndarray:
        values = [self.emotions[e] for e in EMOTIONS] + [self.shouting, self.repeated_punct]
        return np.asarray(values, dtype=np.float32)


N_CUE_FEATURES = len(EMOTIONS) + 2


def cues(text: str) -> Cues:
    emotions = {
        name: min(1.0, sum(w for pattern, w in patterns if pattern.search(text)))
        for name, patterns in CUES.items()
    }
    words = _WORD.findall(text)
    shouted = _SHOUTED_WORD.findall(text)
    shouting = len(shouted) / len(words) if len(words) >= 3 else 0.0
    return Cues(emotions, round(shouting, 4), 1.0 if _REPEATED_PUNCT.search(text) else 0.0)
