"""OCR of scanned PDF pages: pages per minute on 1 and 2 processes, word recall per page.

    .venv/bin/python benchmarks/ocr.py                    # the engine searchkit uses (tesserocr)
    .venv/bin/python benchmarks/ocr.py --compare          # and the tesseract command, a process a page
    .venv/bin/python benchmarks/ocr.py --compare --dpi 300,200 --rounds 4

The scan is ../shared/data/documents/scanned/audacity-manual-scan.pdf (3 pages).
Each timing OCRs the 3 pages ``--rounds`` times in a pool of forked workers,
one page a task, as ``searchkit index --ocr`` does; the time runs from the
pool's start (so each worker's engine start-up counts) to the last page, and
the fastest of ``--repeats`` timings is shown, since other work on the machine
only ever slows a run down.  CPU s/page (the median page's CPU time, the
command's process included) does not depend on that other work.  Both engines
get the page rendered by searchkit (pypdfium2, 8-bit grey) and the same Polish
model, and their text goes through the same clean-up (line-end hyphens joined).
OMP_THREAD_LIMIT=1: one core a process.

Recall: the share of the ground truth's words (scan-ground-truth.json; number-only
tokens ignored, case and diacritics folded, as the data README counts) that the
page's text holds, each word as often as the truth has it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from multiprocessing import get_context
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = "1"  # before any engine starts, workers inherit it

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from searchkit.documents import ocr  # noqa: E402

DOCUMENTS = ROOT.parent / "shared" / "data" / "documents"
SCAN = DOCUMENTS / "scanned" / "audacity-manual-scan.pdf"
TRUTH = DOCUMENTS / "scan-ground-truth.json"


def words(text: str) -> Counter:
    def fold(word):
        word = unicodedata.normalize("NFKD", word.lower().replace("ł", "l"))
        return "".join(c for c in word if not unicodedata.combining(c))
    return Counter(fold(w) for w in re.findall(r"\w+", text) if not w.isdigit())


def word_recall(truth: str, found: str) -> float:
    expected, got = words(truth), words(found)
    return sum(min(n, got[w]) for w, n in expected.items()) / sum(expected.values())


def with_engine(name: str):
    """ocr.ocr_page with one engine: "tesserocr" (the library) or "command"."""
    def run(path: str, page: int) -> str:
        prefer = ocr.PREFER
        ocr.PREFER = (name,)
        try:
            return ocr.ocr_page(path, page)
        finally:
            ocr.PREFER = prefer
    return run


ENGINES = {"tesserocr": with_engine("tesserocr"), "command": with_engine("command")}


def versions(engine: str) -> str:
    if engine == "tesserocr":
        return ocr.engine_signature().split(" pol:")[0]
    done = subprocess.run(["tesseract", "--version"], capture_output=True, text=True)
    return (done.stdout or done.stderr).split("\n", 1)[0] + " (command)"


def _cpu() -> float:
    """CPU seconds of this process and the commands it waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _task(args):
    engine, page = args
    start = _cpu()
    text = ENGINES[engine](str(SCAN), page)
    return page, text, _cpu() - start


def run(engine: str, processes: int, rounds: int) -> tuple[float, float, dict[int, str]]:
    """Wall seconds for ``rounds`` x 3 pages, median CPU seconds a page, each page's text."""
    tasks = [(engine, page) for _ in range(rounds) for page in (1, 2, 3)]
    start = time.perf_counter()
    with get_context("fork").Pool(processes) as pool:
        results = pool.map(_task, tasks, chunksize=1)
    seconds = time.perf_counter() - start
    texts = {page: text for page, text, _ in results}  # the same page gives the same text every round
    return seconds, statistics.median(cpu for _, _, cpu in results), texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compare", action="store_true", help="also the tesseract command")
    parser.add_argument("--dpi", default=str(ocr.DPI), help="comma-separated, default %(default)s")
    parser.add_argument("--rounds", type=int, default=4, help="times each page is OCRed per timing")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timings per configuration; the fastest counts (others share the machine)")
    args = parser.parse_args()
    missing = ocr.unavailable()
    if missing:
        sys.exit(missing)
    if not SCAN.exists():
        sys.exit(f"{SCAN} is absent: the shared data folder (../shared) is not here")
    truth = {p["scan_page"]: p["text"] for p in json.loads(TRUTH.read_text(encoding="utf-8"))["pages"]}
    engines = ["tesserocr", "command"] if args.compare else ["tesserocr"]
    speed, recall = [], []
    for dpi in (int(d) for d in args.dpi.split(",")):
        ocr.DPI = dpi  # the forked workers inherit it
        for processes in (1, 2):
            best = {}
            for _ in range(args.repeats):
                for engine in engines:  # interleaved: both meet the same moments of a noisy machine
                    seconds, cpu, texts = run(engine, processes, args.rounds)
                    if engine not in best or seconds < best[engine][0]:
                        best[engine] = seconds, cpu, texts
                    print(f"{engine} {dpi} dpi {processes} processes: {seconds:.2f} s", file=sys.stderr)
            for engine in engines:
                seconds, cpu, texts = best[engine]
                speed.append([versions(engine), dpi, processes,
                              f"{3 * args.rounds / seconds * 60:.1f}", f"{cpu:.2f}"])
                if processes == 1:
                    recall.append([versions(engine), dpi] +
                                  [f"{100 * word_recall(truth[p], texts[p]):.1f} %" for p in (1, 2, 3)])
    print(table(["engine", "dpi", "processes", "pages/min", "CPU s/page"], speed))
    print()
    print(table(["engine", "dpi", "recall p. 1", "p. 2", "p. 3"], recall))
    return 0


def table(header: list[str], rows: list[list]) -> str:
    return "\n".join("| " + " | ".join(map(str, row)) + " |"
                     for row in [header, ["---"] * len(header)] + rows)


if __name__ == "__main__":
    sys.exit(main())
