"""Printers: search results as text, JSON Lines, ids, or counts.

Searching never formats and printing never searches: every printer takes the
same ``Result`` objects.  Document text is untrusted: the text printers escape
control characters (a document must not be able to recolour, retitle or clear
the user's terminal); JSON keeps the text intact, escaped by JSON itself.
"""

from __future__ import annotations

import os
import re
import sys
from typing import IO

from searchkit.search import Hit, Result, StoredDocument

# C0/C1 control characters (but tab and newline) and the Unicode bidi controls
# that can make displayed text differ from what it is.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

BOLD, RED, MAGENTA, DIM, RESET = "\x1b[1m", "\x1b[1;31m", "\x1b[35m", "\x1b[2m", "\x1b[0m"

TITLE_CHARS = 120


def use_color(choice: str, stream: IO) -> bool:
    """``--color``: auto means a terminal, and NO_COLOR unset (no-color.org)."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def safe(text: str, keep_newlines: bool = False) -> str:
    """``text`` made harmless for a terminal: control characters shown as \\xNN."""
    if not keep_newlines:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", text)


def mark(text: str, spans: list[tuple[int, int]], color: bool, keep_newlines=False) -> str:
    """``text`` with ``spans`` highlighted (when colouring), made safe."""
    if not color or not spans:
        return safe(text, keep_newlines)
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out.append(safe(text[last:start], keep_newlines))
        out.append(RED + safe(text[start:end], keep_newlines) + RESET)
        last = end
    out.append(safe(text[last:], keep_newlines))
    return "".join(out)


class TextPrinter:
    """For people: rank and title, then id / date / score, then the passages."""

    def __init__(self, out: IO, color: bool):
        self.out, self.color = out, color

    def result(self, result: Result) -> None:
        for hit in result.hits:
            self.hit(hit)

    def hit(self, hit: Hit) -> None:
        c = self.color
        title, spans = hit.title, hit.title_matches
        if len(title) > TITLE_CHARS:
            title = title[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"
            spans = [(s, e) for s, e in spans if e <= len(title)]
        head = f"{hit.rank}. " + mark(title or "(untitled)", spans, c)
        meta = [MAGENTA + safe(hit.id) + RESET if c else safe(hit.id)]
        if hit.type != "text":
            meta.append(safe(hit.type))
        if hit.author:
            meta.append(safe(hit.author))
        if hit.date:
            meta.append(safe(hit.date))
        meta.append(f"score {hit.score:.2f}")
        lines = [(BOLD + head + RESET) if c else head, "   " + "  ".join(meta)]
        for p in hit.passages:
            text = mark(p.text, p.matches, c)
            text = ("…" if p.cut_before else "") + text + ("…" if p.cut_after else "")
            if p.page is not None:
                text = (DIM + f"p. {p.page}" + RESET if c else f"p. {p.page}") + "  " + text
            lines.append("   " + (DIM + "│" + RESET if c else "|") + " " + text)
        self.out.write("\n".join(lines) + "\n\n")

    def summary(self, result: Result) -> None:
        pass


class JsonPrinter:
    """JSON Lines: one ``hit`` object per hit, then one ``summary`` per query.
    The schema is documented in the README ("Output formats")."""

    def __init__(self, out: IO):
        self.out = out

    def _write(self, obj: dict) -> None:
        import json  # only JSON output pays for it

        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def result(self, result: Result, query_id: str | None = None) -> None:
        for hit in result.hits:
            self._write(hit_json(hit, result.query, query_id))
        self.summary(result, query_id)

    def summary(self, result: Result, query_id: str | None = None, error: str | None = None):
        obj = {"type": "summary"}
        if query_id is not None:
            obj["query_id"] = query_id
        obj.update(query=result.query, hits=len(result.hits), total=result.total,
                   elapsed_ms=round(result.seconds * 1000, 3), suggestion=result.suggestion)
        if result.total_is_estimate:
            obj["total_is_estimate"] = True
        if result.note:
            obj["note"] = result.note
        if error:
            obj["error"] = error
        self._write(obj)


def hit_json(hit: Hit, query: str, query_id: str | None = None) -> dict:
    obj = {"type": "hit"}
    if query_id is not None:
        obj["query_id"] = query_id
    obj.update(
        query=query, rank=hit.rank, id=hit.id, path=hit.path, title=hit.title, date=hit.date,
        format=hit.type, author=hit.author, score=hit.score,
        passages=[{
            "text": p.text,
            "offset": p.offset,
            "page": p.page,
            "matches": [{"start": s, "end": e, "text": p.text[s:e]} for s, e in p.matches],
        } for p in hit.passages],
    )
    return obj


class IdPrinter:
    """``-l``: one id per line (or NUL-terminated with ``-0``), for xargs.
    Ids go out as they are to a pipe, made safe on a terminal (a file name
    can hold escape sequences too)."""

    def __init__(self, out: IO, null: bool):
        self.out, self.end = out, "\0" if null else "\n"
        self.shown = (lambda text: safe(text)) if out.isatty() else (lambda text: text)

    def result(self, result: Result) -> None:
        self.out.write("".join(self.shown(hit.id) + self.end for hit in result.hits))


class CountPrinter:
    def __init__(self, out: IO):
        self.out = out

    def result(self, result: Result) -> None:
        self.out.write(f"{result.total}\n")


def document_text(doc: StoredDocument, spans: list[tuple[int, int]], color: bool,
                  page: int | None = None) -> str:
    """``show``: the metadata, then the text (or one page of it)."""
    head = [("id", doc.id), ("path", doc.path), ("title", doc.title),
            ("type", doc.type if doc.type != "text" else None), ("author", doc.author),
            ("date", doc.date), ("pages", str(len(doc.pages)) if doc.pages else None),
            ("page", str(page) if page else None)]
    lines = [f"{(BOLD + k + RESET) if color else k}: {safe(v)}" for k, v in head if v]
    text, spans = _page_of(doc, spans, page)
    return "\n".join(lines) + "\n\n" + mark(text, spans, color, keep_newlines=True) + "\n"


def document_json(doc: StoredDocument, spans: list[tuple[int, int]],
                  page: int | None = None) -> str:
    import json

    text, spans = _page_of(doc, spans, page)
    obj = {"id": doc.id, "path": doc.path, "title": doc.title, "date": doc.date,
           "format": doc.type, "author": doc.author,
           "pages": len(doc.pages) if doc.pages else None}
    if page:
        obj["page"] = page
    obj.update(text=text, matches=[{"start": s, "end": e, "text": text[s:e]} for s, e in spans])
    return json.dumps(obj, ensure_ascii=False) + "\n"


def _page_of(doc: StoredDocument, spans: list[tuple[int, int]], page: int | None):
    """The text to show (the whole, or one page) and the spans inside it."""
    if not page:
        return doc.text, spans
    start, text = doc.page_span(page)
    return text, [(s - start, e - start) for s, e in spans
                  if start <= s and e <= start + len(text)]


def stderr_line(message: str) -> None:
    sys.stderr.write(f"searchkit: {safe(message)}\n")
