from __future__ import annotations

import json
from pathlib import Path

import pytest
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
        "text,label,oos_type\nwhere's my order,order_status,in_scope\n"
        "forgot my password,password_reset,in_scope\nwhen do you open,opening_hours,in_scope\n"
        "play me a song,oos,ood_oos\n"
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
        "oos_recall_ood_oos",
        "in_scope_handoff_rate",
    ]:
        assert key in metrics
    assert metrics["in_scope_accuracy"] == 1.0 and metrics["n_ood_oos"] == 1
    # The raw text, without the typo repair the product applies (for comparison).
    args = ["--train", str(tmp_path / "train.csv"), "--test", str(tmp_path / "test.csv")]
    raw = runner.invoke(app, ["nlu", "eval", *args, "--no-spelling", "--json"])
    assert raw.exit_code == 0, raw.output
    assert json.loads(raw.stdout)["in_scope_accuracy"] == 1.0


def _sentiment_csvs(tmp_path: Path) -> tuple[Path, Path]:
    train = ["text,label"]
    for i in range(8):
        train += [
            f"I love this great service {i},positive",
            f"awful and terrible I hate it {i},negative",
            f"the store opens at {i} on monday,neutral",
        ]
    (tmp_path / "s_train.csv").write_text("\n".join(train) + "\n")
    (tmp_path / "s_test.csv").write_text(
        "text,label\nI love it wonderful,positive\nthis is terrible and awful,negative\n"
        "the office is on main street,neutral\nhorrible I hate waiting,negative\n"
    )
    return tmp_path / "s_train.csv", tmp_path / "s_test.csv"


SENTIMENT_KEYS = [
    "macro_recall",
    "accuracy",
    "negative_recall",
    "negative_precision",
    "latency_ms_p50",
    "latency_ms_p99",
]


def test_sentiment_eval_top_level_and_alias_agree(tmp_path: Path):
    _, test = _sentiment_csvs(tmp_path)
    outputs = []
    for command in (["sentiment", "eval"], ["nlu", "sentiment-eval"]):
        result = runner.invoke(app, [*command, "--test", str(test), "--json"])
        assert result.exit_code == 0, result.output
        metrics = json.loads(result.stdout)
        for key in SENTIMENT_KEYS:
            assert key in metrics
        assert metrics["negative_recall"] == 1.0 and metrics["n_test"] == 4
        outputs.append({k: metrics[k] for k in SENTIMENT_KEYS if not k.startswith("latency")})
    assert outputs[0] == outputs[1]


def test_sentiment_train_then_eval_tweets_and_requests(tmp_path: Path):
    rows = ["text,label,source_file"]
    for i in range(20):
        source = "twitter-2016test-A.tsv" if i % 2 else "twitter-2013train-A.tsv"
        rows += [
            f"I love this great service {i},positive,{source}",
            f"awful and terrible I hate it {i},negative,{source}",
            f"the store opens at {i} on monday,neutral,{source}",
        ]
    (tmp_path / "tweets.csv").write_text("\n".join(rows) + "\n")
    requests = ["text,label,source"]
    requests += [f"This is ridiculous I am furious {i}!!,rant_or_emotion,iva" for i in range(8)]
    requests += [f"What time does flight {i} board?,none,iva" for i in range(30)]
    (tmp_path / "requests.csv").write_text("\n".join(requests) + "\n")
    out = tmp_path / "model"
    trained = runner.invoke(
        app,
        [
            "sentiment",
            "train",
            "--data",
            str(tmp_path / "tweets.csv"),
            "--requests",
            str(tmp_path / "requests.csv"),
            "--out",
            str(out),
            "--vector-cache",
            str(tmp_path / "vectors"),
        ],
    )
    assert trained.exit_code == 0, trained.output
    report = json.loads(trained.stdout)
    assert report["n_carve"] == 9 and report["upset"]["positives"] == 8
    _, test = _sentiment_csvs(tmp_path)
    args = ["sentiment", "eval", "--model-dir", str(out), "--json"]
    scored = runner.invoke(app, [*args, "--test", str(test)])
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["macro_recall"] == 1.0
    escalation = runner.invoke(app, [*args, "--test", str(tmp_path / "requests.csv")])
    assert escalation.exit_code == 0, escalation.output
    metrics = json.loads(escalation.stdout)
    assert metrics["f1"] == 1.0 and set(metrics["by_source"]) == {"iva"}
    assert {"0.50", "0.90"} <= set(metrics["sweep"])


def test_sentiment_eval_vader_baseline_on_requests(tmp_path: Path):
    (tmp_path / "r.csv").write_text(
        "text,label,source\nThis is RIDICULOUS and useless!!,rant_or_emotion,forum\n"
        "What time is check-in?,none,forum\n"
    )
    result = runner.invoke(
        app, ["sentiment", "eval", "--model", "vader", "--test", str(tmp_path / "r.csv"), "--json"]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["model"] == "rules (vader)" and metrics["f1"] == 1.0


def test_sentiment_eval_bad_input_is_exit_2(tmp_path: Path):
    result = runner.invoke(app, ["sentiment", "eval", "--test", str(tmp_path / "no.csv")])
    assert result.exit_code == 2
    assert "not found" in result.output
    (tmp_path / "bad.csv").write_text("text,label\ngreat, really,positive\n")
    result = runner.invoke(app, ["sentiment", "eval", "--test", str(tmp_path / "bad.csv")])
    assert result.exit_code == 2
    assert "negative/neutral/positive" in result.output


def test_train_and_predict_default_to_the_server_model_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("HYBRIDCX_NLU_MODEL_DIR", raising=False)
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no .env file and no ./.hybridcx to fall back on
    small = tmp_path / "small.csv"
    small.write_text(
        "text,label\n"
        + "".join(
            f"where is my order {i},order_status\nreset my password {i},password\n"
            for i in range(6)
        )
    )
    result = runner.invoke(app, ["nlu", "train", "--data", str(small)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "nlu" / "model.json").is_file()
    assert "Trained 2 intents on 12 examples" in result.output
    result = runner.invoke(app, ["nlu", "predict", "where is my order"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ranking"][0][0] == "order_status"

    monkeypatch.setenv("HYBRIDCX_NLU_MODEL_DIR", str(tmp_path / "elsewhere"))
    result = runner.invoke(app, ["nlu", "predict", "where is my order"])
    assert result.exit_code == 2 and "elsewhere" in result.output
    assert not (tmp_path / ".hybridcx").exists()


def test_train_counts_intents_without_the_oos_class(tmp_path: Path):
    data = tmp_path / "with_oos.csv"
    data.write_text(
        "text,label\n"
        + "".join(
            f"where is my order {i},order_status\nreset my password {i},password\n"
            f"tell me a joke {i},oos\n"
            for i in range(6)
        )
    )
    result = runner.invoke(app, ["nlu", "train", "--data", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert "Trained 2 intents + an 'oos' class on 18 examples" in result.output


def test_eval_few_shot_reports_mean_and_stdev(tmp_path: Path):
    rows = ["text,label"]
    for i in range(12):
        rows += [f"where is my order {1000 + i},order_status", f"reset password now {i},password"]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "test.csv").write_text(
        "text,label\nwhere's my order,order_status\nforgot my password,password\n"
    )
    result = runner.invoke(
        app,
        [
            "nlu",
            "eval",
            "--train",
            str(tmp_path / "train.csv"),
            "--test",
            str(tmp_path / "test.csv"),
            "--few-shot",
            "5",
            "--seeds",
            "3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["few_shot"] == 5 and report["seeds"] == 3
    assert report["n_train_per_seed"] == 10 and len(report["accuracy_per_seed"]) == 3
    assert {"accuracy_mean", "accuracy_std", "macro_f1_mean", "ece_mean"} <= set(report)
