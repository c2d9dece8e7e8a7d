"""The local audio loop: a recorded caller through STT, the real conversation pipeline and TTS.

It plays the part of the phone line offline, the same way the Twilio voice webhooks do: the
call opens the caller's voice conversation (greeting with the AI disclosure), each utterance
of the recording (split at pauses) is transcribed and goes through ``ingest_inbound`` on the
``voice`` channel, and each answer is spoken to a WAV file. A handoff to people is announced
with the hold message, and what the caller says after it is stored for the agent unanswered.

Latency per turn is measured from the end of the caller's utterance (the clip is complete) to
the moment the first answer's audio is ready: STT + pipeline + TTS of the first reply.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridcx.channels.deps import ChannelDeps
from hybridcx.channels.ingest import ingest_inbound, open_inbound_thread
from hybridcx.channels.twilio.voice import (
    HOLD_MESSAGE,
    REPROMPT,
    opening_words,
    pick_spoken,
    spoken,
)
from hybridcx.conversations import repository as repo
from hybridcx.kit.ids import new_id
from hybridcx.speech.audio import Audio, read_wav, split_utterances
from hybridcx.speech.base import (
    AudioInputError,
    AudioSource,
    SpeechToText,
    TextToSpeech,
    Transcript,
)

PEOPLE = ("queued", "assigned")
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_DIGIT_RUN = re.compile(
    r"\b(?:(?:\d|"
    + "|".join(_DIGIT_WORDS)
    + r")[\s,.-]+){2,}(?:\d|"
    + "|".join(_DIGIT_WORDS)
    + r")\b",
    re.I,
)


def spoken_digits(text: str) -> str:
    """Digits read out one by one become one number: "1 0 0 1" and "one zero zero one" ->
    "1001" (three digits or more, so "one or two" stays as it is)."""

    def join(m: re.Match[str]) -> str:
        tokens = re.split(r"[\s,.-]+", m.group(0).strip(" ,.-"))
        return "".join(_DIGIT_WORDS.get(t.lower(), t) for t in tokens)

    return _DIGIT_RUN.sub(join, text)


@dataclass
class Spoken:
    """One thing the bot said, and where its audio was written."""

    text: str
    file: Path


@dataclass
class CallTurn:
    index: int
    start: float  # seconds into the recording
    end: float
    transcript: Transcript
    text: str  # what went into the pipeline ("" when nothing was recognised)
    intent: str | None
    status: str
    answers: list[Spoken] = field(default_factory=list)
    stt_seconds: float = 0.0
    pipeline_seconds: float = 0.0
    tts_seconds: float = 0.0  # to the first answer's audio

    @property
    def latency_seconds(self) -> float | None:
        """End of the caller's speech to the first audio of the answer (None: no answer)."""
        if not self.answers:
            return None
        return self.stt_seconds + self.pipeline_seconds + self.tts_seconds


@dataclass
class CallResult:
    call_id: str
    conversation_id: str
    greeting: list[Spoken]
    turns: list[CallTurn]
    status: str

    def transcript_lines(self) -> list[str]:
        lines = [f"bot:    {s.text}" for s in self.greeting]
        for turn in self.turns:
            heard = turn.transcript.text or "(nothing recognised)"
            lines.append(f"caller: {heard}")
            lines += [f"bot:    {s.text}" for s in turn.answers]
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "conversation_id": self.conversation_id,
            "status": self.status,
            "greeting": [{"text": s.text, "file": str(s.file)} for s in self.greeting],
            "turns": [
                {
                    "index": t.index,
                    "start": round(t.start, 2),
                    "end": round(t.end, 2),
                    "heard": t.transcript.text,
                    "confidence": round(t.transcript.confidence, 3),
                    "text": t.text,
                    "intent": t.intent,
                    "status": t.status,
                    "answers": [{"text": s.text, "file": str(s.file)} for s in t.answers],
                    "stt_seconds": round(t.stt_seconds, 3),
                    "pipeline_seconds": round(t.pipeline_seconds, 3),
                    "tts_seconds": round(t.tts_seconds, 3),
                    "latency_seconds": (
                        round(t.latency_seconds, 3) if t.latency_seconds is not None else None
                    ),
                }
                for t in self.turns
            ],
        }


class _Voice:
    """Speaks into numbered WAV files in the output folder."""

    def __init__(self, tts: TextToSpeech, out_dir: Path) -> None:
        self.tts = tts
        self.out_dir = out_dir
        self.count = 0

    async def say(self, text: str, label: str) -> Spoken:
        self.count += 1
        path = self.out_dir / f"{self.count:02d}-{label}.wav"
        await asyncio.to_thread(self._speak_to, path, text)
        return Spoken(text, path)

    def _speak_to(self, path: Path, text: str) -> None:
        wav = self.tts.synthesize(text)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(wav)


async def run_call(
    rt: ChannelDeps,
    audio: AudioSource | Audio,
    *,
    stt: SpeechToText,
    tts: TextToSpeech,
    out_dir: Path,
    phone: str,
    call_id: str | None = None,
    inbox_key: str | None = None,
) -> CallResult:
    """Run one recorded call through the phone bot; answers are written to ``out_dir``."""
    recording = audio if isinstance(audio, Audio) else read_wav(audio)
    utterances = split_utterances(recording)
    if not utterances:
        raise AudioInputError("The recording holds no speech (only silence or noise).")
    call_id = call_id or f"local-{new_id()}"
    voice = _Voice(tts, out_dir)
    opened = await open_inbound_thread(
        rt,
        channel="voice",
        thread_key=call_id,
        inbox_key=inbox_key,
        phone=phone,
        conversation_meta={"call_sid": call_id, "customer_number": phone, "source": "local"},
    )
    status = opened.status
    name = await _customer_name(rt, opened.customer_id)
    hello = [await voice.say(words, "greeting") for words in opening_words(opened, name)]
    if status in PEOPLE:
        hello.append(await voice.say(HOLD_MESSAGE, "hold"))
    buttons: list[str] = []
    turns: list[CallTurn] = []
    for index, utt in enumerate(utterances, 1):
        t0 = time.perf_counter()
        heard = await asyncio.to_thread(stt.transcribe, utt.audio)
        t1 = time.perf_counter()
        text = pick_spoken(spoken_digits(heard.text), buttons) if heard.text else ""
        turn = CallTurn(index, utt.start, utt.end, heard, text, None, status)
        turn.stt_seconds = t1 - t0
        replies: list[str] = []
        if text:
            answer = status not in PEOPLE
            result = await ingest_inbound(
                rt,
                channel="voice",
                text=text,
                inbox_key=inbox_key,
                phone=phone,
                external_id=f"{call_id}:{index}",
                thread_key=call_id,
                meta={
                    "stt": {
                        "engine": stt.name,
                        "heard": heard.text,
                        "confidence": round(heard.confidence, 4),
                        "audio_seconds": round(utt.end - utt.start, 2),
                    }
                },
                answer=answer,
            )
            messages = [m for m in result.ai_messages if m.get("author") in ("ai", "system")]
            replies = [spoken(m) for m in messages if spoken(m)]
            buttons = list(messages[-1].get("buttons") or []) if messages else []
            if answer and result.status in PEOPLE:
                replies.append(HOLD_MESSAGE)
            status = turn.status = result.status
            turn.intent = await _intent(rt, result.conversation_id)
        elif status not in PEOPLE:
            replies = [REPROMPT]
        turn.pipeline_seconds = time.perf_counter() - t1
        for n, reply in enumerate(replies, 1):
            t2 = time.perf_counter()
            turn.answers.append(
                await voice.say(reply, f"answer-{index}" + (f"-{n}" if n > 1 else ""))
            )
            if n == 1:
                turn.tts_seconds = time.perf_counter() - t2
        turns.append(turn)
    return CallResult(call_id, opened.conversation_id, hello, turns, status)


async def _customer_name(rt: ChannelDeps, customer_id: str) -> str | None:
    async with rt.sessions() as session:
        customer = await repo.get_customer(session, customer_id)
    return (customer.name or None) if customer else None


async def _intent(rt: ChannelDeps, conversation_id: str) -> str | None:
    async with rt.sessions() as session:
        conv = await repo.get_conversation(session, conversation_id)
    return ((conv.routing or {}).get("intent")) if conv else None


def record_script(tts: TextToSpeech, lines: list[str], *, pause: float = 1.2) -> Audio:
    """A caller recording made from text: each line spoken, with ``pause`` seconds of silence
    before, between and after (for tests, benchmarks and trying the loop without a mic)."""
    from hybridcx.speech.audio import concatenate, silence

    clips = [read_wav(tts.synthesize(line)) for line in lines]
    rate = clips[0].rate
    parts = [silence(pause / 2, rate)]
    for clip in clips:
        parts += [clip, silence(pause, rate)]
    return concatenate(parts)
