"""Sharded indexes and the Dask cluster: build time and batch throughput.

    .venv/bin/python benchmarks/cluster.py                    # the 84k Wikisource files
    .venv/bin/python benchmarks/cluster.py --corpus /work/scaled/corpus845k --reps 1

Compares, on one machine, in one run (builds in turn, batch runs interleaved):

* ``plain``      an unsharded index, built by ``searchkit index`` (one process and its
                 worker processes);
* ``local-2``    ``searchkit index --shards 2``: two shards built side by side in local
                 processes, searched in one process;
* ``cluster-2``  ``searchkit index --shards 2 --cluster``: one Dask task per shard on a
                 ``distributed.LocalCluster`` of 2 worker processes (1 thread each), searched
                 with ``--cluster`` (shard searchers warm on the workers).

Builds are from empty (``--rebuild``), timed from spawn to exit of the command (for the
cluster the workers' CPU is not in the command's). Batch: ``searchkit search --queries`` of
the PoQuAD dev questions (3,501; top 10 with passages, as speed.py), median of ``--reps``
runs, systems interleaved. The coordination cost of the cluster is measured apart: the wall
time of a round of calls that do no work on the shards (one task per shard, gathered), and
a one-shot ``searchkit search`` with and without ``--cluster``. Needs searchkit[cluster].
Results go to stdout (Markdown) and ``--work``/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEARCHKIT = str(Path(sys.executable).parent / "searchkit")

CLUSTER = """
import sys, distributed
if __name__ == "__main__":
    with distributed.LocalCluster(n_workers=int(sys.argv[1]), threads_per_worker=1,
                                  processes=True, protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        print(cluster.scheduler_address, flush=True)
        sys.stdin.read()
"""


def run(args) -> float:
    """Wall seconds of a command, which must succeed (or find nothing)."""
    started = time.perf_counter()
    proc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(args)}\n{proc.stderr}")
    return time.perf_counter() - started


def timed(args) -> tuple[float, float]:
    """Wall and CPU seconds of a command (CPU includes its reaped children)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = run(args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=str(ROOT / "benchmarks/work/speed/corpora/all"),
                        help="a folder of documents (default: speed.py's 84k files)")
    parser.add_argument("--queries", default=str(SHARED / "data/poquad/dev-queries.tsv"))
    parser.add_argument("--work", default=str(ROOT / "benchmarks/work/cluster"))
    parser.add_argument("--reps", type=int, default=3, help="batch runs per system")
    parser.add_argument("--skip-build", action="store_true", help="reuse the indexes in --work")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        raise SystemExit(f"{corpus} is absent: run benchmarks/speed.py --phases setup first")
    if not Path(args.queries).exists():
        raise SystemExit(f"{args.queries} is absent: the shared data folder is not here")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    indexes = {"plain": work / "plain", "local-2": work / "local-2", "cluster-2": work / "cluster-2"}

    cluster = subprocess.Popen([sys.executable, "-c", CLUSTER, "2"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    address = cluster.stdout.readline().strip()
    results: dict = {"corpus": str(corpus), "files": sum(1 for _ in corpus.rglob("*.txt")),
                     "cores": os.cpu_count(), "load": os.getloadavg()[0]}
    try:
        build_cmds = {
            "plain": [SEARCHKIT, "index", str(corpus), "--index", str(indexes["plain"]),
                      "--rebuild"],
            "local-2": [SEARCHKIT, "index", str(corpus), "--index", str(indexes["local-2"]),
                        "--rebuild", "--shards", "2"],
            "cluster-2": [SEARCHKIT, "index", str(corpus), "--index", str(indexes["cluster-2"]),
                          "--rebuild", "--shards", "2", "--cluster", address],
        }
        if not args.skip_build:
            run(["find", str(corpus), "-type", "f", "-exec", "cat", "{}", "+"])  # warm the cache
            builds = {}
            for name, cmd in build_cmds.items():
                wall, cpu = timed(cmd)
                builds[name] = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}
                print(f"build {name}: {wall:.1f} s wall, {cpu:.1f} CPU-s (command)",
                      file=sys.stderr)
            results["build"] = builds

        queries = Path(args.queries).read_text(encoding="utf-8").splitlines()
        batch = {name: [] for name in indexes}
        for rep in range(args.reps):
            order = list(indexes) if rep % 2 == 0 else list(reversed(indexes))
            for name in order:
                cmd = [SEARCHKIT, "search", "--queries", args.queries, "--index",
                       str(indexes[name])]
                if name.startswith("cluster"):
                    cmd += ["--cluster", address]
                wall, _ = timed(cmd)
                batch[name].append(len(queries) / wall)
                print(f"batch {name}: {len(queries) / wall:.0f} q/s", file=sys.stderr)
        results["batch_qps"] = {name: round(statistics.median(v), 1) for name, v in batch.items()}
        results["batch_runs"] = {name: [round(x, 1) for x in v] for name, v in batch.items()}

        # one-shot: process start to exit, median of 5, interleaved
        oneshot = {name: [] for name in indexes}
        for _ in range(5):
            for name in indexes:
                cmd = [SEARCHKIT, "search", "wojna", "--index", str(indexes[name])]
                if name.startswith("cluster"):
                    cmd += ["--cluster", address]
                oneshot[name].append(timed(cmd)[0] * 1000)
        results["oneshot_ms"] = {n: round(statistics.median(v)) for n, v in oneshot.items()}

        # a round of calls that do no work: the coordination cost per round
        from searchkit.shards.search import ShardedSearcher

        rounds = {}
        for name, cluster_address in (("local-2", None), ("cluster-2", address)):
            with ShardedSearcher(str(indexes[name]), cluster_address) as s:
                s.shards.each("totals")
                started = time.perf_counter()
                for _ in range(200):
                    s.shards.each("totals")
                rounds[name] = round((time.perf_counter() - started) / 200 * 1000, 2)
        results["round_ms"] = rounds
    finally:
        cluster.stdin.close()
        cluster.wait(60)

    (work / "results.json").write_text(json.dumps(results, indent=1))
    print(f"\ncorpus {results['corpus']}: {results['files']} files; {results['cores']} cores, "
          f"load {results['load']:.1f} at start\n")
    print("| | build wall | build CPU (command) | batch q/s (median) | one-shot ms |")
    print("|---|---:|---:|---:|---:|")
    for name in indexes:
        b = results.get("build", {}).get(name, {})
        print(f"| {name} | {b.get('wall_s', '-')} s | {b.get('cpu_s', '-')} s | "
              f"{results['batch_qps'][name]} ({', '.join(map(str, results['batch_runs'][name]))})"
              f" | {results['oneshot_ms'][name]} |")
    print(f"\nround of calls doing no work: local {rounds['local-2']} ms, "
          f"cluster {rounds['cluster-2']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
