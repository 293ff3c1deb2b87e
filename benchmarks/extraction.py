"""Extraction benchmark: how fast searchkit reads documents, beside poppler's pdftotext.

    .venv/bin/python benchmarks/extraction.py                       # PDF section + every format
    .venv/bin/python benchmarks/extraction.py --reps 9 --synthetic-pages 2000
    .venv/bin/python benchmarks/extraction.py --compare-libraries   # + pdfminer.six, pypdf

Data: the documents in ``../shared/data/documents`` (``--data``); without them the script
says so and exits 0.  ``bad/`` files are left out.

Sections:

pdf        searchkit's PDF reader (``searchkit.documents.pdf.read``, in this one process)
           and ``pdftotext -enc UTF-8 FILE -`` (one process per file, as it is used) over
           every PDF, interleaved in each of ``--reps`` repetitions, in the order reversed
           every other one; medians of the wall time and the CPU time (pdftotext's from its
           child processes), pages and MB per second of each.  The target: searchkit >=
           pdftotext per core, judged on CPU time (on a busy machine a wall time also
           measures the waits for other processes; both ratios are printed).
           ``--synthetic-pages N`` adds a PDF of N pages (the real PDFs' pages repeated,
           built with pypdfium2 in a temporary folder), where pdftotext's process start-up
           no longer counts.
libraries  (``--compare-libraries``) the PDF libraries the reader could use, each on every
           PDF: pypdfium2 (PDFium, what searchkit uses), pdfminer.six and pypdf (imported
           only when installed) and pdftotext; their time and how many of the known
           sentences (k01-k09, ``known-sentences.tsv``) each finds with whitespace
           collapsed -- in the library's raw text, and after searchkit's clean-up (which
           joins line-end hyphenation), which is what a choice of library decides -- and
           the share of pdftotext's words its text has.
indexing   (``--index-copies N``, default 20) a folder of N copies of each shared PDF
           indexed by ``searchkit index`` (a fresh process, all cores), beside the same
           documents' extracted text written as ``.txt`` files and indexed the same way,
           plus the time to extract that text (one process, serial).  The target:
           indexing the PDFs costs no more than indexing the text plus extracting it.
formats    ``searchkit.documents.registry.extract(path)`` on every file of the folder: any
           format with a reader, documents and characters out, median time, MB/s.  Skipped
           when the registry does not import; a file whose reader is not written yet shows
           the error instead.

Prints markdown tables to stdout, progress to stderr.  Exit status 0 (it reports, it does
not enforce); 2 on a usage error.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "documents"
METADATA_FILES = {"README.md", "known-sentences.tsv", "scan-ground-truth.json"}


def info(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def table(header: list[str], rows: list[list]) -> str:
    """A markdown table; columns of numbers are right-aligned."""
    def numeric(cell):
        return re.fullmatch(r"[\d,.x×%/ -]+|–", str(cell)) is not None
    rule = ["---:" if rows and all(numeric(row[i]) for row in rows) else "---"
            for i in range(len(header))]
    return "\n".join("| " + " | ".join(str(c) for c in row) + " |"
                     for row in [header, rule] + rows)


def num(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def words(text: str) -> Counter:
    return Counter(re.findall(r"\w+", text.lower()))


def collapse(text: str) -> str:
    """The known-sentence matching rule: NFC, every run of whitespace one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


# ----------------------------------------------------------------------- readers

def searchkit_pages(path: Path) -> list[str]:
    from searchkit.documents.model import Blob, Context
    from searchkit.documents.pdf import read

    ctx = Context(warn=lambda message: None, nested=lambda blob: iter(()))
    [item] = read(Blob(name=path.name, path=str(path)), ctx)
    return item.pages


def pdftotext_pages(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         check=True).stdout.decode("utf-8", "replace")
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def pdftotext_discard(path: Path) -> None:
    """pdftotext as the speed reference: its text written to /dev/null."""
    subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)


def pypdfium2_raw_pages(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for page in pdf:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return pages
    finally:
        pdf.close()


def pdfminer_pages(path: Path) -> list[str]:
    from pdfminer.high_level import extract_text

    return extract_text(str(path)).split("\f")[:-1]


def pypdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(str(path)).pages]


def version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def pdftotext_version() -> str:
    done = subprocess.run(["pdftotext", "-v"], capture_output=True, text=True)
    m = re.search(r"version ([\d.]+)", done.stderr + done.stdout)
    return m.group(1) if m else "?"


# --------------------------------------------------------------------- timing

def timed(fn, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and the children it waited for)."""
    def cpu():
        usage = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                     resource.RUSAGE_CHILDREN))
        return sum(u.ru_utime + u.ru_stime for u in usage)
    c0, t0 = cpu(), time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0, cpu() - c0


def run_all(fn, files: list[Path]) -> None:
    for path in files:
        fn(path)


# ------------------------------------------------------------------- sections

def pdf_section(pdfs: list[Path], reps: int) -> list[str]:
    pages = sum(len(searchkit_pages(p)) for p in pdfs)  # also warms imports and the page cache
    size_mb = sum(p.stat().st_size for p in pdfs) / 1e6
    run_all(pdftotext_discard, pdfs)
    tools = {"searchkit (pypdfium2)": lambda: run_all(searchkit_pages, pdfs),
             "pdftotext (poppler)": lambda: run_all(pdftotext_discard, pdfs)}
    walls = {name: [] for name in tools}
    cpus = {name: [] for name in tools}
    for rep in range(reps):
        order = list(tools) if rep % 2 == 0 else list(reversed(tools))
        for name in order:
            wall, cpu = timed(tools[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
    rows = []
    for name in tools:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        rows.append([name, num(wall * 1000), num(cpu * 1000), num(pages / wall, 0),
                     num(size_mb / wall, 1), num(pages / cpu, 0), num(size_mb / cpu, 1)])
    sk_wall, ref_wall = (statistics.median(walls[n]) for n in tools)
    sk_cpu, ref_cpu = (statistics.median(cpus[n]) for n in tools)
    files = ", ".join(p.name for p in pdfs)
    # "Per core" is CPU time: on a busy machine wall times wait for other processes.
    ratio = ref_cpu / sk_cpu
    return [f"{len(pdfs)} PDFs ({files}): {pages} pages, {size_mb:.2f} MB; "
            f"median of {reps} repetitions",
            "",
            table(["tool", "wall ms", "CPU ms", "pages/s", "MB/s", "pages/CPU s", "MB/CPU s"],
                  rows),
            "",
            f"searchkit's speed / pdftotext's: {ratio:.2f}x per CPU second, "
            f"{ref_wall / sk_wall:.2f}x wall -- target searchkit >= pdftotext per core: "
            f"{'met' if ratio >= 1 else 'MISSED'}"]


def synthetic_pdf(pdfs: list[Path], pages: int, folder: Path) -> Path:
    """A PDF of ``pages`` pages: the pages of the real PDFs, over and over."""
    import pypdfium2 as pdfium

    sources = [pdfium.PdfDocument(str(p)) for p in pdfs]
    out = pdfium.PdfDocument.new()
    while len(out) < pages:
        for src in sources:
            take = min(len(src), pages - len(out))
            if take > 0:
                out.import_pages(src, list(range(take)))
    path = folder / f"synthetic-{pages}.pdf"
    out.save(str(path))
    out.close()
    for src in sources:
        src.close()
    return path


def libraries_section(pdfs: list[Path], known: list[tuple[str, str, set[str]]],
                      data: Path, reps: int) -> list[str]:
    from searchkit.documents.pdf import clean

    libs = [("pypdfium2 (PDFium)", "pypdfium2", pypdfium2_raw_pages),
            ("pdfminer.six", "pdfminer.six", pdfminer_pages),
            ("pypdf", "pypdf", pypdf_pages),
            ("pdftotext (poppler)", None, pdftotext_pages)]
    modules = {"pypdfium2": "pypdfium2", "pdfminer.six": "pdfminer", "pypdf": "pypdf"}
    pages = {p: len(searchkit_pages(p)) for p in pdfs}
    size_mb = sum(p.stat().st_size for p in pdfs) / 1e6
    reference_words = {p: words(collapse("\n".join(clean(t) for t in pdftotext_pages(p))))
                       for p in pdfs}
    reference_total = sum(sum(c.values()) for c in reference_words.values())
    rows, missing = [], []
    for label, dist, fn in libs:
        if dist and importlib.util.find_spec(modules[dist]) is None:
            missing.append(dist)
            continue
        info(f"libraries: {label}")
        texts = {p: fn(p) for p in pdfs}  # warm-up, and the text to check
        times = [timed(run_all, fn, pdfs) for _ in range(reps)]
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        raw_found = cleaned_found = total = 0
        wrong_pages = shared_words = 0
        for path, page_texts in texts.items():
            rel = path.relative_to(data).as_posix()
            wrong_pages += len(page_texts) != pages[path]
            raw = collapse("\n".join(page_texts))
            cleaned = collapse("\n".join(clean(t) for t in page_texts))
            shared_words += sum((words(cleaned) & reference_words[path]).values())
            for _, sentence, files in known:
                if rel in files:
                    total += 1
                    raw_found += sentence in raw
                    cleaned_found += sentence in cleaned
        rows.append([label + (f" {version(dist)}" if dist else f" {pdftotext_version()}"),
                     num(wall * 1000), num(cpu * 1000), num(sum(pages.values()) / cpu, 0),
                     num(size_mb / cpu, 2), f"{raw_found}/{total}", f"{cleaned_found}/{total}",
                     f"{100 * shared_words / reference_total:.1f} %",
                     "yes" if not wrong_pages else f"no ({wrong_pages} files)"])
    lines = [f"Known sentences in {len(pdfs)} PDFs; median of {reps} repetitions "
             "(pdftotext: one process per file, start-up included)", "",
             table(["library", "wall ms", "CPU ms", "pages/CPU s", "MB/CPU s", "known (raw)",
                    "known (after clean)", "words as pdftotext", "page count right"], rows),
             "",
             "words as pdftotext: the share of pdftotext's words (after clean-up, counted "
             "with repeats) that the library's text has too"]
    if missing:
        lines += ["", f"not installed, left out: {', '.join(missing)} "
                      f"(pip install {' '.join(missing)})"]
    return lines


def formats_section(files: list[Path], data: Path, reps: int) -> list[str]:
    try:
        from searchkit.documents.registry import extract
    except Exception as e:  # the registry is not written yet, or broken
        return [f"skipped: searchkit.documents.registry.extract does not import ({e})"]
    rows = []
    for path in files:
        rel = path.relative_to(data).as_posix()
        try:
            docs = extract(str(path))
        except Exception as e:  # report and go on: one failing reader must not stop the table
            rows.append([rel, "–", "–", "–", "–", "–", f"{type(e).__name__}: {e}"[:80]])
            continue
        wall = statistics.median(timed(extract, str(path))[0] for _ in range(reps))
        size_mb = path.stat().st_size / 1e6
        types = ",".join(sorted({d.type for d in docs}))
        rows.append([rel, types, str(len(docs)), f"{sum(len(d.text) for d in docs):,}",
                     num(wall * 1000, 2), num(size_mb / wall, 1), ""])
    return [f"searchkit.documents.registry.extract(path), median of {reps} repetitions "
            "(the first, untimed, run imports the reader)", "",
            table(["file", "type", "docs", "chars", "ms", "MB/s", "error"], rows)]


def indexing_section(pdfs: list[Path], copies: int, reps: int) -> list[str]:
    """Index N copies of the PDFs, and the same text as .txt files: the time
    the PDFs cost beyond the text's indexing must not exceed their extraction."""
    from searchkit.documents import extract

    exe = str(Path(sys.executable).parent / "searchkit")
    pdfs = [p for p in pdfs if any(doc.text.strip() for doc in extract(str(p)))]  # not scans
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pdf_dir, txt_dir = tmp / "pdf", tmp / "txt"
        pdf_dir.mkdir()
        txt_dir.mkdir()
        chars = 0
        for n in range(copies):
            for pdf in pdfs:
                name = f"{pdf.stem}-{n:03d}"
                shutil.copyfile(pdf, pdf_dir / f"{name}.pdf")
                for doc in extract(str(pdf)):
                    # the title line first, as a text file's title is read
                    (txt_dir / f"{name}.txt").write_text(f"{doc.title}\n\n{doc.text}",
                                                        encoding="utf-8")
                    chars += len(doc.text)
        mb = sum(p.stat().st_size for p in pdf_dir.iterdir()) / 1e6
        text_mb = sum(p.stat().st_size for p in txt_dir.iterdir()) / 1e6
        files = sorted(pdf_dir.iterdir())

        def index(folder: Path) -> None:
            target = tmp / f"ix-{folder.name}"
            shutil.rmtree(target, ignore_errors=True)
            done = subprocess.run([exe, "index", str(folder), "--index", str(target)],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"searchkit index {folder} failed: {done.stderr}")

        def extract_all() -> None:
            for path in files:
                extract(str(path))

        times = {"pdf": [], "txt": [], "extract": []}
        for rep in range(reps):
            order = [("pdf", index, pdf_dir), ("txt", index, txt_dir),
                     ("extract", lambda _: extract_all(), None)]
            for name, fn, arg in (order if rep % 2 == 0 else order[::-1]):
                times[name].append(timed(fn, arg)[0])
        pdf_s, txt_s, ext_s = (statistics.median(times[k]) for k in ("pdf", "txt", "extract"))
    rows = [["index the PDFs", f"{pdf_s:.2f} s", num(text_mb / pdf_s, 2)],
            ["index the same text as .txt", f"{txt_s:.2f} s", num(text_mb / txt_s, 2)],
            ["extract the text (1 process)", f"{ext_s:.2f} s", num(text_mb / ext_s, 2)],
            [".txt + extraction", f"{txt_s + ext_s:.2f} s", num(text_mb / (txt_s + ext_s), 2)]]
    verdict = "met" if pdf_s <= txt_s + ext_s else "MISSED"
    return [f"{len(files)} PDFs ({copies} copies of each shared PDF), {mb:.1f} MB of PDF, "
            f"{text_mb:.1f} MB of extracted text ({chars:,} characters); medians of {reps} "
            "fresh `searchkit index` runs (wall, all cores).", "",
            table(["", "wall", "extracted MB/s"], rows), "",
            f"Target: indexing the PDFs <= indexing the text + extracting it: {pdf_s:.2f} s vs "
            f"{txt_s + ext_s:.2f} s ({pdf_s / (txt_s + ext_s):.2f}x): {verdict}"]


def read_known(data: Path) -> list[tuple[str, str, set[str]]]:
    known = []
    lines = (data / "known-sentences.tsv").read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        cols = line.split("\t")
        known.append((cols[0], cols[1], set(cols[2].split(","))))
    return known


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="the documents folder (default: ../shared/data/documents)")
    parser.add_argument("--reps", type=int, default=7, help="repetitions per measurement")
    parser.add_argument("--synthetic-pages", type=int, default=0, metavar="N",
                        help="also time a PDF of N pages built from the real ones")
    parser.add_argument("--compare-libraries", action="store_true",
                        help="also compare pypdfium2, pdfminer.six, pypdf and pdftotext")
    parser.add_argument("--no-formats", action="store_true",
                        help="leave out the every-format section")
    parser.add_argument("--index-copies", type=int, default=20, metavar="N",
                        help="PDF copies in the indexing comparison (0: leave it out)")
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    data = args.data.resolve()
    if not data.is_dir():
        print(f"skipped: {data} is absent (the shared data folder, ../shared, is not here)")
        return 0
    files = sorted(p for p in data.rglob("*") if p.is_file() and "bad" not in
                   p.relative_to(data).parts and p.name not in METADATA_FILES)
    pdfs = [p for p in files if p.suffix.lower() == ".pdf"]
    have_pdftotext = shutil.which("pdftotext") is not None

    out = ["# Extraction speed", "",
           f"Python {sys.version.split()[0]}, pypdfium2 {version('pypdfium2')}, "
           f"pdftotext {pdftotext_version() if have_pdftotext else 'absent'}, "
           f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start", ""]
    if not have_pdftotext:
        out += ["PDF section skipped: pdftotext is not installed (apt-get install poppler-utils)"]
    else:
        info("pdf: the shared PDFs")
        out += ["## PDF: searchkit beside pdftotext", ""] + pdf_section(pdfs, args.reps)
        if args.synthetic_pages:
            with tempfile.TemporaryDirectory() as tmp:
                big = synthetic_pdf(pdfs, args.synthetic_pages, Path(tmp))
                info(f"pdf: a synthetic PDF of {args.synthetic_pages} pages")
                out += ["", f"### One PDF of {args.synthetic_pages} pages", ""] + \
                    pdf_section([big], max(1, args.reps // 2))
    if args.compare_libraries:
        out += ["", "## PDF libraries compared", ""] + libraries_section(
            pdfs, read_known(data), data, args.reps)
    if args.index_copies:
        info(f"indexing: {args.index_copies} copies of each PDF, and their text as .txt")
        out += ["", "## Indexing PDFs beside indexing their text", ""] + indexing_section(
            pdfs, args.index_copies, max(1, min(args.reps, 3)))
    if not args.no_formats:
        info("formats: registry.extract on every file")
        out += ["", "## Every format (registry.extract)", ""] + formats_section(
            files, data, args.reps)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
