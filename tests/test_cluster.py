"""Sharded indexes on a real Dask cluster: a scheduler and two worker
processes over TCP on localhost (distributed.LocalCluster).  Answers equal an
unsharded index's; a worker killed mid-build or between two searches costs
nothing but time."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import searchkit_command
from test_shards import QUERIES, answers, batch, make_corpus, sk, untimed

distributed = pytest.importorskip(
    "distributed", reason="the [cluster] extra (Dask distributed) is not installed: "
                          "pip install '.[cluster]'")


# The cluster runs in a process of its own, as it would for a user: a client
# in the process that hosts the scheduler waits on its event loop (~1 s a call).
CLUSTER = """
import sys, distributed
if __name__ == "__main__":
    with distributed.LocalCluster(n_workers=int(sys.argv[1]), threads_per_worker=1,
                                  processes=True, protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        print(cluster.scheduler_address, flush=True)
        sys.stdin.read()  # until the test closes it
"""


@contextlib.contextmanager
def local_cluster(workers: int):
    proc = subprocess.Popen([sys.executable, "-c", CLUSTER, str(workers)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        address = proc.stdout.readline().strip()
        assert address.startswith("tcp://127.0.0.1:"), "the LocalCluster did not start"
        yield address
    finally:
        proc.stdin.close()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def cluster():
    with local_cluster(2) as address:
        with distributed.Client(address) as client:
            client.wait_for_workers(2, timeout=60)
            yield address, client


def worker_pids(client) -> dict[str, int]:
    return client.run(os.getpid)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("corpus") / "docs", n=200)


@pytest.fixture(scope="module")
def plain(corpus, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("plain") / "index"
    assert sk("index", corpus, "--index", folder).returncode == 0
    return str(folder)


@pytest.fixture(scope="module")
def on_cluster(cluster, corpus, tmp_path_factory) -> str:
    address, _ = cluster
    folder = tmp_path_factory.mktemp("cluster") / "index"
    r = sk("index", corpus, "--index", folder, "--shards", 2, "--cluster", address)
    assert r.returncode == 0, r.stderr
    assert "227 documents in the index, in 2 shards" in r.stderr
    return str(folder)


def test_cluster_answers_as_one_index(cluster, plain, on_cluster):
    address, _ = cluster
    assert batch(on_cluster, QUERIES, "--cluster", address) == batch(plain, QUERIES)
    for args in (["-c", "Kazachstan"], ["-l", "protest"], ["--json", "zamieszki"]):
        a = sk("search", *args, "--index", plain)
        b = sk("search", *args, "--index", on_cluster, env={"SEARCHKIT_CLUSTER": address})
        assert (b.returncode, untimed(b.stdout)) == (a.returncode, untimed(a.stdout)), args
    r = sk("search", "Kazahstanu", "--index", on_cluster, "--cluster", address)
    assert r.returncode == 1 and "did you mean: Kazachstanu" in r.stderr


def test_an_index_of_other_rules_asks_for_a_rebuild(cluster, on_cluster, tmp_path):
    # The workers read the shards: the coordinator may not see their files.
    import shutil
    import sqlite3

    address, _ = cluster
    old = tmp_path / "old"
    shutil.copytree(on_cluster, old)
    r = sk("search", "Kazachstan", "--index", old, "--cluster", address)
    assert r.returncode == 0 and r.stderr == ""
    for manifest in old.glob("*/manifest.sqlite"):
        with sqlite3.connect(manifest) as db:
            db.execute("UPDATE meta SET value = 'rules of an older version' "
                       "WHERE key = 'analysis'")
    r = sk("search", "Kazachstan", "--index", old, "--cluster", address)
    assert r.returncode == 0 and r.stdout
    assert "--rebuild" in r.stderr and len(r.stderr.splitlines()) == 1


def test_a_worker_killed_between_two_searches(cluster, plain, on_cluster):
    from searchkit.search import Searcher
    from searchkit.shards.search import ShardedSearcher

    address, client = cluster
    with Searcher(plain) as one:
        expected = answers(one, QUERIES)
    with ShardedSearcher(on_cluster, cluster=address) as many:
        assert answers(many, QUERIES) == expected
        before = worker_pids(client)
        victim = sorted(before)[0]  # holds shard 0's searcher
        os.kill(before[victim], signal.SIGKILL)
        # the same session: shard 0 is opened again on a live worker
        assert answers(many, QUERIES) == expected
    r = sk("search", "-c", "*", "--index", on_cluster, "--cluster", address)
    assert (r.returncode, r.stdout) == (0, "227\n")
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the worker


def test_a_worker_killed_mid_build(cluster, tmp_path):
    """The build completes: Dask reruns the killed worker's task; until the
    rerun commits, the shard's previous generation is the one searched."""
    from searchkit.shards import layout
    from searchkit.shards.search import ShardedSearcher

    address, client = cluster
    docs = make_corpus(tmp_path / "docs", n=30, seed=8)
    folder = tmp_path / "index"
    assert sk("index", docs, "--index", folder, "--shards", 2, "--cluster", address
              ).returncode == 0
    with ShardedSearcher(str(folder)) as s:
        before = answers(s, QUERIES)
    old = layout.version(layout.read(str(folder)))
    make_corpus(docs / "more", n=1500, seed=9, jsonl_ids="more-j")
    build = subprocess.Popen([searchkit_command(), "index", str(docs),
                              "--index", str(folder), "--cluster", address],
                             stderr=subprocess.PIPE, text=True)
    lock = folder / "shard-0of2" / ".searchkit-lock"
    pids = set(worker_pids(client).values())
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline and build.poll() is None:
        try:
            pid = int(lock.read_text().strip() or 0)
        except (OSError, ValueError):
            pid = 0
        if pid in pids:
            victim = pid
        time.sleep(0.02)
    assert victim, "shard 0 was never seen building"
    os.kill(victim, signal.SIGKILL)
    assert layout.version(layout.read(str(folder)))[0] == old[0]  # nothing half-written
    with ShardedSearcher(str(folder)) as s:
        if layout.version(s.layout) == old:  # neither shard committed yet: as before
            assert answers(s, QUERIES) == before
    _, stderr = build.communicate(timeout=600)
    assert build.returncode == 0, stderr
    assert f"{57 + 1527} documents in the index, in 2 shards" in stderr
    plain = tmp_path / "plain"
    assert sk("index", docs, "--index", plain).returncode == 0
    assert batch(folder, QUERIES, "--cluster", address) == batch(plain, QUERIES)
    client.wait_for_workers(2, timeout=60)


def test_no_worker_fails_in_one_line(tmp_path, on_cluster):
    with local_cluster(0) as empty:
        r = sk("search", "ODKB", "--index", on_cluster, "--cluster", empty,
               env={"SEARCHKIT_CLUSTER_WAIT": "1"})
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "has no workers" in r.stderr
    r = sk("search", "ODKB", "--index", on_cluster, "--cluster", "tcp://127.0.0.1:9")
    assert r.returncode == 2 and r.stderr.startswith("searchkit: error: cannot reach the Dask")
    assert r.stderr.count("\n") == 1
