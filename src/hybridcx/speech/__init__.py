"""Local speech: speech-to-text and text-to-speech engines behind small protocols, and the
local audio loop that runs a recorded caller through the real conversation pipeline.

Heavy engine packages are imported only when an engine is built (see ``engines``)."""

from hybridcx.speech.base import (
    AudioInputError,
    Segment,
    SpeechEngineUnavailable,
    SpeechError,
    SpeechModelIntegrityError,
    SpeechToText,
    TextToSpeech,
    Transcript,
)
from hybridcx.speech.engines import SpeechConfig, build_stt, build_tts

__all__ = [
    "AudioInputError",
    "Segment",
    "SpeechConfig",
    "SpeechEngineUnavailable",
    "SpeechError",
    "SpeechModelIntegrityError",
    "SpeechToText",
    "TextToSpeech",
    "Transcript",
    "build_stt",
    "build_tts",
]
