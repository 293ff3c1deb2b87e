"""Reading the changed files for an index run: in worker processes, on all cores.

Extracting text (a PDF's pages, a DOCX's XML, a mailbox's messages) costs far
more than walking folders, so the indexer hands each changed file to a pool
of forked workers and takes the documents back in order.  Warnings are
collected in the worker and replayed here, so they come out in file order,
one line per problem, whichever worker met it.

OCR runs as a second pass over the pages that have no text, one page per
task, so a single long scan also spreads over every core; each page's text
is kept in the index (``ocr.sqlite``), keyed by the file's content, so that
no unchanged file is ever OCRed twice.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Callable, Iterator

from searchkit.documents import Document, DocumentError, Source, Warn, read_source
from searchkit.documents.model import join_pages, split_pages
from searchkit.documents.registry import first_line

# A pool costs a fork per core: worth it from this many files to extract, or
# from this many bytes of them (a few long PDFs), whichever comes first.
PARALLEL_MIN_FILES = 16
PARALLEL_MIN_BYTES = 2_000_000
# What a file's name says is plain text (the content may still say otherwise).
PLAIN_KINDS = ("text", "jsonl")

OCR_FILENAME = "ocr.sqlite"


def read_all(sources: list[Source], warn: Warn, procs: int | None,
             progress: Callable[[int], None] | None = None
             ) -> Iterator[tuple[Source, list[Document] | DocumentError]]:
    """(source, its documents or the reason it was skipped), in ``sources`` order.
    Close the generator (``contextlib.closing``) to stop the workers early."""
    procs = procs or os.cpu_count() or 1
    # Plain text costs less to decode than to send back from a worker
    # (measured: 84k text files, 60.7 s serial, 63.9 s through the pool): the
    # pool is for the formats that need extracting.
    heavy = [s for s in sources if s.kind not in PLAIN_KINDS]
    if procs < 2 or len(heavy) < 2 or (
            len(heavy) < PARALLEL_MIN_FILES
            and sum(s.size for s in heavy) < PARALLEL_MIN_BYTES):
        yield from _replayed(sources, map(_read_one, sources), warn, progress)
        return
    import multiprocessing

    from searchkit.writer import worker_safety

    with worker_safety(), multiprocessing.get_context("fork").Pool(procs) as pool:
        # Small chunks: one slow PDF must not hold up a worker's whole batch.
        # Leaving the block terminates the workers, however it is left.
        yield from _replayed(sources, pool.imap(_read_one, sources, chunksize=4), warn,
                             progress)


def _replayed(sources, results, warn, progress):
    for n, (source, (warnings, outcome)) in enumerate(zip(sources, results), 1):
        for where, message, skipped in warnings:
            warn(where, message, skipped=skipped)
        if progress:
            progress(n)
        yield source, outcome


def _read_one(source: Source):
    warnings: list[tuple[str, str, bool]] = []

    def collect(where, message, skipped=False):
        warnings.append((where, message, skipped))

    try:
        return warnings, read_source(source, collect)
    except DocumentError as e:  # read_source turns a reader's bug into one too
        return warnings, e


# ------------------------------------------------------------------------ OCR

def ocr_documents(docs: list[Document], folder: str, warn: Warn, procs: int | None,
                  progress: Callable[[int, int], None] | None = None, run: bool = True) -> int:
    """Fill in the text of the scanned pages of ``docs`` (each the document of
    a PDF file on disk, not an attachment) from the index's cache, and with
    ``run`` by OCR where the cache has none; return how many pages were OCRed."""
    wanted = [doc for doc in docs if doc.scanned and doc.type == "pdf" and os.path.isfile(doc.path)]
    if not wanted or not (run or os.path.exists(os.path.join(folder, OCR_FILENAME))):
        return 0
    cache = OcrCache(folder)
    try:
        todo: list[tuple[str, int]] = []
        found: dict[tuple[str, int], str] = {}
        digests: dict[str, str] = {}
        for doc in wanted:
            digests[doc.path] = digest = _file_digest(doc.path)
            for page in doc.scanned:
                text = cache.get(digest, page)
                if text is None:
                    todo.append((doc.path, page))
                else:
                    found[(doc.path, page)] = text
        done = 0
        if run and todo:
            from searchkit.documents import ocr

            engine = ocr.engine_signature()
            for n, (task, outcome) in enumerate(zip(todo, _ocr_pages(todo, procs)), 1):
                if progress:
                    progress(n, len(todo))
                if isinstance(outcome, str):
                    found[task] = outcome
                    cache.put(digests[task[0]], task[1], outcome, engine)
                    done += 1
                else:
                    warn(task[0], f"page {task[1]}: OCR failed ({outcome})")
    finally:
        cache.close()
    for doc in wanted:
        pages = split_pages(doc.text, doc.pages or [0])
        for page in doc.scanned:
            if (doc.path, page) in found:
                pages[page - 1] = found[(doc.path, page)]
        doc.text, doc.pages = join_pages(pages)
        doc.scanned = [page for page in doc.scanned if (doc.path, page) not in found]
        if doc.title_in_text:
            doc.title = first_line(doc.text) or doc.title
    return done


def _ocr_pages(tasks: list[tuple[str, int]], procs: int | None):
    if not tasks:
        return iter(())
    procs = min(procs or os.cpu_count() or 1, len(tasks))
    if procs < 2:
        return map(_ocr_one, tasks)
    return _pooled(tasks, procs)


def _pooled(tasks, procs):
    import multiprocessing

    from searchkit.writer import worker_safety

    with worker_safety(), multiprocessing.get_context("fork").Pool(
            procs, initializer=_one_thread) as pool:
        yield from pool.imap(_ocr_one, tasks)


def _one_thread() -> None:
    # Tesseract would start a thread per core in every worker: one each, and
    # the pages run side by side instead.
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _ocr_one(task: tuple[str, int]):
    from searchkit.documents import ocr

    path, page = task
    try:
        return ocr.ocr_page(path, page)
    except DocumentError as e:
        return e
    except Exception as e:
        return DocumentError(f"{e.__class__.__name__}: {e}")


def _file_digest(path: str) -> str:
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class OcrCache:
    """OCR results per page, kept in the index folder: (file content, page) ->
    text.  Keyed by content alone: a page once read is never OCRed again,
    whatever engine a later run has (the engine that read it is noted)."""

    def __init__(self, folder: str):
        from searchkit import sqlitedb

        self._db = sqlitedb.connect(os.path.join(folder, OCR_FILENAME), True)
        self._db.execute("CREATE TABLE IF NOT EXISTS pages (file TEXT NOT NULL, page INTEGER "
                         "NOT NULL, text TEXT NOT NULL, engine TEXT NOT NULL, "
                         "PRIMARY KEY (file, page))")

    def get(self, file_digest: str, page: int) -> str | None:
        row = self._db.execute("SELECT text FROM pages WHERE file = ? AND page = ?",
                               (file_digest, page)).fetchone()
        return row[0] if row else None

    def put(self, file_digest: str, page: int, text: str, engine: str) -> None:
        try:
            self._db.execute("INSERT OR REPLACE INTO pages (file, page, text, engine) "
                             "VALUES (?, ?, ?, ?)", (file_digest, page, text, engine))
            self._db.commit()  # page by page: an interrupted run keeps what it OCRed
        except sqlite3.Error:
            pass  # a cache: a full disk costs a re-OCR next time, not this run

    def close(self) -> None:
        self._db.close()
