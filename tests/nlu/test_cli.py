from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hybridcx.cli import app

runner = CliRunner()


def test_predict_prints_json(saved_demo_model: Path):
    result = runner.invoke(
        app, ["nlu", "predict", "Where is my order #1001?", "--model", str(saved_demo_model)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["intent"] == "order_status" and data["confidence"] >= 0.7
    assert data["entities"][0]["type"] == "order_number"
    assert data["sentiment"]["label"] in {"negative", "neutral", "positive"}


def test_predict_without_model_is_a_clear_error(tmp_path: Path):
    result = runner.invoke(app, ["nlu", "predict", "hi", "--model", str(tmp_path)])
    assert result.exit_code == 2
    assert "hybridcx nlu train" in result.output


def test_train_and_eval_on_small_csv(tmp_path: Path):
    rows = ["text,label"]
    for i in range(12):
        rows += [
            f"where is my order {1000 + i},order_status",
            f"reset password now {i},password_reset",
        ]
        rows += [f"what time do you open on day {i},opening_hours"]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "test.csv").write_text(
        "text,label\nwhere's my order,order_status\nforgot my password,password_reset\n"
        "when do you open,opening_hours\nplay me a song,oos\n"
    )
    out = tmp_path / "model"
    result = runner.invoke(
        app, ["nlu", "train", "--data", str(tmp_path / "train.csv"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "model.json").is_file()
    result = runner.invoke(
        app,
        [
            "nlu",
            "eval",
            "--train",
            str(tmp_path / "train.csv"),
            "--test",
            str(tmp_path / "test.csv"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    for key in [
        "accuracy",
        "macro_f1",
        "ece",
        "train_seconds",
        "latency_ms_p50",
        "latency_ms_p99",
        "in_scope_accuracy",
        "oos_recall",
        "oos_precision",
    ]:
        assert key in metrics
    assert metrics["in_scope_accuracy"] == 1.0
