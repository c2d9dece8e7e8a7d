"""`hybridcx nlu ...`: train, predict and evaluate the intent engine from the terminal."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples
from hybridcx.nlu.errors import NLUError

#: Where `train` writes and `predict` reads when no directory is given (the server passes its
#: own data dir instead).
DEFAULT_MODEL_DIR = Path(".hybridcx") / "nlu"

nlu_app = typer.Typer(help="Intent, entity and sentiment understanding.", no_args_is_help=True)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


@nlu_app.command("train")
def train(
    data: Annotated[
        Path, typer.Option(help="Intent examples (.yaml or .csv).")
    ] = DEMO_INTENTS_PATH,
    out: Annotated[Path, typer.Option(help="Directory to save the model in.")] = DEFAULT_MODEL_DIR,
) -> None:
    """Train the intent classifier and save it (JSON + npz, no pickle)."""
    from hybridcx.nlu.classifier import IntentClassifier

    try:
        examples = load_examples(data)
        started = time.perf_counter()
        model = IntentClassifier.train(examples)
        seconds = time.perf_counter() - started
        model.save(out)
    except NLUError as exc:
        raise _fail(exc) from exc
    typer.echo(
        f"Trained {len(model.labels)} intents on {len(examples)} examples in {seconds:.1f} s "
        f"(temperature {model.temperature:.3f}); saved to {out}"
    )


@nlu_app.command("predict")
def predict(
    text: Annotated[str, typer.Argument(help="A customer message.")],
    model: Annotated[Path, typer.Option(help="Trained model directory.")] = DEFAULT_MODEL_DIR,
) -> None:
    """Print intent, confidence, entities and sentiment of TEXT as JSON."""
    from hybridcx.nlu.classifier import IntentClassifier
    from hybridcx.nlu.engine import NLUEngine

    try:
        engine = NLUEngine(IntentClassifier.load(model))
    except NLUError as exc:
        raise _fail(exc) from exc
    analysis = engine.analyze(text, now=datetime.now().astimezone())
    typer.echo(json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False))


@nlu_app.command("eval")
def evaluate(
    train: Annotated[Path, typer.Option(help="Training CSV (text,label).")],
    test: Annotated[Path, typer.Option(help="Test CSV, read only to score.")],
    dev: Annotated[Path | None, typer.Option(help="Dev CSV for calibration/thresholds.")] = None,
    oos_label: Annotated[str, typer.Option(help="Label of out-of-scope rows.")] = "oos",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Train on TRAIN, pick thresholds on DEV (or a carve of TRAIN), score TEST once."""
    from hybridcx.nlu.evaluation import train_and_evaluate

    def progress(stage: str, done: int, total: int) -> None:
        msg = f"training on {total} examples..." if stage == "train" else f"scored {done}/{total}"
        typer.echo(msg, err=True)

    try:
        result = train_and_evaluate(
            load_examples(train),
            load_examples(test),
            dev=load_examples(dev) if dev else None,
            oos_label=oos_label,
            progress=progress,
        )
    except NLUError as exc:
        raise _fail(exc) from exc
    if as_json:
        typer.echo(json.dumps(result.metrics, indent=2))
        return
    for key, value in result.metrics.items():
        typer.echo(f"{key:<20} {value}")


@nlu_app.command("sentiment-eval")
def sentiment_eval(
    test: Annotated[Path, typer.Option(help="CSV with text,label (negative/neutral/positive).")],
    train: Annotated[
        Path | None, typer.Option(help="Train a sentiment model on this CSV (default: VADER).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score sentiment on a labelled CSV (TweetEval metric: macro recall)."""
    from hybridcx.nlu.sentiment_eval import evaluate_sentiment, vader_label

    try:
        predict = vader_label
        extra: dict[str, float] = {}
        if train is not None:
            from hybridcx.nlu.sentiment_model import SentimentClassifier

            typer.echo(f"training on {train}...", err=True)
            started = time.perf_counter()
            predict = SentimentClassifier.train(load_examples(train)).predict
            extra["train_seconds"] = round(time.perf_counter() - started, 2)
        metrics = evaluate_sentiment(load_examples(test), predict) | extra
    except NLUError as exc:
        raise _fail(exc) from exc
    if as_json:
        typer.echo(json.dumps(metrics, indent=2))
        return
    for key, value in metrics.items():
        typer.echo(f"{key:<20} {value}")
