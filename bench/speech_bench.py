"""Local speech: word error rate of the default STT on speech synthesised with espeak-ng, and
the latency from the end of a caller's utterance to the first audio of the bot's answer.

    .venv/bin/python bench/speech_bench.py [--utterances bench/speech_utterances.yaml]
        [--caller-engine espeak-ng|piper] [--caller-rate 165] [--beam-size 5] [--json]
        [--skip-latency] [--compare-beams N]

WER: every utterance is spoken by the caller voice (espeak-ng, 165 words per minute: the
product's default TTS settings) and transcribed by the default STT (faster-whisper, Whisper base
int8, VAD on, beam 5); the transcript is scored against the text with ``hybridcx.speech.wer``
(corpus WER: all errors over all reference words). The demo intent model is run on the text
and on the transcript, to show what the errors cost the AI.

Latency: each utterance is one call through ``hybridcx.channels.local_call.run_call`` against a fresh
SQLite database with the demo company (the real pipeline, knowledge and flows) and the default
TTS; per turn it records STT, pipeline and TTS-to-first-audio time. End-of-speech detection
(the silence a live line waits for before it decides the caller stopped) is not included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from hybridcx.config import Settings
from hybridcx.speech.audio import read_wav
from hybridcx.speech.engines import SpeechConfig, build_stt, build_tts
from hybridcx.speech.wer import corpus_wer, word_alignment

DEFAULT_UTTERANCES = Path(__file__).with_name("speech_utterances.yaml")


def load_utterances(path: Path) -> list[dict[str, Any]]:
    """A YAML ``utterances: [{text, intent}]`` file, or plain text with one utterance a line."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        return [dict(u) for u in yaml.safe_load(raw)["utterances"]]
    return [{"text": line.strip(), "intent": None} for line in raw.splitlines() if line.strip()]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_wer(utterances: list[dict[str, Any]], stt: Any, caller: Any, brain: Any) -> dict:
    rows = []
    for u in utterances:
        audio = read_wav(caller.synthesize(u["text"]))
        t0 = time.perf_counter()
        heard = stt.transcribe(audio)
        seconds = time.perf_counter() - t0
        a = word_alignment(u["text"], heard.text)
        row = {
            "text": u["text"],
            "heard": heard.text,
            "wer": round(a.wer, 4),
            "errors": a.errors,
            "words": a.reference_words,
            "audio_seconds": round(audio.duration, 2),
            "stt_seconds": round(seconds, 3),
            "intent": u.get("intent"),
        }
        if brain is not None and u.get("intent"):
            row["intent_from_text"] = brain.understander.understand(u["text"]).intent
            row["intent_from_speech"] = brain.understander.understand(heard.text).intent
        rows.append(row)
    labelled = [r for r in rows if "intent_from_text" in r]
    return {
        "utterances": len(rows),
        "reference_words": sum(r["words"] for r in rows),
        "corpus_wer": round(corpus_wer([(r["text"], r["heard"]) for r in rows]), 4),
        "mean_sentence_wer": round(statistics.mean(r["wer"] for r in rows), 4),
        "sentences_exact": sum(r["errors"] == 0 for r in rows),
        "stt_seconds_median": round(statistics.median(r["stt_seconds"] for r in rows), 3),
        "intent_labelled": len(labelled),
        "intent_accuracy_text": _accuracy(labelled, "intent_from_text"),
        "intent_accuracy_speech": _accuracy(labelled, "intent_from_speech"),
        "rows": rows,
    }


def compare_beams(utterances: list[dict[str, Any]], cache: Path, caller: Any, n: int) -> dict:
    """Beam 1 against beam 5 on the same clips, interleaved, so both see the same CPU load."""
    engines = {b: build_stt(SpeechConfig(cache_dir=cache, stt_beam_size=b)) for b in (1, 5)}
    clips = [read_wav(caller.synthesize(u["text"])) for u in utterances[:n]]
    times: dict[int, list[float]] = {1: [], 5: []}
    for clip in clips:
        for beam, stt in engines.items():
            t0 = time.perf_counter()
            stt.transcribe(clip)
            times[beam].append(time.perf_counter() - t0)
    return {
        f"beam_{b}_stt_seconds_median": round(statistics.median(t), 3) for b, t in times.items()
    }


def _accuracy(rows: list[dict[str, Any]], key: str) -> float | None:
    return round(sum(r[key] == r["intent"] for r in rows) / len(rows), 4) if rows else None


async def measure_latency(
    utterances: list[dict[str, Any]], stt: Any, tts: Any, caller: Any, nlu_dir: Path | None
) -> dict:
    from hybridcx.channels.local_call import record_script, run_call
    from hybridcx.demo.seed import seed_demo
    from hybridcx.kit.db import transaction, upgrade
    from hybridcx.runtime import Runtime

    with tempfile.TemporaryDirectory(prefix="hybridcx-speech-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), nlu_model_dir=nlu_dir, _env_file=None)
        rt = Runtime.from_settings(settings)
        try:
            await upgrade(rt.engine)
            async with transaction(rt.sessions) as session:
                await seed_demo(session)
            turns = []
            for i, u in enumerate(utterances):
                recording = record_script(caller, [u["text"]], pause=1.0)
                result = await run_call(
                    rt,
                    recording,
                    stt=stt,
                    tts=tts,
                    out_dir=Path(tmp) / "calls" / str(i),
                    phone=f"+1202555{9000 + i:04d}",  # a new caller each time
                )
                turns += [t for t in result.turns if t.latency_seconds is not None]
        finally:
            await rt.engine.dispose()

    def stats(values: list[float]) -> dict[str, float]:
        return {
            "median": round(statistics.median(values), 3),
            "p90": round(pct(values, 0.9), 3),
            "max": round(max(values), 3),
        }

    return {
        "turns": len(turns),
        "latency_seconds": stats([t.latency_seconds for t in turns]),  # type: ignore[misc]
        "stt_seconds": stats([t.stt_seconds for t in turns]),
        "pipeline_seconds": stats([t.pipeline_seconds for t in turns]),
        "tts_first_audio_seconds": stats([t.tts_seconds for t in turns]),
        "utterance_seconds": stats([t.end - t.start for t in turns]),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--utterances", type=Path, default=DEFAULT_UTTERANCES)
    p.add_argument("--caller-engine", default="espeak-ng", help="voice of the simulated caller")
    p.add_argument("--caller-rate", type=int, default=165, help="espeak-ng words per minute")
    p.add_argument("--beam-size", type=int, default=5)
    p.add_argument("--model", type=Path, help="intent model dir (default: trained in --cache)")
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "hybridcx-bench")
    p.add_argument("--skip-latency", action="store_true")
    p.add_argument("--compare-beams", type=int, metavar="N", help="time beam 1 vs 5 on N clips")
    p.add_argument("--json", action="store_true", help="print everything, per utterance too")
    args = p.parse_args()

    import logging

    import structlog

    from hybridcx.brain import load_brain

    # the server's log lines would mix with the report on stdout
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    )
    model_dir = args.model or args.cache / "nlu-demo"
    utterances = load_utterances(args.utterances)
    cache = args.cache / "speech-models"
    stt = build_stt(SpeechConfig(cache_dir=cache, stt_beam_size=args.beam_size))
    tts = build_tts(SpeechConfig())
    caller = build_tts(
        SpeechConfig(tts_engine=args.caller_engine, tts_rate=args.caller_rate, cache_dir=cache)
    )
    brain = load_brain(model_dir)  # trains the demo model there first if it is missing
    report: dict[str, Any] = {
        "stt": f"faster-whisper, Whisper base int8, VAD, beam {args.beam_size}",
        "caller_voice": args.caller_engine
        + (f" at {args.caller_rate} wpm" if args.caller_engine == "espeak-ng" else ""),
        "tts": "espeak-ng (default settings)",
        "wer": measure_wer(utterances, stt, caller, brain),
    }
    if args.compare_beams:
        report["beams"] = compare_beams(utterances, cache, caller, args.compare_beams)
    if not args.skip_latency:
        report["latency"] = asyncio.run(measure_latency(utterances, stt, tts, caller, model_dir))
    if not args.json:
        report["wer"].pop("rows")
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
