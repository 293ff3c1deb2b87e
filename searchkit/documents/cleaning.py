"""Text and metadata values as every reader hands them on: one clean-up, one
date parser, shared so that all formats agree."""

from __future__ import annotations

import datetime
import re
import unicodedata
from email.utils import parsedate_tz

# Control characters and invisible ones (a soft hyphen: the word goes on after it).
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff]+")
_WIDE_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_LINE_ENDS = re.compile("\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")  # as str.splitlines
_SPACES = re.compile(r" {2,}")
_EDGE_SPACES = re.compile(r" *\n *")
_BLANK_LINES = re.compile(r"\n{3,}")


def tidy(text: str) -> str:
    """Extracted text as searchkit keeps it: NFC, no control characters or
    invisible spaces, single spaces, at most one blank line between paragraphs."""
    text = _WIDE_SPACES.sub(" ", _INVISIBLE.sub("", _LINE_ENDS.sub("\n", text)))
    text = _EDGE_SPACES.sub("\n", _SPACES.sub(" ", text))
    return unicodedata.normalize("NFC", _BLANK_LINES.sub("\n\n", text).strip())


def single_line(value: str) -> str:
    """A metadata value as one tidy line."""
    return unicodedata.normalize("NFC", " ".join(_INVISIBLE.sub("", value).split()))


_YMD = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?=$|[T\s])")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?=$|T)")
_DMY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})(?=$|\s)")  # 15.01.2024, as Poles write


def iso_date(value: str | None, earliest: int = 1) -> str | None:
    """An ISO 8601 date ("2024-01-15", "2024-01" or "2024") from the usual
    ways of writing one, or None; years before ``earliest`` mean "no date"
    (Office writes 1601 for that)."""
    value = (value or "").strip()
    for pattern, (y, m, d) in ((_YMD, (1, 2, 3)), (_COMPACT, (1, 2, 3)), (_DMY, (3, 2, 1))):
        match = pattern.match(value)
        if match:
            return _checked(match.group(y), match.group(m), match.group(d), earliest)
    if re.search("[A-Za-z]", value):  # RFC 2822, as in Last-Modified
        parsed = parsedate_tz(value)
        if parsed:
            return _checked(parsed[0], parsed[1], parsed[2], earliest)
    return None


def _checked(year, month, day, earliest: int = 1) -> str | None:
    try:
        datetime.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    if int(year) < earliest:
        return None
    iso = f"{int(year):04d}"
    if month:
        iso += f"-{int(month):02d}"
        if day:
            iso += f"-{int(day):02d}"
    return iso
