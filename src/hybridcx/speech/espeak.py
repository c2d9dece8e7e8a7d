"""Text-to-speech with espeak-ng, the Debian package's binary (robotic, very fast, no model).

The text goes in on stdin, never on the command line (a customer's text that starts with "-"
is not an option), and SSML is off, so markup in a reply is read as text.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from hybridcx.speech.audio import read_wav
from hybridcx.speech.base import SpeechEngineUnavailable, SpeechError

ESPEAK_INSTALL = "install espeak-ng (Debian/Ubuntu: apt-get install espeak-ng)"


def find_espeak(binary: str | None = None) -> str | None:
    return shutil.which(binary or "espeak-ng")


class EspeakTTS:
    """``TextToSpeech`` by running ``espeak-ng``; WAV at espeak's 22,050 Hz, 16-bit mono."""

    name = "espeak-ng"

    def __init__(
        self, *, voice: str | None = None, rate: int = 165, binary: str | None = None
    ) -> None:
        found = find_espeak(binary)
        if found is None:
            raise SpeechEngineUnavailable(f"Text-to-speech needs espeak-ng: {ESPEAK_INSTALL}.")
        self.binary = found
        self.voice = voice or "en-us"
        self.rate = rate

    def synthesize(self, text: str) -> bytes:
        text = text.strip()
        if not text:
            raise SpeechError("Nothing to say: the text is empty.")
        with tempfile.TemporaryDirectory(prefix="hybridcx-tts-") as tmp:
            out = Path(tmp) / "speech.wav"
            cmd = [self.binary, "-b", "1", "-v", self.voice, "-s", str(self.rate), "-w", str(out)]
            try:
                done = subprocess.run(
                    cmd, input=text.encode("utf-8"), capture_output=True, timeout=60, check=False
                )
            except subprocess.TimeoutExpired:
                raise SpeechError("espeak-ng took longer than 60 seconds.") from None
            if done.returncode != 0 or not out.is_file():
                detail = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
                raise SpeechError(f"espeak-ng failed (voice {self.voice!r}): {detail}")
            wav = out.read_bytes()
        read_wav(wav)  # a WAV we can read back, or a clear error
        return wav
