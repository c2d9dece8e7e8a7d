"""`hybridcx nlu ...` and `hybridcx sentiment ...`: train, predict and evaluate from the terminal."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples
from hybridcx.nlu.errors import NLUError

nlu_app = typer.Typer(help="Intent, entity and sentiment understanding.", no_args_is_help=True)
sentiment_app = typer.Typer(help="Sentiment benchmarks (TweetEval metric).", no_args_is_help=True)

CacheOption = Annotated[
    Path | None,
    typer.Option(
        help="Directory (outside the repository) to keep trained models in and reuse them "
        "when the data, settings and model code are unchanged."
    ),
]


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


def default_model_dir() -> Path:
    """The server's model directory (HYBRIDCX_NLU_MODEL_DIR, else HYBRIDCX_DATA_DIR/nlu)."""
    from hybridcx.config import Settings

    return Settings().effective_nlu_model_dir


def _print(metrics: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(metrics, indent=2))
        return
    for key, value in metrics.items():
        typer.echo(f"{key:<22} {value}")


@nlu_app.command("train")
def train(
    data: Annotated[
        Path, typer.Option(help="Intent examples (.yaml or .csv).")
    ] = DEMO_INTENTS_PATH,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Directory to save the model in (default: the server's, HYBRIDCX_NLU_MODEL_DIR or HYBRIDCX_DATA_DIR/nlu)."
        ),
    ] = None,
) -> None:
    """Train the intent classifier and save it (JSON + npz, no pickle)."""
    from hybridcx.nlu.classifier import IntentClassifier

    out = out or default_model_dir()
    try:
        examples = load_examples(data)
        started = time.perf_counter()
        model = IntentClassifier.train(examples)
        seconds = time.perf_counter() - started
        model.save(out)
    except NLUError as exc:
        raise _fail(exc) from exc
    oos = model.config.oos_label
    intents = [label for label in model.labels if label != oos]
    extra = f" + an '{oos}' class" if oos in model.labels else ""
    typer.echo(
        f"Trained {len(intents)} intents{extra} on {len(examples)} examples in {seconds:.1f} s "
        f"(temperature {model.temperature:.3f}); saved to {out}"
    )


@nlu_app.command("predict")
def predict(
    text: Annotated[str, typer.Argument(help="A customer message.")],
    model: Annotated[
        Path | None,
        typer.Option(
            help="Trained model directory (default: the server's, HYBRIDCX_NLU_MODEL_DIR or HYBRIDCX_DATA_DIR/nlu)."
        ),
    ] = None,
) -> None:
    """Print intent, confidence, entities and sentiment of TEXT as JSON."""
    from hybridcx.nlu.classifier import IntentClassifier
    from hybridcx.nlu.engine import NLUEngine

    try:
        engine = NLUEngine(IntentClassifier.load(model or default_model_dir()))
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
    few_shot: Annotated[
        int | None,
        typer.Option(
            "--few-shot", help="Train on N random examples per label of TRAIN (see --seeds)."
        ),
    ] = None,
    seeds: Annotated[
        int, typer.Option(help="With --few-shot: draws (seeds 0..S-1); mean and stdev.")
    ] = 5,
    cache: CacheOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Train on TRAIN, pick thresholds on DEV (or a carve of TRAIN), score TEST once."""
    from hybridcx.nlu.classifier import ClassifierConfig, IntentClassifier
    from hybridcx.nlu.evaluation import evaluate as score
    from hybridcx.nlu.evaluation import few_shot_evaluate

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "train":
            seed = f" (seed {done})" if few_shot else ""
            typer.echo(f"training on {total} examples{seed}...", err=True)
        else:
            typer.echo(f"scored {done}/{total}", err=True)

    config = ClassifierConfig(oos_label=oos_label)
    try:
        train_rows = load_examples(train)
        dev_rows = load_examples(dev) if dev else None
        test_rows = load_examples(test)
        if few_shot is not None:
            if few_shot < 1 or seeds < 1:
                raise typer.BadParameter("--few-shot and --seeds must be at least 1.")
            report = few_shot_evaluate(
                train_rows,
                test_rows,
                per_label=few_shot,
                seeds=seeds,
                dev=dev_rows,
                oos_label=oos_label,
                config=config,
                progress=progress,
            )
            _print(report, as_json)
            return
        model, train_seconds = None, 0.0
        if cache is not None:
            from hybridcx.nlu.model_cache import cache_key, read_info, write_info

            directory = cache / cache_key("intent", [train, dev], repr(config))
            info = read_info(directory)
            if info is not None:
                typer.echo(f"using the cached model in {directory}", err=True)
                model = IntentClassifier.load(directory)
                train_seconds = float(info["train_seconds"])
        if model is None:
            progress("train", 0, len(train_rows))
            started = time.perf_counter()
            model = IntentClassifier.train(train_rows, dev=dev_rows, config=config)
            train_seconds = time.perf_counter() - started
            if cache is not None:
                model.save(directory)
                write_info(directory, {"train_seconds": train_seconds})
        result = score(model, test_rows, oos_label=oos_label, progress=progress)
    except NLUError as exc:
        raise _fail(exc) from exc
    _print(result.metrics | {"train_seconds": round(train_seconds, 2)}, as_json)


def sentiment_eval(
    test: Annotated[Path, typer.Option(help="CSV with text,label (negative/neutral/positive).")],
    train: Annotated[
        Path | None, typer.Option(help="Train a sentiment model on this CSV (default: VADER).")
    ] = None,
    dev: Annotated[
        Path | None,
        typer.Option(
            help="Labelled CSV to tune on (class offsets of the trained model, or VADER's "
            "neutral band), never the TEST file."
        ),
    ] = None,
    cache: CacheOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score sentiment on a labelled CSV: macro recall (TweetEval metric), accuracy, negative
    recall and precision, latency.
    """
    from hybridcx.nlu.errors import TrainingDataError
    from hybridcx.nlu.sentiment_eval import (
        CLASSES,
        evaluate_sentiment,
        tune_class_offsets,
        tune_vader_band,
        vader_band_labeller,
        vader_label,
    )

    try:
        test_rows = load_examples(test)
        dev_rows = load_examples(dev) if dev else None
        for path, rows in ((test, test_rows), (dev, dev_rows or [])):
            unknown = sorted({label for _, label in rows} - set(CLASSES))
            if unknown:
                raise TrainingDataError(
                    f"{path}: labels must be negative/neutral/positive, found {unknown[:3]}."
                )
        predict: Callable[[str], str] = vader_label
        extra: dict[str, Any] = {"model": "vader"}
        if train is None and dev_rows:
            band = tune_vader_band(dev_rows)
            predict = vader_band_labeller(*band)
            extra["vader_band"] = list(band)
        if train is not None:
            classifier = _sentiment_model(train, cache)
            extra = {"model": "trained", "train_seconds": classifier[1]}
            model = classifier[0]
            if dev_rows:
                probs = model.predict_proba([t for t, _ in dev_rows])
                model.offsets = tune_class_offsets(
                    probs, model.labels, [label for _, label in dev_rows]
                )
                extra["class_offsets"] = dict(
                    zip(model.labels, [round(float(x), 2) for x in model.offsets], strict=True)
                )
            predict = model.predict
        metrics = evaluate_sentiment(test_rows, predict) | extra
    except NLUError as exc:
        raise _fail(exc) from exc
    _print(metrics, as_json)


def _sentiment_model(train: Path, cache: Path | None) -> tuple[Any, float]:
    from hybridcx.nlu.sentiment_model import SentimentClassifier

    directory = None
    if cache is not None:
        from hybridcx.nlu.model_cache import cache_key, read_info

        directory = cache / cache_key("sentiment", [train], "c=1.0")
        info = read_info(directory)
        if info is not None:
            typer.echo(f"using the cached model in {directory}", err=True)
            return SentimentClassifier.load(directory), float(info["train_seconds"])
    typer.echo(f"training on {train}...", err=True)
    started = time.perf_counter()
    model = SentimentClassifier.train(load_examples(train))
    seconds = round(time.perf_counter() - started, 2)
    if directory is not None:
        from hybridcx.nlu.model_cache import write_info

        model.save(directory)
        write_info(directory, {"train_seconds": seconds})
    return model, seconds


# The contract is `hybridcx sentiment eval`; `hybridcx nlu sentiment-eval` stays as an
# alias for scripts written before the top-level group existed.
sentiment_app.command("eval")(sentiment_eval)
nlu_app.command("sentiment-eval")(sentiment_eval)
