"""`hybridcx nlu ...` and `hybridcx sentiment ...`: train, predict and evaluate from the terminal."""

from __future__ import annotations

import dataclasses
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


def default_model_dir(ctx: typer.Context) -> Path:
    """The server's model directory (HYBRIDCX_NLU_MODEL_DIR, else HYBRIDCX_DATA_DIR/nlu)."""
    from hybridcx.kit.cli import cli_settings

    return cli_settings(ctx).effective_nlu_model_dir


def _print(metrics: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(metrics, indent=2))
        return
    for key, value in metrics.items():
        typer.echo(f"{key:<22} {value}")


@nlu_app.command("train")
def train(
    ctx: typer.Context,
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

    out = out or default_model_dir(ctx)
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
    ctx: typer.Context,
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
        engine = NLUEngine(IntentClassifier.load(model or default_model_dir(ctx)))
    except NLUError as exc:
        raise _fail(exc) from exc
    analysis = engine.analyze(text, now=datetime.now().astimezone())
    typer.echo(json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False))


@nlu_app.command("eval")
def evaluate(
    train: Annotated[
        list[Path],
        typer.Option(
            help="Training CSV (text,label); repeat to add files, e.g. the company's own "
            "out-of-scope questions (BANKING77-OOS train_id_oos.csv)."
        ),
    ],
    test: Annotated[
        Path,
        typer.Option(
            help="Test CSV, read only to score; an oos_type column adds OOS recall per type."
        ),
    ],
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
    oos_budget: Annotated[
        float,
        typer.Option(help="In-scope accuracy (share) the out-of-scope thresholds may cost on DEV."),
    ] = 0.015,
    handoff_confidence: Annotated[
        float,
        typer.Option(
            help="Confidence below which the routing policy hands a message to a person (the "
            "default policy's confidence_threshold), for in_scope_handoff_rate."
        ),
    ] = 0.7,
    spelling: Annotated[
        bool,
        typer.Option(
            help="Repair words one typo away from the training vocabulary before predicting "
            "(what the product does); --no-spelling scores the model on the raw text."
        ),
    ] = True,
    cache: CacheOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Train on TRAIN, pick thresholds on DEV (or a carve of TRAIN), score TEST once.

    Reports OOS recall per `oos_type` when TEST has that column, and the share of in-scope
    messages the engine would hand to people (flagged out of scope or below
    --handoff-confidence): the cost side of catching out-of-scope questions."""
    from hybridcx.nlu.classifier import ClassifierConfig, IntentClassifier
    from hybridcx.nlu.evaluation import evaluate as score
    from hybridcx.nlu.evaluation import few_shot_evaluate

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "train":
            seed = f" (seed {done})" if few_shot else ""
            typer.echo(f"training on {total} examples{seed}...", err=True)
        else:
            typer.echo(f"scored {done}/{total}", err=True)

    config = ClassifierConfig(oos_label=oos_label, oos_in_scope_budget=oos_budget)
    try:
        train_rows = [row for path in train for row in load_examples(path)]
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

            directory = cache / cache_key("intent", [*train, dev], repr(config))
            info = read_info(directory)
            if info is not None:
                typer.echo(f"using the cached model in {directory}", err=True)
                model = IntentClassifier.load(directory)
                train_seconds = float(info["train_seconds"])
        if model is None:
            progress("train", 0, len(train_rows))
            started = time.perf_counter()
            embedder = None
            if cache is not None:
                from hybridcx.nlu.embeddings import shared_embedder
                from hybridcx.nlu.vector_cache import CachingEmbedder

                embedder = CachingEmbedder(shared_embedder(), cache / "vectors")
            model = IntentClassifier.train(
                train_rows, dev=dev_rows, config=config, embedder=embedder
            )
            train_seconds = time.perf_counter() - started
            if cache is not None:
                model.save(directory)
                write_info(directory, {"train_seconds": train_seconds})
        if not spelling:
            model = dataclasses.replace(model, spelling=False)
        result = score(
            model,
            test_rows,
            oos_label=oos_label,
            progress=progress,
            handoff_confidence=handoff_confidence,
            oos_types=_column(test, "oos_type"),
        )
    except NLUError as exc:
        raise _fail(exc) from exc
    _print(result.metrics | {"train_seconds": round(train_seconds, 2)}, as_json)


def _column(path: Path, name: str) -> list[str] | None:
    """One column of a CSV, row for row with `load_examples` (None if the file has none)."""
    import csv

    if path.suffix.lower() != ".csv":
        return None
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if name not in (reader.fieldnames or []):
            return None
        return [row[name].strip() for row in reader if row["text"]]


def sentiment_eval(
    test: Annotated[
        Path,
        typer.Option(
            help="CSV with text,label: negative/neutral/positive (TweetEval), or "
            "rant_or_emotion/none (RSiCS: scores the escalation decision, per source)."
        ),
    ],
    model: Annotated[
        str, typer.Option(help="product (the shipped sentiment model) or vader (baseline).")
    ] = "product",
    model_dir: Annotated[
        Path | None,
        typer.Option(
            help="A model trained by `hybridcx sentiment train` instead of the shipped one."
        ),
    ] = None,
    dev: Annotated[
        Path | None,
        typer.Option(
            help="With --model vader: tune VADER's neutral band on this CSV (never TEST)."
        ),
    ] = None,
    vector_cache: Annotated[
        Path | None,
        typer.Option(
            help="Encode the test texts once into this directory (outside the repository) and "
            "pass each message its vector, as the turn does: latency is then the sentiment "
            "model's own cost on top of the turn's encoding."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score sentiment on a labelled CSV: macro recall (TweetEval metric), accuracy, negative
    recall and precision, latency; or the escalation decision's precision/recall/F1 (RSiCS).
    """
    from hybridcx.nlu.errors import TrainingDataError
    from hybridcx.nlu.sentiment_eval import (
        CLASSES,
        evaluate_escalation,
        evaluate_sentiment,
        load_requests,
        tune_vader_band,
        vader_band_labeller,
        vader_label,
    )

    try:
        if model not in ("product", "vader"):
            raise TrainingDataError(f"--model must be product or vader, not {model!r}.")
        analyzer = None if model == "vader" else _sentiment_analyzer(model_dir)
        if analyzer is not None and vector_cache is not None:
            analyzer = _with_vectors(analyzer, test, vector_cache)
        requests = load_requests(test)
        if requests is not None:
            metrics = evaluate_escalation(requests, analyzer)
            _print(metrics, as_json)
            return
        test_rows = load_examples(test)
        unknown = sorted({label for _, label in test_rows} - set(CLASSES))
        if unknown:
            raise TrainingDataError(
                f"{test}: labels must be negative/neutral/positive or rant_or_emotion/none, "
                f"found {unknown[:3]}."
            )
        predict: Callable[[str], str] = vader_label
        extra: dict[str, Any] = {"model": "vader"}
        if analyzer is not None:
            predict = lambda text: analyzer.read(text).label  # noqa: E731
            extra = {"model": "product" if model_dir is None else str(model_dir)}
        elif dev:
            band = tune_vader_band(load_examples(dev))
            predict = vader_band_labeller(*band)
            extra["vader_band"] = list(band)
        metrics = evaluate_sentiment(test_rows, predict) | extra
    except NLUError as exc:
        raise _fail(exc) from exc
    _print(metrics, as_json)


def _with_vectors(analyzer: Any, test: Path, cache: Path) -> Any:
    """The analyzer, reading each test text with its precomputed (cached) sentence vector."""
    import csv

    from hybridcx.nlu.sentiment_model import SentimentAnalyzer, normalise
    from hybridcx.nlu.vector_cache import encode_cached

    with test.open(encoding="utf-8", newline="") as fh:
        texts = [row["text"] for row in csv.DictReader(fh) if row.get("text")]
    clean = [normalise(t) for t in texts]
    vectors = dict(zip(texts, encode_cached(analyzer.embedder, clean, cache), strict=True))

    class Precomputed(SentimentAnalyzer):
        def read(self, text: str, *, embedding: Any = None) -> Any:
            found = vectors.get(text) if embedding is None else embedding
            return super().read(text, embedding=found)

    return Precomputed(analyzer.model, analyzer.embedder)


def _sentiment_analyzer(model_dir: Path | None) -> Any:
    from hybridcx.nlu.embeddings import shared_embedder
    from hybridcx.nlu.sentiment_model import (
        SentimentAnalyzer,
        SentimentModel,
        load_packaged_analyzer,
    )

    if model_dir is None:
        return load_packaged_analyzer()
    return SentimentAnalyzer(SentimentModel.load(model_dir), shared_embedder())


@sentiment_app.command("train")
def sentiment_train(
    data: Annotated[
        Path,
        typer.Option(
            help="Labelled tweets: text,label,source_file (TweetEval's training pool, e.g. "
            "train_semeval2013_2016.csv)."
        ),
    ],
    out: Annotated[Path, typer.Option(help="Directory to save the model in (JSON + npz).")],
    requests: Annotated[
        Path | None,
        typer.Option(help="Customer requests with rant_or_emotion/none labels for the upset head."),
    ] = None,
    dev_source: Annotated[
        str, typer.Option(help="Part of the name of the latest source file, to carve dev from.")
    ] = "2016test",
    vector_cache: Annotated[
        Path | None,
        typer.Option(help="Directory (outside the repository) to keep sentence vectors in."),
    ] = None,
    sample: Annotated[
        float, typer.Option(help="Share of the tweets to train on (seeded random sample).")
    ] = 1.0,
    c: Annotated[float, typer.Option(help="Inverse regularisation of the polarity model.")] = 1.0,
    embedding_weight: Annotated[
        float, typer.Option(help="Scale of the sentence vector next to the n-grams.")
    ] = 2.0,
) -> None:
    """Train the sentiment and emotion model offline and save it (no pickle)."""
    import csv
    import dataclasses

    from hybridcx.nlu.embeddings import shared_embedder
    from hybridcx.nlu.sentiment_train import SentimentTrainConfig, train_sentiment

    def read(path: Path) -> list[dict[str, str]]:
        with path.open(encoding="utf-8", newline="") as fh:
            return [row for row in csv.DictReader(fh) if row.get("text")]

    try:
        config = SentimentTrainConfig(
            c=c, embedding_weight=embedding_weight, recent_source=dev_source, sample_fraction=sample
        )
        trained, report = train_sentiment(
            read(data),
            embedder=shared_embedder(),
            config=config,
            requests=read(requests) if requests else None,
            vector_cache=vector_cache,
        )
        trained.save(out)
    except (NLUError, OSError) as exc:
        raise _fail(exc) from exc
    _print(dataclasses.asdict(report) | {"out": str(out)}, True)


# The contract is `hybridcx sentiment eval`; `hybridcx nlu sentiment-eval` stays as an
# alias for scripts written before the top-level group existed.
sentiment_app.command("eval")(sentiment_eval)
nlu_app.command("sentiment-eval")(sentiment_eval)
