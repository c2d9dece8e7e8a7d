"""The outcome model: expected resolution, handle time and CSAT for (contact, agent) pairs.

A hierarchical, additive estimate with empirical-Bayes style shrinkage, one per outcome metric:

    intent mean        mu_i  = (sum_i y + k * global) / (n_i + k)
    agent offset       a_j   = sum_j (y - mu_i) / (n_j + k)
    agent x team       t_jg  = sum_jg (y - mu_i - a_j) / (n_jg + k)    g = the intent's team skill
    agent x intent     mu_ij = (sum_ij y + k * (mu_i + a_j + t_jg)) / (n_ij + k)
    agent x context    c_jfv = sum_jfv (y - mu_ij) / (n_jfv + k)     f in channel, mood, value, daypart
    prediction         mu_ij + mean over f of c_jf(value of f)

so an agent with little history on an intent is predicted from their record on the intent's team
(the workspace policy's ``intent_skills`` at training, kept in the model; an intent it does
not map is in the team "general"), then their overall performance, and an agent
with no history from the intent's mean; each level only moves away from the level above as its
own evidence (n) grows against the prior strength k. Resolution is a 0/1 outcome (its mean is
a probability), handle time is modelled on log seconds, CSAT on the 1-5 scale.

Saved as JSON (never pickle) with a content version, the training-data fingerprint and
``trained_at`` (the strategy refuses a model older than its configured maximum age).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

FORMAT = "hybridcx-routing-outcome/1"
METRICS = ("resolution", "handle_log_seconds", "csat")
CONTEXT_FEATURES = ("channel", "mood", "value", "daypart")
UNKNOWN_INTENT = "unknown"


@dataclass(frozen=True)
class ContactFeatures:
    """What the model knows about a waiting contact (all observable before assignment)."""

    intent: str | None = None
    channel: str = "webchat"
    vip: bool = False
    lifetime_value: float = 0.0
    sentiment: float | None = None
    hour: int | None = None

    def context(self, *, high_value: float = 10_000.0) -> dict[str, str]:
        return {
            "channel": self.channel,
            "mood": "upset" if (self.sentiment is not None and self.sentiment <= -0.3) else "calm",
            "value": "high" if self.vip or self.lifetime_value >= high_value else "regular",
            "daypart": daypart(self.hour),
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def daypart(hour: int | None) -> str:
    if hour is None:
        return "unknown"
    return (
        "night" if hour < 8 else "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"
    )


@dataclass(frozen=True)
class Outcome:
    """One conversation a person handled: who, what about, and how it went (None = unknown)."""

    agent_id: str
    features: ContactFeatures
    resolved: bool | None = None
    handle_seconds: float | None = None
    csat: int | None = None

    def value(self, metric: str) -> float | None:
        if metric == "resolution":
            return None if self.resolved is None else float(self.resolved)
        if metric == "handle_log_seconds":
            h = self.handle_seconds
            return None if h is None or h <= 0 else math.log(h)
        return None if self.csat is None else float(self.csat)


@dataclass(frozen=True)
class Prediction:
    resolution: float
    handle_seconds: float
    csat: float
    samples: int  # this agent's history on this intent (0: predicted from the levels above)

    def to_dict(self) -> dict[str, float | int]:
        return {
            "resolution": round(self.resolution, 4),
            "handle_seconds": round(self.handle_seconds, 1),
            "csat": round(self.csat, 3),
            "samples": self.samples,
        }


def team_for(teams: Mapping[str, str], intent: str | None) -> str:
    """The team of an intent by a workspace's ``intent_skills``; "general" when unmapped."""
    return teams.get(intent or "", "general")


def _mean_n(values: Sequence[float]) -> tuple[float, int]:
    return (sum(values) / len(values), len(values)) if values else (0.0, 0)


class MetricModel:
    """The shrunk estimates for one metric (see the module docstring)."""

    def __init__(self, data: Mapping[str, Any], teams: Mapping[str, str] | None = None) -> None:
        self.teams = dict(teams or {})
        self.global_mean: float = data["global"]
        self.samples: int = data["samples"]
        self.intent: dict[str, list[float]] = dict(data["intent"])
        self.agent: dict[str, list[float]] = dict(data["agent"])
        self.agent_team: dict[str, dict[str, list[float]]] = dict(data["agent_team"])
        self.agent_intent: dict[str, dict[str, list[float]]] = dict(data["agent_intent"])
        self.context: dict[str, dict[str, dict[str, list[float]]]] = dict(data["context"])

    @classmethod
    def fit(
        cls, rows: Sequence[tuple[Outcome, float]], k: float, teams: Mapping[str, str]
    ) -> MetricModel:

        def team_of(intent: str | None) -> str:
            return team_for(teams, intent)

        g, n = _mean_n([y for _, y in rows])
        by_intent: dict[str, list[float]] = defaultdict(list)
        for o, y in rows:
            by_intent[o.features.intent or UNKNOWN_INTENT].append(y)
        intent = {
            i: [(sum(v) + k * g) / (len(v) + k), len(v)] for i, v in sorted(by_intent.items())
        }

        def mu_i(o: Outcome) -> float:
            return intent[o.features.intent or UNKNOWN_INTENT][0]

        res_agent: dict[str, list[float]] = defaultdict(list)
        cells: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for o, y in rows:
            res_agent[o.agent_id].append(y - mu_i(o))
            cells[o.agent_id][o.features.intent or UNKNOWN_INTENT].append(y)
        agent = {a: [sum(v) / (len(v) + k), len(v)] for a, v in sorted(res_agent.items())}
        res_team: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for o, y in rows:
            res_team[o.agent_id][team_of(o.features.intent)].append(
                y - mu_i(o) - agent[o.agent_id][0]
            )
        agent_team = {
            a: {g: [sum(v) / (len(v) + k), len(v)] for g, v in sorted(by.items())}
            for a, by in sorted(res_team.items())
        }
        agent_intent: dict[str, dict[str, list[float]]] = {}
        for a, by in sorted(cells.items()):
            agent_intent[a] = {
                i: [
                    (sum(v) + k * (intent[i][0] + agent[a][0] + agent_team[a][team_of(i)][0]))
                    / (len(v) + k),
                    len(v),
                ]
                for i, v in sorted(by.items())
            }
        ctx_res: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list))
        )
        for o, y in rows:
            cell = agent_intent[o.agent_id][o.features.intent or UNKNOWN_INTENT][0]
            for f, v in o.features.context().items():
                ctx_res[o.agent_id][f][v].append(y - cell)
        context = {
            a: {
                f: {v: [sum(r) / (len(r) + k), len(r)] for v, r in sorted(vals.items())}
                for f, vals in sorted(fs.items())
            }
            for a, fs in sorted(ctx_res.items())
        }
        return cls(
            {
                "global": g,
                "samples": n,
                "intent": intent,
                "agent": agent,
                "agent_team": agent_team,
                "agent_intent": agent_intent,
                "context": context,
            },
            teams,
        )

    def predict(self, agent_id: str, features: ContactFeatures) -> tuple[float, int]:
        """The estimate and the number of this agent's samples on this intent."""
        i = features.intent or UNKNOWN_INTENT
        base = self.intent.get(i, [self.global_mean, 0])[0]
        cell = self.agent_intent.get(agent_id, {}).get(i)
        if cell is not None:
            estimate, n = cell[0], int(cell[1])
        else:
            team = self.agent_team.get(agent_id, {}).get(team_for(self.teams, i), [0.0, 0])[0]
            estimate, n = base + self.agent.get(agent_id, [0.0, 0])[0] + team, 0
        ctx = self.context.get(agent_id, {})
        # The mean of the context offsets, not their sum: each is fitted on the same residuals.
        offsets = [ctx.get(f, {}).get(v, [0.0, 0])[0] for f, v in features.context().items()]
        return estimate + sum(offsets) / len(offsets), n

    def to_dict(self) -> dict[str, Any]:
        return {
            "global": self.global_mean,
            "samples": self.samples,
            "intent": self.intent,
            "agent": self.agent,
            "agent_team": self.agent_team,
            "agent_intent": self.agent_intent,
            "context": self.context,
        }


class OutcomeModel:
    """Expected outcome of giving a contact to an agent, from past outcomes."""

    def __init__(
        self,
        metrics: Mapping[str, MetricModel],
        *,
        trained_at: datetime,
        prior_strength: float,
        samples: int,
        fingerprint: str,
        teams: Mapping[str, str] | None = None,
    ) -> None:
        self.metrics = dict(metrics)
        self.teams = dict(teams or {})
        self.trained_at = trained_at
        self.prior_strength = prior_strength
        self.samples = samples
        self.fingerprint = fingerprint

    @classmethod
    def train(
        cls,
        outcomes: Iterable[Outcome],
        *,
        trained_at: datetime,
        prior_strength: float = 5.0,
        teams: Mapping[str, str] | None = None,
    ) -> OutcomeModel:
        """``teams``: the workspace policy's ``intent_skills`` (the team level of the estimate)."""
        data = list(outcomes)
        if not data:
            raise ValueError("no outcomes to learn from: nobody has resolved a conversation yet")
        metrics = {}
        for metric in METRICS:
            rows = [(o, y) for o in data if (y := o.value(metric)) is not None]
            if rows:
                metrics[metric] = MetricModel.fit(rows, prior_strength, teams or {})
        return cls(
            metrics,
            trained_at=trained_at,
            prior_strength=prior_strength,
            samples=len(data),
            fingerprint=fingerprint(data),
            teams=teams,
        )

    def predict(self, agent_id: str, features: ContactFeatures) -> Prediction:
        res, n = self._metric("resolution", agent_id, features, default=0.5)
        log_h, _ = self._metric("handle_log_seconds", agent_id, features, default=math.log(300))
        csat, _ = self._metric("csat", agent_id, features, default=3.0)
        return Prediction(
            resolution=min(0.999, max(0.001, res)),
            handle_seconds=math.exp(min(12.0, log_h)),
            csat=min(5.0, max(1.0, csat)),
            samples=n,
        )

    def _metric(
        self, name: str, agent_id: str, features: ContactFeatures, *, default: float
    ) -> tuple[float, int]:
        m = self.metrics.get(name)
        return m.predict(agent_id, features) if m is not None else (default, 0)

    @property
    def version(self) -> str:
        body = json.dumps(self._body(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()[:12]

    def _body(self) -> dict[str, Any]:
        body = {
            "format": FORMAT,
            "trained_at": self.trained_at.isoformat(),
            "prior_strength": self.prior_strength,
            "samples": self.samples,
            "fingerprint": self.fingerprint,
            "metrics": {k: m.to_dict() for k, m in self.metrics.items()},
        }
        # Only when set: a model saved before teams were kept keeps its version (and loads).
        return {**body, "teams": self.teams} if self.teams else body

    def to_dict(self) -> dict[str, Any]:
        return {**self._body(), "version": self.version}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutcomeModel:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a routing outcome model (format {data.get('format')!r})")
        teams = {str(k): str(v) for k, v in (data.get("teams") or {}).items()}
        model = cls(
            {k: MetricModel(v, teams) for k, v in data["metrics"].items()},
            trained_at=datetime.fromisoformat(data["trained_at"]),
            prior_strength=float(data["prior_strength"]),
            samples=int(data["samples"]),
            fingerprint=str(data["fingerprint"]),
            teams=teams,
        )
        if data.get("version") and data["version"] != model.version:
            raise ValueError(
                "routing model file is corrupt: its content does not match its version"
            )
        return model

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), sort_keys=True), encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> OutcomeModel:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def summary(self) -> dict[str, Any]:
        res = self.metrics.get("resolution")
        return {
            "version": self.version,
            "trained_at": self.trained_at.isoformat(),
            "samples": self.samples,
            "agents": sorted(res.agent) if res else [],
            "intents": sorted(res.intent) if res else [],
            "fingerprint": self.fingerprint,
        }


def fingerprint(outcomes: Sequence[Outcome]) -> str:
    """SHA-256 of the training rows, so two models can be told apart by their data."""
    h = hashlib.sha256()
    for o in outcomes:
        h.update(json.dumps(asdict(o), sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]
