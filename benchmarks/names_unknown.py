"""Names SGJP really lacks, in documents: does a search for one form find the
documents that hold the name's other forms, and few without the name?

names_docs.py and names_eval.py take names out of SGJP to pretend the
dictionary lacks them; the rules were learnt on the other SGJP names, so the
held-out names are Polish names much like those.  The issue's names are not:
news names SGJP never had (Sunak, Stoltenberg, Syrski, Kramatorsk).  Here the
names are ones SGJP lacks, with their forms from another dictionary, written
by other people: Morfologik's Polish dictionary (PoliMorf 2.0, BSD licence),
the jar the Lucene peer's Debian packages install (../shared/peers/lucene/
setup.sh), read with morfologik-tools' ``fsa_dump``.  Its capitalised lemmas
(nouns and adjectives) that Morfeusz does not know at all are the set: 4,584
names with two forms or more (Hilbert, Syktywkar, Giuliani, Navratilova,
Kitagawa, Łukaszenka, and names of peoples: Timorczyk), 271 of which occur in
two forms in the documents below; a feminine surname is one name with its
masculine, as in tools/build_name_rules.py.  searchkit is judged as shipped: its full
dictionary and its shipped rules, none of which saw these names.

The measure is names_docs.py's (read its docstring): in the 85,892 PoQuAD and
Wikisource paragraphs, a document holds a name where one of its forms is
capitalised inside a sentence, or starts one and is no dictionary word; for
each form as a query, the share of the documents holding the name's other
forms that it finds (recall) and the share of its hits that do not hold the
name (wrong hits), averaged over forms, then over names.  Also given: the
names none of whose forms is a dictionary word, and a ceiling: the shipped
analysis with perfect rules, every form of these names guessed to its name's
key.  What the ceiling gets wrong, no ending rules can mend.  A last table
types each name's citation form where no document writes it
(names_docs.measure_absent).

Strict where the reference is partial: a document with a form of the same
name that Morfologik's paradigm lacks (Hamptonu, the place, where Morfologik
has Hampton the person: Hamptona) counts as a wrong hit.

Run from the repository root (about a minute the first time, which dumps
Morfologik's dictionary with Java; needs ../shared/data and the jars)::

    .venv/bin/python benchmarks/names_unknown.py
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import build_name_rules  # noqa: E402
import names_docs  # noqa: E402
from searchkit import lemmatizer, stemtable  # noqa: E402

WORK_DIR = names_docs.WORK_DIR
JAVA_DIR = Path(os.environ.get("JAVA_DIR", "/usr/share/java"))
JARS = ("morfologik-tools", "morfologik-fsa", "morfologik-stemming", "morfologik-polish",
        "commons-cli")


def find_jar(name: str) -> Path | None:
    """As ../shared/peers/lucene/setup.sh: the unversioned jar, else the newest."""
    plain = JAVA_DIR / f"{name}.jar"
    if plain.exists():
        return plain
    versions = sorted(JAVA_DIR.glob(f"{name}-[0-9]*.jar"))
    return versions[-1] if versions else None


def capitalised_lemmas() -> dict[str, dict[str, bool]]:
    """Morfologik's capitalised noun and adjective lemmas -> {lower-cased
    form: singular?}, cached in benchmarks/work/."""
    cache = WORK_DIR / "morfologik-names-1.json"
    if cache.exists():
        return json.loads(cache.read_text())
    jars = {name: find_jar(name) for name in JARS}
    missing = [name for name, path in jars.items() if path is None]
    if missing:
        raise SystemExit(f"names_unknown: no {', '.join(missing)} jar in {JAVA_DIR}: "
                         "run ../shared/peers/lucene/setup.sh")
    out: dict[str, dict[str, bool]] = defaultdict(dict)
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(jars["morfologik-polish"]) as jar:
            for ext in ("dict", "info"):
                Path(tmp, f"polish.{ext}").write_bytes(
                    jar.read(f"morfologik/dictionaries/pl.{ext}"))
        try:
            dump = subprocess.Popen(
                ["java", "-cp", os.pathsep.join(map(str, jars.values())),
                 "morfologik.tools.Launcher", "fsa_dump", "-d", str(Path(tmp, "polish.dict")),
                 "-x", "-r"], stdout=subprocess.PIPE)
        except FileNotFoundError:
            raise SystemExit("names_unknown: no java on PATH: run "
                             "../shared/peers/lucene/setup.sh") from None
        for line in io.TextIOWrapper(dump.stdout, encoding="utf-8"):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                continue
            form, lemma, tags = parts
            # Names only (a capital, not an acronym), one word each.
            if not (lemma[:1].isupper() and form[:1].isupper()) or lemma.isupper() \
                    or not lemma.isalpha():
                continue
            tags = [tag.split(":") for tag in tags.split("+")]
            if not any(tag[0] in ("subst", "adj") for tag in tags):
                continue
            singular = any("sg" in tag for tag in tags)
            forms = out[lemma]
            forms[form.lower()] = forms.get(form.lower(), False) or singular
        if dump.wait() != 0:
            raise SystemExit(f"names_unknown: fsa_dump failed ({dump.returncode})")
    WORK_DIR.mkdir(exist_ok=True)
    cache.write_text(json.dumps(out, ensure_ascii=False, sort_keys=True))
    return out


def lacking(lemmas: dict[str, dict[str, bool]], known) -> dict[str, set[str]]:
    """The names (a feminine surname joined to its masculine) whose lemmas
    Morfeusz does not know at all -> their forms."""
    family = build_name_rules.families({k.lower(): v for k, v in lemmas.items()})
    out: dict[str, set[str]] = defaultdict(set)
    unknown = {lemma.lower() for lemma in lemmas if not known(lemma)}
    for lemma, forms in lemmas.items():
        name = family[lemma.lower()]
        if name in unknown and lemma.lower() in unknown:
            out[name].update(forms)
    return {name: forms for name, forms in out.items() if len(forms) > 1}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=build_name_rules.DEFAULT_DATA)
    args = parser.parse_args(argv)
    if not (args.data / "poquad").is_dir():
        print(f"names_unknown: {args.data} not found: the shared data is missing",
              file=sys.stderr)
        return 2
    clock = time.perf_counter()
    lemmas = capitalised_lemmas()
    postings, n_docs = names_docs.collection(args.data)
    stemmer_path = str(WORK_DIR / "stempel-polimorf.bin")
    stemtable.load_or_build(stemmer_path, "polimorf")
    shipped = lemmatizer.Lemmatizer(stemmer_path)
    morfeusz = shipped.morfeusz

    def unknown_word(lemma: str) -> bool:
        return all(reading[2][2] == "ign" for reading in morfeusz.analyse(lemma))

    names = lacking(lemmas, lambda lemma: not unknown_word(lemma))
    print(f"{len(lemmas):,} capitalised Morfologik lemmas, {len(names):,} names Morfeusz lacks "
          f"with two forms or more; {n_docs:,} documents ({time.perf_counter() - clock:.0f} s)",
          file=sys.stderr)

    old = lemmatizer.Lemmatizer(stemmer_path)
    old._guess = lambda form: None
    default = stemtable.load_or_build(WORK_DIR / "stempel-default.bin", "default")
    name_terms = names_docs.NameTerms(shipped)
    oracle = lemmatizer.Lemmatizer(stemmer_path)
    oracle._guess = names_docs.perfect_guess(names, shipped.guess)
    perfect = names_docs.NameTerms(oracle)
    analyzers = [
        ("searchkit, query typed with a capital (name terms)", name_terms, name_terms.query),
        (names_docs.CEILING, perfect, perfect.query),
        ("searchkit, query in lower case", name_terms, name_terms.lower),
        ("the same, a name narrowed where its form itself is never written in lower case",
         name_terms, name_terms.lower_per_form),
        ("searchkit 1.0 (dictionary, else polimorf)", names_docs.one(old.compute), None),
        ("pystempel default on every word (Lucene stempel's table)",
         lambda form, cls: (default(form) or form,), None),
    ]
    known = shipped.known
    alone = {k: v for k, v in names.items() if not any(map(known, v))}
    print(f"Names SGJP lacks (Morfologik's paradigms), in {n_docs:,} PoQuAD and Wikisource "
          f"paragraphs:\n\n{names_docs.HEADER}")
    results = []
    for label, function, query in analyzers:
        print(names_docs.row(label, names_docs.measure(names, postings, function, known, query)),
              flush=True)
        results.append((label, names_docs.measure(alone, postings, function, known, query)))
    print(f"\nThe names none of whose forms is a dictionary word:\n\n{names_docs.HEADER}")
    for label, r in results:
        print(names_docs.row(label, r))
    print("\nA name's citation form typed where no document writes it (names_docs."
          f"measure_absent):\n\n{names_docs.HEADER}")
    for label, function, query in analyzers[:3]:
        print(names_docs.row(label, names_docs.measure_absent(names, postings, function, known,
                                                              query)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
