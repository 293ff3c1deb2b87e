"""Query speed with and without pruned ranking, on indexes of several sizes (issue 11).

    .venv/bin/python benchmarks/pruning.py --index 84k=PATH --index 845k=PATH
    .venv/bin/python benchmarks/pruning.py --index 84k=PATH --runs 5 --questions 200   # quicker

For each index, interleaved (the two rankings alternate, so their ratio comes from the same
moments of a noisy machine):

one-shot  process start to exit of ``searchkit search WORDS --index PATH`` (text output,
          3 passages: what a person types), for ``wojna`` and ``król polski wojna szwedzka``;
          median of ``--runs`` runs each, after one untimed run (page cache).
batch     ``searchkit search --queries FILE --index PATH`` (top 10, JSON with passages,
          the default) on the first ``--questions`` PoQuAD dev questions, whole process;
          queries per second from the median of ``--batch-runs`` runs.
postings  in one process, the postings each ranking decodes for the batch's questions:
          exhaustive scoring reads every posting of every term it has not cached
          (search._TermScores, 2 M postings), the pruned ranking the blocks it decodes
          (topk.Ranker, the same budget); "all" is every posting of every term of every
          question, what scoring without a cache would read.  The same pass holds the
          two rankings' top 10 (documents and unrounded scores) of every question to
          each other: the script exits 1 if one differs (issue 11: the same answer as
          exhaustive scoring, on the scaled corpus too; tests/test_pruning.py holds it on
          PoQuAD and on 9,449 Wikisource paragraphs, as CI can afford).

"exhaustive" is the same installed searchkit with ``Searcher.pruning = False``, started
as ``python -c`` (so is "pruned", with True: both pay the same start-up).  Results go to
stdout as a markdown table, and as JSON to ``--json FILE`` when given.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
POQUAD = HERE.parent.parent / "shared" / "data" / "poquad"
ONE_SHOT = ("wojna", "król polski wojna szwedzka")
RANKINGS = ("exhaustive", "pruned")

LAUNCH = ("import sys; from searchkit import search; search.Searcher.pruning = {pruning}; "
          "from searchkit.cli import main; sys.argv[0] = 'searchkit'; main()")


def command(ranking: str, *args: str) -> list[str]:
    return [sys.executable, "-c", LAUNCH.format(pruning=ranking == "pruned"), *args]


def timed(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of a whole command.  On a shared machine CPU time
    is the steadier of the two: waiting for a core does not count."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1):
            err.seek(0)
            raise SystemExit(f"pruning.py: {' '.join(argv[3:])} failed ({proc.returncode}): "
                             f"{err.read().decode(errors='replace').strip()[-300:]}")
    return wall, usage.ru_utime + usage.ru_stime


def one_shot(index: str, runs: int) -> dict:
    out = {}
    for words in ONE_SHOT:
        argvs = {r: command(r, "search", "--index", index, "--color", "never", words)
                 for r in RANKINGS}
        times = {r: [] for r in RANKINGS}
        for argv in argvs.values():
            timed(argv)  # the page cache
        for n in range(runs):
            for r in (RANKINGS if n % 2 == 0 else RANKINGS[::-1]):
                times[r].append(timed(argvs[r]))
        out[words] = {r: {"wall": statistics.median(w for w, _ in t) * 1000,
                          "cpu": statistics.median(c for _, c in t) * 1000}
                      for r, t in times.items()}
    return out


def batch(index: str, questions: Path, count: int, runs: int) -> dict:
    times = {r: [] for r in RANKINGS}
    for n in range(runs):
        for r in (RANKINGS if n % 2 == 0 else RANKINGS[::-1]):
            times[r].append(timed(command(r, "search", "--index", index, "--queries",
                                          str(questions))))
    return {r: {"wall": count / statistics.median(w for w, _ in t),
                "cpu": count / statistics.median(c for _, c in t)} for r, t in times.items()}


def postings(index: str, texts: list[str]) -> dict:
    """Postings decoded by each ranking over the batch, in this process, and
    how many questions the two rankings answer alike (top 10, unrounded scores)."""
    from searchkit import search
    from searchkit.query import flat_terms

    read = {"exhaustive": 0}
    entry = search._TermScores._entry

    def counting(self, fieldname, text, positions):
        found = self._cache.get((fieldname, text))
        got = entry(self, fieldname, text, positions)
        if found is None or (positions and found[2] is None):
            read["exhaustive"] += len(got[0])
        return got

    search._TermScores._entry = counting
    tops: dict[bool, dict[str, list]] = {False: {}, True: {}}
    try:
        everything = 0
        for pruning in (False, True):
            search.Searcher.pruning = pruning
            with search.Searcher(index) as s:
                for text in texts:
                    try:
                        s.search(text, passages=0, count=False)
                    except search.SearchkitError:
                        continue
                    tops[pruning][text] = s._top(s.parse(text), 10, False)[0]
                    if pruning:
                        terms = flat_terms(s.parse(text))
                        everything += sum(s._searcher.doc_frequency(t.fieldname, t.text)
                                          for t in terms or ())
                if pruning:
                    read["pruned"] = s._ranker.postings_read if s._ranker else 0
    finally:
        search._TermScores._entry = entry
        search.Searcher.pruning = True
    read["all"] = everything
    read["same"] = sum(tops[True].get(text) == top for text, top in tops[False].items())
    read["compared"] = len(tops[False])
    return read


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", action="append", required=True, metavar="LABEL=PATH",
                        help="an index to measure (repeat for several)")
    parser.add_argument("--runs", type=int, default=9, help="one-shot runs per command")
    parser.add_argument("--batch-runs", type=int, default=3)
    parser.add_argument("--questions", type=int, default=1000,
                        help="first N PoQuAD dev questions for the batch")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args(argv)
    if not POQUAD.is_dir():
        print(f"pruning.py: {POQUAD} is absent (the shared data folder)", file=sys.stderr)
        return 2
    with open(POQUAD / "dev-queries.tsv", encoding="utf-8") as f:
        lines = f.readlines()[:args.questions]
    texts = [line.rstrip("\n").split("\t", 1)[1] for line in lines]
    results = {}
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", encoding="utf-8") as questions:
        questions.writelines(lines)
        questions.flush()
        for spec in args.index:
            label, _, path = spec.partition("=")
            print(f"{label}: one-shot", file=sys.stderr)
            shots = one_shot(path, args.runs)
            print(f"{label}: batch of {len(lines)} questions", file=sys.stderr)
            rates = batch(path, Path(questions.name), len(lines), args.batch_runs)
            print(f"{label}: postings", file=sys.stderr)
            read = postings(path, texts)
            results[label] = {"one-shot ms": shots, "batch q/s": rates, "postings": read}
    print("Wall time (CPU time in parentheses: user + system, the command's processes).\n")
    print("| index | ranking | one-shot `wojna` | one-shot `król polski wojna szwedzka` "
          f"| batch, {len(lines)} PoQuAD dev questions | postings decoded for the batch |")
    print("|---|---|---:|---:|---:|---:|")
    for label, r in results.items():
        for ranking in RANKINGS:
            shots = [r["one-shot ms"][words][ranking] for words in ONE_SHOT]
            rate = r["batch q/s"][ranking]
            print(f"| {label} | {ranking} | "
                  + " | ".join(f"{t['wall']:.0f} ms ({t['cpu']:.0f})" for t in shots)
                  + f" | {rate['wall']:.1f} q/s ({rate['cpu']:.1f}) "
                  f"| {r['postings'][ranking]:,} of {r['postings']['all']:,} |")
    print()
    differ = 0
    for label, r in results.items():
        same, compared = r["postings"]["same"], r["postings"]["compared"]
        differ += compared - same
        print(f"{label}: the same top 10 and scores, pruned and exhaustive, for {same:,} of "
              f"{compared:,} questions")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
