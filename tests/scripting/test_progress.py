"""Scripts without a server: the shipped defaults load, the loader's messages, and
how the transcript ticks steps off (loose wording, entities, actions, branches)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybridcx.cli import app
from hybridcx.kit.errors import InvalidInput
from hybridcx.scripting.progress import ActionRun, Line, evaluate, said
from hybridcx.scripting.spec import DEFAULTS_FILE, default_scripts, parse_file
from hybridcx.segments.profiles import EXAMPLE_FILE

NOW = datetime(2026, 12, 8, 10, 30, tzinfo=UTC).replace(tzinfo=None)
VALUES = {"customer.first_name": "Ann", "agent.name": "Bob", "order.id": "1001"}


def _refund():  # type: ignore[no-untyped-def]
    return next(s for s in default_scripts().scripts if s.name == "refund")


def test_the_shipped_scripts_cover_the_demo_intents() -> None:
    intents = {i for s in default_scripts().scripts for i in s.intents}
    assert {"refund_status", "cancel_order", "damaged_item"} <= intents
    assert default_scripts().enforcement == "warn"


def test_wording_matches_loosely_but_not_anything() -> None:
    wording = "Refunds take 5 to 10 business days to appear on your statement."
    assert said(
        wording,
        [Line("agent", "FYI: refunds take 5-10 business days to appear on your statement!")],
    )
    assert not said(wording, [Line("agent", "Refunds are quick.")])
    assert not said(wording, [Line("customer", wording)])  # the agent must say it


def test_steps_tick_off_from_messages_entities_and_actions() -> None:
    lines = [
        Line("agent", "Hi Ann, I'm Bob and I'll help you with your refund."),
        Line("customer", "it's order 1001"),
    ]
    p = evaluate(_refund(), lines, [], VALUES, now=NOW)
    status = {s.step.id: s.status for s in p.steps}
    assert status["greet"] == "done" and status["order"] == "done"
    assert p.next is not None and p.next.step.id == "disclosure"
    assert [s.step.id for s in p.missing_required] == ["disclosure", "refund"]
    assert p.adherence == pytest.approx(1 / 3)


def test_a_backend_result_picks_the_branch() -> None:
    done = evaluate(_refund(), [], [ActionRun("cancel_and_refund", "done")], VALUES, now=NOW)
    assert {s.step.id: s.status for s in done.steps}["approval_note"] == "skipped"
    held = evaluate(_refund(), [], [ActionRun("cancel_and_refund", "pending")], VALUES, now=NOW)
    assert {s.step.id: s.status for s in held.steps}["approval_note"] == "todo"
    assert "order 1001" in next(s.text for s in held.steps if s.step.id == "approval_note")


def test_what_the_customer_says_picks_the_branch() -> None:
    cancel = next(s for s in default_scripts().scripts if s.name == "cancel")
    lines = [
        Line(
            "agent", "Before I cancel it, would a different delivery date or address help instead?"
        ),
        Line("customer", "oh yes, I'd rather change the address"),
    ]
    p = evaluate(cancel, lines, [], VALUES, now=NOW)
    status = {s.step.id: s.status for s in p.steps}
    assert status["cancel"] == "skipped" and status["disclosure"] == "skipped"
    assert "cancel" not in [s.step.id for s in p.missing_required]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("scripts: [", "not valid YAML"),
        ("- a", "expected a mapping"),
        ("enforcement: maybe\nscripts: []", "enforcement"),
        (
            "scripts:\n  - name: a\n    intents: [x]\n    steps:\n"
            "      - {id: s, kind: ask, text: hi, branches: [{goto: s, customer_says: [x]}]}",
            "forward only",
        ),
        (
            "scripts:\n  - name: a\n    intents: [x]\n    steps:\n"
            "      - {id: s, kind: say, text: hi, branches: [{goto: t, result: done}]}\n"
            "      - {id: t, kind: say, text: bye}",
            "only an action step branches",
        ),
    ],
)
def test_the_loader_names_the_problem(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_file(text, source="scripts.yaml")


def test_the_cli_checks_files(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["scripts", "check", str(DEFAULTS_FILE)])
    assert ok.exit_code == 0 and "3 scripts" in ok.output
    seg = runner.invoke(app, ["scripts", "check", "--segments", str(EXAMPLE_FILE)])
    assert seg.exit_code == 0 and "3 segment profiles OK" in seg.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scripts:\n  - name: a\n    intents: [x]\n    steps:\n"
        "      - {id: r, kind: action, action: launch_rocket}\n"
    )
    out = runner.invoke(app, ["scripts", "check", str(bad)])
    assert out.exit_code == 1 and "action must be one of" in out.output
    badseg = tmp_path / "seg.yaml"
    badseg.write_text(
        "segments:\n  - {name: vip, match: {vip: true}, policy: {confidence_threshold: 3}}\n"
    )
    out = runner.invoke(app, ["scripts", "check", "--segments", str(badseg)])
    assert out.exit_code == 1 and "policy overrides are invalid" in out.output
