"""`hybridcx voice`: transcribe a WAV, speak text to a WAV, and run a recorded call locally."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import structlog
import typer

from hybridcx.kit.cli import command_context
from hybridcx.kit.errors import AppError, NotFound
from hybridcx.kit.logging import stderr_logger_factory
from hybridcx.speech.engines import SpeechConfig

if TYPE_CHECKING:
    from hybridcx.channels.local_call import CallResult
    from hybridcx.speech.audio import Audio
    from hybridcx.speech.base import SpeechToText, TextToSpeech

voice_app = typer.Typer(
    help="Local speech: speech-to-text, text-to-speech and an offline phone-call loop.",
    no_args_is_help=True,
)

DEMO_CALLER = "+12025550100"  # Alex Morgan of the demo company (order 1001)


def speech_config(settings: Any, *, tts_engine: str | None = None) -> SpeechConfig:
    """The speech engines' configuration from HYBRIDCX_STT_* / HYBRIDCX_TTS_* settings."""
    return SpeechConfig(
        stt_engine=settings.stt_engine,
        stt_model_dir=settings.stt_model_dir,
        stt_model_sha256=settings.stt_model_sha256,
        stt_compute_type=settings.stt_compute_type,
        stt_language=settings.stt_language,
        stt_beam_size=settings.stt_beam_size,
        tts_engine=tts_engine or settings.tts_engine,
        tts_voice=settings.tts_voice,
        tts_rate=settings.tts_rate,
        cache_dir=settings.data_dir / "models",
    )


@contextmanager
def _logs_to_stderr(level: int = logging.WARNING) -> Iterator[None]:
    """Keep the server's log lines out of stdout (it carries the transcript or the JSON):
    warnings and errors only, on stderr (loggers bound earlier print to sys.stdout, which is
    redirected meanwhile)."""
    old = structlog.get_config()
    structlog.configure(
        logger_factory=stderr_logger_factory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )
    try:
        with redirect_stdout(sys.stderr):
            yield
    finally:
        structlog.configure(**old)


def _fail(exc: Exception | str) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


@voice_app.command()
def transcribe(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A PCM WAV file.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Text, confidence, duration and segments.")
    ] = False,
) -> None:
    """Print what the speech-to-text engine hears in FILE."""
    from hybridcx.speech.audio import read_wav
    from hybridcx.speech.engines import build_stt

    try:
        audio = read_wav(file)  # a bad file fails before the model loads
        transcript = build_stt(speech_config(command_context(ctx).settings())).transcribe(audio)
    except AppError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(transcript.text)


@voice_app.command()
def say(
    ctx: typer.Context,
    text: Annotated[
        list[str], typer.Argument(help="What to say; several texts become a caller recording.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The WAV file to write.")],
    engine: Annotated[
        str | None, typer.Option(help="espeak-ng or piper; defaults to HYBRIDCX_TTS_ENGINE.")
    ] = None,
    pause: Annotated[
        float, typer.Option(min=0.8, max=10.0, help="Seconds of silence between texts.")
    ] = 1.2,
) -> None:
    """Speak TEXT into a WAV file. Several TEXTs are spoken one after another with pauses, as a
    caller for `hybridcx voice call`."""
    from hybridcx.channels.local_call import record_script
    from hybridcx.speech.audio import read_wav, to_wav_bytes
    from hybridcx.speech.engines import build_tts

    try:
        tts = build_tts(speech_config(command_context(ctx).settings(), tts_engine=engine))
        if len(text) == 1:
            wav = tts.synthesize(text[0])
        else:
            wav = to_wav_bytes(record_script(tts, text, pause=pause))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(wav)
    except AppError as exc:
        raise _fail(exc) from None
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror}") from None
    typer.echo(f"wrote {out} ({read_wav(wav).duration:.1f} s)")


@voice_app.command()
def call(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The caller, recorded as a PCM WAV file.")],
    out_dir: Annotated[
        Path | None,
        typer.Option(help="Where the bot's answers go; default <data dir>/calls/<call id>."),
    ] = None,
    phone: Annotated[str, typer.Option(help="The caller's number.")] = DEMO_CALLER,
    as_json: Annotated[bool, typer.Option("--json", help="Turns, files and timings.")] = False,
) -> None:
    """Run a recorded call through STT, the conversation pipeline and TTS (no phone needed).

    The recording may hold several utterances separated by pauses; each is one turn. Uses the
    configured database (run `hybridcx seed` first for the demo company)."""
    from hybridcx.speech.audio import read_wav
    from hybridcx.speech.engines import build_stt, build_tts

    context = command_context(ctx)
    settings = context.settings()
    try:
        audio = read_wav(file)
        config = speech_config(settings)
        stt, tts = build_stt(config), build_tts(config)
        with _logs_to_stderr():
            result = asyncio.run(_call(context, settings, audio, stt, tts, out_dir, phone))
    except NotFound as exc:
        raise _fail(f"{exc} Run `hybridcx seed` for the demo company's phone line.") from None
    except AppError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    typer.echo(f"call {result.call_id} (conversation {result.conversation_id})")
    for line in result.transcript_lines():
        typer.echo(line)
    folder = result.greeting[0].file.parent
    typer.echo(f"status: {result.status}; the bot's answers are in {folder}")


async def _call(
    context: Any,
    settings: Any,
    audio: Audio,
    stt: SpeechToText,
    tts: TextToSpeech,
    out_dir: Path | None,
    phone: str,
) -> CallResult:
    from hybridcx.channels.local_call import run_call
    from hybridcx.kit.db import upgrade
    from hybridcx.kit.ids import new_id

    if settings.nlu_enabled and not (settings.effective_nlu_model_dir / "model.json").exists():
        typer.echo("First start: training the AI model (about 10 seconds)...", err=True)
    rt = context.runtime(settings)
    try:
        await upgrade(rt.engine)
        call_id = f"local-{new_id()}"
        folder = out_dir or settings.data_dir / "calls" / call_id
        return await run_call(
            rt, audio, stt=stt, tts=tts, out_dir=folder, phone=phone, call_id=call_id
        )
    finally:
        await rt.engine.dispose()
