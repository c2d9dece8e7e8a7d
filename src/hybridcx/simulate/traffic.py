"""Synthetic contacts: who arrives when, on which channel, saying what (seeded, policy-free).

The traffic is drawn before any policy runs, so two policies compared on one seed meet the
same customers; each contact also carries its own random stream for how it behaves later."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples
from hybridcx.simulate.config import CHANNELS, DAILY_CURVES, DEMO_INTENT_WEIGHTS, SimConfig

# Demo intents about the conversation itself: never a customer's issue.
META_LABELS = frozenset({"greeting", "goodbye", "thanks"})

ANGRY = (
    "This is ridiculous, I've been waiting for ages!",
    "I'm really annoyed, this is the third time I'm asking.",
    "Honestly this is terrible service, I'm furious.",
    "This is so frustrating, nothing works!",
    "I'm fed up with this. It's unacceptable.",
    "Worst experience ever, I'm very angry.",
)
PREFIXES = ("hi, ", "hello, ", "quick question: ", "hey ", "um ", "so ")
SUFFIXES = (" please", " thanks", "??", " asap", " thx")
JOINERS = (" and also ", ". Also, ", ". Another thing: ", ", plus ")


@dataclass(frozen=True)
class Utterances:
    """Customer utterances by label, and greetings to open a conversation with."""

    by_label: dict[str, tuple[str, ...]]
    greetings: tuple[str, ...]
    weights: dict[str, float]  # how often each label is raised (relative)

    @property
    def labels(self) -> list[str]:
        return sorted(self.by_label)


def load_utterances(path: Path | None = None) -> Utterances:
    """The demo intent examples, or a `text,label` CSV (``--utterances``)."""
    demo = load_examples(DEMO_INTENTS_PATH)
    greetings = tuple(t for t, label in demo if label == "greeting")
    grouped: dict[str, list[str]] = defaultdict(list)
    for text, label in load_examples(path) if path is not None else demo:
        if label not in META_LABELS:
            grouped[label].append(text)
    if not grouped:
        raise ValueError(f"{path or DEMO_INTENTS_PATH}: no utterances")
    weights = {
        label: (DEMO_INTENT_WEIGHTS.get(label, 1.0) if path is None else 1.0) for label in grouped
    }
    return Utterances({k: tuple(v) for k, v in sorted(grouped.items())}, greetings, weights)


@dataclass(frozen=True)
class Issue:
    label: str
    text: str


@dataclass(frozen=True)
class Contact:
    index: int
    arrival: float  # seconds after T0
    channel: str
    segment: str  # regular | vip | human_only
    angry: bool
    issues: tuple[Issue, ...]
    greet_first: bool
    verified: bool
    has_account: bool
    lifetime_value: float
    patience: float  # seconds this customer waits in the queue before giving up
    handle_z: float  # standard normal draw: how long this contact takes a person

    @property
    def id(self) -> str:
        return f"cust-{self.index:05d}"

    @property
    def email(self) -> str:
        return f"customer{self.index:05d}@sim.example"

    @property
    def order_number(self) -> str:
        return str(200000 + self.index)

    @property
    def first_message(self) -> str:
        texts = [i.text for i in self.issues]
        text = texts[0]
        for joiner, more in zip(JOINERS, texts[1:], strict=False):
            text = text.rstrip(" .?!") + joiner + more
        if self.angry:
            text = text.rstrip() + (" " if text.rstrip()[-1:] in ".?!" else ". ") + self.angry_line
        return text

    @property
    def angry_line(self) -> str:
        return ANGRY[self.index % len(ANGRY)]


def _hour_weights(channel: str, hours: float) -> list[float]:
    curve = DAILY_CURVES[channel]
    n = math.ceil(hours)
    weights = [curve[h % 24] for h in range(n)]
    if hours < n:  # the last, partial hour
        weights[-1] *= hours - (n - 1)
    return weights


def generate(config: SimConfig, utterances: Utterances) -> list[Contact]:
    """``config.contacts`` contacts over ``config.hours``, in arrival order."""
    rng = random.Random(f"hybridcx-sim:{config.seed}:traffic")
    channels = [c for c in CHANNELS if config.channel_mix.get(c, 0) > 0]
    mix = [config.channel_mix[c] for c in channels]
    curves = {c: _hour_weights(c, config.hours) for c in channels}
    labels = utterances.labels
    label_weights = [utterances.weights.get(label, 1.0) for label in labels]
    drawn: list[tuple[float, str]] = []
    for _ in range(config.contacts):
        channel = rng.choices(channels, mix)[0]
        hour = rng.choices(range(len(curves[channel])), curves[channel])[0]
        at = min(config.hours * 3600.0, (hour + rng.random()) * 3600.0)
        drawn.append((at, channel))
    drawn.sort()
    contacts = []
    for index, (at, channel) in enumerate(drawn):
        u = rng.random()
        segment = (
            "vip"
            if u < config.vip_share
            else "human_only"
            if u < config.vip_share + config.human_only_share
            else "regular"
        )
        n_issues = 2 if rng.random() < config.two_issue_share else 1
        issue_labels = _distinct(rng, labels, label_weights, n_issues)
        issues = tuple(
            Issue(label, vary(rng, rng.choice(utterances.by_label[label]), config.variation_share))
            for label in issue_labels
        )
        high_value = rng.random() < config.high_value_share
        contacts.append(
            Contact(
                index=index,
                arrival=round(at, 3),
                channel=channel,
                segment=segment,
                angry=rng.random() < config.angry_share,
                issues=issues,
                greet_first=bool(utterances.greetings) and rng.random() < config.greet_first_share,
                verified=rng.random() < config.verified_share,
                has_account=rng.random() < config.has_account_share,
                lifetime_value=round(
                    rng.uniform(12_000, 40_000) if high_value else rng.lognormvariate(6.0, 1.0), 2
                ),
                patience=rng.expovariate(1.0 / config.patience_seconds[channel]),
                handle_z=rng.gauss(0.0, 1.0),
            )
        )
    return contacts


def _distinct(
    rng: random.Random, labels: Sequence[str], weights: Sequence[float], n: int
) -> list[str]:
    first = rng.choices(labels, weights)[0]
    if n <= 1 or len(labels) < 2:
        return [first]
    second = first
    while second == first:
        second = rng.choices(labels, weights)[0]
    return [first, second]


def vary(rng: random.Random, text: str, share: float) -> str:
    """How people actually type: a greeting in front, a word after, lower case, a typo. Keeps
    the examples the model was trained on from reaching it verbatim every time."""
    if rng.random() >= share:
        return text
    kind = rng.randrange(4)
    if kind == 0:
        return rng.choice(PREFIXES) + text[:1].lower() + text[1:]
    if kind == 1:
        return text.rstrip(" .?!") + rng.choice(SUFFIXES)
    if kind == 2:
        return text.lower().rstrip(" .?!")
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text.lower()
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(len(w) - 1)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]  # two letters swapped
    return " ".join(words)
