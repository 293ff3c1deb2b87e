"""Plain text: decoding bytes of unknown encoding, and the metadata a text file
may carry (a ``date 2022-01`` first line, YAML front matter, a heading)."""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import Iterator

from searchkit.documents.model import Blob, Context, DocumentError, Extracted

# --------------------------------------------------------------------- decoding

_POLISH_LETTERS = frozenset("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
# C1 control characters never occur in real text; in a wrong 8-bit decoding they
# are the tell-tale sign (ISO-8859-2 maps Windows-1250's ś, ź, Ś, Ź here).
_C1 = frozenset(chr(c) for c in range(0x80, 0xA0))
# Valid UTF-8 sequences needed per broken one to call a file UTF-8 (see decode).
UTF8_EVIDENCE = 4


def decode(data: bytes) -> tuple[str, str | None]:
    """Decode file contents to NFC text; return (text, warning or None).

    UTF-8 first (with or without BOM), UTF-16 when it has a BOM, then the two
    8-bit encodings older Polish files use, Windows-1250 and ISO-8859-2, told
    apart by which one yields Polish letters rather than control characters.
    Raises DocumentError for binary data.
    """
    warning = None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return nfc(data.decode("utf-16")), None
        except UnicodeDecodeError:
            raise DocumentError("invalid UTF-16 text") from None
    if b"\x00" in data:
        nuls = data.count(b"\x00")
        if nuls > len(data) // 100:
            raise DocumentError("binary file (NUL bytes)")
        data = data.replace(b"\x00", b"")
        warning = f"removed {nuls} NUL byte{'s' if nuls > 1 else ''}"
    try:
        return nfc(data.decode("utf-8")), warning
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    good = sum(1 for ch in lenient if ord(ch) > 127) - bad
    # A valid multi-byte sequence is strong evidence of UTF-8: in Windows-1250
    # or ISO-8859-2 text the bytes of Polish letters almost never happen to
    # form one, so a file with even a few of them is UTF-8 with broken bytes.
    if good and good * UTF8_EVIDENCE >= bad:
        # Mostly UTF-8 with a few broken bytes: keep it, say so.
        note = f"invalid UTF-8: {bad} byte sequence{'s' if bad > 1 else ''} replaced with U+FFFD"
        return nfc(lenient), f"{warning}; {note}" if warning else note
    best = max((data.decode(enc, errors="replace") for enc in ("cp1250", "iso-8859-2")),
               key=_plausibility)
    if _control_ratio(best) > 0.05:
        raise DocumentError("binary file (not text in UTF-8, Windows-1250 or ISO-8859-2)")
    return nfc(best), warning


def _plausibility(text: str) -> int:
    return sum(ch in _POLISH_LETTERS for ch in text) - 10 * sum(
        ch in _C1 or ch == "\ufffd" for ch in text)


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    controls = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f\v\x1b") or ch in _C1)
    return controls / len(text)


def nfc(text: str) -> str:
    # Decomposed input (NFD "ż" = "z" + U+0307) must match composed queries.
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------- metadata

_DATE = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
_DATE_PREFIX = re.compile(rf"^\s*date[:\s]\s*({_DATE})\b[ \t]*", re.IGNORECASE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_KEY = re.compile(r"^(title|date)\s*:\s*(.*?)\s*$", re.IGNORECASE | re.MULTILINE)
_VALID_DATE = re.compile(rf"^{_DATE}$")


def split_metadata(text: str) -> tuple[str, str | None, str]:
    """Split a text document into (title, date, body).

    Recognised: a first line starting ``date 2022-01`` (the rest of the line is
    the title), simple YAML front matter with ``title:`` / ``date:``, and a
    Markdown heading as the first line.  Otherwise the title is the first
    non-blank line.
    """
    title = date = None
    m = _FRONT_MATTER.match(text)
    if m:
        for key, value in _FRONT_KEY.findall(m.group(1)):
            value = value.strip("\"'")
            if key.lower() == "title" and value:
                title = value
            elif key.lower() == "date" and _VALID_DATE.match(value[:10]):
                date = value[:10] if len(value) >= 10 else value
        text = text[m.end():]
    m = _DATE_PREFIX.match(text)
    if m and date is None:
        date = m.group(1)
        text = text[m.end():]
    body = text.lstrip("\n\r\t ")
    if title is None:
        first, _, rest = body.partition("\n")
        title = first.strip().lstrip("#").strip()
        body = rest.strip("\n\r")
    return title, date, body.strip()


def read(blob: Blob, ctx: Context) -> Iterator[Extracted]:
    text, warning = decode(blob.data())
    if warning:
        ctx.warn(warning)
    if not text.strip():
        raise DocumentError("empty file")
    title, date, body = split_metadata(text)
    yield Extracted(text=body, title=title, date=date, type="text")
