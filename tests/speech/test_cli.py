"""`hybridcx voice`: transcribe, say and call from the terminal, with clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybridcx.channels.local_call import record_script
from hybridcx.cli import app
from hybridcx.speech.audio import read_wav, split_utterances, to_wav_bytes
from hybridcx.speech.base import TextToSpeech
from tests.speech.conftest import need_espeak

runner = CliRunner()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, whisper_dir: Path) -> Path:
    """A fresh data dir; the session's joined Whisper base as the operator's model folder."""
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HYBRIDCX_STT_MODEL_DIR", str(whisper_dir))
    monkeypatch.delenv("HYBRIDCX_DATABASE_URL", raising=False)
    return tmp_path


def test_say_writes_a_wav(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need_espeak()
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(tmp_path))
    out = tmp_path / "sub" / "hello.wav"
    r = runner.invoke(
        app, ["voice", "say", "Thanks for calling Northwind Goods.", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"wrote {out} (")
    assert 1.0 < read_wav(out).duration < 5.0
    caller = tmp_path / "caller.wav"
    lines = ["Where is my order?", "It is order one zero zero one.", "Thanks, goodbye."]
    r = runner.invoke(app, ["voice", "say", *lines, "--out", str(caller)])
    assert r.exit_code == 0, r.output
    assert len(split_utterances(read_wav(caller))) == 3  # one utterance per text
    bad = runner.invoke(app, ["voice", "say", "hi", "--out", str(out), "--engine", "festival"])
    assert bad.exit_code == 2
    assert (
        "error: HYBRIDCX_TTS_ENGINE='festival' is not one of ['espeak-ng', 'piper']" in bad.output
    )
    assert "Traceback" not in bad.output


def test_transcribe_prints_text_or_json_and_refuses_bad_files(env: Path, tts: TextToSpeech) -> None:
    wav = env / "question.wav"
    wav.write_bytes(tts.synthesize("What are your opening hours?"))
    r = runner.invoke(app, ["voice", "transcribe", str(wav), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["text"] == "What are your opening hours?"
    assert set(data) == {"text", "confidence", "duration", "language", "segments"}
    assert data["segments"][0]["text"] == data["text"]

    missing = runner.invoke(app, ["voice", "transcribe", str(env / "missing.wav")])
    assert missing.exit_code == 2
    assert f"error: No such file: {env / 'missing.wav'}" in missing.output
    notes = env / "notes.txt"
    notes.write_text("not audio")
    bad = runner.invoke(app, ["voice", "transcribe", str(notes)])
    assert bad.exit_code == 2 and "is not a WAV file; convert it first" in bad.output
    assert "Traceback" not in bad.output + missing.output


@pytest.mark.slow
def test_call_prints_the_transcript_and_writes_the_answers(
    env: Path, nlu_model_dir: Path, caller_tts: TextToSpeech, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYBRIDCX_NLU_MODEL_DIR", str(nlu_model_dir))
    caller = env / "caller.wav"
    caller.write_bytes(
        to_wav_bytes(record_script(caller_tts, ["Where is my order?", "One, zero, zero, one."]))
    )
    # no demo company yet: a clear error saying what to do
    empty = runner.invoke(app, ["voice", "call", str(caller)])
    assert empty.exit_code == 2, empty.output
    assert "Run `hybridcx seed`" in empty.output and "Traceback" not in empty.output

    assert runner.invoke(app, ["seed"]).exit_code == 0
    out = env / "answers"
    r = runner.invoke(app, ["voice", "call", str(caller), "--out-dir", str(out)])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("call local-")
    assert lines[1].startswith("bot:    Hi Alex! You're speaking with our AI assistant.")
    assert lines[2] == "caller: Where is my order?"
    assert "order number" in lines[3]
    assert lines[4].startswith("caller: ")
    assert lines[5].startswith("bot:    Order 1001 is shipped with UPS")
    assert lines[-1] == f"status: bot; the bot's answers are in {out}"
    assert sorted(p.name for p in out.iterdir()) == [
        "01-greeting.wav",
        "02-answer-1.wav",
        "03-answer-2.wav",
    ]

    missing = runner.invoke(app, ["voice", "call", str(env / "nope.wav")])
    assert missing.exit_code == 2 and "error: No such file" in missing.output
