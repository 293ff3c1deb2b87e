"""Documents in: find source files, decode them, split out metadata.

A *source* is one file on disk: a ``.txt`` / ``.md`` file holds one document, a
``.jsonl`` file holds one document per line.  Problems with single files never
stop a run: they go to a ``warn(where, message, skipped=False)`` callback --
``skipped`` when the file, folder or line is left out, not when it was
recovered (say, a few bytes of broken UTF-8 replaced).
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterator

TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl",)

# Larger files are skipped with a warning rather than read into memory whole.
MAX_FILE_BYTES = 512 * 1024 * 1024

Warn = Callable[..., None]  # warn(where, message, skipped=False)


class DocumentError(Exception):
    """A source file that cannot be turned into documents (the file is skipped)."""


@dataclass
class Document:
    id: str
    title: str
    text: str
    date: str | None
    path: str  # the source file, absolute
    line: int | None = None  # line number inside a JSONL source


@dataclass(frozen=True)
class Source:
    path: str  # absolute path of the file
    root: str  # absolute path of what the user named (a folder, or the file itself)
    kind: str  # "text" or "jsonl"
    mtime_ns: int
    size: int

    @property
    def signature(self) -> tuple[int, int]:
        return (self.mtime_ns, self.size)

    def text_id(self) -> str:
        """Id of a text file's document: its path relative to the indexed folder."""
        if self.root == self.path:
            return os.path.basename(self.path)
        # _walk builds every path as root + sep + ...: no need for relpath()
        return self.path[len(self.root.rstrip(os.sep)) + 1:].replace(os.sep, "/")


# --------------------------------------------------------------------- finding

def find_sources(paths: list[str], warn: Warn) -> Iterator[Source]:
    """Yield every indexable file under ``paths`` (folders are walked recursively).

    Hidden files and folders are skipped.  Symbolic links are followed, but a
    folder already visited on the current path (a symlink loop) is reported and
    not entered again.
    """
    for given in paths:
        root = os.path.abspath(given)
        try:
            st = os.stat(root)
        except FileNotFoundError:
            raise DocumentError(f"{given}: no such file or folder") from None
        except OSError as e:
            raise DocumentError(f"{given}: {e.strerror}") from None
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(root, root, warn, ancestors=((st.st_dev, st.st_ino),))
        else:
            kind = _kind(root)
            if kind is None:
                raise DocumentError(f"{given}: not a .txt, .md or .jsonl file")
            yield Source(root, root, kind, st.st_mtime_ns, st.st_size)


def _kind(path: str) -> str | None:
    lower = path.lower()
    if lower.endswith(TEXT_SUFFIXES):
        return "text"
    if lower.endswith(JSONL_SUFFIXES):
        return "jsonl"
    return None


def _walk(folder: str, root: str, warn: Warn, ancestors: tuple) -> Iterator[Source]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        warn(folder, f"cannot read folder: {e.strerror}", skipped=True)
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            st = entry.stat()  # follows symlinks
        except FileNotFoundError:
            warn(entry.path, "broken symbolic link", skipped=True)
            continue
        except OSError as e:
            warn(entry.path, f"cannot read: {e.strerror}", skipped=True)
            continue
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                warn(entry.path, "symbolic link loop, not followed", skipped=True)
                continue
            yield from _walk(entry.path, root, warn, ancestors + (key,))
        elif stat.S_ISREG(st.st_mode):
            kind = _kind(entry.name)
            if kind is not None:
                yield Source(entry.path, root, kind, st.st_mtime_ns, st.st_size)


# --------------------------------------------------------------------- decoding

_POLISH_LETTERS = frozenset("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
# C1 control characters never occur in real text; in a wrong 8-bit decoding they
# are the tell-tale sign (ISO-8859-2 maps Windows-1250's ś, ź, Ś, Ź here).
_C1 = frozenset(chr(c) for c in range(0x80, 0xA0))


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
            return _nfc(data.decode("utf-16")), None
        except UnicodeDecodeError:
            raise DocumentError("invalid UTF-16 text") from None
    if b"\x00" in data:
        nuls = data.count(b"\x00")
        if nuls > len(data) // 100:
            raise DocumentError("binary file (NUL bytes)")
        data = data.replace(b"\x00", b"")
        warning = f"removed {nuls} NUL byte{'s' if nuls > 1 else ''}"
    try:
        return _nfc(data.decode("utf-8")), warning
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    good = sum(1 for ch in lenient if ord(ch) > 127) - bad
    if good > bad:
        # Mostly UTF-8 with a few broken bytes: keep it, say so.
        note = f"invalid UTF-8: {bad} byte sequence{'s' if bad > 1 else ''} replaced with U+FFFD"
        return _nfc(lenient), f"{warning}; {note}" if warning else note
    best = max((data.decode(enc, errors="replace") for enc in ("cp1250", "iso-8859-2")),
               key=_plausibility)
    if _control_ratio(best) > 0.05:
        raise DocumentError("binary file (not text in UTF-8, Windows-1250 or ISO-8859-2)")
    return _nfc(best), warning


def _plausibility(text: str) -> int:
    return sum(ch in _POLISH_LETTERS for ch in text) - 10 * sum(
        ch in _C1 or ch == "\ufffd" for ch in text)


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    controls = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f\v\x1b") or ch in _C1)
    return controls / len(text)


def _nfc(text: str) -> str:
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


def read_source(source: Source, warn: Warn) -> list[Document]:
    """Read one source file into documents; raise DocumentError to skip it whole."""
    if source.size > MAX_FILE_BYTES:
        raise DocumentError(f"larger than {MAX_FILE_BYTES >> 20} MB")
    try:
        with open(source.path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DocumentError(f"cannot read: {e.strerror}") from None
    text, warning = decode(data)
    if warning:
        warn(source.path, warning)
    if source.kind == "jsonl":
        return list(_jsonl_documents(text, source.path, warn))
    if not text.strip():
        raise DocumentError("empty file")
    title, date, body = split_metadata(text)
    return [Document(source.text_id(), title, body, date, source.path)]


def _jsonl_documents(text: str, path: str, warn: Warn) -> Iterator[Document]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            warn(f"{path}:{number}", f"malformed JSON ({e.msg})", skipped=True)
            continue
        if not isinstance(obj, dict):
            warn(f"{path}:{number}", "not a JSON object", skipped=True)
            continue
        doc_id, body = obj.get("id"), obj.get("text")
        if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool) or str(doc_id) == "":
            warn(f"{path}:{number}", "missing or invalid \"id\"", skipped=True)
            continue
        if not isinstance(body, str):
            warn(f"{path}:{number}", "missing or invalid \"text\"", skipped=True)
            continue
        title = obj.get("title")
        date = obj.get("date")
        yield Document(
            id=str(doc_id),
            title=_nfc(title.strip()) if isinstance(title, str) else "",
            text=_nfc(body),
            date=str(date) if isinstance(date, (str, int)) and str(date) else None,
            path=path,
            line=number,
        )
