"""Speech-to-text with faster-whisper (CTranslate2), int8 on the CPU.

The model is a local folder only (``local_files_only``): nothing is fetched from a hub, ever.
``vad_filter`` (faster-whisper's bundled Silero VAD) trims silence, which keeps short phone
utterances from costing a full 30-second window of work on silence.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

from hybridcx.speech.audio import STT_RATE, Audio, read_wav, resample
from hybridcx.speech.base import AudioSource, Segment, SpeechEngineUnavailable, Transcript
from hybridcx.speech.model_files import WHISPER_INSTALL


class FasterWhisperSTT:
    """``SpeechToText`` over a CTranslate2 Whisper model folder."""

    name = "faster-whisper"

    def __init__(
        self,
        model_dir: Path,
        *,
        compute_type: str = "int8",
        language: str | None = "en",
        beam_size: int = 5,
        cpu_threads: int = 0,
        vad_filter: bool = True,
    ) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise SpeechEngineUnavailable(
                f"Speech-to-text needs faster-whisper: {WHISPER_INSTALL}."
            ) from None
        self.model_dir = Path(model_dir)
        self.language = language
        self.beam_size = beam_size
        self.vad_filter = vad_filter
        try:
            self._model: Any = WhisperModel(
                str(self.model_dir),
                device="cpu",
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise SpeechEngineUnavailable(
                f"Could not load the Whisper model in {self.model_dir}: {exc}"
            ) from None
        # One CTranslate2 model serves one transcription at a time here; callers may be threads.
        self._lock = threading.Lock()

    def transcribe(self, audio: AudioSource | Audio) -> Transcript:
        clip = audio if isinstance(audio, Audio) else read_wav(audio)
        clip = resample(clip, STT_RATE)
        with self._lock:
            segments, info = self._model.transcribe(
                clip.samples,
                language=self.language,
                beam_size=self.beam_size,
                vad_filter=self.vad_filter,
                condition_on_previous_text=False,
            )
            found = [
                Segment(
                    start=float(s.start),
                    end=float(s.end),
                    text=s.text.strip(),
                    confidence=_probability(s.avg_logprob, s.no_speech_prob),
                )
                for s in segments
            ]
        text = " ".join(s.text for s in found if s.text).strip()
        return Transcript(
            text=text,
            confidence=_weighted_confidence(found),
            duration=clip.duration,
            segments=found,
            language=getattr(info, "language", self.language),
        )


def _probability(avg_logprob: float, no_speech_prob: float) -> float:
    """Mean token probability, discounted by the chance the segment was not speech at all."""
    return max(0.0, min(1.0, math.exp(avg_logprob) * (1.0 - no_speech_prob)))


def _weighted_confidence(segments: list[Segment]) -> float:
    if not segments:
        return 0.0
    weights = [max(s.end - s.start, 0.01) for s in segments]
    return sum(w * s.confidence for w, s in zip(weights, segments, strict=True)) / sum(weights)
