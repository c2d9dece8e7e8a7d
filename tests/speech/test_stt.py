"""Speech-to-text: the pinned model files and faster-whisper on synthesised speech."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from hybridcx.speech.audio import Audio, concatenate, silence, to_wav_bytes
from hybridcx.speech.base import (
    AudioInputError,
    SpeechEngineUnavailable,
    SpeechModelIntegrityError,
    SpeechToText,
)
from hybridcx.speech.engines import SpeechConfig, build_stt
from hybridcx.speech.model_files import (
    WHISPER_BASE_SHA256,
    assemble_whisper_base,
    check_model_dir,
    sha256_file,
)
from hybridcx.speech.wer import wer

# --- the model files -------------------------------------------------------------------------


def fake_parts(root: Path, one: bytes = b"first half ", two: bytes = b"second half") -> tuple:
    p1, p2 = root / "part1", root / "part2"
    p1.mkdir(parents=True)
    p2.mkdir(parents=True)
    (p1 / "model.bin.part1").write_bytes(one)
    (p2 / "model.bin.part2").write_bytes(two)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (p1 / name).write_text(name)
    return p1, p2


def test_parts_are_joined_once_checked_and_moved_into_place(tmp_path: Path) -> None:
    import hashlib

    parts = fake_parts(tmp_path / "pkg")
    good = hashlib.sha256(b"first half second half").hexdigest()
    cache = tmp_path / "cache"
    model_dir = assemble_whisper_base(cache, parts=parts, expected_sha256=good)
    assert (model_dir / "model.bin").read_bytes() == b"first half second half"
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "config.json", "model.bin", "tokenizer.json", "vocabulary.txt",
    ]  # fmt: skip
    assert [p.name for p in cache.iterdir()] == ["whisper-base"]  # no temporary folder left
    # the next load uses the cached file, after checking it again
    (parts[0] / "model.bin.part1").unlink()
    assert assemble_whisper_base(cache, parts=parts, expected_sha256=good) == model_dir
    (model_dir / "model.bin").write_bytes(b"tampered")
    with pytest.raises(SpeechModelIntegrityError, match=f"Delete {model_dir}"):
        assemble_whisper_base(cache, parts=parts, expected_sha256=good)


def test_parts_with_the_wrong_hash_are_refused_and_leave_nothing(tmp_path: Path) -> None:
    parts = fake_parts(tmp_path / "pkg")
    cache = tmp_path / "cache"
    with pytest.raises(SpeechModelIntegrityError, match="join to SHA-256 .* reinstall the pinned"):
        assemble_whisper_base(cache, parts=parts)  # the real Whisper base hash
    assert list(cache.iterdir()) == []


def test_an_operators_model_folder_is_checked(tmp_path: Path) -> None:
    with pytest.raises(SpeechEngineUnavailable, match="is not a folder"):
        check_model_dir(tmp_path / "missing", expected_sha256=None)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(SpeechEngineUnavailable, match=r"missing model\.bin"):
        check_model_dir(tmp_path, expected_sha256=None)
    (tmp_path / "model.bin").write_bytes(b"weights")
    assert check_model_dir(tmp_path, expected_sha256=None) == tmp_path
    with pytest.raises(SpeechModelIntegrityError, match="HYBRIDCX_STT_MODEL_SHA256"):
        check_model_dir(tmp_path, expected_sha256="0" * 64)
    with pytest.raises(SpeechEngineUnavailable, match="HYBRIDCX_STT_ENGINE='vosk' is not one"):
        build_stt(SpeechConfig(stt_engine="vosk"))


def test_the_joined_whisper_base_has_the_upstream_hash(whisper_dir: Path) -> None:
    assert sha256_file(whisper_dir / "model.bin") == WHISPER_BASE_SHA256
    assert not [p for p in whisper_dir.parent.iterdir() if p.name.startswith(".whisper-base")]


# --- transcription -----------------------------------------------------------------------------

CLEAR = [
    ("What are your opening hours?", "opening_hours"),
    ("I forgot my password and cannot log in.", "password_reset"),
    ("I would like to book an appointment at the store.", "book_appointment"),
]


@pytest.mark.slow
def test_synthesised_sentences_are_transcribed_and_understood(
    stt: SpeechToText, speak: Callable[[str], Audio], nlu_model_dir: Path
) -> None:
    from hybridcx.brain import load_brain

    understander = load_brain(nlu_model_dir).understander
    for sentence, intent in CLEAR:
        audio = speak(sentence)
        heard = stt.transcribe(to_wav_bytes(audio))
        assert wer(sentence, heard.text) <= 0.25, (sentence, heard.text)
        assert understander.understand(heard.text).intent == intent, heard.text
        assert heard.duration == pytest.approx(audio.duration, abs=0.01)
        assert 0.0 < heard.confidence <= 1.0
        assert heard.segments and heard.language == "en"
        assert all(0 <= s.start < s.end <= heard.duration + 0.5 for s in heard.segments)


@pytest.mark.slow
def test_a_path_and_bytes_give_the_same_transcript(
    stt: SpeechToText, speak: Callable[[str], Audio], tmp_path: Path
) -> None:
    wav = to_wav_bytes(speak("Where is my order?"))
    path = tmp_path / "q.wav"
    path.write_bytes(wav)
    from_path = stt.transcribe(str(path)).text
    assert from_path == stt.transcribe(wav).text
    assert wer("Where is my order?", from_path) == 0.0


def test_silence_gives_an_empty_transcript(stt: SpeechToText) -> None:
    quiet = concatenate([silence(2.0, 16_000)])
    noise = np.random.default_rng(3).normal(0, 0.001, len(quiet.samples)).astype(np.float32)
    heard = stt.transcribe(to_wav_bytes(Audio(noise, 16_000)))
    assert heard.text == "" and heard.segments == [] and heard.confidence == 0.0
    assert heard.duration == pytest.approx(2.0)


def test_bad_input_is_refused_before_any_decoding(stt: SpeechToText, tmp_path: Path) -> None:
    with pytest.raises(AudioInputError, match="No such file"):
        stt.transcribe(tmp_path / "missing.wav")
    mp3 = tmp_path / "song.wav"
    mp3.write_bytes(b"ID3\x04\x00\x00 not really a wave file" + os.urandom(64))
    with pytest.raises(AudioInputError, match="not a WAV file"):
        stt.transcribe(mp3)


def test_missing_engine_packages_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without the optional packages: a one-line error that says what to install."""
    import sys

    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import fails as if absent
    monkeypatch.setitem(sys.modules, "piper", None)
    (tmp_path / "model.bin").write_bytes(b"x")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(SpeechEngineUnavailable, match=r"pip install 'hybridcx\[voice\]'"):
        build_stt(SpeechConfig(stt_model_dir=tmp_path))
    with pytest.raises(SpeechEngineUnavailable, match=r"pip install 'hybridcx\[piper\]'"):
        from hybridcx.speech.engines import build_tts

        build_tts(SpeechConfig(tts_engine="piper"))


def test_the_cli_and_the_app_load_without_the_speech_packages(tmp_path: Path) -> None:
    """The server and `hybridcx --help` never import an engine package."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for m in ('faster_whisper', 'ctranslate2', 'piper'): sys.modules[m] = None\n"
        "import hybridcx.cli, hybridcx.app\n"
        "from hybridcx.config import Settings\n"
        f"hybridcx.app.create_app(Settings(_env_file=None, nlu_enabled=False, data_dir={str(tmp_path)!r}))\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().endswith("ok"), done.stderr
