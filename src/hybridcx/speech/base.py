"""The two small contracts every speech engine meets, and what they return.

Engines are chosen by name from the registries in ``hybridcx.speech.engines``; each one imports
its heavy package only when it is built, so the server and the CLI start without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from hybridcx.kit.errors import AppError, InvalidInput

if TYPE_CHECKING:
    from hybridcx.speech.audio import Audio


class SpeechError(AppError):
    """An expected failure of a speech engine, with a message an operator can act on."""

    code = "speech_error"


class SpeechEngineUnavailable(SpeechError):
    """The engine's package, binary or model is not installed; the message says what to install."""

    status_code = 503
    code = "speech_engine_unavailable"


class SpeechModelIntegrityError(SpeechError):
    """A model file is not byte-for-byte the pinned one."""

    status_code = 500
    code = "speech_model_integrity"


class AudioInputError(InvalidInput):
    """The audio given is missing, not a WAV file, or not a kind of WAV we read."""

    code = "invalid_audio"


@dataclass(frozen=True)
class Segment:
    """One stretch of recognised speech, times in seconds from the start of the audio."""

    start: float
    end: float
    text: str
    confidence: float


@dataclass(frozen=True)
class Transcript:
    """What a speech-to-text engine heard.

    ``confidence`` is 0..1 (for Whisper: the mean per-token probability, weighted by segment
    length); ``duration`` is the length of the audio in seconds."""

    text: str
    confidence: float
    duration: float
    segments: list[Segment] = field(default_factory=list)
    language: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "duration": round(self.duration, 3),
            "language": self.language,
            "segments": [
                {
                    "start": round(s.start, 3),
                    "end": round(s.end, 3),
                    "text": s.text,
                    "confidence": round(s.confidence, 4),
                }
                for s in self.segments
            ],
        }


AudioSource = bytes | str | Path


@runtime_checkable
class SpeechToText(Protocol):
    """Turns a recording into text. ``audio`` is WAV bytes, the path of a WAV file, or samples
    already read (``speech.audio.Audio``)."""

    name: str

    def transcribe(self, audio: AudioSource | Audio) -> Transcript: ...


@runtime_checkable
class TextToSpeech(Protocol):
    """Speaks text; returns a complete WAV file (mono PCM) as bytes."""

    name: str

    def synthesize(self, text: str) -> bytes: ...
