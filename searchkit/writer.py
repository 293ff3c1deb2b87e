"""Writing documents into the index, with worker processes when it pays.

The documents of an update stream through: batches go to writer processes
(``Builder``), each of which writes Whoosh segments directly
(``segments.SegmentBuilder``) whenever its postings reach a memory budget;
the new segments join the index in one commit (``add_segments``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal

from searchkit import analysis, stemtable
from searchkit.lemmatizer import STEMMER_TABLE, Lemmatizer, default_stemmer_path
from searchkit.lexicon import Lexicon
from searchkit.segments import SegmentBuilder

# Postings a writer process holds before it writes them out as a segment.
# Two writers and the reading parent stay under 1 GB together (issue 11;
# benchmarks/scale.py measures it).
BUDGET_MB = 192

# Below this much text the worker processes cost more than they save: the
# documents are written by this process.
PARALLEL_MIN_CHARS = 3_000_000

# Documents go to the writer processes in batches of about this much text.
BATCH_CHARS = 1_000_000


def ensure_stemmer(path: str) -> None:
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


class WorkerFailed(Exception):
    """A writer process died: its documents are not in the new generation."""


class Builder:
    """Documents in, new Whoosh segments out.

    Documents (dicts of field values, one per part) are buffered until there is
    enough text to pay for worker processes; then ``procs`` writers are forked,
    each taking batches from one queue, spilling its postings to a run file
    whenever they reach ``BUDGET_MB`` and merging the runs into one segment at
    the end.  A smaller update is written here.  New word
    forms go to the lexicon as the writers report them, so nothing here grows
    with the corpus.  ``finish`` returns the segments for the table of contents;
    on failure (``cancel``) their files are left for ``remove_leftovers``."""

    def __init__(self, ix, lexicon: Lexicon, stemmer_path: str, procs: int | None,
                 fresh: bool, budget_mb: float = BUDGET_MB):
        ensure_stemmer(stemmer_path)
        self.ix = ix
        self.schema = ix.schema
        self.lexicon = lexicon
        self.procs = procs or os.cpu_count() or 1
        self.budget_mb = budget_mb
        self.lemmatizer = Lemmatizer(stemmer_path)
        # An update looks words up in the lexicon before computing them.
        self.known = None if fresh else lexicon
        analysis.bind(self.schema, self.lemmatizer)
        self.segments: list = []
        self._buffer: list[dict] = []
        self._chars = 0
        self._workers: list = []
        self._tasks = self._results = None
        self._here: SegmentBuilder | None = None  # when writing in this process

    def add(self, fields: dict) -> None:
        if self.procs < 2:
            self._add_here(fields)
            return
        self._buffer.append(fields)
        self._chars += len(fields.get("body") or "")
        if self._workers:
            if self._chars >= BATCH_CHARS:
                self._send()
        elif self._chars >= PARALLEL_MIN_CHARS:
            self._start_workers()
            self._send()

    def _add_here(self, fields: dict) -> None:
        if self._here is None:
            self._here = self._builder()
        self._here.add(fields)
        if self._here.size > self._here.budget:
            self._here.spill()
            self._collect(None, self._here.take_new_forms())

    def finish(self) -> list:
        if self._workers:
            self._send()
            for _ in self._workers:
                self._put(None)
            done = 0
            while done < len(self._workers):
                done += self._receive(block=True) == "done"
            for worker in self._workers:
                worker.join()
            self._workers = []
        else:
            for fields in self._buffer:
                self._add_here(fields)
            self._buffer = []
            if self._here is not None:
                self._collect(self._here.flush(), self._here.take_new_forms())
        return [s for s in self.segments if s is not None]

    def cancel(self) -> None:
        for worker in self._workers:
            worker.terminate()
        for worker in self._workers:
            worker.join(5)
        self._workers = []
        # A batch still on its way to a worker that is gone would block this
        # process's exit for ever (the queue's feeder thread is joined then).
        for channel in (self._tasks, self._results):
            if channel is not None:
                channel.cancel_join_thread()
                channel.close()

    # ------------------------------------------------------------ internals

    def _builder(self, in_worker: bool = False) -> SegmentBuilder:
        from whoosh.filedb.filestore import FileStorage

        from searchkit.index import INDEX_NAME
        folder = self.ix.storage.folder
        known = self.known
        if known is not None and in_worker:
            # A connection of its own: never share one across fork.  (Not in a
            # fresh build: measured, looking up words the other writer may
            # have computed cost half as much as computing them again.)
            known = Lexicon.open(folder)
        return SegmentBuilder(FileStorage(folder), self.schema, INDEX_NAME,
                              self.lemmatizer, self.budget_mb, known=known)

    def _collect(self, segment, forms: dict) -> None:
        if forms:
            self.lexicon.add(forms)
        if segment is not None:
            self.segments.append(segment)

    def _start_workers(self) -> None:
        import multiprocessing

        # Loaded once here, shared with the forked writers (copy-on-write)
        # instead of loaded by each.
        self.lemmatizer.morfeusz, self.lemmatizer.stem, self.lemmatizer.guess
        ctx = multiprocessing.get_context("fork")
        self._tasks = ctx.Queue(maxsize=2 * self.procs)
        self._results = ctx.Queue()
        for _ in range(self.procs):
            worker = ctx.Process(target=_write_batches, args=(self, self._tasks, self._results),
                                 daemon=True)
            worker.start()
            self._workers.append(worker)

    def _send(self) -> None:
        if self._buffer:
            self._put(self._buffer)
            self._buffer, self._chars = [], 0
        while self._receive(block=False):
            pass

    def _put(self, batch) -> None:
        import queue

        while True:
            try:
                self._tasks.put(batch, timeout=0.5)
                return
            except queue.Full:
                self._check_workers()

    def _receive(self, block: bool) -> str | None:
        """Take one report from the writers: its kind, or None if none came."""
        import queue

        while True:
            try:
                kind, segment, forms = self._results.get(timeout=0.5 if block else 0)
            except queue.Empty:
                self._check_workers()
                if not block:
                    return None
                continue
            if kind == "failed":
                raise WorkerFailed(segment)
            self._collect(segment, forms)
            return kind

    def _check_workers(self) -> None:
        for worker in self._workers:
            if worker.exitcode not in (None, 0):
                raise WorkerFailed(_worker_error(worker.pid))


def _write_batches(builder: Builder, tasks, results) -> None:
    """A writer process: batches in, one segment out at the end."""
    segments = builder._builder(in_worker=True)
    try:
        while True:
            batch = tasks.get()
            if batch is None:
                break
            for fields in batch:
                segments.add(fields)
            if segments.size > segments.budget:
                segments.spill()
                results.put(("forms", None, segments.take_new_forms()))
            elif len(segments.new_forms) > 20_000:
                results.put(("forms", None, segments.take_new_forms()))
        results.put(("done", segments.flush(), segments.take_new_forms()))
    except BaseException as e:
        results.put(("failed", f"{e.__class__.__name__}: {e}", None))
        raise


def add_segments(writer, segments: list, mergetype) -> None:
    """Commit ``writer`` (Whoosh's, which holds the deletions) with ``segments``
    added to its table of contents: one new generation, all or nothing."""
    final = writer._merge_segments(mergetype, None, None)
    if writer._added:  # small segments merged by the policy
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    writer._commit_toc(final + segments)
    writer._finish()


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

