"""Input normalisation: what a message *means* to a reader, however it is disguised.

Attackers hide instructions from keyword checks with zero-width characters, lookalike letters
from other scripts, full-width forms, spaced-out letters, leetspeak, or encodings (base64, hex,
rot13, %-escapes). ``views`` returns every reading worth checking."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from urllib.parse import unquote

# Zero-width, bidi controls, soft hyphen, word joiners, BOM, Unicode tag characters.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\U000e0000-\U000e007f]"
)
# Letters from other scripts that look like Latin ones (the usual homoglyph set).
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
        "ј": "j", "ѕ": "s", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ӏ": "l",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ү": "Y",
        "α": "a", "ο": "o", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t",
        "υ": "u", "χ": "x", "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K",
        "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ζ": "Z",
        "ı": "i", "ł": "l", "ø": "o", "ß": "ss",
    }
)  # fmt: skip
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
_SPACED = re.compile(r"\b(?:\w[ .\-_*]){3,}\w\b")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]?){8,}(?![0-9A-Fa-f])")
_ESCAPED_HEX = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){4,}")
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2}){4,}")


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def normalize_input(text: str) -> str:
    """Invisible characters removed, compatibility forms folded (NFKC), homoglyphs mapped to
    Latin. Safe for everything downstream (the NLU, flows): it changes no visible meaning."""
    folded = unicodedata.normalize("NFKC", strip_invisible(text))
    return folded.translate(_CONFUSABLES)


def _printable(data: bytes) -> str | None:
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(decoded) < 6:
        return None
    readable = sum(ch.isprintable() or ch.isspace() for ch in decoded)
    letters = sum(ch.isalpha() for ch in decoded)
    if readable / len(decoded) < 0.95 or letters / len(decoded) < 0.5:
        return None
    return decoded


def decoded_payloads(text: str) -> list[tuple[str, str]]:
    """(encoding, decoded text) for every encoded chunk that decodes to readable text."""
    found: list[tuple[str, str]] = []
    for token in _BASE64.findall(text):
        if token.isdigit() or token.isalpha() and token.islower():
            continue  # a long number or a plain word is not base64 worth decoding
        padded = token + "=" * (-len(token) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = _printable(decode(padded))
            except (binascii.Error, ValueError):
                decoded = None
            if decoded:
                found.append(("base64", decoded))
                break
    for chunk in _HEX.findall(text):
        digits = re.sub(r"[ :]", "", chunk)
        if digits.isdigit() or len(digits) % 2:
            continue  # order and tracking numbers are digits, not hex-encoded text
        decoded = _printable(bytes.fromhex(digits))
        if decoded:
            found.append(("hex", decoded))
    for chunk in _ESCAPED_HEX.findall(text):
        decoded = _printable(bytes.fromhex(chunk.replace("\\x", "")))
        if decoded:
            found.append(("hex", decoded))
    for chunk in _PERCENT.findall(text):
        decoded = unquote(chunk)
        if decoded != chunk and sum(c.isalpha() for c in decoded) >= 4:
            found.append(("percent", decoded))
    return found


def views(text: str) -> list[tuple[str, str]]:
    """Every reading of ``text`` a classifier should check: (how it was read, the text)."""
    base = normalize_input(text)
    out = [("text", base)]
    despaced = _SPACED.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), base)
    if despaced != base:
        out.append(("spaced", despaced))
    leet = base.lower().translate(_LEET)
    if leet != base.lower():
        out.append(("leet", leet))
    out.append(("rot13", codecs.encode(base, "rot13")))
    for encoding, decoded in decoded_payloads(base):
        out.append((encoding, normalize_input(decoded)))
    return out
