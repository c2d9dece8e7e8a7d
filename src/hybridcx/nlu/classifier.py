"""Intent classification with calibrated confidence and out-of-scope detection.

Features are the MiniLM sentence vector (weighted) next to TF-IDF word and character n-grams;
a multinomial logistic regression scores them; one temperature fitted on held-out data makes the
softmax probabilities calibrated; out-of-scope is flagged by a probability threshold and a
nearest-training-example similarity threshold, both picked on held-out data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from hybridcx.nlu.calibration import fit_temperature, softmax
from hybridcx.nlu.embeddings import TextEmbedder, shared_embedder
from hybridcx.nlu.errors import TrainingDataError
from hybridcx.nlu.features import TfidfFeaturizer
from hybridcx.nlu.spelling import Speller, english_words
from hybridcx.nlu.thresholds import OOSThresholds, pick_thresholds

Example = tuple[str, str]  # (text, label)


@dataclass(frozen=True)
class ClassifierConfig:
    """Training knobs; the defaults are the ones measured in docs/benchmarks.md."""

    c: float = 5.0
    embedding_weight: float = 3.0
    use_tfidf: bool = True
    oos_label: str = "oos"
    holdout_fraction: float = 0.15
    #: In-scope accuracy that out-of-scope detection may cost, when tuned on OOS examples.
    oos_in_scope_budget: float = 0.015
    #: Search an energy floor (log-sum-exp of the in-scope logits) instead of a probability
    #: floor when thresholds are tuned on OOS examples (docs/benchmarks.md).
    energy: bool = True
    max_iter: int = 3000
    seed: int = 0


@dataclass(frozen=True)
class IntentPrediction:
    """What the classifier thinks one message is about.

    `intent` is None when the message is out of scope; `confidence` is the calibrated
    probability of the best in-scope intent (low for out-of-scope messages), `ranking` the top
    in-scope intents with their probabilities, `similarity` the cosine similarity of the nearest
    training example.
    """

    intent: str | None
    confidence: float
    ranking: list[tuple[str, float]]
    out_of_scope: bool
    similarity: float = 0.0


@dataclass(eq=False)
class LinearWeights:
    """Float32 weights of the linear model, split by feature block for fast scoring."""

    embedding: np.ndarray  # (n_classes, dim)
    tfidf: np.ndarray  # (n_classes, tfidf_dim); zero columns when TF-IDF is off
    intercept: np.ndarray  # (n_classes,)


@dataclass(eq=False)
class IntentClassifier:
    """A trained intent model. Build it with `train` or `load`; it is read-only afterwards."""

    labels: list[str]
    weights: LinearWeights
    temperature: float
    thresholds: OOSThresholds
    featurizer: TfidfFeaturizer | None
    example_vectors: np.ndarray  # float16 (n_examples, dim), for nearest-example similarity
    config: ClassifierConfig
    embedder: TextEmbedder = field(repr=False)
    #: Repair words one typo away from the training vocabulary before predicting (nlu.spelling).
    #: A reading setting, not part of the trained model: `dataclasses.replace(m, spelling=False)`.
    spelling: bool = True
    _example_matrix: np.ndarray = field(init=False, repr=False)
    _speller: Speller | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        # float16 on disk, float32 for scoring: converting per message would cost milliseconds.
        self._example_matrix = np.ascontiguousarray(self.example_vectors.astype(np.float32).T)
        self._in_scope = [i for i, lbl in enumerate(self.labels) if lbl != self.config.oos_label]
        oos = self.config.oos_label
        self._oos_index = self.labels.index(oos) if oos in self.labels else None
        # Contiguous transposes: a sparse row times a transposed view copies the whole matrix.
        self._embedding_t = np.ascontiguousarray(self.weights.embedding.T)
        self._tfidf_t = np.ascontiguousarray(self.weights.tfidf.T)
        if self.spelling and self.featurizer is not None:
            word = self.featurizer.word
            idf = {w: float(word.idf_[i]) for w, i in word.vocabulary_.items() if " " not in w}
            self._speller = Speller(idf, english_words())

    # ---- training -------------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        *,
        dev: Sequence[Example] | None = None,
        config: ClassifierConfig | None = None,
        embedder: TextEmbedder | None = None,
    ) -> IntentClassifier:
        """Train on `examples`; calibrate and pick thresholds on `dev`, or on a held-out carve.

        Without `dev`, a stratified `holdout_fraction` of the examples is held out to fit the
        temperature and the thresholds, then the final model is refitted on all examples.
        """
        config = config or ClassifierConfig()
        embedder = embedder or shared_embedder()
        _check_examples(examples)
        texts = [t for t, _ in examples]
        labels = sorted({label for _, label in examples})
        y = np.array([labels.index(label) for _, label in examples])
        vectors = embedder.encode(texts)
        if dev:
            model = _fit(texts, vectors, y, labels, config, embedder)
            # Calibrated on the text as the model reads it when predicting (typos repaired):
            # thresholds picked on other text than the one scored do not hold their budget.
            dev_texts = model.repaired([t for t, _ in dev])
            model._calibrate(dev_texts, embedder.encode(dev_texts), [lbl for _, lbl in dev])
            return model
        fit_idx, held_idx = _holdout_split(y, config.holdout_fraction, config.seed)
        probe = _fit(
            [texts[i] for i in fit_idx], vectors[fit_idx], y[fit_idx], labels, config, embedder
        )
        probe._calibrate(
            [texts[i] for i in held_idx], vectors[held_idx], [labels[y[i]] for i in held_idx]
        )
        model = _fit(texts, vectors, y, labels, config, embedder)
        model.temperature, model.thresholds = probe.temperature, probe.thresholds
        return model

    def _calibrate(self, texts: list[str], vectors: np.ndarray, gold: list[str]) -> None:
        logits = self._logits(texts, vectors)
        known = np.array([g in self.labels for g in gold])
        if known.any():
            y = np.array([self.labels.index(g) for g, k in zip(gold, known, strict=True) if k])
            self.temperature = fit_temperature(logits[known], y)
        probs = softmax(logits, self.temperature)
        self.thresholds = pick_thresholds(
            probs=probs,
            similarities=self._nearest_similarity(vectors),
            gold=gold,
            labels=self.labels,
            oos_label=self.config.oos_label,
            in_scope_budget=self.config.oos_in_scope_budget,
            energies=self._energies(logits) if self.config.energy else None,
        )

    # ---- prediction -----------------------------------------------------------------------

    def predict(self, text: str) -> IntentPrediction:
        return self.predict_many([text])[0]

    def predict_many(self, texts: list[str]) -> list[IntentPrediction]:
        texts = self.repaired(texts)
        vectors = self.embedder.encode(texts)
        logits = self._logits(texts, vectors)
        probs = softmax(logits, self.temperature)
        sims = self._nearest_similarity(vectors)
        energies = self._energies(logits)
        return [
            self._decide(p, float(s), float(e))
            for p, s, e in zip(probs, sims, energies, strict=True)
        ]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Calibrated probabilities over `labels` (including the OOS label if it was trained)."""
        texts = self.repaired(texts)
        return softmax(self._logits(texts, self.embedder.encode(texts)), self.temperature)

    def repaired(self, texts: list[str]) -> list[str]:
        """The texts as the model reads them: typos one edit from its vocabulary repaired."""
        speller = self._speller
        return texts if speller is None else [speller.correct(t) for t in texts]

    def _energies(self, logits: np.ndarray) -> np.ndarray:
        """Log-sum-exp of the in-scope logits at the fitted temperature (`OOSThresholds.energy`)."""
        z = logits[:, self._in_scope] / self.temperature
        top = z.max(axis=1)
        return np.asarray(top + np.log(np.exp(z - top[:, None]).sum(axis=1)), dtype=np.float64)

    def _decide(self, probs: np.ndarray, similarity: float, energy: float) -> IntentPrediction:
        order = sorted(self._in_scope, key=lambda i: -probs[i])
        ranking = [(self.labels[i], round(float(probs[i]), 6)) for i in order[:5]]
        top = int(np.argmax(probs))
        oos = self.thresholds.is_out_of_scope(
            top_label_is_oos=self.labels[top] == self.config.oos_label,
            confidence=float(probs[order[0]]) if order else 0.0,
            similarity=similarity,
            oos_probability=None if self._oos_index is None else float(probs[self._oos_index]),
            energy=energy,
        )
        best = ranking[0] if ranking else (None, 0.0)
        return IntentPrediction(
            intent=None if oos else best[0],
            confidence=float(best[1]),
            ranking=ranking,
            out_of_scope=oos,
            similarity=round(similarity, 6),
        )

    def _logits(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        logits = (vectors * np.float32(self.config.embedding_weight)) @ self._embedding_t
        if self.featurizer is not None and len(texts) == 1:
            # One message (the production path): gather the weight rows of its n-grams
            # instead of building a sparse matrix (~1.3 ms less per message).
            cols, values = self.featurizer.sparse_row(texts[0])
            logits = logits + values @ self._tfidf_t[cols]
        elif self.featurizer is not None:
            logits = logits + np.asarray(self.featurizer.transform(texts) @ self._tfidf_t)
        return np.asarray(logits + self.weights.intercept, dtype=np.float64)

    def _nearest_similarity(self, vectors: np.ndarray) -> np.ndarray:
        if len(self.example_vectors) == 0:
            return np.zeros(len(vectors))
        return (vectors @ self._example_matrix).max(axis=1).astype(np.float64)

    # ---- persistence (JSON + npz, never pickle) ---------------------------------------------

    def save(self, directory: Path | str) -> Path:
        from hybridcx.nlu.storage import save_classifier

        return save_classifier(self, Path(directory))

    @classmethod
    def load(
        cls, directory: Path | str, *, embedder: TextEmbedder | None = None
    ) -> IntentClassifier:
        from hybridcx.nlu.storage import load_classifier

        return load_classifier(Path(directory), embedder=embedder or shared_embedder())


def _check_examples(examples: Sequence[Example]) -> None:
    if not examples:
        raise TrainingDataError("No training examples given.")
    labels = {label for _, label in examples}
    if len(labels) < 2:
        raise TrainingDataError("At least two intents are needed to train a classifier.")
    empty = [label for text, label in examples if not text.strip()]
    if empty:
        raise TrainingDataError(f"{len(empty)} example(s) have empty text (intent {empty[0]!r}).")


def _holdout_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split; classes with fewer than 3 examples stay entirely in the fit part."""
    rng = np.random.default_rng(seed)
    fit: list[int] = []
    held: list[int] = []
    for cls in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == cls))
        n_held = int(round(len(idx) * fraction)) if len(idx) >= 3 else 0
        n_held = max(n_held, 1) if len(idx) >= 3 else 0
        held.extend(idx[:n_held])
        fit.extend(idx[n_held:])
    return np.array(sorted(fit)), np.array(sorted(held))


def _fit(
    texts: list[str],
    vectors: np.ndarray,
    y: np.ndarray,
    labels: list[str],
    config: ClassifierConfig,
    embedder: TextEmbedder,
) -> IntentClassifier:
    from sklearn.linear_model import LogisticRegression

    featurizer = TfidfFeaturizer.fit(texts) if config.use_tfidf else None
    blocks = [sparse.csr_matrix(vectors * np.float32(config.embedding_weight))]
    if featurizer is not None:
        blocks.append(featurizer.transform(texts))
    features = sparse.hstack(blocks).tocsr()
    clf = LogisticRegression(C=config.c, max_iter=config.max_iter, random_state=config.seed)
    clf.fit(features, y)
    coef = np.asarray(clf.coef_, dtype=np.float32)
    intercept = np.asarray(clf.intercept_, dtype=np.float32)
    if coef.shape[0] == 1:  # binary problems come back as one row; expand to two classes
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    dim = vectors.shape[1]
    return IntentClassifier(
        labels=labels,
        weights=LinearWeights(coef[:, :dim].copy(), coef[:, dim:].copy(), intercept),
        temperature=1.0,
        thresholds=OOSThresholds(),
        featurizer=featurizer,
        example_vectors=vectors.astype(np.float16),
        config=config,
        embedder=embedder,
    )
