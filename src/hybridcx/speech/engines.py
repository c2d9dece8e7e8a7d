"""Engines by name: explicit registries, and the configuration they are built from.

``SpeechConfig`` is what the composition root (the CLI) passes in, built from the
HYBRIDCX_STT_* / HYBRIDCX_TTS_* settings; nothing here reads settings itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hybridcx.speech.base import SpeechEngineUnavailable, SpeechToText, TextToSpeech


@dataclass(frozen=True)
class SpeechConfig:
    stt_engine: str = "faster-whisper"
    # None: Whisper base from the pinned packages, joined into <cache_dir>/whisper-base.
    stt_model_dir: Path | None = None
    stt_model_sha256: str | None = None
    stt_compute_type: str = "int8"
    stt_language: str | None = "en"
    stt_beam_size: int = 5
    tts_engine: str = "espeak-ng"
    tts_voice: str | None = None
    tts_rate: int = 165
    cache_dir: Path = Path(".hybridcx/models")


def _faster_whisper(config: SpeechConfig) -> SpeechToText:
    from hybridcx.speech.model_files import assemble_whisper_base, check_model_dir
    from hybridcx.speech.whisper import FasterWhisperSTT

    if config.stt_model_dir is not None:
        model_dir = check_model_dir(config.stt_model_dir, expected_sha256=config.stt_model_sha256)
    else:
        model_dir = assemble_whisper_base(config.cache_dir)
    return FasterWhisperSTT(
        model_dir,
        compute_type=config.stt_compute_type,
        language=config.stt_language,
        beam_size=config.stt_beam_size,
    )


def _espeak(config: SpeechConfig) -> TextToSpeech:
    from hybridcx.speech.espeak import EspeakTTS

    return EspeakTTS(voice=config.tts_voice, rate=config.tts_rate)


def _piper(config: SpeechConfig) -> TextToSpeech:
    from hybridcx.speech.piper_tts import PiperTTS

    return PiperTTS(voice=config.tts_voice)


STT_ENGINES: dict[str, Callable[[SpeechConfig], SpeechToText]] = {
    "faster-whisper": _faster_whisper,
}
TTS_ENGINES: dict[str, Callable[[SpeechConfig], TextToSpeech]] = {
    "espeak-ng": _espeak,
    "piper": _piper,
}


def build_stt(config: SpeechConfig) -> SpeechToText:
    try:
        factory = STT_ENGINES[config.stt_engine]
    except KeyError:
        raise SpeechEngineUnavailable(
            f"HYBRIDCX_STT_ENGINE={config.stt_engine!r} is not one of {sorted(STT_ENGINES)}."
        ) from None
    return factory(config)


def build_tts(config: SpeechConfig) -> TextToSpeech:
    try:
        factory = TTS_ENGINES[config.tts_engine]
    except KeyError:
        raise SpeechEngineUnavailable(
            f"HYBRIDCX_TTS_ENGINE={config.tts_engine!r} is not one of {sorted(TTS_ENGINES)}."
        ) from None
    return factory(config)
