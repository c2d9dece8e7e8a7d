"""`hybridcx experiments` and `hybridcx routing` against a real (SQLite) database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybridcx.cli import app


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HYBRIDCX_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["seed"])
    assert result.exit_code == 0, result.output
    return tmp_path


def test_create_list_show_rollout_and_stop(data_dir: Path) -> None:
    runner = CliRunner()
    spec = data_dir / "exp.yaml"
    spec.write_text(
        "name: thanks-copy\n"
        "arms:\n"
        "  - {name: control, share: 0.5}\n"
        "  - {name: warm, share: 0.5, overrides: {smalltalk: {thanks: 'Any time!'}}}\n"
        "guardrails:\n"
        "  - {metric: csat, max_decrease: 0.3}\n"
    )
    r = runner.invoke(app, ["experiments", "create", str(spec)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["arms"][1]["overrides"] == {"smalltalk": {"thanks": "Any time!"}}
    r = runner.invoke(
        app,
        ["experiments", "rollout", "strict", "--treatment", '{"confidence_threshold": 0.9}',
         "--guardrail", "escalation_rate:+0.05", "--guardrail", "csat:-0.3"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    made = json.loads(r.output)
    assert made["treatment_share"] == 0.01 and made["rollout"]["steps"] == [0.01, 0.1, 0.5, 1.0]
    assert made["guardrails"] == [
        {"metric": "escalation_rate", "max_increase": 0.05},
        {"metric": "csat", "max_decrease": 0.3},
    ]
    r = runner.invoke(app, ["experiments", "list"])
    assert r.exit_code == 0 and "thanks-copy" in r.output and "strict" in r.output
    r = runner.invoke(app, ["experiments", "show", "strict"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.output)
    assert shown["evaluation"]["guardrails"][0]["status"] == "collecting"  # no traffic yet
    r = runner.invoke(app, ["experiments", "stop", "strict", "--rollback", "--reason", "no"])
    assert r.exit_code == 0 and "rolled_back" in r.output
    assert runner.invoke(app, ["experiments", "check"]).exit_code == 0
    # Mistakes are clear errors, not tracebacks.
    r = runner.invoke(app, ["experiments", "rollout", "bad", "--treatment", '{"nope": 1}'])
    assert r.exit_code == 2 and "valid routing policy" in r.output
    r = runner.invoke(app, ["experiments", "show", "missing"])
    assert r.exit_code == 2 and "not found" in r.output
    r = runner.invoke(app, ["experiments", "create", str(spec)])
    assert r.exit_code == 2 and "already exists" in r.output


def test_routing_train_needs_history_and_show_says_so(data_dir: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["routing", "show"])
    assert r.exit_code == 1 and "No routing model yet" in r.output
    r = runner.invoke(app, ["routing", "train"])
    assert r.exit_code == 2 and "no outcomes" in r.output
