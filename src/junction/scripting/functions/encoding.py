"""``btoa`` and ``atob``: Base64 of text in a chosen character set (UTF-8 by default).

The names and behaviour follow .NET's encodings, which Cyclr's scripts were written
against: ``UTF-16`` and ``UTF-32`` mean little-endian without a byte order mark; ASCII
turns every character it cannot hold into ``?``; ISO-8859-1 first tries the character
without its accents (``ō`` becomes ``o``) and only then ``?``. Bytes a charset cannot read
become U+FFFD (``?`` for ASCII) rather than an error.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata

from junction.scripting.functions.bridge import (
    Answer,
    ScriptFunctionError,
    guarded,
    need_text,
    optional_text,
    text,
)

# Charset name (upper case) -> Python codec.
CHARSETS = {
    "ASCII": "ascii",
    "ISO-8859-1": "latin-1",
    "UTF-7": "utf-7",
    "UTF-8": "utf-8",
    "UTF-16": "utf-16",
    "UTF-16LE": "utf-16-le",
    "UTF-16BE": "utf-16-be",
    "UTF-32": "utf-32",
    "UTF-32LE": "utf-32-le",
    "UTF-32BE": "utf-32-be",
}
_BOMS = {
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
    "utf-32-le": codecs.BOM_UTF32_LE,
    "utf-32-be": codecs.BOM_UTF32_BE,
}
_SPACE = re.compile(r"\s+")


def _codec(charset: str | None) -> str:
    if charset is None:
        return "utf-8"
    codec = CHARSETS.get(charset.strip().upper())
    if codec is None:
        raise ScriptFunctionError(f"unknown charset {charset!r}; use one of {', '.join(CHARSETS)}")
    return codec


def _without_accents(character: str) -> str:
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", character) if not unicodedata.combining(c)
    )
    try:
        plain.encode("latin-1")
    except UnicodeEncodeError:
        return "?"
    return plain or "?"


def encode(value: str, codec: str) -> bytes:
    if codec == "latin-1":
        return "".join(c if ord(c) < 256 else _without_accents(c) for c in value).encode(codec)
    if codec in ("utf-16", "utf-32"):
        codec += "-le"
    # Only ASCII and UTF-7 lack characters; a lone surrogate (half an emoji) has no form in
    # any of them either.
    return value.encode(codec, errors="replace")


def decode(data: bytes, codec: str) -> str:
    if codec == "ascii":
        return data.decode(codec, errors="replace").replace("\ufffd", "?")
    if codec in ("utf-16", "utf-32"):
        # Without a byte order mark, little-endian; with one, the order it announces.
        for ordered in (codec + "-le", codec + "-be"):
            if data.startswith(_BOMS[ordered]):
                return data[len(_BOMS[ordered]) :].decode(ordered, errors="replace")
        return data.decode(codec + "-le", errors="replace")
    bom = _BOMS.get(codec)
    if bom and data.startswith(bom):
        data = data[len(bom) :]
    return data.decode(codec, errors="replace")


@guarded("btoa")
def btoa(value: object, charset: object) -> Answer:
    codec = _codec(optional_text(charset, "charset"))
    data = encode(need_text(value, "text"), codec)
    return text(base64.b64encode(data).decode("ascii"))


@guarded("atob")
def atob(value: object, charset: object) -> Answer:
    codec = _codec(optional_text(charset, "charset"))
    encoded = _SPACE.sub("", need_text(value, "base64"))
    encoded += "=" * (-len(encoded) % 4)  # tolerate missing padding
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ScriptFunctionError("base64 is not valid Base64 text") from None
    return text(decode(data, codec))
