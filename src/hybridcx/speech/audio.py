"""WAV in and out, resampling, and splitting a recording into utterances at silences.

Only PCM WAV is read (the stdlib ``wave`` module): anything else is refused with a message that
says how to convert it, rather than handed to a decoder that may guess.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

from hybridcx.speech.base import AudioInputError, AudioSource

STT_RATE = 16_000
CONVERT_HINT = "convert it first, e.g. ffmpeg -i INPUT -ac 1 -ar 16000 -c:a pcm_s16le OUTPUT.wav"


@dataclass(frozen=True)
class Audio:
    """Mono samples as float32 in -1..1."""

    samples: np.ndarray
    rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0

    def slice(self, start: float, end: float) -> Audio:
        return Audio(self.samples[int(start * self.rate) : int(end * self.rate)], self.rate)


def _wav_bytes_of(source: AudioSource) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        return bytes(source), "the audio"
    path = Path(source)
    if not path.exists():
        raise AudioInputError(f"No such file: {path}")
    if not path.is_file():
        raise AudioInputError(f"{path} is not a file.")
    return path.read_bytes(), str(path)


def read_wav(source: AudioSource) -> Audio:
    """Read a PCM WAV (8, 16, 24 or 32 bit, any rate, channels mixed down to mono)."""
    data, label = _wav_bytes_of(source)
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioInputError(f"{label} is not a WAV file; {CONVERT_HINT}")
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioInputError(
            f"{label} is a WAV file this reader cannot use ({exc}); it must be PCM: {CONVERT_HINT}"
        ) from None
    if rate <= 0 or channels <= 0:
        raise AudioInputError(f"{label} has no valid sample rate or channel count.")
    samples = _pcm_to_float(frames, width)
    usable = len(samples) - len(samples) % channels
    samples = samples[:usable].reshape(-1, channels).mean(axis=1).astype(np.float32)
    if samples.size == 0:
        raise AudioInputError(f"{label} holds no audio.")
    return Audio(samples, rate)


def _pcm_to_float(frames: bytes, width: int) -> np.ndarray:
    if width == 1:  # unsigned 8 bit
        return (np.frombuffer(frames, np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(frames, "<i2").astype(np.float32) / 32768.0
    if width == 3:
        raw = np.frombuffer(frames[: len(frames) - len(frames) % 3], np.uint8).reshape(-1, 3)
        ints = (raw[:, 0].astype(np.int32) | raw[:, 1].astype(np.int32) << 8) | (
            raw[:, 2].astype(np.int32) << 16
        )
        ints = np.where(ints & 0x800000, ints - 0x1000000, ints)
        return ints.astype(np.float32) / 8388608.0
    if width == 4:
        return np.frombuffer(frames, "<i4").astype(np.float32) / 2147483648.0
    raise AudioInputError(f"{width * 8}-bit samples are not supported; {CONVERT_HINT}")


def resample(audio: Audio, rate: int = STT_RATE) -> Audio:
    """Polyphase resampling (anti-aliased) to ``rate``."""
    if audio.rate == rate:
        return audio
    from scipy.signal import resample_poly

    g = gcd(audio.rate, rate)
    out = resample_poly(audio.samples, rate // g, audio.rate // g).astype(np.float32)
    return Audio(out, rate)


def to_wav_bytes(audio: Audio) -> bytes:
    """16-bit mono PCM WAV."""
    pcm = (np.clip(audio.samples, -1.0, 1.0) * 32767.0).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(audio.rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def silence(seconds: float, rate: int) -> Audio:
    return Audio(np.zeros(int(seconds * rate), np.float32), rate)


def concatenate(parts: list[Audio]) -> Audio:
    """Join clips (resampled to the first clip's rate)."""
    if not parts:
        raise ValueError("nothing to concatenate")
    rate = parts[0].rate
    return Audio(np.concatenate([resample(p, rate).samples for p in parts]), rate)


@dataclass(frozen=True)
class Utterance:
    """A stretch of speech in a longer recording (seconds from its start)."""

    start: float
    end: float
    audio: Audio


def split_utterances(
    audio: Audio,
    *,
    min_silence: float = 0.7,
    min_speech: float = 0.2,
    padding: float = 0.15,
    frame: float = 0.02,
) -> list[Utterance]:
    """Cut a recording at pauses of at least ``min_silence`` seconds.

    A frame is speech when its energy is well above the recording's noise floor (its quietest
    tenth) and not far below its loud parts, so the split adapts to the recording's level.
    Pauses inside a sentence are shorter than ``min_silence`` and stay inside the utterance;
    blips shorter than ``min_speech`` are dropped."""
    n = max(1, int(frame * audio.rate))
    usable = len(audio.samples) - len(audio.samples) % n
    if usable == 0:
        return []
    frames = audio.samples[:usable].reshape(-1, n)
    db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    floor, loud = np.percentile(db, 10), np.percentile(db, 95)
    threshold = max(floor + 12.0, loud - 35.0, -60.0)
    voiced = db > threshold
    spans: list[tuple[int, int]] = []
    start: int | None = None
    gap = 0
    need_gap = max(1, round(min_silence / frame))
    for i, v in enumerate(voiced):
        if v:
            if start is None:
                start = i
            gap = 0
        elif start is not None:
            gap += 1
            if gap >= need_gap:
                spans.append((start, i - gap + 1))
                start, gap = None, 0
    if start is not None:
        spans.append((start, len(voiced) - gap))
    out = []
    for a, b in spans:
        if (b - a) * frame < min_speech:
            continue
        s = max(0.0, a * frame - padding)
        e = min(audio.duration, b * frame + padding)
        out.append(Utterance(s, e, audio.slice(s, e)))
    return out
