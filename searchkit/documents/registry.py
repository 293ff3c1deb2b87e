"""The one place that maps a detected kind of file to its reader.

A new format is a module in this package with ``read(blob, ctx)`` and a line
in ``READERS`` (and its extensions in ``sources.SUFFIXES``); nothing outside
the package changes.  Readers are imported when a file of theirs turns up,
so indexing text never loads a PDF library.
"""

from __future__ import annotations

import importlib
from typing import Iterator

from searchkit.documents.detect import detect
from searchkit.documents.model import (MAX_NESTING, Blob, Context, Document, DocumentError,
                                       Extracted, NotADocument, Source, Warn, join_pages)
from searchkit.documents.sources import kind_by_name

# kind -> "module:function" (in this package)
READERS = {
    "text": "text:read",
    "jsonl": "jsonl:read",
    "pdf": "pdf:read",
    "docx": "docx:read",
    "odt": "odt:read",
    "rtf": "rtf:read",
    "doc": "doc:read",
    "html": "html:read",
    "epub": "epub:read",
    "eml": "mail:read_eml",
    "mbox": "mail:read_mbox",
}

# What `type:` accepts and `info` counts: the formats as users name them.
TYPES = ("text", "pdf", "docx", "odt", "rtf", "doc", "html", "epub", "email")

TITLE_CHARS = 200


def reader(kind: str):
    module, _, function = READERS[kind].partition(":")
    return getattr(importlib.import_module(f"searchkit.documents.{module}"), function)


def extract_blob(blob: Blob, ctx: Context, hint: str | None = None) -> Iterator[Extracted]:
    """Detect what ``blob`` is and read it."""
    hint = kind_by_name(blob.name) or "" if hint is None else hint
    kind = detect(blob, hint)
    if kind is None:
        raise (NotADocument if hint == "" else DocumentError)("not a format searchkit reads")
    return reader(kind)(blob, ctx)


def read_source(source: Source, warn: Warn) -> list[Document]:
    """Read one source file into documents; raise DocumentError to skip it whole.
    ``warn(where, message, skipped=False)`` hears about problems that do not."""
    def file_warn(message: str, where: str = "", skipped: bool = False) -> None:
        warn(source.path + where, message, skipped=skipped)

    def nested(blob: Blob, depth: int = 0) -> Iterator[Extracted]:
        if depth >= MAX_NESTING:
            raise DocumentError("attachments nested too deep")
        inner = Context(warn=file_warn, nested=lambda b: nested(b, depth + 1), depth=depth + 1)
        return _contained(lambda: extract_blob(blob, inner))

    ctx = Context(warn=file_warn, nested=nested)
    blob = Blob(name=source.path, path=source.path)
    base = source.text_id()
    return [to_document(item, base, source.path)
            for item in _contained(lambda: extract_blob(blob, ctx, hint=source.kind))]


def _contained(read) -> Iterator[Extracted]:
    """The items ``read()`` yields; a reader failing in any other way than a
    DocumentError (a bug, a pathological file) costs its file -- or its
    attachment -- not the run, or the message around it."""
    try:
        yield from read()
    except DocumentError:
        raise
    except (MemoryError, RecursionError) as e:
        raise DocumentError(f"too large or too deeply nested to read "
                            f"({e.__class__.__name__})") from None
    except Exception as e:
        import os
        if os.environ.get("SEARCHKIT_DEBUG"):
            raise
        raise DocumentError(f"cannot read ({e.__class__.__name__}: {e})") from None


def to_document(item: Extracted, base_id: str, path: str) -> Document:
    pages = None
    text = item.text
    if item.pages is not None:
        text, pages = join_pages(item.pages)
    doc_id = item.id if item.id is not None else (
        f"{base_id}/{item.suffix}" if item.suffix else base_id)
    title = item.title.strip()
    # A document without a title of its own shows its first line as one (but
    # a JSON Lines record keeps what its author gave).
    from_text = not title and item.type != "text"
    if from_text:
        title = first_line(text)
    return Document(id=doc_id, title=title, text=text, date=item.date, path=path,
                    line=item.line, type=item.type, author=item.author or None, pages=pages,
                    scanned=list(item.scanned), title_in_text=from_text)


def first_line(text: str) -> str:
    """A title for a document without one: its first non-blank line."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[:TITLE_CHARS]
    return ""


def extract(path: str, warn: Warn | None = None) -> list[Document]:
    """The documents of one file, by path (for benchmarks and scripts)."""
    import os

    st = os.stat(path)
    source = Source(os.path.abspath(path), os.path.abspath(path), kind_by_name(path) or "",
                    st.st_mtime_ns, st.st_size)
    return read_source(source, warn or (lambda where, message, skipped=False: None))
