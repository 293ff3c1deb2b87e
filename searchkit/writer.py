"""Writing documents into Whoosh, with worker processes when it pays.

Two things make indexing fast enough: the vocabulary of a batch is lemmatised
once, up front and in parallel, so the analyzers in Whoosh's writer processes
only look terms up in a dict they inherited; and Whoosh's ``MpWriter`` writes
one segment per process (``multisegment``), so no serial merge follows.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal

from searchkit import analysis, stemtable
from searchkit.documents import Document
from searchkit.lemmatizer import STEMMER_TABLE, Lemmatizer, default_stemmer_path
from searchkit.lexicon import Lexicon

# Whoosh's in-memory posting pool per writer process, before it spills to disk.
LIMIT_MB = 192

# Below this many new word forms, worker processes cost more than they save.
PARALLEL_MIN_FORMS = 20_000


def prepare_lemmatizer(folder: str, docs: list[Document], stemmer_path: str,
                       procs: int | None) -> Lemmatizer:
    """A lemmatizer whose cache holds the term of every word in ``docs``; the
    lexicon learns the new ones."""
    _ensure_stemmer(stemmer_path)
    lemmatizer = Lemmatizer(stemmer_path)
    lexicon = Lexicon.open(folder, writable=True)
    try:
        lemmatizer.cache = lexicon.entries()
        needed = analysis.word_keys(text for doc in docs for text in (doc.title, doc.text))
        new = [key for key in needed if key not in lemmatizer.cache]
        computed = compute_terms(new, stemmer_path, procs)
        lexicon.add(computed)
        lemmatizer.cache.update(computed)
    finally:
        lexicon.close()
    return lemmatizer


def _ensure_stemmer(path: str) -> None:
    """The index keeps its own copy of the compact stemming table, so that a
    search never builds one (building means loading pystempel: seconds)."""
    if os.path.exists(path):
        return
    cache = default_stemmer_path()
    try:
        stemtable.load_or_build(cache, STEMMER_TABLE)
        shutil.copyfile(cache, path + ".part")
        os.replace(path + ".part", path)
    except OSError:
        # No writable cache folder: build straight into the index.
        stemtable.load_or_build(path, STEMMER_TABLE)


def compute_terms(keys: list[tuple[str, bool]], stemmer_path: str,
                  procs: int | None) -> dict[tuple[str, bool], str]:
    procs = procs or os.cpu_count() or 1
    if procs < 2 or len(keys) < PARALLEL_MIN_FORMS:
        lemmatizer = Lemmatizer(stemmer_path)
        return {key: lemmatizer.compute(*key) for key in keys}
    import multiprocessing

    chunks = [keys[i::procs * 4] for i in range(procs * 4)]
    with worker_safety(), multiprocessing.get_context("fork").Pool(
            procs, initializer=_init_term_worker, initargs=(stemmer_path,)) as pool:
        results = pool.map(_terms_of_chunk, chunks)
    return {key: term for chunk, terms in zip(chunks, results) for key, term in zip(chunk, terms)}


_worker_lemmatizer: Lemmatizer | None = None


def _init_term_worker(stemmer_path: str) -> None:
    global _worker_lemmatizer
    _worker_lemmatizer = Lemmatizer(stemmer_path)


def _terms_of_chunk(chunk: list[tuple[str, bool]]) -> list[str]:
    return [_worker_lemmatizer.compute(*key) for key in chunk]


# ------------------------------------------------------------------ writers

class WorkerFailed(Exception):
    """A writer process died: its documents are not in the new generation."""


def _safe_mp_writer(ix, **kwargs):
    from whoosh.multiproc import MpWriter

    class SafeMpWriter(MpWriter):
        """Whoosh's MpWriter commits the new generation even when a worker died
        (it waits a second for each worker's segment and goes on without it):
        documents would silently go missing.  Refuse to write the new table of
        contents unless every worker finished cleanly."""

        def _commit_toc(self, segments):
            failed = [task for task in self.tasks if task.exitcode != 0]
            if failed:
                raise WorkerFailed(_worker_error(failed[0].pid))
            super()._commit_toc(segments)

    return SafeMpWriter(ix, **kwargs)


@contextlib.contextmanager
def worker_writer(ix, lemmatizer: Lemmatizer, parallel: bool, procs: int | None):
    """A Whoosh writer (with worker processes if ``parallel``), cancelled --
    workers stopped, no new generation -- if the block raises, even on Ctrl-C."""
    procs = procs or os.cpu_count() or 1
    # Forked writer processes unpickle their own schema; they find the
    # pre-filled lemmatizer here, inherited from this process.
    analysis.set_default_lemmatizer(lemmatizer)
    with worker_safety(log_folder=ix.storage.folder):
        if parallel and procs > 1:
            writer = _safe_mp_writer(ix, procs=procs, multisegment=True, limitmb=LIMIT_MB,
                                     compound=False)
        else:
            writer = ix.writer(limitmb=LIMIT_MB, compound=False)
        analysis.bind(writer.schema, lemmatizer)
        try:
            yield writer
        except BaseException:
            _cancel(writer)
            raise


def _cancel(writer) -> None:
    tasks = getattr(writer, "tasks", ())  # MpWriter's worker processes
    for task in tasks:
        task.terminate()
    for task in tasks:
        task.join(5)
    try:
        writer.cancel()
    except Exception:
        pass  # already closed or half-open: the next commit cleans its files up


_parent_pid: int | None = None
_log_folder: str | None = None


@contextlib.contextmanager
def worker_safety(log_folder: str | None = None):
    """Make processes forked inside the block die with this one, and leave
    Ctrl-C to it: a killed indexer must leave no workers behind (they would
    hold the index's write lock, and print tracebacks on Ctrl-C).  With
    ``log_folder``, a worker's stderr goes to a file there, so that its
    failure can be reported in one line instead of a traceback."""
    global _parent_pid, _log_folder
    if not hasattr(worker_safety, "registered"):
        os.register_at_fork(after_in_child=_in_forked_worker)
        worker_safety.registered = True
    _parent_pid, _log_folder = os.getpid(), log_folder
    try:
        yield
    finally:
        _parent_pid = _log_folder = None
        if log_folder:
            for name in os.listdir(log_folder):
                if name.startswith(WORKER_LOG_PREFIX):
                    os.remove(os.path.join(log_folder, name))


WORKER_LOG_PREFIX = ".worker-"


def _worker_error(pid: int) -> str:
    """The last line a worker wrote to stderr: the exception that ended it."""
    try:
        with open(os.path.join(_log_folder or ".", f"{WORKER_LOG_PREFIX}{pid}.log"),
                  encoding="utf-8", errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
        return lines[-1] if lines else f"writer process {pid} failed"
    except OSError:
        return f"writer process {pid} failed"


def _in_forked_worker() -> None:
    if _parent_pid is None:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if _log_folder:
        try:
            log = os.open(os.path.join(_log_folder, f"{WORKER_LOG_PREFIX}{os.getpid()}.log"),
                          os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(log, 2)
            os.close(log)
        except OSError:
            pass
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: workers end when their job queue closes
    if os.getppid() != _parent_pid:  # the parent died before prctl took effect
        os._exit(1)

