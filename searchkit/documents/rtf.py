"""RTF: a small tokenizer that keeps the text and the {\\info} metadata.

Letters come as ``\\uN`` escapes (whose fallback, ``\\'3f`` in
``Pierwsz\\u261\\'3f``, is skipped as ``\\ucN`` says) or as ``\\'xx`` bytes in
the code page of the current font (``\\fcharset238``) or, for a font of the
default charset, of the document (``\\ansicpg1250``; cp1252 when undeclared).
Destinations that are not text (font and style tables, pictures, objects,
field instructions, any ``\\*\\`` one) are skipped; footnotes go after the body
so they do not split its sentences; headers and footers follow, each distinct
one once.

Written by hand rather than with striprtf 0.0.35, which also finds every
known sentence in the shared manual (in 1.5-2x the time) but drops
footnotes, headers and text boxes, decodes ``\\'b9`` as cp1252 "¹" under
``\\ansicpg1250``, raises on a byte its code page lacks, and has no metadata.
"""

from __future__ import annotations

import codecs
import re
from typing import Iterator

from searchkit.documents.cleaning import single_line, tidy
from searchkit.documents.model import Blob, Context, DocumentError, Extracted

_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?"  # control word, its argument, its delimiter
    rb"|\\'([0-9a-fA-F]{2})"  # a byte in the current code page
    rb"|\\([^a-zA-Z'])"  # control symbol
    rb"|([{}])"
    rb"|[\r\n]+"  # line ends in the file are not text
    rb"|([^\\{}\r\n]+)"  # text
    rb"|\\", re.DOTALL)  # a lone backslash at the end

# Destinations whose content is not document text.
_SKIPPED = frozenset((
    "fonttbl", "colortbl", "stylesheet", "listtable", "listoverridetable", "revtbl", "rsidtbl",
    "generator", "pict", "object", "nonshppict", "shprslt", "sp", "fldinst", "datafield",
    "formfield", "themedata", "colorschememapping", "latentstyles", "datastore", "xmlnstbl",
    "filetbl", "pgptbl", "listtext", "pntext", "pntxta", "pntxtb", "xe", "tc", "txe", "rxe",
    "annotation", "atnid", "atnauthor", "atrfstart", "atrfend", "bkmkstart", "bkmkend",
    "template", "docvar", "userprops", "mmathPr", "background", "private", "falt",
))
_INFO_FIELDS = frozenset(("title", "author", "operator", "subject", "keywords", "comment",
                          "doccomm", "company", "manager", "category", "hlinkbase"))
_INFO_DATES = frozenset(("creatim", "revtim", "printim", "buptim"))
_HEADERS = frozenset(("header", "headerl", "headerr", "headerf",
                      "footer", "footerl", "footerr", "footerf"))
# \* marks an optional destination: skipped unless it is one of these.
_STARRED_TEXT = frozenset(("ud", "shpinst", "shptxt"))
_SYMBOLS = {"par": "\n", "line": "\n", "sect": "\n", "page": "\n", "row": "\n", "cell": "\n",
            "nestcell": "\n", "nestrow": "\n", "tab": " ", "emdash": "\u2014", "endash": "\u2013",
            "emspace": " ", "enspace": " ", "qmspace": " ", "bullet": "\u2022",
            "lquote": "\u2018", "rquote": "\u2019", "ldblquote": "\u201c", "rdblquote": "\u201d"}
_CONTROL_SYMBOLS = {"~": " ", "_": "-", "-": "", "\\": "\\", "{": "{", "}": "}", "\n": "\n",
                    "\r": "\n"}
# \fcharsetN -> code page (0, 1 and 2 -- ANSI, default, symbol -- follow \ansicpg).
_CHARSETS = {77: "mac_roman", 128: "cp932", 129: "cp949", 130: "johab", 134: "gbk",
             136: "cp950", 161: "cp1253", 162: "cp1254", 163: "cp1258", 177: "cp1255",
             178: "cp1256", 186: "cp1257", 204: "cp1251", 222: "cp874", 238: "cp1250",
             254: "cp437", 255: "cp850"}
_SKIP = object()  # the sink of a skipped destination
_FONTS = object()  # the sink inside \fonttbl


def read(blob: Blob, ctx: Context) -> Iterator[Extracted]:
    data = blob.data()
    start = data.find(b"{\\rtf")
    if start < 0 or data[:start].strip(b"\xef\xbb\xbf \t\r\n"):
        raise DocumentError("not an RTF file" if data.strip() else "empty file")
    parsed = _Parser(data, start).run()
    parts = ["".join(parsed.body), "\n".join("".join(note) for note in parsed.notes)]
    for header in parsed.headers:
        text = "".join(header).strip()
        if text and text not in parts:  # the same header in every section: once
            parts.append(text)
    info = {key: single_line(_unpair("".join(value))) for key, value in parsed.info.items()}
    yield Extracted(text=tidy(_unpair("\n\n".join(parts))), title=info.get("title", ""),
                    author=info.get("author") or None, date=parsed.date(), type="rtf")


class _Parser:
    def __init__(self, data: bytes, start: int):
        self.data, self.pos = data, start
        self.body: list[str] = []
        self.notes: list[list[str]] = []
        self.headers: list[list[str]] = []
        self.info: dict[str, list[str]] = {}
        self.dates: dict[str, dict[str, int]] = {}
        self.fonts: dict[str, str] = {}  # font number -> code page
        self.codepage = "cp1252"
        self.default_font = None
        self.pending = bytearray()  # \'xx bytes not decoded yet (a DBCS letter is two)

    def run(self) -> "_Parser":
        # Group state: where text goes, \uc skip count, font, a date being read.
        sink, uc, font, date = self.body, 1, None, None
        stack: list[tuple] = []
        skip = 0  # fallback characters still to skip after \uN
        star = False  # the group began with \*
        ansi_copy = False  # the next group is \upr's ANSI copy of a \ud group
        font_def = None  # the font being defined in \fonttbl
        data, match = self.data, _TOKEN.match
        pos, end = self.pos, len(self.data)
        while pos < end:
            m = match(data, pos)
            pos = m.end()
            word, arg, hexa, symbol, brace, text = m.groups()
            if hexa is None and self.pending:
                self._flush(sink, font)
            if brace is not None:
                skip, star = 0, False
                if brace == b"{":
                    stack.append((sink, uc, font, date))
                    date = None
                    if ansi_copy:
                        sink, ansi_copy = _SKIP, False
                elif not stack:
                    break
                else:
                    sink, uc, font, date = stack.pop()
                    if not stack:
                        break  # the document's group closed: what follows is not RTF
            elif word is not None:
                word = word.decode("ascii")
                if skip:
                    skip -= 1
                if star:
                    star = False
                    if word not in _STARRED_TEXT:
                        sink = _SKIP
                        continue
                if sink is _SKIP:
                    if word == "bin" and arg:
                        pos += max(0, int(arg))
                    continue
                if sink is _FONTS:
                    if word == "f":
                        font_def = arg.decode("ascii") if arg else None
                    elif word == "fcharset" and font_def is not None and arg:
                        cp = _CHARSETS.get(int(arg))
                        if cp:
                            self.fonts[font_def] = cp
                    elif word == "cpg" and font_def is not None and arg:
                        cp = _codepage(arg)
                        if cp:
                            self.fonts[font_def] = cp
                    continue
                if word == "u" and arg:
                    # A signed 16-bit value: \u-10179 is U+D83D.
                    self._emit(sink, chr(int(arg) % 0x10000))
                    skip = uc
                elif word in _SYMBOLS:
                    self._emit(sink, _SYMBOLS[word])
                elif word == "uc" and arg:
                    uc = max(0, int(arg))
                elif word == "f":
                    font = arg.decode("ascii") if arg else None
                elif word == "plain":
                    font = self.default_font
                elif word == "deff" and arg:
                    self.default_font = font = arg.decode("ascii")
                elif word == "ansicpg" and arg:
                    self.codepage = _codepage(arg) or self.codepage
                elif word in ("mac", "pc", "pca"):
                    self.codepage = {"mac": "mac_roman", "pc": "cp437", "pca": "cp850"}[word]
                elif word == "fonttbl":
                    sink = _FONTS
                elif word in _SKIPPED:
                    sink = _SKIP
                elif word == "bin" and arg:
                    pos += max(0, int(arg))
                elif word == "footnote":
                    sink = []
                    self.notes.append(sink)
                elif word in _HEADERS:
                    sink = []
                    self.headers.append(sink)
                elif word in _INFO_FIELDS:
                    sink = self.info[word] = []
                elif word in _INFO_DATES:
                    sink, date = None, self.dates.setdefault(word, {})
                elif word == "info":
                    sink = None  # only its fields hold text
                elif word == "upr":
                    ansi_copy = True  # {\upr{ANSI text}{\*\ud{the same in Unicode}}}
                elif word in ("yr", "mo", "dy") and date is not None and arg:
                    date[word] = int(arg)
            elif hexa is not None:
                if skip:
                    skip -= 1
                elif sink is not _SKIP and sink is not _FONTS:
                    self.pending.append(int(hexa, 16))
            elif symbol is not None:
                if symbol == b"*":
                    star = True
                    continue
                if skip:
                    skip -= 1
                    continue
                symbol = symbol.decode("latin-1")
                if symbol in _CONTROL_SYMBOLS:
                    self._emit(sink, _CONTROL_SYMBOLS[symbol])
            elif text is not None:
                if skip:
                    cut = min(skip, len(text))
                    skip -= cut
                    text = text[cut:]
                if text and sink is not _SKIP and sink is not _FONTS:
                    self._emit(sink, text.decode(self._cp(font), "replace"))
        if self.pending:
            self._flush(sink, font)
        return self

    def _emit(self, sink, text: str) -> None:
        if isinstance(sink, list):
            sink.append(text)

    def _flush(self, sink, font) -> None:
        self._emit(sink, bytes(self.pending).decode(self._cp(font), "replace"))
        self.pending.clear()

    def _cp(self, font) -> str:
        return self.fonts.get(font, self.codepage)

    def date(self) -> str | None:
        for key in ("creatim", "revtim"):
            parts = self.dates.get(key, {})
            year, month, day = parts.get("yr", 0), parts.get("mo", 0), parts.get("dy", 0)
            if not 1900 <= year <= 9999:
                continue
            if not 1 <= month <= 12:
                return str(year)
            return f"{year}-{month:02d}-{day:02d}" if 1 <= day <= 31 else f"{year}-{month:02d}"
        return None


def _codepage(arg: bytes) -> str | None:
    name = "cp" + arg.decode("ascii").lstrip("-")
    if name == "cp65001":
        name = "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


_SURROGATES = re.compile("[\ud800-\udfff]")


def _unpair(text: str) -> str:
    """Join the UTF-16 surrogate pairs that \\uN escapes give for letters beyond
    the BMP; a lone surrogate cannot be stored and is dropped."""
    if not _SURROGATES.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
