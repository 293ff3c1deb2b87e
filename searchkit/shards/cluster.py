"""Sharded indexes on a Dask cluster (``pip install 'searchkit[cluster]'``).

Dask's distributed scheduler does the distributing: it places tasks on
workers, reruns the tasks of a worker that died, and reports one that keeps
dying.  searchkit adds no protocol of its own; every call is a Dask task
running one of searchkit's functions on a worker:

* building: one task per shard, ``build.build_shard``, writing the shard in
  the index folder, which every worker sees (a shared file system);
* searching: one task per shard per round of ``search.ShardedSearcher``,
  each on the worker that holds that shard's searcher open
  (worker-resident state, ``_WARM``: opened once, kept warm across queries
  and clients, reopened when the shard changes).  If that worker is gone,
  the task runs on another, which opens the shard from the shared file
  system: answers are never partial.  When no worker can answer, the search
  fails with one line.

The coordinator (the ``searchkit`` command) also reads the index folder: the
list of shards, the lexicons and the stemming table, to parse queries.
"""

from __future__ import annotations

import itertools
import os
import threading
import uuid

from searchkit.errors import SearchkitError

# How long a round of search calls may take before the search gives up.
SEARCH_TIMEOUT = float(os.environ.get("SEARCHKIT_CLUSTER_TIMEOUT", "120"))
# How long to wait for a first worker to join the scheduler.
WORKER_WAIT = float(os.environ.get("SEARCHKIT_CLUSTER_WAIT", "30"))
# Queries per round of calls in batch mode.
BATCH = 256


class ClusterError(SearchkitError):
    pass


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ClusterError("--cluster needs Dask distributed: pip install 'searchkit[cluster]'"
                           ) from None
    return distributed


def connect(address: str):
    distributed = _distributed()
    try:
        client = distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({_reason(e)})") from None
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT)
    except (OSError, TimeoutError):
        client.close()
        raise ClusterError(f"the Dask scheduler at {address} has no workers "
                           f"(waited {WORKER_WAIT:g} s): start 'dask worker {address}'") from None
    return client


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else error.__class__.__name__


def _workers(client) -> list[str]:
    return sorted(client.scheduler_info(n_workers=-1)["workers"])


# ------------------------------------------------------------------- building

def run_builds(address: str, jobs, progress=None):
    """One Dask task per shard; (results, [(shard, reason)]) as build._run_local."""
    from searchkit.shards.build import build_shard

    distributed = _distributed()
    client = connect(address)
    try:
        run = uuid.uuid4().hex[:8]
        futures = {}
        for job in jobs:
            job.procs = None  # the worker's cores (build_shard: one if it may not fork)
            future = client.submit(build_shard, job, key=f"searchkit-build-{job.shard}-{run}",
                                   pure=False)
            futures[future] = job
        results, failures = [], []
        if progress:
            progress("shards", 0, len(jobs))
        with client.as_current():  # see ClusterShards._gather
            for future in distributed.as_completed(futures):
                job = futures[future]
                try:
                    results.append(future.result())
                except distributed.KilledWorker:
                    failures.append((job.shard, "its Dask workers died while building it"))
                except SearchkitError as e:
                    failures.append((job.shard, str(e)))
                except Exception as e:
                    failures.append((job.shard, f"{e.__class__.__name__}: {_reason(e)}"))
                if progress:
                    progress("shards", len(results) + len(failures), len(jobs))
        return results, sorted(failures)
    finally:
        client.close()


# ------------------------------------------------------------------ searching

class _Warm:
    def __init__(self, searcher, generation):
        self.searcher = searcher
        self.generation = generation
        self.version = None
        self.lock = threading.Lock()


_WARM: dict[str, _Warm] = {}
_WARM_LOCK = threading.Lock()


def _on_shard(path: str, generation: int, version: tuple, method: str, args: tuple):
    """Run on a worker: ``method(*args)`` on its open searcher of the shard at
    ``path``.  A new generation of the shard is opened; scores cached from
    statistics of another ``version`` of the whole index are dropped."""
    from searchkit.search import _TermScores
    from searchkit.shards.search import ShardSearcher

    with _WARM_LOCK:
        warm = _WARM.get(path)
        if warm is None or warm.generation != generation:
            if warm is not None:
                with warm.lock:
                    warm.searcher.close()
            searcher = ShardSearcher(path)
            warm = _WARM[path] = _Warm(searcher, searcher.generation())
    with warm.lock:  # a Whoosh searcher and its caches serve one thread at a time
        if warm.version != version:
            warm.searcher._scores = _TermScores(warm.searcher._searcher)
            warm.searcher._ranker = None  # its IDFs, bounds and scores too
            warm.version = version
        return getattr(warm.searcher, method)(*args)


class ClusterShards:
    """search.LocalShards' interface, each call a Dask task per shard."""

    batch_size = BATCH

    def __init__(self, address: str, layout):
        from searchkit.shards import layout as shard_layout

        self._distributed = _distributed()
        self.address = address
        self.layout = layout
        self.version = shard_layout.version(layout)
        self.client = connect(address)
        self._keys = itertools.count()
        self._run = uuid.uuid4().hex[:8]

    def _submit(self, shard: int, method: str, args: tuple):
        workers = _workers(self.client)
        name, generation = self.version[shard]
        # the same worker each time, while it lives: its searcher is warm
        where = ({"workers": [workers[shard % len(workers)]], "allow_other_workers": True}
                 if workers else {})
        return self.client.submit(
            _on_shard, self.layout.path(shard), generation, self.version, method, args,
            key=f"searchkit-{method}-{shard}-{self._run}-{next(self._keys)}", pure=False,
            **where)

    def _gather(self, futures: dict):
        distributed = self._distributed
        try:
            # wait() and as_completed() use the process's current client:
            # another's would see these futures only by polling (~1 s).
            with self.client.as_current():
                done, pending = distributed.wait(list(futures.values()), timeout=SEARCH_TIMEOUT)
        except (OSError, TimeoutError):
            pending = True
        if pending:
            for future in futures.values():
                future.cancel()
            raise ClusterError(f"the shards of {self.layout.folder} did not all answer within "
                               f"{SEARCH_TIMEOUT:g} s (Dask scheduler {self.address}); "
                               "no partial results are given")
        out = {}
        for shard, future in futures.items():
            try:
                out[shard] = future.result()
            except distributed.KilledWorker:
                raise ClusterError(f"shard {shard} of {self.layout.folder}: the Dask workers "
                                   "running it died; no partial results are given") from None
            except SearchkitError:
                raise
            except Exception as e:
                raise ClusterError(f"shard {shard} of {self.layout.folder} failed on the "
                                   f"cluster ({e.__class__.__name__}: {_reason(e)})") from None
        return out

    def each(self, method: str, *args) -> list:
        answers = self._gather({k: self._submit(k, method, args)
                                for k in range(self.layout.count)})
        return [answers[k] for k in range(self.layout.count)]

    def some(self, method: str, args_by_shard: dict[int, tuple]) -> dict:
        return self._gather({k: self._submit(k, method, args)
                             for k, args in args_by_shard.items()})

    def schema(self):
        from searchkit.index import open_whoosh

        return open_whoosh(self.layout.path(0)).schema

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:
            pass
