"""Learn searchkit's ending rules for names the dictionary lacks.

SGJP (through Morfeusz 2) knows the full paradigms of thousands of surnames,
first names and place names, but Morfeusz cannot list its lemmas.  So they are
found in real text: every capitalised word of the shared corpora (PoQuAD and
Wikisource) is analysed, and each lemma that Morfeusz qualifies as
``nazwisko``, ``imię`` or ``nazwa_geograficzna`` has its paradigm generated.
``searchkit.guesser.learn`` turns the (form, lemma) pairs into rules, written to
``searchkit/data/name-rules.tsv``.

Run from the repository root, with ``../shared`` present (about a minute)::

    .venv/bin/python tools/build_name_rules.py

The file records how it was made; ``benchmarks/names_eval.py`` measures the
rules on names held out from the training.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from searchkit import guesser  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
NAME_QUALIFIERS = frozenset({"nazwisko", "imię", "nazwa_geograficzna"})
# Learnt settings, chosen on names held out from training (benchmarks/names_eval.py --tune).
CONTEXT = 3
MIN_COUNT = 2

_WORD = re.compile(r"[^\W\d_]+")


def corpus_texts(data: Path):
    with open(data / "poquad" / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            yield doc["title"]
            yield doc["text"]
    with gzip.open(data / "wikisource" / "paragraphs.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)["text"]


def name_lemmas(texts, morfeusz) -> set[str]:
    """The SGJP lemmas (with their homonym ids: ``Kowalski:Sm1``) of names in ``texts``."""
    words = set()
    for text in texts:
        words.update(word for word in _WORD.findall(text) if word[0].isupper())
    lemmas = set()
    for word in words:
        for start, end, (_orth, lemma, tag, names, _labels) in morfeusz.analyse(word):
            if start == 0 and end == 1 and tag != "ign" and NAME_QUALIFIERS.intersection(names):
                lemmas.add(lemma)
    return lemmas


def paradigms(lemmas, generator, kinds: dict[str, set[str]] | None = None
              ) -> dict[str, dict[str, bool]]:
    """Lemma (lower-cased, without homonym id) -> its lower-cased forms, each
    with whether it is a singular form (or one of a plural-only name).  When
    given, ``kinds`` gets each lemma's qualifiers (nazwisko, imię,
    nazwa_geograficzna).

    Left out: depreciative forms (``Kowalskie`` of Kowalski), which nobody
    writes, and the plurals of place names and first names that have a
    singular: SGJP lists them (Łucki of Łuck), texts hardly ever use them,
    and they teach the rules that a surname in -ski is a plural in -sk.
    Surnames keep their plurals (państwo Kowalscy, u Kowalskich)."""
    out: dict[str, dict[str, bool]] = {}
    for lemma in sorted(lemmas):
        forms = [(form, tag.split(":"), names)
                 for form, _lemma, tag, names, _labels in generator.generate(lemma)
                 if not tag.startswith("depr") and NAME_QUALIFIERS.intersection(names)]
        singular = any("sg" in tag[1].split(".") for _form, tag, _names in forms if len(tag) > 1)
        for form, tag, names in forms:
            plural = len(tag) > 1 and "sg" not in tag[1].split(".")
            if plural and singular and "nazwisko" not in names:
                continue
            key = lemma.split(":", 1)[0].lower()
            forms_of = out.setdefault(key, {})
            if kinds is not None:
                kinds.setdefault(key, set()).update(NAME_QUALIFIERS.intersection(names))
            forms_of[form.lower()] = forms_of.get(form.lower(), False) or not plural or not singular
    return out


def families(names: dict[str, dict[str, bool]]) -> dict[str, str]:
    """The feminine of a surname joins the masculine: Kowalska (Kowalskiej) is
    Kowalski's, Iwanowa (Iwanowej) Iwanow's, as Morfeusz makes kowalska a form
    of the adjective kowalski.  SGJP lists them apart, yet their forms overlap
    (Kowalskich, Kowalskim; Iwanowa is also Iwanow's genitive): as two names,
    no rule could keep either whole."""
    family = {}
    for lemma, forms in names.items():
        family[lemma] = lemma
        if lemma.endswith("a") and (lemma[:-1] + "ej" in forms or lemma[:-1] + "iej" in forms):
            for masculine in (lemma[:-1], lemma[:-1] + "i", lemma[:-1] + "y"):
                if masculine in names:
                    family[lemma] = masculine
                    break
    return family


def join(names: dict[str, dict[str, bool]], family: dict[str, str]) -> dict[str, dict[str, bool]]:
    out: dict[str, dict[str, bool]] = {}
    for lemma, forms in names.items():
        merged = out.setdefault(family[lemma], {})
        for form, singular in forms.items():
            merged[form] = merged.get(form, False) or singular
    return out


def load_paradigms(data: Path) -> tuple[dict[str, dict[str, bool]], dict[str, str],
                                         dict[str, list[str]]]:
    """SGJP lemma -> {form: singular?}, lemma -> its family (see ``families``),
    and lemma -> its qualifiers."""
    import morfeusz2
    analyser = morfeusz2.Morfeusz(generate=False, expand_tags=False)
    generator = morfeusz2.Morfeusz(analyse=False, generate=True, expand_tags=False)
    kinds: dict[str, set[str]] = {}
    names = paradigms(name_lemmas(corpus_texts(data), analyser), generator, kinds)
    return names, families(names), {lemma: sorted(k) for lemma, k in kinds.items()}


def pairs(paradigm: dict[str, dict[str, bool]]):
    return [(form, guesser.name_key(lemma)) for lemma, forms in paradigm.items() for form in forms]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path(guesser.RULES_PATH))
    args = parser.parse_args(argv)
    if not (args.data / "poquad").is_dir():
        print(f"build_name_rules: {args.data} has no poquad/: the shared data is missing",
              file=sys.stderr)
        return 2
    import morfeusz2
    lemmas, family, _kinds = load_paradigms(args.data)
    names = join(lemmas, family)
    table = guesser.learn(pairs(names), context=CONTEXT, min_count=MIN_COUNT)
    dictionary = morfeusz2.Morfeusz(generate=False).dict_id()
    header = (f"searchkit name rules: ending<TAB>letters cut<TAB>ending added\n"
              f"made by tools/build_name_rules.py from {len(names)} SGJP names "
              f"({dictionary}), context {CONTEXT}, min count {MIN_COUNT}")
    guesser.save(table, str(args.out), header)
    print(f"{len(table)} rules from {len(names)} names -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
