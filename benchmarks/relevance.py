"""Relevance benchmark: searchkit against the Lucene peer on PoQuAD.

    python benchmarks/relevance.py                     # Lucene re-run when Java is available
    python benchmarks/relevance.py --lucene recorded   # quick: Lucene's recorded numbers
    python benchmarks/relevance.py --shared ../shared --rebuild

Indexes ``shared/data/poquad/corpus.jsonl`` with the installed ``searchkit`` command (not
library calls, so it measures what users run), runs every query set through
``searchkit search --queries`` (top 100, no passages), scores the runs with
``shared/eval/evaluate.py`` and prints a markdown table beside Lucene BM25 (k1=1.2, b=0.75)
with the ``standard``, ``stempel`` and ``morfologik-lc`` analyzers.

Query sets: PoQuAD dev and dev-folded (diacritics removed), plus the held-out test and
test-folded sets when ``shared/../eval/hidden/`` holds them (the folder grid.sh uses); and
keyword queries derived from PoQuAD by fixed rules (kw-titles, kw-dev, their folded forms
and their lower-case forms: see "keyword query sets" below), reported in a second table.

Lucene: ``--lucene auto`` (default) re-runs the peer when ``java`` and ``javac`` are on PATH,
``run`` insists on it, ``recorded`` (or ``--no-lucene``) uses the figures recorded on
2026-11-24. The shared folder is read-only and the peer's setup.sh writes ``build/`` beside
itself, so the peer is copied to ``benchmarks/work/lucene/`` first.

Writes benchmarks/work/relevance.json (every number and timing); progress goes to stderr.
Timings are wall times of whole commands, process start-up (Python, JVM) included.

Exit status: 0 when searchkit meets its targets (issue 9: nDCG@10 >= 0.855 on dev, >= 0.85
on dev-folded, folded loss = dev - dev-folded nDCG@10 <= 0.01, and on each keyword set more
nDCG@10 than Lucene morfologik-lc), 1 when one is missed, 2 on errors (missing data, a failing
command). Beating Lucene on the question sets is reported, not enforced.
"""

import argparse
import collections
import datetime
import filecmp
import gzip
import json
import math
import re
import shutil
import stat
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
DEFAULT_SHARED = HERE.parent.parent / "shared"

METRICS = ("nDCG@10", "MRR@10", "R@100")
ANALYZERS = ("standard", "stempel", "morfologik-lc")
K1, B = "1.2", "0.75"
LIMIT = 100

# searchkit targets from the issues: nDCG@10 floor per query set (issue 9 raised them from
# 0.84 / 0.83), and the most nDCG@10 that typing without diacritics may cost.
NDCG_TARGETS = {"dev": 0.855, "dev-folded": 0.85}
MAX_FOLDED_LOSS = 0.01
# and on the keyword sets, more nDCG@10 than Lucene with this analyzer
KEYWORD_RIVAL = "morfologik-lc"

# Lucene numbers used when the peer is not re-run: full rerun here on 2026-11-24
# (the issue rounds nDCG@10 to 0.716/0.638, 0.805/0.708, 0.825/0.728); the keyword
# sets' on 2026-11-30, the lower-case ones on 2026-12-01 (morfologik looks words up before
# lower-casing them, so a name typed in lower case is not in its dictionary).
RECORDED_DATE = "2026-11-24"
RECORDED = {
    "standard": {"dev": (0.7159, 0.6830, 0.9006), "dev-folded": (0.6376, 0.6080, 0.8266),
        "kw-titles": (0.9861, 0.9817, 1.0000),
        "kw-titles-folded": (0.8951, 0.8815, 0.9480),
        "kw-dev": (0.6678, 0.6396, 0.8107),
        "kw-dev-folded": (0.5766, 0.5517, 0.7052),
        "kw-titles-lower": (0.9861, 0.9817, 1.0000),
        "kw-dev-lower": (0.6678, 0.6396, 0.8107)},
    "stempel": {"dev": (0.8048, 0.7766, 0.9554), "dev-folded": (0.7077, 0.6771, 0.8849),
        "kw-titles": (0.9824, 0.9770, 1.0000),
        "kw-titles-folded": (0.8847, 0.8704, 0.9473),
        "kw-dev": (0.7498, 0.7208, 0.9072),
        "kw-dev-folded": (0.6450, 0.6178, 0.8012),
        "kw-titles-lower": (0.9824, 0.9770, 1.0000),
        "kw-dev-lower": (0.7498, 0.7208, 0.9072)},
    "morfologik-lc": {"dev": (0.8246, 0.7981, 0.9700), "dev-folded": (0.7278, 0.6981, 0.9163),
        "kw-titles": (0.9843, 0.9789, 1.0000),
        "kw-titles-folded": (0.8872, 0.8731, 0.9488),
        "kw-dev": (0.7737, 0.7466, 0.9298),
        "kw-dev-folded": (0.6685, 0.6410, 0.8287),
        "kw-titles-lower": (0.9662, 0.9574, 0.9936),
        "kw-dev-lower": (0.7239, 0.6951, 0.8989)},
}


class BenchmarkError(Exception):
    """A failure that stops the benchmark (exit status 2)."""


def info(message):
    print(message, file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="PoQuAD relevance: searchkit vs the Lucene peer (see module docstring).")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, metavar="DIR",
                        help=f"shared data folder (default: {DEFAULT_SHARED})")
    parser.add_argument("--lucene", choices=("auto", "run", "recorded"), default="auto",
                        help="re-run the Lucene peer (auto: when java and javac are on PATH) "
                             "or use its recorded numbers")
    parser.add_argument("--no-lucene", dest="lucene", action="store_const", const="recorded",
                        help="same as --lucene recorded")
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild the Lucene indexes even when present (searchkit's "
                             "is always rebuilt: its indexing time is reported)")
    return parser.parse_args(argv)


def query_sets(shared):
    """(name, queries, qrels) for every query set present; dev and dev-folded are required."""
    poquad = shared / "data" / "poquad"
    hidden = shared.parent / "eval" / "hidden"
    candidates = [
        ("dev", poquad / "dev-queries.tsv", poquad / "dev-qrels.trec"),
        ("dev-folded", poquad / "dev-queries-folded.tsv", poquad / "dev-qrels.trec"),
        ("test", hidden / "poquad-test-queries.tsv", hidden / "poquad-test-qrels.trec"),
        ("test-folded", hidden / "poquad-test-queries-folded.tsv",
         hidden / "poquad-test-qrels.trec"),
    ]
    sets = [c for c in candidates if c[1].is_file() and c[2].is_file()]
    if len(sets) < 2 or sets[1][0] != "dev-folded":  # the targets are about these two
        raise BenchmarkError(f"PoQuAD dev(-folded) queries or qrels missing in {poquad}")
    info("query sets: " + ", ".join(name for name, _, _ in sets)
         + ("" if len(sets) == len(candidates) else f" (no held-out sets in {hidden})"))
    return sets


# --- keyword query sets -----------------------------------------------------------------------
#
# People type two to four words into a command line far more often than a question. These
# sets are derived from PoQuAD by fixed rules, so nobody writes (or picks) a query by hand:
#
# kw-titles   every distinct paragraph title, reduced to its words (punctuation such as the
#             parentheses of "Psychoza (film)" dropped), as a known-item query; relevant: every
#             paragraph with that title (44 titles are shared by two paragraphs of one article).
# kw-dev      every dev question reduced to what a user would type: its distinct words that are
#             not stopwords (Lucene's Polish list plus the interrogatives, the project's
#             stopwords-pl.txt), of which the rarest are kept, in question order: half of them
#             rounded up, at least 2, at most 4. Rarity is a word form's document frequency in
#             the Wikisource paragraphs (another corpus: the rule never looks at PoQuAD's text,
#             let alone the judged paragraph); ties go to the longer word, then the earlier one.
#             Questions with fewer than 2 such words are left out; relevant: the dev judgment.
# *-folded    the same queries without Polish diacritics.
# *-lower     the same queries in lower case, as most people type them (names too: tokajew).

KEYWORD_DIR = WORK / "keyword"
STOPWORDS_FILE = HERE.parent / "searchkit" / "data" / "stopwords-pl.txt"
KW_WORD = re.compile(r"\w+(?:[-.,/]\w+)*")  # 2.01, F-16, Kasym-Żomart stay whole
KW_MIN, KW_MAX = 2, 4
_POLISH_L = str.maketrans("łŁ", "lL")


def fold(text):
    """Without Polish diacritics, as dev-queries-folded.tsv is written."""
    decomposed = unicodedata.normalize("NFD", text.translate(_POLISH_L))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def load_stopwords():
    with open(STOPWORDS_FILE, encoding="utf-8") as f:
        return {line.strip() for line in f if line.strip() and not line.startswith("#")}


def document_frequencies(shared, words):
    """In how many Wikisource paragraphs each of ``words`` (lower-cased forms) occurs."""
    path = shared / "data" / "wikisource" / "paragraphs.jsonl.gz"
    if not path.is_file():
        raise BenchmarkError(f"{path} missing: the keyword sets take word rarity from it")
    df = collections.Counter()
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            df.update(words.intersection(w.lower() for w in KW_WORD.findall(json.loads(line)["text"])))
    return df


def keywords(question, stopwords, df):
    """The words of ``question`` a user would type, by the rule above (None: too few)."""
    words, seen = [], set()
    for word in KW_WORD.findall(question):
        lower = word.lower()
        if lower not in stopwords and lower not in seen:
            seen.add(lower)
            words.append(word)
    if len(words) < KW_MIN:
        return None
    keep = min(KW_MAX, max(KW_MIN, math.ceil(len(words) / 2)))
    rarest = sorted(range(len(words)),
                    key=lambda i: (df[words[i].lower()], -len(words[i]), i))[:keep]
    return " ".join(words[i] for i in sorted(rarest))


def write_set(name, queries, qrels):
    """queries: [(qid, text)], qrels: [(qid, docid)]; return (name, queries path, qrels path)."""
    q_path, r_path = KEYWORD_DIR / f"{name}-queries.tsv", KEYWORD_DIR / f"{name}-qrels.trec"
    q_path.write_text("".join(f"{qid}\t{text}\n" for qid, text in queries), encoding="utf-8")
    r_path.write_text("".join(f"{qid} 0 {doc} 1\n" for qid, doc in qrels), encoding="utf-8")
    return name, q_path, r_path


def keyword_sets(shared):
    """Write the keyword query sets (see above) to benchmarks/work/keyword/; return them."""
    poquad = shared / "data" / "poquad"
    KEYWORD_DIR.mkdir(parents=True, exist_ok=True)
    by_title = {}
    with open(poquad / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            by_title.setdefault(" ".join(KW_WORD.findall(doc["title"])), []).append(doc["id"])
    titles = [(f"t{n}", title) for n, title in enumerate(by_title, 1) if title]
    title_qrels = [(qid, doc) for qid, title in titles for doc in by_title[title]]

    stopwords = load_stopwords()
    questions = []
    with open(poquad / "dev-queries.tsv", encoding="utf-8") as f:
        for line in f:
            qid, text = line.rstrip("\n").split("\t", 1)
            questions.append((qid, text))
    words = {w.lower() for _, text in questions for w in KW_WORD.findall(text)} - stopwords
    df = document_frequencies(shared, words)
    reduced = [(qid, kw) for qid, text in questions
               if (kw := keywords(text, stopwords, df)) is not None]
    kept = {qid for qid, _ in reduced}
    dev_qrels = []
    with open(poquad / "dev-qrels.trec", encoding="utf-8") as f:
        for line in f:
            qid, _, doc, grade = line.split()[:4]
            if qid in kept and float(grade) > 0:
                dev_qrels.append((qid, doc))
    info(f"keyword sets: {len(titles)} titles, {len(reduced)} of {len(questions)} dev questions "
         f"reduced to {KW_MIN}-{KW_MAX} words")
    return [
        write_set("kw-titles", titles, title_qrels),
        write_set("kw-titles-folded", [(q, fold(t)) for q, t in titles], title_qrels),
        write_set("kw-dev", reduced, dev_qrels),
        write_set("kw-dev-folded", [(q, fold(t)) for q, t in reduced], dev_qrels),
        write_set("kw-titles-lower", [(q, t.lower()) for q, t in titles], title_qrels),
        write_set("kw-dev-lower", [(q, t.lower()) for q, t in reduced], dev_qrels),
    ]


def run_checked(cmd, what):
    """Run cmd with its stdout on our stderr (our stdout is the table); return wall seconds."""
    start = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], stdout=sys.stderr)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchmarkError(f"{what} failed with exit status {proc.returncode}")
    return seconds


def evaluate(shared, qrels, run):
    proc = subprocess.run([sys.executable, shared / "eval" / "evaluate.py", "--json", qrels, run],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchmarkError(f"evaluate.py failed on {run}: {proc.stderr.strip()}")
    scores = json.loads(proc.stdout)
    if scores["run_queries_not_in_qrels"]:
        info(f"  note: {scores['run_queries_not_in_qrels']} queries of {run.name} not in qrels")
    return scores


# --- searchkit ------------------------------------------------------------------------------

def searchkit_command():
    # The console script next to this interpreter is the one of the venv we run in; PATH may
    # hold another installation.
    beside = Path(sys.executable).parent / "searchkit"
    found = str(beside) if beside.is_file() else shutil.which("searchkit")
    if not found:
        raise BenchmarkError("searchkit command not found (pip install -e . in this venv)")
    return found


def searchkit_batch(searchkit, index, queries, run_path):
    """Run one query set in batch mode, write a TREC run; return (seconds, queries, errors)."""
    cmd = [searchkit, "search", "--queries", str(queries), "--limit", str(LIMIT),
           "--passages", "0", "--index", str(index)]
    errors, summaries = {}, 0
    start = time.perf_counter()
    # Streamed: 100 hits a query make ~80 MB of JSON per 3,500 questions.
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, encoding="utf-8") as proc, \
            open(run_path, "w", encoding="utf-8") as run:
        for line in proc.stdout:
            obj = json.loads(line)
            if obj["type"] == "hit":
                run.write(f"{obj['query_id']} Q0 {obj['id']} {obj['rank']} {obj['score']} "
                          "searchkit\n")
            elif obj["type"] == "summary":
                summaries += 1
                if obj.get("error"):
                    errors[obj["query_id"]] = obj["error"]
    seconds = time.perf_counter() - start
    # Batch mode exits 2 when some query failed (reported per query above), 1 when none matched.
    if proc.returncode not in (0, 1) and not errors:
        raise BenchmarkError(f"searchkit search --queries {queries} failed "
                             f"with exit status {proc.returncode}")
    return seconds, summaries, errors


def run_searchkit(shared, sets):
    searchkit = searchkit_command()
    index = WORK / "poquad-index"
    corpus = shared / "data" / "poquad" / "corpus.jsonl"
    info(f"searchkit: indexing {corpus}")
    timings = {"index_s": run_checked(
        [searchkit, "index", corpus, "--index", index, "--rebuild"], "searchkit index")}
    scores, batches, errors = {}, {}, {}
    for name, queries, qrels in sets:
        run = WORK / "runs" / f"searchkit-{name}.run"
        seconds, count, failed = searchkit_batch(searchkit, index, queries, run)
        batches[name] = {"queries": count, "seconds": seconds, "queries_per_s": count / seconds}
        if failed:
            errors[name] = failed
            info(f"  {name}: {len(failed)} queries failed:")
            for qid, message in failed.items():
                info(f"    {qid}: {message}")
        scores[name] = evaluate(shared, qrels, run)
        info(f"  {name}: {count} queries in {seconds:.1f} s ({count / seconds:.0f} q/s), "
             f"nDCG@10 {scores[name]['nDCG@10']:.4f}")
    timings["batches"] = batches
    return {"name": "searchkit", "source": "run", "scores": scores, "timings": timings,
            "query_errors": errors}


# --- Lucene peer ----------------------------------------------------------------------------

def prepare_lucene_peer(shared):
    """Copy the peer to a writable place that mirrors shared/'s layout; return its folder."""
    root = WORK / "lucene" / "shared"
    peer = root / "peers" / "lucene"
    peer.mkdir(parents=True, exist_ok=True)
    for src in (shared / "peers" / "lucene").iterdir():
        dst = peer / src.name
        if src.is_file() and not (dst.exists() and filecmp.cmp(src, dst, shallow=False)):
            dst.unlink(missing_ok=True)
            # copy2 keeps mtimes, so setup.sh's "class newer than source" test stays true and
            # it skips javac; the sources are read-only, the copies must stay replaceable.
            shutil.copy2(src, dst)
            dst.chmod(dst.stat().st_mode | stat.S_IWUSR)
    # The peer's scripts find data and the evaluator relative to themselves.
    for name in ("data", "eval"):
        link = root / name
        target = (shared / name).resolve()
        if link.is_symlink() and link.resolve() == target:
            continue
        if link.is_symlink():
            link.unlink()
        link.symlink_to(target, target_is_directory=True)
    return peer


def lucene_setup(peer):
    """Run setup.sh; return None when it worked, else why it failed."""
    info("lucene: setup.sh")
    # A new session has no terminal, so a sudo inside setup.sh fails instead of prompting.
    proc = subprocess.run([peer / "setup.sh"], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, start_new_session=True)
    if proc.returncode == 0:
        return None
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
    return f"setup.sh exited with status {proc.returncode}:\n{tail}"


def lucene_index_present(index):
    return index.is_dir() and any(index.glob("segments_*"))


def run_lucene(peer, shared, sets, rebuild):
    """Index (unless reusable) and run every query set with each analyzer."""
    run_sh = peer / "run.sh"
    corpus = shared / "data" / "poquad" / "corpus.jsonl"
    systems = []
    for analyzer in ANALYZERS:
        index = WORK / "lucene" / f"poquad-{analyzer}"
        timings = {"batches": {}}
        if rebuild or not lucene_index_present(index):
            info(f"lucene {analyzer}: indexing")
            timings["index_s"] = run_checked(
                [run_sh, "index", "--analyzer", analyzer, "--index", index, corpus],
                f"lucene index ({analyzer})")
        else:
            info(f"lucene {analyzer}: reusing {index} (--rebuild to rebuild)")
        scores = {}
        for name, queries, qrels in sets:
            run = WORK / "runs" / f"lucene-{analyzer}-{name}.run"
            seconds = run_checked(
                [run_sh, "batch", "--analyzer", analyzer, "--index", index, "--k1", K1,
                 "--b", B, queries, run], f"lucene batch ({analyzer}, {name})")
            scores[name] = evaluate(shared, qrels, run)
            count = scores[name]["queries"]
            timings["batches"][name] = {"queries": count, "seconds": seconds,
                                        "queries_per_s": count / seconds}
            info(f"  {name}: {seconds:.1f} s, nDCG@10 {scores[name]['nDCG@10']:.4f}")
        systems.append({"name": f"lucene {analyzer}", "source": "run", "scores": scores,
                        "timings": timings})
    return systems


def recorded_lucene():
    return [{"name": f"lucene {analyzer}", "source": f"recorded {RECORDED_DATE}",
             "scores": {name: dict(zip(METRICS, values)) for name, values in sets.items()}}
            for analyzer, sets in RECORDED.items()]


def lucene_systems(args, shared, sets):
    """Re-run the peer or fall back to the recorded numbers, as --lucene asks.

    Returns (systems, timings); timings is None when the numbers are recorded ones."""
    if args.lucene == "recorded":
        return recorded_lucene(), None
    source = shared / "peers" / "lucene"
    if not all(shutil.which(tool) for tool in ("java", "javac")):
        unavailable = "java/javac not on PATH"
    elif not (source / "setup.sh").is_file():
        unavailable = f"no Lucene peer in {source}"
    else:
        unavailable = None
    if unavailable:
        if args.lucene == "run":
            raise BenchmarkError(f"cannot run the Lucene peer: {unavailable}")
        info(f"lucene: {unavailable}, using the recorded numbers")
        return recorded_lucene(), None
    start = time.perf_counter()
    peer = prepare_lucene_peer(shared)
    failure = lucene_setup(peer)
    setup_s = time.perf_counter() - start
    if failure:
        if args.lucene == "run":
            raise BenchmarkError(f"lucene {failure}")
        info(f"lucene {failure}\nlucene: using the recorded numbers instead")
        return recorded_lucene(), None
    systems = run_lucene(peer, shared, sets, args.rebuild)
    return systems, {"setup_s": setup_s, "total_s": time.perf_counter() - start}


# --- report ---------------------------------------------------------------------------------

def folded_losses(system):
    """dev - dev-folded (and test - test-folded) nDCG@10, where both were measured."""
    scores = system["scores"]
    return {base: scores[base]["nDCG@10"] - scores[f"{base}-folded"]["nDCG@10"]
            for base in ("dev", "test") if base in scores and f"{base}-folded" in scores}


def table(systems, set_names, metrics=METRICS, losses=True):
    bases = [b for b in ("dev", "test") if b in set_names and f"{b}-folded" in set_names]
    if not losses:
        bases = []
    header = ["system"] + [f"{s} {m}" for s in set_names for m in metrics] \
        + [f"{b} folded loss" for b in bases]
    rule = ["---"] + ["---:"] * (len(header) - 1)  # numbers right-aligned
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    for system in systems:
        label = system["name"] + ("" if system["source"] == "run" else f" ({system['source']})")
        cells = [label]
        for name in set_names:
            scores = system["scores"].get(name)
            cells += [f"{scores[m]:.4f}" if scores else "–" for m in metrics]
        measured = folded_losses(system)
        cells += [f"{measured[b]:.4f}" if b in measured else "–" for b in bases]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def check_targets(searchkit, lucene, set_names):
    """Targets (decide the exit status) and comparisons with Lucene (reported only)."""
    ndcg = {name: s["nDCG@10"] for name, s in searchkit["scores"].items()}
    targets = {f"{name} nDCG@10 >= {floor}": ndcg[name] >= floor
               for name, floor in NDCG_TARGETS.items()}
    targets[f"dev folded loss <= {MAX_FOLDED_LOSS}"] = \
        folded_losses(searchkit)["dev"] <= MAX_FOLDED_LOSS
    # Keyword queries: ahead of Lucene with its best Polish analyzer, on each set.
    rival = next((s for s in lucene if s["name"] == f"lucene {KEYWORD_RIVAL}"), None)
    for name in set_names:
        if name.startswith("kw-") and rival and name in rival["scores"]:
            targets[f"{name} nDCG@10 > lucene {KEYWORD_RIVAL}"] = \
                ndcg[name] > rival["scores"][name]["nDCG@10"]
    beats = {}
    for name in set_names:
        measured = [(s["scores"][name]["nDCG@10"], s["name"])
                    for s in lucene if name in s["scores"]]
        if measured:
            best, who = max(measured)
            beats[name] = {"best_lucene": who, "best_lucene_ndcg10": best,
                           "searchkit_ndcg10": ndcg[name], "beats": ndcg[name] > best}
    return targets, beats


def verdict_lines(targets, beats):
    held = [f"{t}: {'yes' if ok else 'NO'}" for t, ok in targets.items()]
    lines = [("Targets hold" if all(targets.values()) else "Target MISSED") + " — "
             + "; ".join(held)]
    lines.append("Beats the best Lucene analyzer (nDCG@10) — " + "; ".join(
        f"{name}: {'yes' if b['beats'] else 'NO'} ({b['searchkit_ndcg10']:.4f} vs "
        f"{b['best_lucene']} {b['best_lucene_ndcg10']:.4f})" for name, b in beats.items()))
    return lines


def timing_line(timings):
    lucene = timings["lucene"]
    return (f"timings: searchkit index {timings['searchkit_index_s']:.1f} s, "
            f"searchkit batches {timings['searchkit_batches_s']:.1f} s, "
            + (f"lucene {lucene['total_s']:.1f} s (setup {lucene['setup_s']:.1f} s), "
               if lucene else "lucene recorded, ")
            + f"total {timings['total_s']:.1f} s")


def main(argv=None):
    args = parse_args(argv)
    shared = args.shared.resolve()
    if not ((shared / "data" / "poquad").is_dir() and (shared / "eval" / "evaluate.py").is_file()):
        info(f"relevance: shared data not found at {shared} (expects data/poquad/ and "
             "eval/evaluate.py); pass --shared DIR")
        return 2
    started = time.perf_counter()
    try:
        sets = query_sets(shared) + keyword_sets(shared)
        set_names = [name for name, _, _ in sets]
        (WORK / "runs").mkdir(parents=True, exist_ok=True)
        searchkit = run_searchkit(shared, sets)
        lucene, lucene_timings = lucene_systems(args, shared, sets)
    except BenchmarkError as e:
        info(f"relevance: {e}")
        return 2
    targets, beats = check_targets(searchkit, lucene, set_names)
    systems = [searchkit] + lucene
    questions = [name for name in set_names if not name.startswith("kw-")]
    print(table(systems, questions))
    print()
    print(table(systems, [name for name in set_names if name.startswith("kw-")],
                METRICS[:2], losses=False))
    print()
    print("\n".join(verdict_lines(targets, beats)))
    if searchkit["query_errors"]:
        print("searchkit query errors: " + ", ".join(
            f"{name} {len(failed)}" for name, failed in searchkit["query_errors"].items()))
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "shared": str(shared),
        "query_sets": {name: {"queries": str(q), "qrels": str(r)} for name, q, r in sets},
        "lucene_bm25": {"k1": float(K1), "b": float(B)},
        "systems": [dict(s, folded_loss=folded_losses(s)) for s in systems],
        "targets": targets,
        "beats_best_lucene": beats,
        "timings": {"searchkit_index_s": searchkit["timings"]["index_s"],
                    "searchkit_batches_s": sum(
                        b["seconds"] for b in searchkit["timings"]["batches"].values()),
                    "lucene": lucene_timings,
                    "total_s": time.perf_counter() - started},
    }
    info(timing_line(report["timings"]))
    out = WORK / "relevance.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    info(f"wrote {out}")
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
