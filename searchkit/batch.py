"""Many queries over every core: worker processes, each with its own Searcher
on the same index, answering in the order the queries came.

A query is a few milliseconds of pure Python (ranking, passages), so threads
would take turns on one core; processes do not.  Workers are forked, so they
start with every module the parent imported, and each opens the index itself
(the files are shared through the page cache).  Queries are handed out one at
a time as they are read, so a pipe that feeds one line gets its answer before
the next line comes, and an answer is never held back by a later one.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator

_searcher = None  # a worker's own


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _start(index_dir: str) -> None:
    global _searcher
    # The parent decides when to stop: Ctrl-C reaches it, and it ends the
    # pool; the command's own SIGTERM handler would make a worker die noisily.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from searchkit.search import Searcher

    _searcher = Searcher(index_dir)


def _answer(job):
    from searchkit.query import QueryError

    key, text, limit, passages = job
    try:
        return key, text, _searcher.search(text, limit=limit, passages=passages, count=False)
    except QueryError as e:  # this query's fault: the batch goes on
        return key, text, e


def answers(index_dir: str, queries: Iterable[tuple[object, str]], jobs: int,
            limit: int = 10, passages: int = 3) -> Iterator[tuple[object, str, object]]:
    """(key, text, Result or QueryError) for each (key, text) of ``queries``,
    in their order, from ``jobs`` worker processes.  Like ``search(...,
    count=False)``; an error reading the index is raised here."""
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, _start, (index_dir,)) as pool:
        yield from pool.imap(_answer, ((key, text, limit, passages) for key, text in queries))
