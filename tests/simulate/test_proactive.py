"""Proactive mode: notified customers contact less, measured against a held-out
control group; the same seed gives the same groups and outcome."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybridcx.brain import load_brain
from hybridcx.cli import app as cli_app
from hybridcx.simulate.config import SimConfig
from hybridcx.simulate.proactive import PREVENTABLE, ProactiveConfig, apply
from hybridcx.simulate.runner import Engine, policy_from, simulate
from hybridcx.simulate.traffic import generate, load_utterances


def test_notified_customers_contact_less_than_the_control_group() -> None:
    contacts = generate(SimConfig(contacts=3000, seed=5), load_utterances())
    eligible = sum(1 for c in contacts if c.issues[0].label in PREVENTABLE)
    kept, report = apply(contacts, ProactiveConfig(effect=0.6, holdout=0.25), seed=5)
    assert report["eligible"] == eligible > 100
    assert report["control_group"] + report["notified"] == eligible
    assert 0.15 < report["control_group"] / eligible < 0.35  # the holdout share, roughly
    assert len(kept) == len(contacts) - report["contacts_avoided"]
    # The measured effect is near the configured one, and the control group kept contacting.
    assert report["control_contact_rate"] == 1.0
    assert 0.3 < report["notified_contact_rate"] < 0.5
    assert report["measured_contacts_avoided"] == report["contacts_avoided"]
    assert 0 < report["response_rate"] < 0.4
    # Same seed, same outcome; no effect, nothing avoided; everyone held out, nobody notified.
    assert apply(contacts, ProactiveConfig(effect=0.6, holdout=0.25), seed=5)[1] == report
    assert apply(contacts, ProactiveConfig(effect=0.0), seed=5)[1]["contacts_avoided"] == 0
    none = apply(contacts, ProactiveConfig(effect=0.6, holdout=1.0), seed=5)[1]
    assert none["notified"] == 0 and none["notified_contact_rate"] is None
    with pytest.raises(ValueError):
        ProactiveConfig(effect=1.5)


def test_a_proactive_run_has_fewer_contacts_and_reports_prevention(nlu_model_dir: Path) -> None:
    engine = Engine.from_brain(load_brain(nlu_model_dir))
    config = SimConfig(contacts=150, agents=4, seed=7)
    base = simulate(config, engine, policy_from(None))
    pro = simulate(
        config, engine, policy_from(None), proactive=ProactiveConfig(effect=0.8, holdout=0.2)
    )
    p = pro["proactive"]
    assert "proactive" not in base and p["contacts_avoided"] > 0
    assert pro["summary"]["contacts"] == base["summary"]["contacts"] - p["contacts_avoided"]

    result = CliRunner().invoke(
        cli_app,
        [
            "simulate",
            "--contacts",
            "120",
            "--agents",
            "3",
            "--seed",
            "2",
            "--proactive-effect",
            "0.5",
            "--holdout",
            "0.3",
            "--json",
            "--model-dir",
            str(nlu_model_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    payload, _ = json.JSONDecoder().raw_decode(result.output[result.output.index("{") :])
    assert payload["proactive"]["holdout"] == 0.3 and payload["proactive"]["effect"] == 0.5
