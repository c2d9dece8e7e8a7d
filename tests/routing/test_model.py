"""The outcome model: learns who is good at what, shrinks thin evidence, saves as JSON only."""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path

import pytest

from hybridcx.routing.model import ContactFeatures, Outcome, OutcomeModel
from hybridcx.routing.store import FileModelStore
from hybridcx.routing.training import outcomes_from_events
from tests.analytics.eventlog import T0, Log

NOW = datetime(2026, 3, 10)


def outcomes(spec: dict[tuple[str, str], tuple[int, int]], seed: int = 0) -> list[Outcome]:
    """(agent, intent) -> (resolved, unresolved) counts, with handle times and CSAT to match."""
    rng = random.Random(seed)
    out = []
    for (agent, intent), (good, bad) in spec.items():
        for ok in [True] * good + [False] * bad:
            out.append(
                Outcome(
                    agent_id=agent,
                    features=ContactFeatures(intent=intent, channel="webchat", hour=10),
                    resolved=ok,
                    handle_seconds=rng.uniform(200, 260) if ok else rng.uniform(500, 700),
                    csat=5 if ok else 2,
                )
            )
    return out


def test_learns_agent_by_intent_performance() -> None:
    model = OutcomeModel.train(
        outcomes(
            {
                ("ann", "order_status"): (45, 5),
                ("bob", "order_status"): (20, 30),
                ("ann", "password_reset"): (15, 35),
                ("bob", "password_reset"): (45, 5),
            }
        ),
        trained_at=NOW,
    )
    orders = ContactFeatures(intent="order_status")
    reset = ContactFeatures(intent="password_reset")
    assert model.predict("ann", orders).resolution > model.predict("bob", orders).resolution + 0.3
    assert model.predict("bob", reset).resolution > model.predict("ann", reset).resolution + 0.3
    # Handle time and CSAT follow the outcomes they were seen with.
    assert model.predict("ann", orders).handle_seconds < model.predict("bob", orders).handle_seconds
    assert model.predict("ann", orders).csat > model.predict("bob", orders).csat
    assert model.predict("ann", orders).samples == 50


def test_thin_evidence_is_shrunk_toward_the_levels_above() -> None:
    spec = {("ann", "order_status"): (30, 30), ("bob", "order_status"): (30, 30)}
    spec[("cleo", "order_status")] = (1, 0)  # one lucky contact
    spec[("dan", "order_status")] = (12, 0)  # a dozen
    model = OutcomeModel.train(outcomes(spec), trained_at=NOW, prior_strength=5)
    orders = ContactFeatures(intent="order_status")
    mean = model.metrics["resolution"].intent["order_status"][0]
    cleo = model.predict("cleo", orders).resolution
    dan = model.predict("dan", orders).resolution
    assert mean < cleo < 0.8 < dan  # one success is weak evidence (raw rate: 100%), twelve not
    # An agent never seen is predicted at the intent's mean; an unseen intent at the global.
    assert model.predict("nobody", orders).resolution == pytest.approx(
        model.metrics["resolution"].intent["order_status"][0]
    )
    assert model.predict("ann", ContactFeatures(intent="gift_cards")).samples == 0


def test_saved_as_versioned_json_and_tampering_is_refused(tmp_path: Path) -> None:
    model = OutcomeModel.train(outcomes({("ann", "order_status"): (8, 2)}), trained_at=NOW)
    store = FileModelStore(tmp_path)
    path = store.save("ws-1", model)
    data = json.loads(path.read_text())  # plain JSON: nothing executable in a model file
    assert data["format"] == "hybridcx-routing-outcome/1"
    assert data["trained_at"] == NOW.isoformat() and data["version"] == model.version
    assert (tmp_path / "versions" / f"ws-1-{model.version}.json").exists()
    loaded = store.get("ws-1")
    assert loaded is not None and loaded.version == model.version
    f = ContactFeatures(intent="order_status")
    assert loaded.predict("ann", f) == model.predict("ann", f)
    data["metrics"]["resolution"]["global"] = 0.99
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="corrupt"):
        OutcomeModel.load(path)
    assert FileModelStore(tmp_path).get("ws-1") is None  # unreadable counts as missing
    assert store.get("other-workspace") is None


def test_nothing_to_learn_from_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no outcomes"):
        OutcomeModel.train([], trained_at=NOW)


def test_training_rows_from_an_event_log() -> None:
    log = (
        Log()
        .created("c1", 0, "cust-1")
        .turn("c1", 1, intent="order_status", sentiment=-0.5)
        .queued("c1", 2, reasons=["customer_request"])
        .assigned("c1", 62, "ann")
        .resolved("c1", 362, "ann")
        .add("c1", "survey.submitted", 400, rating=2, resolved=False)
        # No survey answer: resolution from re-contacts (cust-2 came back within the window).
        .created("c2", 1000, "cust-2", channel="email")
        .turn("c2", 1001, intent="password_reset")
        .queued("c2", 1002, reasons=["low_confidence"])
        .assigned("c2", 1100, "bob")
        .resolved("c2", 1300, "bob")
        .created("c3", 90_000, "cust-2")
        # Never reached a person: not a routing outcome.
        .created("c4", 5, "cust-4")
        .turn("c4", 6, intent="opening_hours")
    )
    rows = outcomes_from_events(
        log.sorted(), customers={"cust-1": (True, 30_000.0)}, now=T0.replace(day=20)
    )
    by_agent = {o.agent_id: o for o in rows}
    assert set(by_agent) == {"ann", "bob"}
    ann, bob = by_agent["ann"], by_agent["bob"]
    assert ann.resolved is False and ann.csat == 2 and ann.handle_seconds == 300
    assert ann.features.intent == "order_status" and ann.features.vip is True
    assert ann.features.sentiment == -0.5 and ann.features.hour == 9
    assert ann.features.context()["mood"] == "upset" and ann.features.context()["value"] == "high"
    assert bob.resolved is False  # the customer came back the next day
    assert bob.features.channel == "email" and bob.csat is None
    # Before the FCR window has passed, an unanswered outcome is unknown, not resolved.
    early = outcomes_from_events(log.sorted(), now=T0.replace(day=2, hour=10))
    assert {o.agent_id: o.resolved for o in early}["bob"] is None


def test_the_team_level_is_the_workspaces_intent_skills_kept_with_the_model(
    tmp_path: Path,
) -> None:
    # Ann is good at one visa intent; a sibling intent she has never had is predicted from her
    # record on its team, which is the workspace's mapping (saved with the model), not a table.
    spec = {
        ("ann", "visa_renewal"): (40, 10),
        ("bob", "visa_renewal"): (10, 40),
        ("ann", "filler"): (25, 25),
        ("bob", "filler"): (25, 25),
    }
    teams = {"visa_renewal": "visas", "visa_first": "visas"}
    model = OutcomeModel.train(outcomes(spec), trained_at=NOW, teams=teams)
    sibling = ContactFeatures(intent="visa_first")
    assert model.predict("ann", sibling).resolution > model.predict("bob", sibling).resolution
    loaded = OutcomeModel.load(FileModelStore(tmp_path).save("ws-1", model))
    assert loaded.teams == teams and loaded.predict("ann", sibling) == model.predict("ann", sibling)
    # without the mapping the sibling is just "general": no team evidence to lean on
    plain = OutcomeModel.train(outcomes(spec), trained_at=NOW)
    assert plain.predict("ann", sibling).resolution < model.predict("ann", sibling).resolution
