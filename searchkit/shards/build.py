"""Building a sharded index: each shard is ``searchkit.index.update`` of the
same paths into its own folder, keeping the documents whose id hashes to it.

Shards build side by side: in local worker processes (one per shard, as many
at a time as there are cores), or as one Dask task per shard on a cluster
whose workers all see the index folder (``cluster``).  Each shard's update
is all-or-nothing, as an unsharded index's is: a shard whose build fails or
whose worker dies keeps its previous generation, searchable; the other
shards' updates stand, and the next run finishes the job (the failed shard's
manifest was not updated, so its changes are found again).

Every shard walks the paths and records every source (so that it knows them
unchanged next time), but reads only what may hold its documents: a plain
text file whose id hashes elsewhere is not read; other formats (a JSON Lines
file, a mailbox: many documents) are read by every shard, and their warnings
are reported once.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass, field

from searchkit.errors import SearchkitError
from searchkit.index import Summary
from searchkit.shards import layout as shard_layout


@dataclass
class ShardJob:
    """One shard's part of a build, as sent to a worker."""

    folder: str  # the shard's folder, absolute
    shard: int
    count: int
    paths: list[str]  # absolute: a worker's working folder is not ours
    rebuild: bool
    ocr: bool
    procs: int | None
    lock_timeout: float


@dataclass
class ShardResult:
    """What a shard's build did, and what it warned about."""

    shard: int
    summary: Summary
    warnings: list[tuple[str, str, bool]] = field(default_factory=list)


# One build at a time in a process: the writer's lemmatizer for forked
# writer processes is a process-wide default (writer.worker_writer).
_building = threading.Lock()


def build_shard(job: ShardJob) -> ShardResult:
    """Bring one shard up to date (in a worker process or a Dask task)."""
    from searchkit.index import update

    warnings: list[tuple[str, str, bool]] = []

    def warn(where, message, skipped=False):
        warnings.append((where, message, skipped))

    procs = job.procs
    if procs is None:
        import multiprocessing

        # A Dask worker is a daemon process, which may not start the reading
        # and writing processes: one core per worker then (start as many
        # workers as cores: 'dask worker --nworkers N').
        if multiprocessing.current_process().daemon:
            procs = 1
    with _building:
        summary = update(job.folder, job.paths, warn=warn, procs=procs, rebuild=job.rebuild,
                         lock_timeout=job.lock_timeout, ocr=job.ocr,
                         keep=shard_layout.KeepShard(job.shard, job.count))
    return ShardResult(job.shard, summary, warnings)


def update(folder: str, paths, *, warn, progress=None, procs: int | None = None,
           rebuild: bool = False, lock_timeout: float = 10.0, ocr: bool = False,
           shards: int | None = None, cluster: str | None = None) -> Summary:
    """index.update for a sharded index (made with ``shards`` shards if it is
    new; changing their number needs ``rebuild``)."""
    import time

    from searchkit.index import _prepare_folder, is_index
    from searchkit.lock import IndexLock

    started = time.perf_counter()
    folder = os.path.abspath(folder)
    paths = [os.path.abspath(p) for p in paths]
    for path in paths:
        if not os.path.exists(path):
            raise SearchkitError(f"{path}: no such file or folder")
    _prepare_sharded_folder(folder)
    with IndexLock(folder, timeout=lock_timeout):
        old = shard_layout.read(folder)
        count = shards or (old.count if old else None)
        if count is None:
            raise SearchkitError(f"{folder} is not a sharded index; 'searchkit index --shards N' "
                                 "makes one")
        plain = old is None and is_index(folder)
        if old is not None and old.count != count and not rebuild:
            raise SearchkitError(f"the index at {folder} has {old.count} shards; "
                                 f"'searchkit index --rebuild --shards {count}' re-shards it")
        if plain and not rebuild:
            raise SearchkitError(f"the index at {folder} is not sharded; "
                                 f"'searchkit index --rebuild --shards {count}' shards it")
        new = shard_layout.Layout(folder, shard_layout.names_for(count))
        jobs = [ShardJob(new.path(k), k, count, paths, rebuild or new != old, ocr,
                         None, lock_timeout) for k in range(count)]
        for job in jobs:
            _prepare_folder(job.folder)
        if cluster:
            from searchkit.shards.cluster import run_builds
            results, failures = run_builds(cluster, jobs, progress)
        else:
            results, failures = _run_local(jobs, procs, progress)
        summary = _combine(results, warn)
        if failures:
            shard, reason = failures[0]
            done = f"; {len(results)} of {count} shards were updated" if old == new else ""
            raise SearchkitError(
                f"cannot build shard {shard} of {count} in {folder} ({reason}); that shard "
                f"is unchanged{done}; run 'searchkit index' again to finish")
        if new != old:
            shard_layout.write(new)
            _remove_others(folder, new, plain)
        summary.seconds = time.perf_counter() - started
        return summary


def _prepare_sharded_folder(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise SearchkitError(f"cannot create the index folder {folder}: {e.strerror}") from None
    from searchkit.index import is_index

    ours = ("shard-", shard_layout.META_FILE, ".searchkit-lock", ".gitkeep")
    strangers = [n for n in os.listdir(folder) if not n.startswith(ours)]
    if strangers and not is_index(folder):
        raise SearchkitError(f"{folder} is not empty and holds no searchkit index; "
                             "choose another folder with --index")
    if not os.access(folder, os.W_OK):
        raise SearchkitError(f"cannot write to the index folder {folder}: permission denied")


def _run_local(jobs: list[ShardJob], procs: int | None, progress):
    """Shards in worker processes, as many at a time as ``procs`` (default:
    cores); the cores left over go to each shard's own readers and writers."""
    import concurrent.futures
    import multiprocessing

    from searchkit.writer import worker_safety

    cores = procs or os.cpu_count() or 1
    at_once = max(1, min(cores, len(jobs)))
    for job in jobs:
        job.procs = max(1, cores // at_once)
    results, failures = [], []
    if progress:
        progress("shards", 0, len(jobs))
    # Not multiprocessing.Pool: its processes are daemons, and may not start
    # the reading and writing processes of index.update.
    with worker_safety(), concurrent.futures.ProcessPoolExecutor(
            at_once, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = {pool.submit(build_shard, job): job for job in jobs}
        try:
            for future in concurrent.futures.as_completed(futures):
                job = futures[future]
                try:
                    results.append(future.result())
                except SearchkitError as e:
                    failures.append((job.shard, str(e)))
                except Exception as e:  # the process died (BrokenProcessPool), or a bug
                    failures.append((job.shard, f"{e.__class__.__name__}: {e}"
                                     if str(e) else e.__class__.__name__))
                if progress:
                    progress("shards", len(results) + len(failures), len(jobs))
        except BaseException:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
            raise
    return results, sorted(failures)


def _combine(results: list[ShardResult], warn) -> Summary:
    """One summary for the shards; a warning every shard gave (a file all of
    them read) said once."""
    total = Summary()
    seen = set()
    for result in sorted(results, key=lambda r: r.shard):
        s = result.summary
        total.added += s.added
        total.updated += s.updated
        total.removed += s.removed
        total.unchanged += s.unchanged
        total.documents += s.documents
        total.ocr_pages += s.ocr_pages
        total.scanned.update(s.scanned)
        for where, message, skipped in result.warnings:
            if (where, message) in seen:
                continue
            seen.add((where, message))
            total.skipped += skipped
            warn(where, message, skipped=skipped)
    return total


def _remove_others(folder: str, layout, plain: bool) -> None:
    """After re-sharding: the old shards' folders; after sharding an
    unsharded index: its files."""
    from searchkit.index import INDEX_NAME, STEMMER_FILE

    keep = set(layout.names) | {shard_layout.META_FILE, ".searchkit-lock", ".gitkeep"}
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name in keep:
            continue
        if name.startswith("shard-") and os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif plain and (name.startswith((f"_{INDEX_NAME}_", f"{INDEX_NAME}_", STEMMER_FILE))
                        or name in ("lexicon.sqlite", "manifest.sqlite", "ocr.sqlite")):
            try:
                os.remove(path)
            except OSError:
                pass


def describe(folder: str) -> dict:
    """index.describe for a sharded index: totals, and each shard's documents."""
    from searchkit.index import describe as describe_one

    layout = shard_layout.read(folder)
    parts = [describe_one(path) for path in layout.paths()]
    facts = dict(parts[0])
    facts["index"] = os.path.abspath(folder)
    for key in ("documents", "source_files", "files_with_pages_without_text", "segments"):
        facts[key] = sum(p[key] for p in parts)
    types: dict[str, int] = {}
    for p in parts:
        for name, n in p["types"].items():
            types[name] = types.get(name, 0) + n
    facts["types"] = dict(sorted(types.items(), key=lambda item: (-item[1], item[0])))
    # every shard records every source (its scanned pages only in the shard of
    # the file's own document): the count is one shard's
    facts["source_files"] = max(p["source_files"] for p in parts)
    facts["updated"] = max((p["updated"] or "" for p in parts), default=None) or None
    facts["size_mb"] = round(sum(p["size_mb"] for p in parts), 1)
    facts["shards"] = {name: p["documents"] for name, p in zip(layout.names, parts)}
    return facts
