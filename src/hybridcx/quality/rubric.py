"""The quality rubric: configuration, and the pure scoring of one conversation against it.

Every criterion says whether it applies, a score from 0 to 1, and the message ids that are its
evidence, so a supervisor can open the exact lines. The AI and people are scored the same way.
A workspace's rubric is ``<data dir>/policies/<slug>.quality.yaml``; keys left out keep these
defaults.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.kit.errors import InvalidInput


class RubricConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    greeting_phrases: list[str] = Field(
        default_factory=lambda: [
            "hello",
            "hi",
            "hey",
            "good morning",
            "good afternoon",
            "good evening",
            "welcome",
            "thanks for contacting",
            "thank you for contacting",
        ]
    )
    ai_disclosure_phrases: list[str] = Field(
        default_factory=lambda: [
            "ai assistant",
            "virtual assistant",
            "automated assistant",
            "i'm an ai",
            "i am an ai",
            "a bot",
        ]
    )
    # Intents about a customer's account: someone must have checked who they are.
    identity_intents: list[str] = Field(
        default_factory=lambda: [
            "account_status",
            "password_reset",
            "update_contact_details",
            "change_delivery_address",
            "refund_status",
            "cancel_order",
        ]
    )
    identity_phrases: list[str] = Field(
        default_factory=lambda: [
            "verified",
            "verification code",
            "confirm your identity",
            "security check",
            "one-time code",
        ]
    )
    negative_sentiment_below: float = -0.3
    empathy_phrases: list[str] = Field(
        default_factory=lambda: [
            "sorry",
            "apologi",
            "i understand",
            "understandable",
            "frustrat",
            "i hear you",
            "that must be",
            "i can see why",
        ]
    )
    confirmation_phrases: list[str] = Field(
        default_factory=lambda: [
            "thank",
            "that worked",
            "that helps",
            "that helped",
            "perfect",
            "great",
            "solved",
            "sorted",
            "all good",
            "works now",
        ]
    )
    check_questions: list[str] = Field(
        default_factory=lambda: [
            "anything else",
            "did that help",
            "does that help",
            "does that solve",
            "is that all",
            "resolved your",
            "all set",
        ]
    )
    yes_phrases: list[str] = Field(
        default_factory=lambda: [
            "yes",
            "yep",
            "yeah",
            "that's all",
            "thats all",
            "no thanks",
            "that is all",
            "all good",
        ]
    )
    # Regulated intents and the phrases a handler must say in them (any one, case-insensitive).
    compliance: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "cancel_order": ["cancellation", "refund"],
            "refund_status": ["business days"],
            "complaint": ["complaint", "reference"],
            "privacy_policy": ["privacy policy"],
        }
    )
    # Knowledge accuracy: share of an answer's content words that must appear in the articles
    # it came from (the AI's knowledge answers are extractive, so a faithful one scores ~1).
    knowledge_support_min: float = Field(default=0.8, gt=0, le=1)
    handle_time_outlier_factor: float = Field(default=2.0, gt=1)
    handle_time_min_peers: int = Field(default=3, ge=1)
    weights: dict[str, float] = Field(default_factory=dict)


def load_rubric(path: Path | None) -> RubricConfig:
    if path is None or not path.exists():
        return RubricConfig()
    try:
        return RubricConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (yaml.YAMLError, ValueError) as exc:
        raise InvalidInput(f"Quality rubric {path} is invalid: {exc}") from exc


def rubric_path(policy_dir: Path, workspace_slug: str) -> Path:
    return policy_dir / f"{workspace_slug}.quality.yaml"


@dataclass(frozen=True)
class Line:
    """One public message: author is customer, ai, agent or system."""

    id: str
    author: str
    text: str
    sentiment: float | None = None  # customer lines: the AI's reading of that message
    turn_id: str | None = None  # the customer message whose turn produced this line


@dataclass(frozen=True)
class KnowledgeUse:
    """A turn whose answer came from knowledge: the articles as they are now (None: the article
    is gone or no longer public), by id."""

    turn_id: str
    articles: dict[str, str | None]


@dataclass(frozen=True)
class ConversationRecord:
    id: str
    lines: Sequence[Line]
    handler: str  # "ai", or the id of the agent who resolved it
    intent: str | None = None
    category: str | None = None
    identity_verified: bool = False
    handle_seconds: float | None = None
    knowledge: Sequence[KnowledgeUse] = ()


@dataclass(frozen=True)
class CriterionScore:
    criterion: str
    applicable: bool
    score: float | None
    evidence: list[str] = field(default_factory=list)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "applicable": self.applicable,
            "score": self.score,
            "passed": None if self.score is None else self.score >= 1.0,
            "evidence": list(self.evidence),
            "note": self.note,
        }


def _has(text: str, phrases: Sequence[str]) -> bool:
    low = text.lower()
    return any(re.search(r"(?<!\w)" + re.escape(p.lower()), low) for p in phrases)


def _not_applicable(name: str, note: str) -> CriterionScore:
    return CriterionScore(name, False, None, [], note)


def _handler_lines(conv: ConversationRecord) -> list[Line]:
    """What the handler said: the agent's lines for people, the AI's for the AI."""
    return [ln for ln in conv.lines if ln.author == ("ai" if conv.handler == "ai" else "agent")]


def greeting(conv: ConversationRecord, rubric: RubricConfig) -> CriterionScore:
    """The first AI line greets and says it is an AI; a person's first line greets."""
    first_ai = next((ln for ln in conv.lines if ln.author == "ai"), None)
    spoken = _handler_lines(conv)
    if first_ai is None and not spoken:
        return _not_applicable("greeting_disclosure", "Nobody answered the customer.")
    checks, evidence = [], []
    if first_ai is not None:
        disclosed = _has(first_ai.text, rubric.ai_disclosure_phrases)
        greeted = _has(first_ai.text, rubric.greeting_phrases)
        checks += [disclosed, greeted]
        evidence.append(first_ai.id)
    if conv.handler != "ai" and spoken:
        checks.append(_has(spoken[0].text, rubric.greeting_phrases))
        evidence.append(spoken[0].id)
    score = sum(checks) / len(checks)
    note = "" if score == 1 else "Greet the customer and say when they are talking to an AI."
    return CriterionScore("greeting_disclosure", True, round(score, 3), evidence, note)


def identity(conv: ConversationRecord, rubric: RubricConfig) -> CriterionScore:
    if conv.intent not in rubric.identity_intents:
        return _not_applicable("identity_verification", "Not an account intent.")
    proof = [
        ln.id
        for ln in conv.lines
        if ln.author in ("ai", "agent", "system") and _has(ln.text, rubric.identity_phrases)
    ]
    ok = conv.identity_verified or bool(proof)
    note = "" if ok else f"Verify the customer's identity before acting on {conv.intent}."
    return CriterionScore("identity_verification", True, 1.0 if ok else 0.0, proof[:3], note)


def empathy(conv: ConversationRecord, rubric: RubricConfig) -> CriterionScore:
    """After each negative customer message, the handler's next line shows empathy."""
    lines = list(conv.lines)
    speaker = "ai" if conv.handler == "ai" else "agent"
    negatives = [
        i
        for i, ln in enumerate(lines)
        if ln.author == "customer"
        and ln.sentiment is not None
        and ln.sentiment <= rubric.negative_sentiment_below
    ]
    if not negatives:
        return _not_applicable("empathy", "The customer was never negative.")
    met, evidence = 0, []
    for i in negatives:
        evidence.append(lines[i].id)
        reply = next((ln for ln in lines[i + 1 :] if ln.author == speaker), None)
        if reply is not None and _has(reply.text, rubric.empathy_phrases):
            met += 1
            evidence.append(reply.id)
    score = round(met / len(negatives), 3)
    note = "" if score == 1 else "Acknowledge the customer's frustration (apology or empathy)."
    return CriterionScore("empathy", True, score, evidence, note)


def resolution_confirmed(conv: ConversationRecord, rubric: RubricConfig) -> CriterionScore:
    """The customer thanked or confirmed, or the handler asked and the customer said yes."""
    lines = list(conv.lines)
    speaker = "ai" if conv.handler == "ai" else "agent"
    last_customer = [i for i, ln in enumerate(lines) if ln.author == "customer"][-2:]
    for i in reversed(last_customer):
        if _has(lines[i].text, rubric.confirmation_phrases):
            return CriterionScore("resolution_confirmed", True, 1.0, [lines[i].id])
    for i, ln in enumerate(lines):
        if ln.author == speaker and _has(ln.text, rubric.check_questions):
            answer = next((x for x in lines[i + 1 :] if x.author == "customer"), None)
            if answer is not None and _has(answer.text, rubric.yes_phrases):
                return CriterionScore("resolution_confirmed", True, 1.0, [ln.id, answer.id])
            return CriterionScore(
                "resolution_confirmed", True, 0.5, [ln.id], "Asked, but no confirmation came."
            )
    return CriterionScore(
        "resolution_confirmed", True, 0.0, [], "Ask whether the issue is solved before closing."
    )


def compliance(conv: ConversationRecord, rubric: RubricConfig) -> CriterionScore:
    required = rubric.compliance.get(conv.intent or "")
    if not required:
        return _not_applicable("compliance", "Not a regulated intent.")
    said = [ln.id for ln in _handler_lines(conv) if _has(ln.text, required)]
    note = "" if said else f"Say the required wording for {conv.intent}: {', '.join(required)}."
    return CriterionScore("compliance", True, 1.0 if said else 0.0, said[:3], note)


_WORDS = re.compile(r"[a-z0-9']+")
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "is",
        "are",
        "be",
        "it",
        "this",
        "that",
        "with",
        "you",
        "your",
        "we",
        "our",
        "can",
        "will",
        "at",
        "by",
        "as",
        "from",
        "if",
        "not",
        "no",
        "do",
        "does",
        "have",
        "has",
        "was",
        "were",
        "i",
        "my",
        "me",
        "us",
        "they",
        "them",
        "their",
        "its",
    ]
)


def _content_words(text: str) -> list[str]:
    # The citation line the AI appends ("Source: ...") is not a claim.
    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith(("Source:", "Sources:")))
    return [w for w in _WORDS.findall(body.lower()) if len(w) > 2 and w not in _STOP]


def knowledge_accuracy(conv: ConversationRecord, rubric: RubricConfig) -> CriterionScore:
    """Answers given from knowledge say what the articles they came from say (and those
    articles still exist): the share of the answer's content words found in the articles."""
    if not conv.knowledge:
        return _not_applicable("knowledge_accuracy", "No answer came from knowledge.")
    speaker = "ai" if conv.handler == "ai" else None
    checked, passed = 0, 0
    evidence: list[str] = []
    problems: list[str] = []
    for use in conv.knowledge:
        answers = [
            ln for ln in conv.lines if ln.turn_id == use.turn_id and ln.author in ("ai", speaker)
        ]
        if not answers:
            continue
        words = _content_words(" ".join(ln.text for ln in answers))
        texts = [t for t in use.articles.values() if t is not None]
        gone = [a for a, t in use.articles.items() if t is None]
        vocabulary = set(_content_words(" ".join(texts)))
        support = sum(1 for w in words if w in vocabulary) / len(words) if words else 1.0
        checked += 1
        evidence.extend(ln.id for ln in answers)
        if gone:
            problems.append(f"{len(gone)} cited article(s) no longer published")
        elif support < rubric.knowledge_support_min:
            problems.append(f"only {support:.0%} of an answer is in its articles")
        else:
            passed += 1
    if not checked:
        return _not_applicable("knowledge_accuracy", "No answer came from knowledge.")
    score = round(passed / checked, 3)
    note = "" if score == 1 else "Check the answers against the articles: " + "; ".join(problems)
    return CriterionScore("knowledge_accuracy", True, score, evidence[:6], note)


def sentiment_recovered(conv: ConversationRecord, rubric: RubricConfig) -> CriterionScore:
    readings = [ln for ln in conv.lines if ln.author == "customer" and ln.sentiment is not None]
    if len(readings) < 2:
        return _not_applicable("sentiment_recovered", "Fewer than two customer messages.")
    first, last = readings[0], readings[-1]
    ok = (last.sentiment or 0.0) >= (first.sentiment or 0.0)
    note = "" if ok else "The customer left less happy than they came."
    return CriterionScore(
        "sentiment_recovered", True, 1.0 if ok else 0.0, [first.id, last.id], note
    )


def handle_time(
    conv: ConversationRecord, rubric: RubricConfig, peers: Sequence[float]
) -> CriterionScore:
    """Within ``factor`` x the median handle time of the same category."""
    if conv.handle_seconds is None:
        return _not_applicable("handle_time", "No human handle time.")
    if len(peers) < rubric.handle_time_min_peers:
        return _not_applicable("handle_time", "Too few conversations of this category to compare.")
    ordered = sorted(peers)
    median = (
        ordered[len(ordered) // 2]
        if len(ordered) % 2
        else sum(ordered[len(ordered) // 2 - 1 : len(ordered) // 2 + 1]) / 2
    )
    ok = conv.handle_seconds <= rubric.handle_time_outlier_factor * median
    note = f"{conv.handle_seconds:.0f} s against a category median of {median:.0f} s."
    return CriterionScore("handle_time", True, 1.0 if ok else 0.0, [], note)


CRITERIA = (
    "greeting_disclosure",
    "identity_verification",
    "empathy",
    "resolution_confirmed",
    "compliance",
    "knowledge_accuracy",
    "sentiment_recovered",
    "handle_time",
)


def score_conversation(
    conv: ConversationRecord, rubric: RubricConfig, *, peer_handle_seconds: Sequence[float] = ()
) -> dict[str, Any]:
    """Every criterion for one conversation, and the weighted overall score (0-100)."""
    results = [
        greeting(conv, rubric),
        identity(conv, rubric),
        empathy(conv, rubric),
        resolution_confirmed(conv, rubric),
        compliance(conv, rubric),
        knowledge_accuracy(conv, rubric),
        sentiment_recovered(conv, rubric),
        handle_time(conv, rubric, peer_handle_seconds),
    ]
    scored = [r for r in results if r.score is not None]
    weight = {r.criterion: rubric.weights.get(r.criterion, 1.0) for r in scored}
    total = sum(weight.values())
    overall = (
        round(
            100 * sum(r.score * weight[r.criterion] for r in scored if r.score is not None) / total,
            1,
        )
        if total
        else None
    )
    return {
        "conversation_id": conv.id,
        "handled_by": "ai" if conv.handler == "ai" else "agent",
        "agent_id": None if conv.handler == "ai" else conv.handler,
        "intent": conv.intent,
        "category": conv.category,
        "score": overall,
        "criteria": [r.to_dict() for r in results],
    }
