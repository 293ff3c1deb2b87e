"""Many queries at once: answered in the order they came, by whatever does it
fastest -- a sharded searcher in chunks, else worker processes, one per core.

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

from searchkit.query import QueryError

_searcher = None  # a worker's own


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def answers(searcher, queries: Iterable[tuple[object, str]], jobs: int = 0, limit: int = 10,
            passages: int = 3) -> Iterator[tuple[object, str, object]]:
    """(key, text, Result or QueryError) for each (key, text) of ``queries``,
    in their order, as ``searcher.search(text, limit, passages, count=False)``
    would give them, from ``jobs`` processes (0: one per core).  An error
    reading the index is raised."""
    many = getattr(searcher, "search_many", None)
    jobs = jobs or cores()
    if many:
        # A sharded searcher answers a chunk of queries in one round of calls
        # to its shards (on a cluster: one task per shard, not per query).
        yield from _in_chunks(queries, many, getattr(searcher, "batch_size", 1), limit,
                              passages)
    elif jobs > 1:
        yield from _from_workers(searcher.folder, queries, jobs, limit, passages)
    else:
        for key, text in queries:
            yield key, text, _answer_with(searcher, text, limit, passages)


def _answer_with(searcher, text: str, limit: int, passages: int):
    try:
        return searcher.search(text, limit=limit, passages=passages, count=False)
    except QueryError as e:  # this query's fault: the batch goes on
        return e


def _in_chunks(queries, many, size: int, limit: int, passages: int):
    pending: list = []
    for item in queries:
        pending.append(item)
        if len(pending) >= size:
            yield from _chunk(pending, many, limit, passages)
    if pending:
        yield from _chunk(pending, many, limit, passages)


def _chunk(pending: list, many, limit: int, passages: int):
    results = many([text for _, text in pending], limit=limit, passages=passages, count=False)
    yield from ((key, text, result) for (key, text), result in zip(pending, results))
    pending.clear()


def _from_workers(index_dir: str, queries, jobs: int, limit: int, passages: int):
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, _start, (index_dir,)) as pool:
        yield from pool.imap(_answer, ((key, text, limit, passages) for key, text in queries))


def _start(index_dir: str) -> None:
    global _searcher
    # The parent decides when to stop: Ctrl-C reaches it, and it ends the
    # pool; the command's own SIGTERM handler would make a worker die noisily.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from searchkit.search import Searcher

    _searcher = Searcher(index_dir)


def _answer(job):
    key, text, limit, passages = job
    return key, text, _answer_with(_searcher, text, limit, passages)
