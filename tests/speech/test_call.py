"""The local audio loop: a synthesised caller through STT, the real pipeline (live server,
real database) and TTS, with the bot's answers written as WAV files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hybridcx.channels.local_call import CallResult, record_script, run_call, spoken_digits
from hybridcx.channels.twilio.voice import HOLD_MESSAGE
from hybridcx.speech.audio import read_wav, silence, to_wav_bytes
from hybridcx.speech.base import AudioInputError, SpeechToText, TextToSpeech
from tests.support import Api, LiveServer

ALEX = "+12025550100"  # demo customer Alex Morgan, order 1001


def test_spoken_digits_join_into_one_number() -> None:
    assert spoken_digits("1, 0, 0, 1") == "1001"
    assert spoken_digits("It's one zero zero one.") == "It's 1001."
    assert spoken_digits("order 1-0-0-2 please") == "order 1002 please"
    assert spoken_digits("One, oh, oh, one") == "1001"
    assert spoken_digits("one or two tents") == "one or two tents"
    assert spoken_digits("I have two kids") == "I have two kids"
    assert spoken_digits("1001") == "1001"


def staff_conversation(api: Api, conversation_id: str) -> dict[str, Any]:
    token = api.login("supervisor@example.com", "demo-supervisor")
    r = api.staff(token, "GET", f"/api/v1/conversations/{conversation_id}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def call(
    server: LiveServer, stt: SpeechToText, tts: TextToSpeech, wav: bytes, out: Path
) -> CallResult:
    coro = run_call(server.runtime, wav, stt=stt, tts=tts, out_dir=out, phone=ALEX)
    return server.call(coro)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_an_order_tracking_call_gets_the_order_flows_answer(
    server: LiveServer,
    api: Api,
    stt: SpeechToText,
    tts: TextToSpeech,
    caller_tts: TextToSpeech,
    tmp_path: Path,
) -> None:
    recording = record_script(caller_tts, ["Where is my order?", "One, zero, zero, one."])
    result = call(server, stt, tts, to_wav_bytes(recording), tmp_path)

    assert "AI assistant" in result.greeting[0].text  # the disclosure comes first
    assert [t.intent for t in result.turns][:1] == ["order_status"]
    first, second = result.turns
    assert "order number" in first.answers[0].text
    assert second.text == "1001"
    assert "Order 1001 is shipped with UPS" in second.answers[0].text
    assert result.status == "bot"
    lines = result.transcript_lines()
    assert lines[0].startswith("bot:    Hi Alex! You're speaking with our AI assistant.")
    assert lines[1] == f"caller: {first.transcript.text}"
    # every answer is a WAV file with speech in it, in the order it was said
    files = [s.file for s in result.greeting] + [s.file for t in result.turns for s in t.answers]
    assert [f.name for f in files] == ["01-greeting.wav", "02-answer-1.wav", "03-answer-2.wav"]
    for spoken in [*result.greeting, *(s for t in result.turns for s in t.answers)]:
        audio = read_wav(spoken.file)
        assert audio.duration > 0.04 * len(spoken.text.split())  # not an empty clip
    assert all(t.latency_seconds and t.latency_seconds > 0 for t in result.turns)

    # the same conversation the desk sees: voice channel, caller's words with STT details
    conv = staff_conversation(api, result.conversation_id)
    assert conv["channel"] == "voice"
    said = [m for m in conv["messages"] if m["author"] == "customer"]
    assert [m["text"] for m in said] == [first.text, "1001"]
    assert said[0]["channel_meta"]["stt"]["engine"] == "faster-whisper"
    assert said[1]["channel_meta"]["stt"]["heard"] == second.transcript.text


@pytest.mark.slow
def test_asking_for_a_person_puts_the_caller_on_hold_and_later_speech_is_kept(
    server: LiveServer,
    api: Api,
    stt: SpeechToText,
    tts: TextToSpeech,
    tmp_path: Path,
) -> None:
    recording = record_script(tts, ["I want to speak to a person.", "It is about my bill."])
    result = call(server, stt, tts, to_wav_bytes(recording), tmp_path)
    first, second = result.turns
    assert first.status == "queued" and result.status == "queued"
    assert first.answers[-1].text == HOLD_MESSAGE
    assert second.answers == [] and second.latency_seconds is None  # people have it now
    conv = staff_conversation(api, result.conversation_id)
    assert conv["status"] == "queued"
    assert [m["text"] for m in conv["messages"] if m["author"] == "customer"] == [
        first.text,
        second.text,
    ]


def test_a_silent_recording_is_refused(
    server: LiveServer, stt: SpeechToText, tts: TextToSpeech, tmp_path: Path
) -> None:
    wav = to_wav_bytes(silence(3.0, 16_000))
    with pytest.raises(AudioInputError, match="holds no speech"):
        call(server, stt, tts, wav, tmp_path)
