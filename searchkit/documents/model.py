"""What flows through the documents stage: files in, documents out.

A *reader* (one module per format) turns a ``Blob`` -- a file on disk, or the
bytes of an e-mail attachment -- into ``Extracted`` items: text (whole, or page
by page), metadata, and an id suffix for items inside a container (an mbox's
messages, their attachments).  ``registry`` turns those into ``Document``s,
the unit the index stores.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterator

# Larger files are skipped with a warning rather than read into memory whole
# (PDFs are read page by page from disk, so this bounds the other formats).
MAX_FILE_BYTES = 512 * 1024 * 1024

# A zip-based file (DOCX, ODT, EPUB) whose members would inflate past this is
# refused: a zip bomb must not fill the memory.
# (measured: a DOCX part of 48 MB peaks at 150 MB of memory while it is parsed).
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024

# Attachments inside attachments are read this deep, no deeper.
MAX_NESTING = 3

Warn = Callable[..., None]  # warn(where, message, skipped=False)


class DocumentError(Exception):
    """A source file that cannot be turned into documents (the file is skipped)."""


class EncryptedError(DocumentError):
    """Protected by a password: skipped, with the reason."""


class NotADocument(DocumentError):
    """A file without an extension whose content is no format searchkit reads
    (a program, an image): passed over without a word, as files with such
    extensions are."""


@dataclass
class Blob:
    """The input of a reader: a file on disk or bytes from inside another file."""
    name: str  # file name: an extension hint, and the id of an attachment
    path: str | None = None  # on disk, when it is a file
    content: bytes | None = None  # in memory, when it is not
    _whole = None  # not a field: the file's bytes, when head() read all of it

    def data(self) -> bytes:
        if self.content is not None:
            return self.content
        if self._whole is not None:
            return self._whole
        try:
            size = os.path.getsize(self.path)
            if size > MAX_FILE_BYTES:
                raise DocumentError(f"larger than {MAX_FILE_BYTES >> 20} MB")
            with open(self.path, "rb") as f:
                return f.read()
        except OSError as e:
            raise DocumentError(f"cannot read: {e.strerror}") from None

    def head(self, n: int = 4096) -> bytes:
        if self.content is not None:
            return self.content[:n]
        try:
            with open(self.path, "rb") as f:
                head = f.read(n)
                if len(head) < n:
                    # The whole file: data() need not open it again (most
                    # files are small, and opening them is most of reading).
                    self._whole = head
                return head
        except OSError as e:
            raise DocumentError(f"cannot read: {e.strerror}") from None


@dataclass
class Extracted:
    """One document as a reader found it.

    Paged formats (PDF) give ``pages``, one text per page, and leave ``text``
    empty; the registry joins them and records where each page starts.
    """
    text: str = ""
    pages: list[str] | None = None
    title: str = ""
    author: str | None = None
    date: str | None = None  # ISO 8601: 2024, 2024-01 or 2024-01-15
    type: str = "text"
    suffix: str | None = None  # id inside the container: "12", "12/umowa.pdf"
    id: str | None = None  # an id of its own (JSON Lines), instead of the file's
    line: int | None = None  # line number inside a JSON Lines file
    # 1-based numbers of pages without a text layer (scanned): OCR candidates
    scanned: list[int] = field(default_factory=list)


@dataclass
class Context:
    """What a reader may call while reading one file."""
    # warn(message, where="", skipped=False): a problem that does not stop this
    # file; ``where`` is appended to its path (":12", a line), ``skipped`` when
    # that part of it is left out
    warn: Callable[..., None]
    # read a file found inside this one (an attachment): detect its type, read it
    nested: Callable[[Blob], Iterator[Extracted]]
    depth: int = 0


# Page texts are joined with a blank line, so a passage never runs across pages.
PAGE_SEPARATOR = "\n\n"


@dataclass
class Document:
    """One document to index: its text and metadata, and where it came from."""

    id: str
    title: str
    text: str
    date: str | None
    path: str  # the source file, absolute
    line: int | None = None  # line number inside a JSONL source
    type: str = "text"
    author: str | None = None
    # offset in ``text`` where each page starts (page n at pages[n - 1]); None: no pages
    pages: list[int] | None = None
    scanned: list[int] = field(default_factory=list)  # pages with no text (not OCRed)
    title_in_text: bool = False  # the title is the text's first line, not metadata


def page_span(text: str, starts: list[int], number: int) -> tuple[int, int]:
    """Where page ``number`` (1-based) of a text made by ``join_pages`` starts and ends."""
    start = starts[number - 1]
    end = starts[number] - len(PAGE_SEPARATOR) if number < len(starts) else len(text)
    return start, end


def split_pages(text: str, starts: list[int]) -> list[str]:
    """The pages of a text made by ``join_pages``, from where they start."""
    return [text[slice(*page_span(text, starts, n))] for n in range(1, len(starts) + 1)]


def join_pages(pages: list[str]) -> tuple[str, list[int]]:
    """The pages as one text, and where each starts in it."""
    starts, offset = [], 0
    for page in pages:
        starts.append(offset)
        offset += len(page) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(pages), starts


@dataclass(frozen=True)
class Source:
    """A file found to index, with what tells whether it changed."""

    path: str  # absolute path of the file
    root: str  # absolute path of what the user named (a folder, or the file itself)
    kind: str  # what the name suggests ("text", "jsonl", "pdf", ...); the content decides
    mtime_ns: int
    size: int

    @property
    def signature(self) -> tuple[int, int]:
        return (self.mtime_ns, self.size)

    def text_id(self) -> str:
        """Id of a file's document: its path relative to the indexed folder."""
        if self.root == self.path:
            return os.path.basename(self.path)
        # sources.walk builds every path as root + sep + ...: no need for relpath()
        return self.path[len(self.root.rstrip(os.sep)) + 1:].replace(os.sep, "/")
