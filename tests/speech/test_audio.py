"""WAV reading (and clean refusals), resampling and splitting a recording at pauses."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from hybridcx.speech.audio import (
    Audio,
    concatenate,
    read_wav,
    resample,
    silence,
    split_utterances,
    to_wav_bytes,
)
from hybridcx.speech.base import AudioInputError


def tone(seconds: float, rate: int = 16_000, freq: float = 220.0, level: float = 0.3) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    return Audio((level * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)


def pcm_wav(samples: np.ndarray, *, width: int, channels: int = 1, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


def test_missing_directory_and_non_wav_inputs_are_refused_with_a_message(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError, match="No such file"):
        read_wav(tmp_path / "nope.wav")
    with pytest.raises(AudioInputError, match="is not a file"):
        read_wav(tmp_path)
    text = tmp_path / "notes.wav"
    text.write_text("hello, this is not audio")
    with pytest.raises(AudioInputError, match="is not a WAV file; convert it first"):
        read_wav(text)
    with pytest.raises(AudioInputError, match="not a WAV file"):
        read_wav(b"ID3\x03\x00 an mp3 header")
    with pytest.raises(AudioInputError, match="holds no audio"):
        read_wav(pcm_wav(np.zeros(0, "<i2"), width=2))


def test_float_wav_is_refused_with_how_to_convert() -> None:
    """IEEE-float WAV (format 3) is a real WAV the stdlib reader does not take."""
    data = np.zeros(100, "<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    wav = b"RIFF" + struct.pack("<I", len(body)) + body
    with pytest.raises(AudioInputError, match="must be PCM: convert it first, e.g. ffmpeg"):
        read_wav(wav)


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_pcm_widths_and_stereo_read_back_to_the_same_signal(width: int) -> None:
    signal = tone(0.05, rate=8000).samples
    scale = float(2 ** (8 * width - 1) - 1)
    ints = np.round(signal * scale).astype(np.int64)
    if width == 1:
        raw = (ints + 128).astype(np.uint8)
    elif width == 3:
        u = ints & 0xFFFFFF
        raw = np.stack([u & 0xFF, (u >> 8) & 0xFF, (u >> 16) & 0xFF], axis=1).astype(np.uint8)
    else:
        raw = ints.astype({2: "<i2", 4: "<i4"}[width])
    back = read_wav(pcm_wav(raw, width=width))
    assert back.rate == 8000 and len(back.samples) == len(signal)
    assert np.max(np.abs(back.samples - signal)) < (0.01 if width == 1 else 1e-3)
    stereo = np.stack([raw, raw], axis=1) if width != 3 else np.concatenate([raw, raw], axis=1)
    both = read_wav(pcm_wav(np.ascontiguousarray(stereo), width=width, channels=2))
    assert np.allclose(both.samples, back.samples, atol=1e-6)


def test_resample_and_wav_round_trip() -> None:
    clip = tone(1.0, rate=22_050)
    down = resample(clip, 16_000)
    assert down.rate == 16_000 and abs(len(down.samples) - 16_000) <= 1
    again = read_wav(to_wav_bytes(down))
    assert again.rate == 16_000 and np.allclose(again.samples, down.samples, atol=1e-4)
    assert resample(down, 16_000) is down


def test_split_finds_each_utterance_and_keeps_short_pauses_inside_one() -> None:
    rate = 16_000
    parts = [
        silence(0.5, rate),
        tone(1.0),  # utterance 1: 0.5-1.5
        silence(1.0, rate),
        tone(0.6),  # utterance 2: 2.5-4.0, with a 0.3 s pause inside
        silence(0.3, rate),
        tone(0.6),
        silence(1.2, rate),
        tone(0.05),  # a click, too short to be speech
        silence(1.0, rate),
        tone(0.8, level=0.05),  # utterance 3, quieter: 6.25-7.05
        silence(0.5, rate),
    ]
    recording = concatenate(parts)
    noise = np.random.default_rng(1).normal(0, 0.0005, len(recording.samples))
    recording = Audio((recording.samples + noise).astype(np.float32), rate)
    found = split_utterances(recording)
    expected = [(0.5, 1.5), (2.5, 4.0), (6.25, 7.05)]  # each padded by 0.15 s
    assert len(found) == len(expected)
    for u, (start, end) in zip(found, expected, strict=True):
        assert u.start == pytest.approx(start - 0.15, abs=0.03)
        assert u.end == pytest.approx(end + 0.15, abs=0.03)
    assert all(u.audio.duration == pytest.approx(u.end - u.start, abs=0.01) for u in found)


def test_split_of_silence_is_empty() -> None:
    assert split_utterances(silence(2.0, 16_000)) == []
    assert split_utterances(Audio(np.zeros(5, np.float32), 16_000)) == []
