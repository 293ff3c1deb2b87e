"""Speed benchmark: searchkit beside its peers on the shared Polish corpus.

    .venv/bin/python benchmarks/speed.py                             # all phases, 15-25 min
    .venv/bin/python benchmarks/speed.py --docs 2000 --runs 3 --rounds 1   # smoke test
    .venv/bin/python benchmarks/speed.py --phases oneshot,batch      # reuse the built indexes
    .venv/bin/python benchmarks/speed.py --phases ''                 # reprint the last report

Run it with the Python of the venv searchkit is installed in (``pip install .``): it times
the ``searchkit`` command beside that interpreter (else the one on PATH), as users run it.
Every measurement is of a whole command in a fresh process, and each phase interleaves the
tools it compares, so their ratios come from the same moments of a noisy machine.

Phases (``--phases``, comma-separated, default all, run in this order):

setup    the corpus of Wikisource paragraphs as a folder of .txt files and as JSONL
         (``shared/bench/make_corpus.py``); the peers' venv (Whoosh, tantivy) and ripgrep,
         hyperfine via ``shared/bench/peers.py --phases setup``; the Lucene peer copied and
         compiled by relevance.py's functions (skipped with --no-lucene or without Java).
build    one untimed walk to warm the page cache, then each index built from empty in a fresh
         process: searchkit, plain Whoosh with 2 processes (multisegment), SQLite FTS5,
         tantivy and Lucene (stempel). Wall time from spawn to exit; CPU time and peak RSS
         from os.wait4 (they include the worker processes a build reaps); index size on disk.
         ``--build-reps`` repetitions, the order reversed on every other one.
reindex  ``searchkit index`` of the same folder again: nothing changed, then with a sentence
         appended to 1% of the files (a fixed seed), median of three each. The files get their
         original bytes and times back afterwards, and an untimed re-index follows, so the
         corpus and index are as before.
oneshot  process start to exit of ``searchkit search WORD`` beside ``rg -i -l -F WORD DIR``,
         the Lucene CLI and the peers' query scripts, with floors (``python -c pass`` of both
         venvs): ``hyperfine -N --warmup 2 --runs N``, ``--rounds`` rounds with the command
         order reversed each round (a perf_counter loop when hyperfine is missing). Per tool,
         the median over every run of the four words.
batch    ``searchkit search --queries FILE`` (top 10, JSON with passages, the default) as a
         whole process: the 3,501 PoQuAD dev questions on an index of PoQuAD's corpus and on
         the corpus index, and the peers' 35 queries on the corpus index. Median of
         ``--batch-reps`` runs, query sets interleaved.
scaling  the build (searchkit and plain Whoosh) and one-shot latency on the first 10,000 and
         42,000 documents (the same shares of ``--docs`` when given); the full corpus' build
         comes from the build phase, its one-shot latency is measured again here, interleaved
         with the smaller indexes.

Everything generated goes under ``--work`` (default benchmarks/work/speed/): corpora,
indexes, logs, hyperfine's JSON exports and results.json with every raw number (a phase not
run keeps its numbers from the previous run on the same corpus). Markdown tables and one
line per target go to stdout, progress to stderr.

Exit status: 0 when every target measured is met, 1 when one is missed, 2 on errors.
"""

import argparse
import datetime
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import relevance  # noqa: E402  (searchkit_command and the Lucene peer's preparation)

BenchmarkError = relevance.BenchmarkError
info = relevance.info

SHARED = relevance.DEFAULT_SHARED
BENCH = SHARED / "bench"
POQUAD = SHARED / "data" / "poquad"
DEFAULT_WORK = HERE / "work" / "speed"
PHASES = ("setup", "build", "reindex", "oneshot", "batch", "scaling")

FULL_DOCS = 84443  # make_corpus.py without --docs
WORDS = ("wojna", "Warszawa", "kościół", "miłość")  # as peers.py
SCALING_DOCS = (10000, 42000)
HYPERFINE_WARMUP = 2
REINDEX_REPS = 3  # a re-index takes seconds: a median of three is cheap
CHANGED_SHARE = 0.01
CHANGE_SEED = 1124
APPENDED = "\nTo zdanie dopisano, żeby zmierzyć ponowne indeksowanie.\n"

# The targets.
ONESHOT_MAX_MS = 100
ONESHOT_MAX_VS_RG = 0.4
ONESHOT_MAX_VS_LUCENE = 0.2
BATCH_MIN_QPS = {"poquad": 300, "corpus": 100}
BUILD_MAX_S = 40
BUILD_MAX_VS_WHOOSH = 1.25
BUILD_MAX_RSS_MB = 600
REINDEX_MAX_S = {"unchanged": 3, "changed": 10}

# What counts as "roughly linear" build growth and "flat" one-shot latency (reported only):
# the cost per added document in the upper size step within a third of the lower step's,
# and the full index answering within 25% of the smallest one.
LINEAR_SLOPE_RATIO = (0.75, 1.33)
FLAT_MAX_RATIO = 1.25

BUILD_NAMES = {
    "searchkit": "searchkit index (one worker per core)",
    "whoosh-p2": "plain Whoosh 2.7.4, 2 processes, multisegment",
    "fts5": "SQLite FTS5 (unicode61 remove_diacritics 2)",
    "tantivy": "tantivy-py (default tokenizer)",
    "lucene": "Lucene 8.8.1 stempel (1 thread, reads the JSONL)",
}
ONESHOT_NAMES = {
    "searchkit": "searchkit search WORD",
    "rg": "ripgrep rg -i -l -F WORD DIR",
    "lucene": "Lucene CLI run.sh search --analyzer stempel",
    "fts5": "SQLite FTS5 (eng_fts5.py query)",
    "tantivy": "tantivy (eng_tantivy.py query)",
    "whoosh-p2": "plain Whoosh (eng_whoosh.py query, p2 index)",
    "floor-searchkit": "floor: searchkit's venv python -c pass",
    "floor-peers": "floor: peers' venv python -c pass",
}
BATCH_NAMES = {
    "poquad": "PoQuAD dev questions, PoQuAD corpus index",
    "corpus": "PoQuAD dev questions, corpus index",
    "corpus-peers": "peers' queries.txt, corpus index",
}


def corpus_path(work, docs, jsonl=False):
    """The corpus of the first DOCS documents (None: all), a folder or a JSONL file."""
    return work / "corpora" / (str(docs or "all") + (".jsonl" if jsonl else ""))


@dataclass
class Bench:
    """Where everything is, and the commands found for this run."""
    args: argparse.Namespace
    work: Path
    searchkit: str
    peers_python: Path
    rg: str | None
    hyperfine: str | None
    lucene: Path | None  # the prepared peer's run.sh
    lucene_note: str

    def corpus(self, docs=None, jsonl=False):
        return corpus_path(self.work, docs or self.args.docs, jsonl)

    def index(self, tool, docs=None):
        return self.work / "indexes" / str(docs or self.args.docs or "all") / tool

    def log(self, name):
        return self.work / "logs" / name


# --- running and measuring ------------------------------------------------------------------

def run(cmd, what, **kwargs):
    proc = subprocess.run([str(c) for c in cmd], **kwargs)
    if proc.returncode != 0:
        raise BenchmarkError(f"{what} failed with exit status {proc.returncode}")
    return proc


def measure(cmd, log, ok=(0,), watch=None):
    """Run cmd in a fresh process, stdout to LOG.out and stderr to LOG.err.

    Wall time is spawn to reap; CPU time and peak RSS come from wait4, whose figures include
    the children the process reaped (a build's worker processes).  ``watch(pid)``, if given,
    is called while the process runs and returns a function that stops it (scale.py samples
    memory that way)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log.with_name(log.name + ".out"), log.with_name(log.name + ".err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err)
        stop = watch(proc.pid) if watch else None
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if stop:
            stop()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if proc.returncode not in ok:
        tail = err_path.read_text(errors="replace").strip().splitlines()[-3:]
        raise BenchmarkError(f"{shlex.join(map(str, cmd))} failed with exit status "
                             f"{proc.returncode}: {' / '.join(tail)}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024, "exit": proc.returncode,
            "stdout": str(out_path), "stderr": str(err_path)}


def remove(path):
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def size_mb(path):
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def last_line(path):
    lines = Path(path).read_text(errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


# --- setup ----------------------------------------------------------------------------------

def make_corpus(work_corpus, docs, jsonl=False):
    """make_corpus.py into a temporary name, renamed when complete, so an interrupted run
    never leaves a partial corpus that a later run would take for a whole one."""
    if work_corpus.exists():
        return
    partial = work_corpus.with_name(work_corpus.name + ".partial")
    remove(partial)
    partial.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, BENCH / "make_corpus.py", partial]
    cmd[2:2] = (["--docs", str(docs)] if docs else []) + (["--jsonl"] if jsonl else [])
    run(cmd, "make_corpus.py")
    partial.rename(work_corpus)


def phase_setup(work, args):
    corpus = corpus_path(work, args.docs)
    make_corpus(corpus, args.docs)
    if not args.no_lucene:  # the Lucene peer indexes JSONL, not folders
        make_corpus(corpus_path(work, args.docs, jsonl=True), args.docs, jsonl=True)
    info("setup: peers.py --phases setup")
    # peers.py prints its (here empty) table on stdout, which is ours for the report.
    run([sys.executable, BENCH / "peers.py", "--phases", "setup", "--work", work / "peers",
         "--corpus", corpus], "peers.py --phases setup", stdout=sys.stderr)


def lucene_peer(work, args):
    """(run.sh of the compiled Lucene peer, or None; a note saying which or why not)."""
    if args.no_lucene:
        return None, "skipped: --no-lucene"
    if not all(shutil.which(tool) for tool in ("java", "javac")):
        return None, "skipped: java/javac not on PATH"
    # relevance.py prepares the peer under its WORK folder; this benchmark writes only
    # under its own.
    relevance.WORK = work
    peer = relevance.prepare_lucene_peer(SHARED)
    failure = relevance.lucene_setup(peer)
    if failure:
        return None, f"skipped: {failure.splitlines()[0]}"
    return peer / "run.sh", "Lucene 8.8.1, stempel analyzer"


def find_tools(work, args):
    peers_python = work / "peers" / "venv" / "bin" / "python"
    if not peers_python.exists():
        raise BenchmarkError(f"no peers' venv at {peers_python}: run the setup phase")
    lucene, note = lucene_peer(work, args)
    info(f"lucene: {note}")
    b = Bench(args=args, work=work, searchkit=relevance.searchkit_command(),
              peers_python=peers_python, rg=shutil.which("rg"),
              hyperfine=shutil.which("hyperfine"), lucene=lucene, lucene_note=note)
    if not b.corpus().is_dir():
        raise BenchmarkError(f"no corpus at {b.corpus()}: run the setup phase")
    if b.lucene and not b.corpus(jsonl=True).is_file():
        raise BenchmarkError(f"no JSONL corpus at {b.corpus(jsonl=True)}: run the setup phase")
    return b


def environment(b):
    def first_line(cmd):
        if not cmd[0]:
            return None
        proc = subprocess.run(cmd, capture_output=True, text=True)
        return (proc.stdout or proc.stderr).strip().splitlines()[0]
    head = subprocess.run(["git", "-C", HERE.parent, "describe", "--always", "--dirty"],
                          capture_output=True, text=True).stdout.strip()
    return {"searchkit": b.searchkit, "searchkit_version": metadata.version("searchkit"),
            "repo_commit": head, "python": platform.python_version(),
            "ripgrep": first_line([b.rg, "--version"]),
            "hyperfine": first_line([b.hyperfine, "--version"]),
            "java": first_line(["java", "-version"]) if b.lucene else None,
            "lucene": b.lucene_note, "cpus": os.cpu_count(), "machine": platform.platform()}


# --- build ----------------------------------------------------------------------------------

def warm_cache(b, docs=None):
    """Read the corpus once, untimed, so no build pays for the first read from disk."""
    info(f"warming the page cache: {b.corpus(docs)}")
    run([b.peers_python, BENCH / "common.py", "walk", b.corpus(docs)], "common.py walk",
        stdout=subprocess.DEVNULL)
    if b.lucene and docs is None:
        b.corpus(jsonl=True).read_bytes()


def searchkit_and_whoosh(b, docs=None):
    """tool -> (index it writes, command) for the two builds every size compares."""
    corpus = b.corpus(docs)
    return {
        "searchkit": (b.index("searchkit", docs),
                      [b.searchkit, "index", corpus, "--index", b.index("searchkit", docs)]),
        "whoosh-p2": (b.index("whoosh-p2", docs),
                      [b.peers_python, BENCH / "eng_whoosh.py", "build", corpus,
                       b.index("whoosh-p2", docs), "--procs", "2", "--multisegment"]),
    }


def all_builds(b):
    corpus, py = b.corpus(), b.peers_python
    builds = searchkit_and_whoosh(b)
    builds["fts5"] = (b.index("fts5.db"), [py, BENCH / "eng_fts5.py", "build", corpus,
                                           b.index("fts5.db")])
    builds["tantivy"] = (b.index("tantivy"), [py, BENCH / "eng_tantivy.py", "build", corpus,
                                              b.index("tantivy")])
    if b.lucene:
        builds["lucene"] = (b.index("lucene-stempel"),
                            [b.lucene, "index", "--analyzer", "stempel", "--index",
                             b.index("lucene-stempel"), b.corpus(jsonl=True)])
    return builds


def interleaved_builds(b, builds, tag):
    """Each build from an empty target in a fresh process, --build-reps times, the order
    reversed on every other repetition so a slow spell of the machine hits all tools."""
    results = {tool: {"cmd": shlex.join(map(str, cmd)), "runs": []}
               for tool, (_, cmd) in builds.items()}
    items = list(builds.items())
    for rep in range(b.args.build_reps):
        for tool, (target, cmd) in (items if rep % 2 == 0 else items[::-1]):
            remove(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            m = measure(cmd, b.log(f"build-{tag}-{tool}-{rep + 1}"))
            m["size_mb"] = size_mb(target)
            results[tool]["runs"].append(m)
            info(f"build {tag} {rep + 1}/{b.args.build_reps} {tool}: {m['wall_s']:.2f} s wall, "
                 f"{m['cpu_s']:.1f} s CPU, peak RSS {m['peak_rss_mb']:.0f} MB, "
                 f"{m['size_mb']:.1f} MB")
    for r in results.values():
        r.update(summarize_runs(r["runs"]), size_mb=r["runs"][-1]["size_mb"])
    return results


def phase_build(b, R):
    warm_cache(b)
    return {"tools": interleaved_builds(b, all_builds(b), "corpus")}


# --- re-index -------------------------------------------------------------------------------

def index_summary(result):
    """The counts from `searchkit index`'s summary line on stderr."""
    line = last_line(result["stderr"])
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (added|updated|removed|unchanged)", line)}
    return line, counts


def reindex_once(b, cmd, tag, rep):
    m = measure(cmd, b.log(f"reindex-{tag}-{rep + 1}"))
    m["summary"], m["counts"] = index_summary(m)
    info(f"reindex {tag} {rep + 1}/{REINDEX_REPS}: {m['wall_s']:.2f} s ({m['summary']})")
    return m


def phase_reindex(b, R):
    index = b.index("searchkit")
    if not index.is_dir():
        raise BenchmarkError(f"no searchkit index at {index}: run the build phase")
    corpus = b.corpus()
    cmd = [b.searchkit, "index", corpus, "--index", index]
    # Untimed: the timed runs start from an index in step with the folder, in a warm cache.
    measure(cmd, b.log("reindex-sync"))
    unchanged = [reindex_once(b, cmd, "unchanged", rep) for rep in range(REINDEX_REPS)]

    files = sorted(corpus.rglob("*.txt"))
    chosen = random.Random(CHANGE_SEED).sample(files, max(1, round(len(files) * CHANGED_SHARE)))
    originals = {p: (p.read_bytes(), p.stat()) for p in chosen}
    changed = []
    try:
        for rep in range(REINDEX_REPS):
            for p in chosen:
                with open(p, "a", encoding="utf-8") as f:
                    f.write(APPENDED)
            changed.append(reindex_once(b, cmd, "changed", rep))
            restore(originals)
            measure(cmd, b.log("reindex-sync"))  # untimed: the index back in step
    finally:
        restore(originals)  # also when interrupted: later phases need the original corpus
    return {"files": len(files), "changed_files": len(chosen), "seed": CHANGE_SEED,
            "unchanged": summarize_runs(unchanged), "changed": summarize_runs(changed)}


def restore(originals):
    """Original bytes and times, so the folder is exactly as make_corpus.py wrote it."""
    for path, (data, st) in originals.items():
        path.write_bytes(data)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def summarize_runs(runs):
    """Median times; the highest peak RSS, since the memory target is a ceiling."""
    return {"wall_s": statistics.median(r["wall_s"] for r in runs),
            "cpu_s": statistics.median(r["cpu_s"] for r in runs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs), "runs": runs}


# --- one-shot -------------------------------------------------------------------------------

def require(path):
    """An index the build phase makes."""
    if not path.exists():
        raise BenchmarkError(f"{path} is missing: run the build phase")
    return path


def oneshot_commands(b):
    """(tool, label, argv) for every one-shot command: floors, then each word per tool."""
    py = b.peers_python
    cmds = [("floor-searchkit", "floor-searchkit", [sys.executable, "-c", "pass"]),
            ("floor-peers", "floor-peers", [py, "-c", "pass"])]
    for word in WORDS:
        per_tool = {
            "searchkit": [b.searchkit, "search", "--index", require(b.index("searchkit")), word],
            "rg": [b.rg, "-i", "-l", "-F", word, b.corpus()] if b.rg else None,
            "lucene": [b.lucene, "search", "--analyzer", "stempel", "--index",
                       require(b.index("lucene-stempel")), word] if b.lucene else None,
            "fts5": [py, BENCH / "eng_fts5.py", "query", require(b.index("fts5.db")), word],
            "tantivy": [py, BENCH / "eng_tantivy.py", "query", require(b.index("tantivy")),
                        word],
            "whoosh-p2": [py, BENCH / "eng_whoosh.py", "query", require(b.index("whoosh-p2")),
                          word],
        }
        cmds += [(tool, f"{tool} {word}", argv) for tool, argv in per_tool.items() if argv]
    return cmds


def check_commands(cmds):
    """Each command must work before it is timed; returns the labels of those that found
    nothing (exit 1), since searchkit then looks for a spelling suggestion, which costs."""
    no_match = []
    for _, label, argv in cmds:
        proc = subprocess.run([str(a) for a in argv], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        if proc.returncode not in (0, 1):
            raise BenchmarkError(f"{label}: {shlex.join(map(str, argv))} failed with exit "
                                 f"status {proc.returncode}: {proc.stderr.strip()[-300:]}")
        if proc.returncode == 1:
            no_match.append(label)
    return no_match


def hyperfine_round(b, cmds, export):
    argv = [b.hyperfine, "-N", "-i", "--style", "basic", "--warmup", str(HYPERFINE_WARMUP),
            "--runs", str(b.args.runs), "--export-json", export]
    for _, label, cmd in cmds:
        argv += ["-n", label, shlex.join(map(str, cmd))]
    with open(export.with_suffix(".log"), "w") as log:
        run(argv, "hyperfine", stdout=log, stderr=subprocess.STDOUT)
    return {r["command"]: [t * 1000 for t in r["times"]]
            for r in json.loads(export.read_text())["results"]}


def loop_round(b, cmds, seed):
    """Without hyperfine: warm-up passes, then runs with the commands shuffled each run."""
    argvs = [(label, [str(a) for a in cmd]) for _, label, cmd in cmds]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    for _ in range(HYPERFINE_WARMUP):
        for _, argv in argvs:
            subprocess.run(argv, **quiet)
    times = {label: [] for label, _ in argvs}
    rng = random.Random(seed)
    for _ in range(b.args.runs):
        rng.shuffle(argvs)
        for label, argv in argvs:
            start = time.perf_counter()
            subprocess.run(argv, **quiet)
            times[label].append((time.perf_counter() - start) * 1000)
    return times


def time_commands(b, cmds, tag):
    """--rounds rounds over all commands, the order reversed each round.

    Returns (ms per label, labels of the commands that found nothing)."""
    no_match = check_commands(cmds)
    (b.work / "hyperfine").mkdir(parents=True, exist_ok=True)
    times = {label: [] for _, label, _ in cmds}
    for rnd in range(b.args.rounds):
        order = cmds if rnd % 2 == 0 else cmds[::-1]
        info(f"{tag} round {rnd + 1}/{b.args.rounds}: {len(cmds)} commands "
             f"x {b.args.runs} runs ({'hyperfine' if b.hyperfine else 'perf_counter loop'})")
        if b.hyperfine:
            got = hyperfine_round(b, order, b.work / "hyperfine" / f"{tag}-r{rnd + 1}.json")
        else:
            got = loop_round(b, order, rnd)
        for label, ms in got.items():
            times[label] += ms
    return times, no_match


def per_tool(cmds, times):
    """Per tool: median, min and p90 over all its runs (all words)."""
    groups = {}
    for tool, label, argv in cmds:
        g = groups.setdefault(tool, {"example": shlex.join(map(str, argv)), "ms": []})
        g["ms"] += times[label]
    for g in groups.values():
        ms = sorted(g["ms"])
        g.update(median_ms=statistics.median(ms), min_ms=ms[0],
                 p90_ms=ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))], n=len(ms))
        del g["ms"]  # the raw times are kept per command
    return groups


def phase_oneshot(b, R):
    cmds = oneshot_commands(b)
    times, no_match = time_commands(b, cmds, "oneshot")
    return {"timer": "hyperfine -N" if b.hyperfine else "perf_counter loop",
            "rounds": b.args.rounds, "runs": b.args.runs, "warmup": HYPERFINE_WARMUP,
            "words": WORDS, "tools": per_tool(cmds, times), "per_command_ms": times,
            "no_match": no_match}


# --- batch ----------------------------------------------------------------------------------

def peers_queries(b):
    """queries.txt without its comment lines, which batch mode would take for queries."""
    path = b.work / "batch" / "peers-queries.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [line for line in (BENCH / "queries.txt").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def batch_output(path):
    """(queries answered, queries that failed) in a batch run's JSON Lines."""
    answered = failed = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            if obj["type"] == "summary":
                answered += 1
                failed += bool(obj.get("error"))
    return answered, failed


def phase_batch(b, R):
    poquad_index = b.work / "indexes" / "poquad" / "searchkit"
    remove(poquad_index)
    info("batch: indexing PoQuAD's corpus")
    poquad_build = measure([b.searchkit, "index", POQUAD / "corpus.jsonl", "--index",
                            poquad_index], b.log("batch-poquad-index"))
    dev = POQUAD / "dev-queries.tsv"
    sets = {"poquad": (dev, poquad_index),
            "corpus": (dev, require(b.index("searchkit"))),
            "corpus-peers": (peers_queries(b), b.index("searchkit"))}
    results = {key: {"queries_file": str(q), "index": str(ix),
                     "queries": sum(1 for line in q.read_text(encoding="utf-8").splitlines()
                                    if line.strip()),
                     "runs": []}
               for key, (q, ix) in sets.items()}
    items = list(sets.items())
    for rep in range(b.args.batch_reps):
        for key, (queries, index) in (items if rep % 2 == 0 else items[::-1]):
            # Exit 2 means some query failed; those are counted below and reported.
            m = measure([b.searchkit, "search", "--queries", queries, "--index", index],
                        b.log(f"batch-{key}"), ok=(0, 1, 2))
            m["answered"], m["failed"] = batch_output(m["stdout"])
            r = results[key]
            if m["answered"] != r["queries"] or (m["exit"] == 2 and not m["failed"]):
                raise BenchmarkError(f"batch {key}: {m['answered']} of {r['queries']} queries "
                                     f"answered, exit status {m['exit']}; see {m['stderr']}")
            m["queries_per_s"] = r["queries"] / m["wall_s"]
            r["runs"].append(m)
            info(f"batch {rep + 1}/{b.args.batch_reps} {key}: {r['queries']} queries in "
                 f"{m['wall_s']:.2f} s ({m['queries_per_s']:.0f} q/s)")
    for r in results.values():
        r.update(summarize_runs(r["runs"]))
        r["queries_per_s"] = r["queries"] / r["wall_s"]
        r["failed"] = r["runs"][-1]["failed"]
    return {"poquad_index": poquad_build, "sets": results}


# --- scaling --------------------------------------------------------------------------------

def scaling_sizes(args):
    """10k and 42k documents, or the same shares of --docs for a smoke test."""
    if not args.docs:
        return list(SCALING_DOCS)
    return [max(1, round(args.docs * n / FULL_DOCS)) for n in SCALING_DOCS]


def phase_scaling(b, R):
    sizes = scaling_sizes(b.args)
    builds = {}
    for docs in sizes:
        make_corpus(b.corpus(docs), docs)  # the scaling corpora are this phase's own
        warm_cache(b, docs)
        builds[str(docs)] = interleaved_builds(b, searchkit_and_whoosh(b, docs), f"{docs}docs")
    # All sizes' one-shot latencies in one interleaved run, the full corpus' index included,
    # so "flat" compares numbers measured side by side.
    indexes = [(str(docs), b.index("searchkit", docs)) for docs in sizes]
    indexes.append(("full", require(b.index("searchkit"))))
    cmds = [(size, f"{size} {word}", [b.searchkit, "search", "--index", index, word])
            for word in WORDS for size, index in indexes]
    times, no_match = time_commands(b, cmds, "scaling")
    return {"sizes": sizes, "builds": builds, "oneshot": per_tool(cmds, times),
            "per_command_ms": times, "no_match": no_match}


# --- targets --------------------------------------------------------------------------------

def get(R, *keys):
    """R[k1][k2]..., or None when a phase (or a peer) was not measured."""
    for key in keys:
        if not isinstance(R, dict) or key not in R:
            return None
        R = R[key]
    return R


def ratio(a, b):
    return a / b if a is not None and b else None


def check_targets(R):
    """One entry per target of the issue: what was measured and whether it is met
    (None: not measured, e.g. its phase was not run or Lucene was skipped)."""
    searchkit_ms = get(R, "oneshot", "tools", "searchkit", "median_ms")
    build = get(R, "build", "tools", "searchkit")
    rows = [
        ("one-shot `searchkit search WORD` median", "<=", ONESHOT_MAX_MS, "ms", searchkit_ms),
        ("one-shot searchkit / ripgrep", "<", ONESHOT_MAX_VS_RG, "x",
         ratio(searchkit_ms, get(R, "oneshot", "tools", "rg", "median_ms"))),
        ("one-shot searchkit / Lucene CLI", "<", ONESHOT_MAX_VS_LUCENE, "x",
         ratio(searchkit_ms, get(R, "oneshot", "tools", "lucene", "median_ms"))),
        ("batch, PoQuAD dev questions on the PoQuAD index", ">=", BATCH_MIN_QPS["poquad"],
         "queries/s", get(R, "batch", "sets", "poquad", "queries_per_s")),
        ("batch, PoQuAD dev questions on the corpus index", ">=", BATCH_MIN_QPS["corpus"],
         "queries/s", get(R, "batch", "sets", "corpus", "queries_per_s")),
        ("`searchkit index` of the corpus, wall", "<=", BUILD_MAX_S, "s", get(build, "wall_s")),
        ("build searchkit / plain Whoosh p2", "<=", BUILD_MAX_VS_WHOOSH, "x",
         ratio(get(build, "wall_s"), get(R, "build", "tools", "whoosh-p2", "wall_s"))),
        ("build peak RSS", "<=", BUILD_MAX_RSS_MB, "MB", get(build, "peak_rss_mb")),
        ("re-index, nothing changed", "<=", REINDEX_MAX_S["unchanged"], "s",
         get(R, "reindex", "unchanged", "wall_s")),
        ("re-index, 1% of files changed", "<=", REINDEX_MAX_S["changed"], "s",
         get(R, "reindex", "changed", "wall_s")),
    ]
    compare = {"<=": lambda v, t: v <= t, "<": lambda v, t: v < t, ">=": lambda v, t: v >= t}
    return [{"target": f"{what} {op} {limit:g} {unit}", "measured": value, "unit": unit,
             "op": op, "limit": limit, "met": None if value is None else compare[op](value, limit)}
            for what, op, limit, unit, value in rows]


def target_line(t):
    if t["met"] is None:
        return f"target {t['target']} : not measured"
    value = f"{t['measured']:.2f}" if t["unit"] == "x" else f"{t['measured']:.1f}"
    off = abs(t["measured"] / t["limit"] - 1)
    verdict = "met" if t["met"] else \
        f"MISSED ({off:.1%} {'short' if t['op'] == '>=' else 'over'})"
    return f"target {t['target']} : measured {value} {t['unit']} — {verdict}"


# --- report ---------------------------------------------------------------------------------

def num(x, digits=1):
    return "–" if x is None else f"{x:,.{digits}f}"


def table(header, rows):
    """A markdown table; columns of numbers are right-aligned."""
    def numeric(cell):
        return re.fullmatch(r"[\d,.]+|–", str(cell).replace(", ", "")) is not None
    rule = ["---:" if all(numeric(row[i]) for row in rows) else "---"
            for i in range(len(header))]
    return ["| " + " | ".join(row) + " |" for row in
            [header, rule] + [[str(c) for c in row] for row in rows]]


def build_section(R):
    tools = get(R, "build", "tools")
    if not tools:
        return []
    sk = tools["searchkit"]["wall_s"]
    rows = [[BUILD_NAMES[t], num(r["wall_s"], 2), num(r["cpu_s"]), num(r["cpu_s"] / r["wall_s"], 2),
             num(r["peak_rss_mb"], 0), num(r["size_mb"]), num(sk / r["wall_s"], 2)]
            for t, r in tools.items()]
    reps = len(tools["searchkit"]["runs"])
    return [f"## Build ({R['corpus']['docs']:,} documents; fresh process each, "
            f"median of {reps}, warm page cache)", ""] + table(
        ["tool", "wall (s)", "CPU (s)", "CPU / wall", "peak RSS (MB)", "index (MB)",
         "searchkit ÷ tool (wall)"], rows) + [""]


def reindex_section(R):
    r = R.get("reindex")
    if not r:
        return []
    rows, notes = [], []
    for case, files, expect in (("unchanged", 0, 0), ("changed", r["changed_files"],
                                                       r["changed_files"])):
        c = r[case]
        rows.append([f"{'nothing' if not files else f'{files:,} files ({CHANGED_SHARE:.0%})'} "
                     "changed", num(c["wall_s"], 2),
                     ", ".join(num(x["wall_s"], 2) for x in c["runs"]), num(c["cpu_s"]),
                     num(c["peak_rss_mb"], 0), c["runs"][-1]["summary"].rsplit(": ", 1)[-1]])
        updated = {x["counts"].get("updated") for x in c["runs"]}
        if updated != {expect}:
            notes.append(f"note: searchkit reported {sorted(updated, key=str)} updated where "
                         f"{expect} files changed ({case})")
    return [f"## Re-index (`searchkit index` of the same {r['files']:,} files again; "
            f"median of {REINDEX_REPS})", ""] + table(
        ["case", "wall (s)", "runs (s)", "CPU (s)", "peak RSS (MB)", "searchkit's summary"],
        rows) + notes + [""]


def oneshot_section(R):
    o = R.get("oneshot")
    if not o:
        return []
    tools = o["tools"]
    floor = tools["floor-searchkit"]["median_ms"]
    sk = tools["searchkit"]["median_ms"]
    rows = [[ONESHOT_NAMES[t], num(g["median_ms"]), num(g["min_ms"]), num(g["p90_ms"]),
             num(g["median_ms"] / floor, 1), "–" if t.startswith("floor") else
             num(sk / g["median_ms"], 2), f"`{g['example']}`"] for t, g in tools.items()]
    return [f"## One-shot (process start to exit; {o['timer']}, rounds: {o['rounds']}, runs: "
            f"{o['runs']} (+{o['warmup']} warm-up) per command and round, order reversed each "
            f"round; per tool the median over all runs of {', '.join(o['words'])})", ""] + table(
        ["tool", "median (ms)", "min (ms)", "p90 (ms)", "x searchkit's python -c pass",
         "searchkit ÷ tool", "command (first word)"], rows) + [""] + no_match_note(o)


def batch_section(R):
    bt = R.get("batch")
    if not bt:
        return []
    rows = [[BATCH_NAMES[k], f"{r['queries']:,}", num(r["wall_s"], 2),
             num(r["queries_per_s"], 0), ", ".join(num(x["queries_per_s"], 0) for x in r["runs"]),
             num(r["cpu_s"], 1), num(r["peak_rss_mb"], 0), r["failed"]]
            for k, r in bt["sets"].items()]
    return [f"## Batch (`searchkit search --queries FILE --index IX`: top 10, JSON with "
            f"passages; whole process; median of {len(bt['sets']['poquad']['runs'])})", ""] + table(
        ["query set", "queries", "wall (s)", "queries/s", "runs (q/s)", "CPU (s)",
         "peak RSS (MB)", "failed"], rows) + [
        "", f"PoQuAD's corpus indexed in {bt['poquad_index']['wall_s']:.1f} s.", ""]


def no_match_note(phase):
    if not phase.get("no_match"):
        return []
    return [f"Found nothing (searchkit then also looks for a spelling suggestion): "
            f"{', '.join(phase['no_match'])}.", ""]


def scaling_rows(R):
    """(docs, searchkit build, whoosh build, one-shot ms) per size, the full corpus last."""
    s = R["scaling"]
    rows = [(int(n), b["searchkit"], b["whoosh-p2"], s["oneshot"][n]["median_ms"])
            for n, b in s["builds"].items()]
    full = get(R, "build", "tools")
    rows.append((R["corpus"]["docs"], get(full, "searchkit"), get(full, "whoosh-p2"),
                 s["oneshot"]["full"]["median_ms"]))
    return rows


def growth_lines(rows):
    """Marginal build cost per 1,000 documents over each size step, and the one-shot trend."""
    (n0, b0, _, q0), (n1, b1, _, _), (n2, b2, _, q2) = rows
    if not (b0 and b1 and b2):
        return ["Build growth: not measured (the build phase has no full-corpus figures)."]
    low = (b1["wall_s"] - b0["wall_s"]) / (n1 - n0) * 1000
    high = (b2["wall_s"] - b1["wall_s"]) / (n2 - n1) * 1000
    step = high / low if low > 0 else None
    if step is None:
        shape = "no growth measured between the two smaller sizes"
    elif step > LINEAR_SLOPE_RATIO[1]:
        shape = "superlinear: each document costs more in a bigger index"
    elif step < LINEAR_SLOPE_RATIO[0]:
        shape = "sublinear: fixed costs weigh on the small sizes"
    else:
        shape = "roughly linear"
    flat = q2 / q0 <= FLAT_MAX_RATIO
    return [f"Build growth: {low:.2f} s per 1,000 documents from {n0:,} to {n1:,}, "
            f"{high:.2f} s from {n1:,} to {n2:,} (x{num(step, 2)}): {shape}.",
            f"One-shot: {' -> '.join(num(q) for *_, q in rows)} ms; the full index "
            f"{q2 / q0:.2f}x the smallest: " + ("flat." if flat else "grows with the index.")]


def scaling_section(R):
    if not R.get("scaling"):
        return []
    rows = scaling_rows(R)
    out = []
    for n, sk, wh, q in rows:
        out.append([f"{n:,}", num(get(sk, "wall_s"), 2), num(get(wh, "wall_s"), 2),
                    num(ratio(get(sk, "wall_s"), get(wh, "wall_s")), 2), num(get(sk, "size_mb")),
                    num(get(sk, "peak_rss_mb"), 0), num(q)])
    return ["## Scaling (searchkit; builds interleaved with plain Whoosh p2 per size, the full "
            "corpus' from the build phase; one-shot of all sizes in one interleaved run)", ""] \
        + table(["documents", "searchkit build (s)", "Whoosh p2 build (s)", "searchkit ÷ Whoosh",
                 "index (MB)", "peak RSS (MB)", "one-shot median (ms)"], out) \
        + [""] + growth_lines(rows) + [""] + no_match_note(R["scaling"])


def report(R, checks):
    c, env, work = R["corpus"], R["environment"], str(R["args"]["work"])
    lines = [f"# searchkit speed — {c['docs']:,} documents ({c['mb']:.1f} MB of text files)", "",
             f"searchkit {env['searchkit_version']} as installed at {env['searchkit']} (the "
             f"repo's checkout, {env['repo_commit']}, may differ), Python {env['python']}, "
             f"{env['ripgrep']}, "
             f"{env['hyperfine']}, {env['lucene']}; {env['cpus']} CPUs, {env['machine']}.",
             f"WORK = {work}, SHARED = {SHARED}; corpus WORK/corpora/{c['label']}.",
             "Phases: " + "; ".join(
                 f"{p} {R[p]['date']} ({R[p]['seconds']:.0f} s, load "
                 f"{R[p]['loadavg_before'][0]:.1f} -> {R[p]['loadavg_after'][0]:.1f})"
                 for p in PHASES if p in R) + ".", ""]
    if c["docs"] != FULL_DOCS:
        lines += [f"Note: a {c['docs']:,}-document corpus; the targets are for the "
                  f"{FULL_DOCS:,}-document one.", ""]
    body = []
    for section in (build_section, reindex_section, oneshot_section, batch_section,
                    scaling_section):
        body += section(R)
    lines += [line.replace(work, "WORK").replace(str(SHARED), "SHARED") for line in body]
    lines += ["## Targets", ""] + [target_line(t) for t in checks]
    met = sum(t["met"] is True for t in checks)
    missed = sum(t["met"] is False for t in checks)
    lines.append(f"{met} met, {missed} missed, {len(checks) - met - missed} not measured.")
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="searchkit's speed beside its peers (see the module docstring).")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"comma-separated, from {','.join(PHASES)} (default: all)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, metavar="DIR",
                        help=f"scratch folder (default: {DEFAULT_WORK})")
    parser.add_argument("--docs", type=int, metavar="N",
                        help=f"the first N documents only, for a smoke test (default: all "
                             f"{FULL_DOCS:,})")
    parser.add_argument("--rounds", type=int, default=3,
                        help="one-shot rounds, command order reversed each (default: 3)")
    parser.add_argument("--runs", type=int, default=10,
                        help="one-shot runs per command per round (default: 10)")
    parser.add_argument("--build-reps", type=int, default=1,
                        help="builds per tool, order reversed every other one (default: 1)")
    parser.add_argument("--batch-reps", type=int, default=3,
                        help="whole-process runs per batch query set (default: 3)")
    parser.add_argument("--no-lucene", action="store_true", help="leave the Lucene peer out")
    args = parser.parse_args(argv)
    args.phases = [p for p in args.phases.split(",") if p]
    unknown = set(args.phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phase(s): {', '.join(sorted(unknown))}")
    for name in ("rounds", "runs", "build_reps", "batch_reps", "docs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    args.work = Path(os.path.abspath(args.work))
    return args


def corpus_info(b):
    files = list(b.corpus().rglob("*.txt"))
    return {"label": b.corpus().name, "path": str(b.corpus()), "docs": len(files),
            "mb": sum(f.stat().st_size for f in files) / 1e6}


def load_results(path, corpus):
    """The previous run's results on the same corpus (phases not run now keep theirs)."""
    previous = json.loads(path.read_text()) if path.is_file() else {}
    return previous if previous.get("corpus") == corpus else {}


def save_results(path, R):
    path.write_text(json.dumps(R, indent=1, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")


def timed_phase(fn, *args):
    """Run one phase; its result carries when it ran, how long, and the load around it."""
    date, load, start = now(), os.getloadavg(), time.perf_counter()
    result = fn(*args) or {}
    return {**result, "date": date, "seconds": time.perf_counter() - start,
            "loadavg_before": load, "loadavg_after": os.getloadavg()}


PHASE_FUNCTIONS = {"build": phase_build, "reindex": phase_reindex, "oneshot": phase_oneshot,
                   "batch": phase_batch, "scaling": phase_scaling}


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    # As root, Python would write __pycache__ into the shared (read-only by agreement) bench
    # folder when the peers' scripts import common.py.
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    results_path = args.work / "results.json"
    try:
        args.work.mkdir(parents=True, exist_ok=True)
        setup = timed_phase(phase_setup, args.work, args) if "setup" in args.phases else None
        b = find_tools(args.work, args)
        corpus = corpus_info(b)
        R = load_results(results_path, corpus)
        if args.phases:  # with none, only the report of results.json is printed again
            R.update(corpus=corpus, environment=environment(b), args=vars(args))
        if setup:
            R["setup"] = setup
        for name, fn in PHASE_FUNCTIONS.items():
            if name in args.phases:
                info(f"=== {name}")
                R[name] = timed_phase(fn, b, R)
                save_results(results_path, R)
    except BenchmarkError as e:
        info(f"speed: {e}")
        return 2
    checks = check_targets(R)
    R.update(targets=checks, total_s=time.perf_counter() - started)
    save_results(results_path, R)
    print(report(R, checks))
    info(f"total {R['total_s']:.0f} s; raw numbers in {results_path}")
    return 1 if any(t["met"] is False for t in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
