"""The index: its schema, opening it, and bringing it up to date with the files.

An index folder holds the Whoosh index, the lexicon (``lexicon.sqlite``), the
manifest (``manifest.sqlite``) and the compact stemming table.  Updates are
incremental and all-or-nothing: the new Whoosh generation becomes visible in
one atomic commit, and until then searches see the previous one.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from searchkit import analysis
from searchkit.errors import SearchkitError

if TYPE_CHECKING:
    from searchkit.documents import Document, Source, Warn

# A search imports this module for the schema and open_whoosh(); what only
# updates need (documents, manifest, lock, writer) is imported inside them.

# 2: document formats (type, author, pages fields; the manifest's types and
# scanned pages); 3: the manifest stores paths relative to its base folder;
# 4: word forms not indexed, ``titled`` stored
FORMAT = "4"
INDEX_NAME = "MAIN"
STEMMER_FILE = "stempel-polimorf.bin"

# Whoosh holds a document's analysed postings in memory while indexing it:
# longer documents are indexed as parts of this many characters (cut at a
# paragraph or line break), which keeps memory bounded for 50 MB files.
PART_CHARS = 200_000

# Field weights at query time (PoQuAD dev, see README "Relevance"): the title
# is also part of ``body``, so its own field only adds a little; ``exact``, the
# query's own word forms, re-scores the best candidates (search.Searcher._rescored).
FIELD_BOOSTS = {"body": 1.0, "title": 0.2, "exact": 0.3}

# progress(stage, done, total)
Progress = Callable[[str, int, int], None]


def make_schema():
    from whoosh import fields

    return fields.Schema(
        id=fields.ID(stored=True, sortable=True),
        # Parts after the first of a long document carry more="1", so a search
        # knows cheaply whether it must collapse parts into documents.
        more=fields.ID(),
        part=fields.STORED,
        offset=fields.STORED,
        path=fields.STORED,
        # the page the part starts on, and where later pages start in it
        page=fields.STORED,
        pages=fields.STORED,
        type=fields.ID(stored=True, analyzer=analysis.keyword_analyzer()),
        author=fields.TEXT(analyzer=analysis.polish_analyzer(), stored=True),
        date=fields.TEXT(analyzer=analysis.date_analyzer(), stored=True, phrase=False),
        title=fields.TEXT(analyzer=analysis.polish_analyzer(), stored=True),
        # title + text, lemmatised, with positions for phrase queries
        body=fields.TEXT(analyzer=analysis.polish_analyzer()),
        # The query's word forms as written (lower-cased), which reward the
        # documents using them.  Not indexed: the best candidates' stored text
        # is searched for them (search.Searcher._form_scores) -- postings for
        # every form were half the posting work and half the postings file.
        # Indexes made before hold them; they are not read.
        exact=fields.TEXT(analyzer=analysis.surface_analyzer(), phrase=False),
        text=fields.STORED,
        # True where ``body`` is the title, a line break and ``text`` (_add):
        # the query's forms are counted in what ``body`` indexed.
        titled=fields.STORED,
    )


class IndexNotFound(SearchkitError):
    pass


class IndexDamaged(SearchkitError):
    pass


def damaged(folder: str, error: BaseException | None = None,
            certain: bool = True) -> IndexDamaged:
    """The one message for an index that cannot be read, with the remedy.  Not
    ``certain`` where the failure could also be a bug (any exception while
    reading): the user still gets the way out, SEARCHKIT_DEBUG the traceback."""
    detail = f" ({error.__class__.__name__}: {error})" if error is not None else ""
    what = (f"the index at {folder} is damaged{detail}" if certain
            else f"cannot read the index at {folder}{detail}; it may be damaged")
    return IndexDamaged(f"{what}; rebuild it with 'searchkit index --rebuild'")


def is_index(folder: str) -> bool:
    """Is there an index in ``folder`` (perhaps a damaged one)?"""
    from whoosh.index import exists_in
    if not os.path.isdir(folder):
        return False
    try:
        return exists_in(folder, INDEX_NAME)
    except Exception:  # it reads the table of contents: damaged, but there
        return True


def made_by_other_rules(folder: str) -> bool:
    """Was the index at ``folder`` made by rules that give some words other
    terms than this searchkit's (analysis.same_terms)?  It still searches,
    but a query word whose term changed may miss documents until a rebuild."""
    from searchkit.manifest import Manifest

    try:
        manifest = Manifest.open(folder)
    except Exception:  # no manifest, or a damaged one: searching will say so
        return False
    try:
        return not analysis.same_terms(manifest.get_meta("analysis"))
    finally:
        manifest.close()


def open_whoosh(folder: str):
    """Open an existing index for reading, with a clear error if there is none."""
    from whoosh import index as whoosh_index

    if not os.path.isdir(folder):
        raise IndexNotFound(f"no index at {folder}: run 'searchkit index' first")
    try:
        if not whoosh_index.exists_in(folder, INDEX_NAME):
            raise IndexNotFound(f"{folder} holds no searchkit index: run 'searchkit index' first")
        return whoosh_index.open_dir(folder, INDEX_NAME, readonly=True)
    except SearchkitError:
        raise
    except PermissionError as e:
        raise SearchkitError(f"cannot read the index at {folder}: {e.strerror}") from None
    except Exception as e:  # whoosh raises bare Exceptions and EOFError on damaged files
        raise damaged(folder, e) from None


# --------------------------------------------------------------------- updating

@dataclass
class Summary:
    """What an update did, as its summary line says it."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0  # files or lines that could not be indexed (warned about)
    seconds: float = 0.0
    documents: int = 0  # in the index afterwards
    # files in the index with pages that have no text (scanned, not OCRed): path -> pages
    scanned: dict[str, int] = field(default_factory=dict)
    ocr_pages: int = 0  # pages read by OCR in this run (not from the cache)


def update(folder: str, paths: Iterable[str], *, warn: Warn, progress: Progress | None = None,
           procs: int | None = None, rebuild: bool = False, lock_timeout: float = 10.0,
           ocr: bool = False, keep: Callable[[str], bool] | None = None) -> Summary:
    """Index ``paths`` into ``folder``: add new files, update changed ones, and
    remove the documents of files that were indexed from these paths and are
    gone.  With ``rebuild`` the index ends up holding exactly ``paths``.  With
    ``ocr``, PDF pages without text are read by Tesseract (once: the result is
    kept in the index), and files indexed before without it are read again.
    With ``keep``, only the documents whose id it accepts are indexed (one
    shard of a sharded index: ``searchkit.shards``); every source is still
    recorded, so that the next run knows it unchanged."""
    import sqlite3

    from searchkit import lexicon
    from searchkit.lock import IndexLock
    from searchkit.manifest import Manifest
    from searchkit.writer import WorkerFailed

    started = time.perf_counter()
    paths = list(paths)
    if ocr:
        from searchkit.documents.ocr import unavailable
        missing = unavailable()
        if missing:
            raise SearchkitError(missing)
    _prepare_folder(folder)
    with IndexLock(folder, timeout=lock_timeout):
        remove_leftovers(folder)
        summary = Summary()

        def warn_and_count(where: str, message: str, skipped: bool = False) -> None:
            summary.skipped += skipped
            warn(where, message, skipped=skipped)

        if rebuild:
            _drop_if_damaged(folder)
        try:
            manifest = Manifest.open(folder, writable=True)
        except sqlite3.DatabaseError as e:
            raise damaged(folder, e) from None
        try:
            fresh = rebuild or not is_index(folder)
            signature = analysis.signature()
            if not fresh and (manifest.get_meta("format") != FORMAT
                              or manifest.get_meta("analysis") != signature):
                raise SearchkitError(
                    f"the index at {folder} was made by another version of searchkit (or of "
                    "its Polish dictionary); rebuild it with 'searchkit index --rebuild'")
            if fresh:
                # The lexicon caches the terms of the analysis that made it: a new
                # build computes them anew.
                _remove(os.path.join(folder, lexicon.FILENAME))
            stage = manifest.stage(fresh, [os.path.abspath(p) for p in paths])
            to_index = _plan(paths, stage, warn_and_count, summary, progress, procs=procs,
                             ocr=ocr, folder=folder, keep=keep)
            try:
                _write(folder, stage, to_index, procs=procs, fresh=fresh, progress=progress)
                summary.removed = stage.removed_count()
            except (OSError, sqlite3.Error, WorkerFailed) as e:
                remove_leftovers(folder)
                raise SearchkitError(f"cannot write the index at {folder} ({_reason(e)}); "
                                     "the previous index is unchanged") from None
            except BaseException:  # Ctrl-C, SIGTERM: leave nothing half-written either
                remove_leftovers(folder)
                raise
            try:
                manifest.apply(stage, meta={"format": FORMAT, "analysis": signature})
            except sqlite3.Error as e:
                raise SearchkitError(
                    f"the index at {folder} was updated, but its list of indexed files could "
                    f"not be saved ({_reason(e)}); the next 'searchkit index' redoes the "
                    "update") from None
            summary.scanned = manifest.scanned_sources()
        finally:
            manifest.close()
        summary.documents = document_count(folder)
        summary.seconds = time.perf_counter() - started
        return summary


def _prepare_folder(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise SearchkitError(f"cannot create the index folder {folder}: {e.strerror}") from None
    ours = ("_MAIN_", "MAIN_", "lexicon.sqlite", "manifest.sqlite", "ocr.sqlite", ".searchkit-lock",
            STEMMER_FILE, ".gitkeep")
    strangers = [name for name in os.listdir(folder)
                 if not name.startswith(ours) and not name.endswith(".tmp")]
    if strangers and not is_index(folder):
        raise SearchkitError(f"{folder} is not empty and holds no searchkit index; "
                             "choose another folder with --index")
    if not os.access(folder, os.W_OK):
        raise SearchkitError(f"cannot write to the index folder {folder}: permission denied")


_SEGMENT_FILE = re.compile(rf"({INDEX_NAME}_[0-9a-z]+)\.")  # MAIN_<segment id>.<part>


def remove_leftovers(folder: str) -> None:
    """Remove what a writer that failed or was killed left behind: segment
    files no generation refers to, temporary folders, half-copied files.
    Only under the index lock: a running writer's files look the same."""
    import shutil

    from searchkit import lexicon, manifest, sqlitedb

    for name in (lexicon.FILENAME, manifest.FILENAME):
        sqlitedb.recover(os.path.join(folder, name))
    live = set()
    if is_index(folder):
        from whoosh import index as whoosh_index
        try:
            with whoosh_index.open_dir(folder, INDEX_NAME).reader() as reader:
                live = {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}
        except Exception:
            return  # a damaged index: no telling which files are live; leave them all
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        segment = _SEGMENT_FILE.match(name)
        try:
            if name.endswith(".tmp") and os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif name.endswith(".part") or (segment and segment.group(1) not in live):
                os.remove(path)
        except OSError:
            pass


def _drop_if_damaged(folder: str) -> None:
    """Before a rebuild: the lexicon and the manifest are derived data, so a
    damaged one is removed rather than read."""
    from searchkit import lexicon, manifest, sqlitedb

    for name in (lexicon.FILENAME, manifest.FILENAME):
        path = os.path.join(folder, name)
        if os.path.exists(path) and not sqlitedb.healthy(path):
            os.remove(path)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or error.__class__.__name__


def _in_scope(path: str, root: str, roots: list[str]) -> bool:
    """Was this indexed source indexed from one of the paths of this run?"""
    if root in roots:
        return True
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _digest(doc: Document) -> str:
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    for value in (doc.title, doc.date or "", doc.text, doc.type, doc.author or "",
                  repr(doc.pages)):
        h.update(value.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def _plan(paths, stage, warn, summary, progress, *, procs=None, ocr=False, folder="",
          keep=None):
    """The documents to index, a chunk of files at a time, as they are read;
    what changed is recorded in ``stage`` (the manifest's temporary tables),
    so nothing here grows with the number of files."""
    import contextlib

    from searchkit.documents import DocumentError, Source
    from searchkit.documents.model import NotADocument
    from searchkit.extraction import ocr_documents, read_all

    for given in paths:  # before anything is read: a mistyped path writes nothing
        if not os.path.exists(given):
            raise SearchkitError(f"{given}: no such file or folder")
    done = 0
    for changed in _changed_sources(paths, stage, warn, summary, ocr):
        read: list[tuple[Source, list[Document]]] = []
        done += len(changed)
        if keep is not None:
            # A plain text file is one document with a known id: another
            # shard's is not even read (recorded as giving nothing here).
            others = {s.path for s in changed if s.kind == "text" and not keep(s.text_id())}
            read = [(s, []) for s in changed if s.path in others]
            changed = [s for s in changed if s.path not in others]
        with contextlib.closing(read_all(changed, warn, procs)) as results:
            for source, docs in results:
                if isinstance(docs, NotADocument):
                    continue  # no extension and not a document: passed over, as a .png is
                if isinstance(docs, DocumentError):
                    # Keep what the index had from this file; the next run tries again.
                    warn(source.path, str(docs), skipped=True)
                    stage.keep(source.path)
                    continue
                if keep is not None:
                    docs = [doc for doc in docs if keep(doc.id)]
                read.append((source, docs))
        if progress:
            progress("indexing", done, stage.changed_total)
        # Scanned pages: their text from the index's OCR cache, and with --ocr
        # from Tesseract.  Only a file's own pages: an attachment's are not a
        # file the OCR can open.
        scans = [doc for source, docs in read for doc in docs
                 if doc.scanned and doc.id == source.text_id()]
        if scans:
            summary.ocr_pages += ocr_documents(
                scans, folder, warn, procs,
                (lambda n, t: progress("OCR", n, t)) if progress else None, run=ocr)
        yield from _changes(read, stage, warn, summary)


def _changed_sources(paths, stage, warn, summary, ocr):
    """Lists of the files to read, in walk order."""
    from searchkit.documents import DocumentError, Source, find_sources

    walked = find_sources(paths, warn)
    try:
        if stage.fresh:
            # Nothing is known: every file is read, while the walk goes on.
            stage.changed_total = 0  # not known before the walk ends
            while chunk := list(itertools.islice(walked, 500)):
                stage.saw(chunk)
                yield chunk
            return
        # An update walks first, whole, into the stage: which files are gone
        # is only known at its end, and a document id's owner may be any file.
        while chunk := list(itertools.islice(walked, 2000)):
            stage.saw(chunk)
    except DocumentError as e:
        raise SearchkitError(str(e)) from None
    stage.compare(ocr)
    summary.unchanged += stage.unchanged_documents()
    roots = [os.path.abspath(p) for p in paths]
    stage.gone(path for path, root in stage.missing() if _in_scope(path, root, roots))
    stage.changed_total = stage.changed_count()
    for rows in stage.changed():
        yield [Source(*row) for row in rows]


def _changes(read, stage, warn, summary):
    """The documents of freshly read files that are new or differ from what the
    index has (recorded in ``stage``); duplicate ids are reported."""
    ids = [doc.id for _, docs in read for doc in docs]
    known = stage.known(ids)
    earlier = stage.produced(ids)
    produced, changed = [], []
    for source, docs in read:
        own = source.text_id()
        stage.source(source, sum(len(doc.scanned) for doc in docs if doc.id == own))
        now: set[str] = set()
        for doc in docs:
            old = known.get(doc.id)
            first = earlier.get(doc.id)
            if first is None and old is not None and old[0] != source.path and stage.still_owned(
                    old[0]):
                first = old[0]
            if first is not None or doc.id in now:
                where = f"{source.path}:{doc.line}" if doc.line else source.path
                warn(where, f"duplicate id {doc.id!r} (first seen in {first or source.path})",
                     skipped=True)
                continue
            now.add(doc.id)
            earlier[doc.id] = source.path
            produced.append((doc.id, source.path))
            digest = _digest(doc)
            if old is not None and old == (source.path, digest):
                summary.unchanged += 1
                continue
            changed.append((doc.id, source.path, digest, doc.type))
            if old is None:
                summary.added += 1
            else:
                summary.updated += 1
            yield doc
        stage.dropped(source.path, stage.recorded_ids(source.path) - now)
    stage.documents(produced, changed)


def split_parts(text: str, size: int = PART_CHARS) -> list[tuple[int, str]]:
    """Cut ``text`` into (offset, part) pieces of about ``size`` characters."""
    if len(text) <= size:
        return [(0, text)]
    parts, start = [], 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            for sep in ("\n\n", "\n", " "):
                cut = text.rfind(sep, start + size // 2, end)
                if cut > start:
                    end = cut + len(sep)
                    break
        parts.append((start, text[start:end]))
        start = end
    return parts


def _part_pages(pages: list[int] | None, offset: int, length: int, last: bool):
    """The page a part starts on and where the later ones start in it (for a
    passage's page number without reading the other parts).  The last part
    also takes pages that start at the very end (blank last pages)."""
    if not pages:
        return None, None
    import bisect

    first = bisect.bisect_right(pages, offset)
    end = len(pages) if last else bisect.bisect_left(pages, offset + length)
    return max(first, 1), [start - offset for start in pages[first:end]]


def _write(folder: str, stage, to_index: Iterable[Document], *, procs: int | None,
           fresh: bool, progress: Progress | None = None) -> None:
    import contextlib
    import sqlite3

    from whoosh import index as whoosh_index
    from whoosh import writing

    from searchkit.codec import Codec
    from searchkit.lexicon import Lexicon
    from searchkit.writer import Builder, add_segments, worker_safety

    try:
        # A fresh build commits this version's schema: an index made by an
        # older one may lack a field (``titled``) that documents now have.
        ix = (whoosh_index.open_dir(folder, INDEX_NAME, schema=make_schema() if fresh else None)
              if is_index(folder) else None)
    except Exception:
        if not fresh:
            raise damaged(folder) from None
        ix = None  # rebuilding a damaged index: start a new generation over it
    if ix is None:
        ix = whoosh_index.create_in(folder, make_schema(), INDEX_NAME)
    # Whoosh's own writer holds the deletions from the segments there are, and
    # commits the new ones beside them (those it merges are written with
    # searchkit's codec too).
    writer = ix.writer(codec=Codec())
    lexicon = Lexicon.open(folder, writable=True)
    builder = Builder(ix, lexicon, os.path.join(folder, STEMMER_FILE), procs, fresh)
    try:
        with worker_safety(log_folder=folder), contextlib.ExitStack() as cleanup:
            cleanup.callback(lexicon.close)
            searcher = cleanup.enter_context(writer.searcher()) if not fresh else None
            deleted = 0
            for doc in to_index:
                if searcher is not None:
                    deleted += writer.delete_by_term("id", doc.id, searcher=searcher)
                _add(builder, doc)
            if searcher is not None:
                for doc_id in stage.removals():
                    deleted += writer.delete_by_term("id", doc_id, searcher=searcher)
            segments = builder.finish()
            if not (segments or fresh or deleted):
                writer.cancel()  # nothing changed: the index stays as it is
                return
            if progress:
                progress("saving", 0, 0)
            # A fresh build replaces whatever generation there was, in one commit.
            add_segments(writer, segments, writing.CLEAR if fresh else writing.MERGE_SMALL)
            if fresh:
                # Its forms came in no order, leaving pages part empty: 10% of
                # it, 0.1 s to rewrite.  The index is committed: a failure here
                # (a full disk) costs only the space.
                with contextlib.suppress(sqlite3.Error):
                    lexicon.compact()
    except BaseException:
        builder.cancel()
        with contextlib.suppress(Exception):
            writer.cancel()
        raise


def _add(builder, doc: Document) -> None:
    parts = split_parts(doc.text)
    for number, (offset, part) in enumerate(parts):
        # The title counts as part of the text (measured: better than a
        # separate field alone), once per document -- unless it is the
        # text's own first line.
        titled = number == 0 and not doc.title_in_text and bool(doc.title)
        indexed = f"{doc.title}\n{part}" if titled else part
        page, pages = _part_pages(doc.pages, offset, len(part), number == len(parts) - 1)
        builder.add(dict(
            id=doc.id, more="1" if number else None, part=number, offset=offset,
            path=doc.path, date=doc.date, title=doc.title, type=doc.type,
            author=doc.author, page=page, pages=pages,
            body=indexed, text=part, titled=titled or None))


def document_count(folder: str) -> int:
    """Documents (not parts) in the index."""
    ix = open_whoosh(folder)
    with ix.reader() as reader:
        return reader.doc_count() - reader.doc_frequency("more", "1")


ANALYSIS = ("words (hyphenated words split, unless a part has a digit), lower-cased, "
            "Polish stopwords removed; each word to its Morfeusz 2 (SGJP) lemma, else a term "
            "guessed from its ending by rules learnt on SGJP's names, else its pystempel "
            "polimorf stem (ALL-CAPS, short words and tokens with digits kept as they are); "
            "fields: body = title + text (BM25 k1=1.2 b=0.75), title x0.2, "
            "the query's own word forms x0.3 (counted in the best 20's text, with their "
            "lemma's IDF; with proximity); "
            "BM25+ floor; queries "
            "without diacritics also match the forms with them")


def describe(folder: str) -> dict:
    """Facts about an index, for ``searchkit info``."""
    ix = open_whoosh(folder)
    with ix.reader() as reader:
        parts = reader.doc_count()
        documents = parts - reader.doc_frequency("more", "1")
        segments = len(list(reader.leaf_readers()))
    from searchkit.manifest import Manifest

    manifest = Manifest.open(folder)
    try:
        sources = manifest.source_count()
        updated = manifest.get_meta("updated")
        analysis_versions = manifest.get_meta("analysis")
        types = manifest.types()
        scanned = manifest.scanned_sources()
    finally:
        manifest.close()
    size = sum(entry.stat().st_size for entry in os.scandir(folder) if entry.is_file())
    return {
        "index": os.path.abspath(folder),
        "documents": documents,
        "types": types,
        "source_files": sources,
        "files_with_pages_without_text": len(scanned),
        "segments": segments,
        "updated": updated,
        "size_mb": round(size / 1e6, 1),
        "analysis": ANALYSIS,
        "analysis_versions": analysis_versions,
    }
