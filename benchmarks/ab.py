"""Two revisions of searchkit, timed alternately in one run.

These machines are shared and their speed drifts by a third within an hour
(README, "Towns typed as people type them"): a figure from one run set beside
one from an earlier run says more about the machine than about a change.
Here each revision's code is taken from git (``git archive``) and run with
this interpreter (its packages: whoosh, click, morfeusz2...), the two
alternated rep by rep, so that both meet the same machine:

* ``build``: ``searchkit index CORPUS`` into a fresh index;
* ``oneshot``: ``searchkit search WORDS --index INDEX``, process start to exit,
  for ``wojna`` and ``król polski wojna szwedzka`` (benchmarks/scale.py's);
* ``batch``: ``searchkit search --queries QUESTIONS --index INDEX --jobs 1``.

Medians are printed per revision; every run's figure is in the JSON written
with ``--json``.  An index made by one revision and searched by the other may
ask for a rebuild (a warning on stderr, which is not timed apart).  Bytecode
is written into each revision's tree and a first, untimed run warms it.

Run from the repository root, e.g. (minutes; the scale corpora and indexes
come from benchmarks/scale.py)::

    .venv/bin/python benchmarks/ab.py bc73646 HEAD --phases build \\
        --corpus benchmarks/work/scale/corpora/84k
    .venv/bin/python benchmarks/ab.py bc73646 HEAD --phases oneshot,batch \\
        --index benchmarks/work/scale/indexes/845k/searchkit \\
        --questions benchmarks/work/scale/dev-1000.tsv
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS = ("wojna", "król polski wojna szwedzka")


def extract(rev: str, dest: Path) -> Path:
    """``rev``'s tree (its searchkit package) in ``dest``."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "searchkit"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def timed(tree: Path, args: list[str], cwd: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # both revisions from bytecode, as installed
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "searchkit", *args], cwd=cwd, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", help="a git revision")
    parser.add_argument("new", help="another (HEAD: the last commit; not the work tree)")
    parser.add_argument("--phases", default="build,oneshot,batch")
    parser.add_argument("--corpus", type=Path, help="folder to index (build)")
    parser.add_argument("--index", type=Path, help="index to search (oneshot, batch)")
    parser.add_argument("--questions", type=Path, help="one query a line, or id<TAB>query (batch)")
    parser.add_argument("--reps", type=int, default=0,
                        help="alternations (default: build 2, oneshot 15, batch 2)")
    parser.add_argument("--json", type=Path, help="write every run's figure here")
    args = parser.parse_args(argv)
    phases = args.phases.split(",")
    if "build" in phases and not args.corpus:
        parser.error("build needs --corpus")
    if {"oneshot", "batch"} & set(phases) and not args.index:
        parser.error("oneshot and batch need --index")
    if "batch" in phases and not args.questions:
        parser.error("batch needs --questions")
    work = Path(tempfile.mkdtemp(prefix="searchkit-ab-"))
    try:
        trees = {rev: extract(rev, work / f"tree{i}") for i, rev in enumerate((args.old, args.new))}
        figures: dict[str, dict[str, list[float]]] = {rev: {} for rev in trees}

        def alternate(label: str, reps: int, command) -> None:
            for rev, tree in trees.items():  # untimed: bytecode, caches
                command(rev, tree)
            for rep in range(reps):
                order = list(trees.items())
                for rev, tree in (order if rep % 2 == 0 else order[::-1]):
                    figures[rev].setdefault(label, []).append(command(rev, tree))

        if "build" in phases:
            def build(rev, tree):
                index = work / f"index-{list(trees).index(rev)}"
                shutil.rmtree(index, ignore_errors=True)
                return timed(tree, ["index", str(args.corpus.resolve()), "--index", str(index)],
                             work)
            alternate("build s", args.reps or 2, build)
        if "oneshot" in phases:
            for words in WORDS:
                alternate(f"one-shot '{words}' ms", args.reps or 15, lambda rev, tree: 1000 * timed(
                    tree, ["search", words, "--index", str(args.index.resolve())], work))
        if "batch" in phases:
            alternate("batch -j 1 s", args.reps or 2, lambda rev, tree: timed(
                tree, ["search", "--queries", str(args.questions.resolve()), "--index",
                       str(args.index.resolve()), "--jobs", "1"], work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for rev, by_label in figures.items():
        print(rev, "; ".join(f"{label}: median {statistics.median(runs):.1f} "
                             f"({', '.join(f'{x:.1f}' for x in runs)})"
                             for label, runs in by_label.items()))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
