"""Do the forms of a name the dictionary lacks reach one term, and no other name's?

SGJP names (surnames, first names, place names: see tools/build_name_rules.py)
are split by lemma: the ending rules are learnt from four fifths of them, and
the other fifth is taken out of the dictionary, as if SGJP lacked them: a form
of a held-out name gets the lemma of whatever else SGJP has for it (Kowalskiego
is still the adjective kowalski), else goes to the fallback being measured.

For every held-out name whose citation form the dictionary then lacks (not
the surnames that are words too, Smutek, Duży); a surname's feminine is one
name with its masculine (Kowalska is Kowalski's, as tools/build_name_rules.py
joins them), and both leave the dictionary together:

* recall: the share of ordered pairs of its forms that reach the same term
  (a search for one form finds a document holding the other), averaged over
  names;
* wrong: the share of its forms whose term is also the term of a form of a
  different lemma: another held-out name, a name of the training part, or a
  word of ../shared/data/inflection (SGJP paradigms and UD gold forms);
* wrong hits: for each form as a query, the share of the forms reaching its
  term that belong to a different lemma, averaged over forms.

The figures are also given without the forms that two lemmas of the universe
share (Jana: the name Jana and Jan's genitive; Kozłowa: Kozłów's and
Kozłowo's), which no analysis that gives a form one term can keep apart, and
by SGJP category (surnames, first names, place names). The raw figures, which
count the shared forms, are the ones the targets are judged on.

Analyzers: the form itself (the floor of merges: forms two lemmas really
share); searchkit before the guesser (dictionary, else pystempel polimorf);
pystempel's ``default`` table on every word, which is the table of Lucene's
stempel analyzer (Elasticsearch's ``polish``); searchkit with the rules learnt
on the training part; and the ceiling of any ending rules, which guesses every
unknown form of a held-out name right (the dictionary still decides the forms
it knows: Koronowa stays the adjective koronowy, Grotkowie the Groteks).

Run from the repository root (about 2 minutes; needs ../shared/data)::

    .venv/bin/python benchmarks/names_eval.py
    .venv/bin/python benchmarks/names_eval.py --tune   # also the rule settings, on training names only
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import build_name_rules  # noqa: E402
from searchkit import guesser, lemmatizer, stemtable  # noqa: E402

WORK_DIR = Path(__file__).resolve().parent / "work"


def held_out(lemma: str, fold: int = 0, folds: int = 5) -> bool:
    return int(hashlib.sha1(lemma.encode()).hexdigest(), 16) % folds == fold


class WithoutNames(lemmatizer.Lemmatizer):
    """searchkit's lemmatizer with some names taken out of the dictionary."""

    def __init__(self, removed: set[str], stemmer_path: str, guess=None,
                 surnames: frozenset = frozenset()):
        super().__init__(stemmer_path)
        self.removed = removed
        self.surnames = surnames
        # Without a guesser: searchkit before it (nor the compound step).
        self.before = guess is None
        self._guess = guess or (lambda form: None)
        self._lemmas: dict[str, list[str]] = {}

    def _removed(self, lemma: str, names) -> bool:
        if not build_name_rules.NAME_QUALIFIERS.intersection(names):
            return False
        if lemma in self.removed:
            return True
        if "nazwisko" in names and lemma in self.surnames:
            return True
        # The feminine of a held-out surname, even when the corpora did not
        # show it: a dictionary that lacks Bylewski lacks Bylewska.
        return "nazwisko" in names and lemma.endswith("a") and any(
            lemma[:-1] + end in self.removed for end in ("", "i", "y"))

    def compound_lemmas(self, form: str) -> list[str]:
        return [] if self.before else super().compound_lemmas(form)

    def _dropped(self, lemma: str, names) -> bool:
        return self._removed(lemma.lower(), names)

    def lemmas(self, form: str) -> list[str]:
        if form not in self._lemmas:
            plain, marked, _readings = self._analysis(form)
            self._lemmas[form] = plain or marked
        return self._lemmas[form]


def load_names(data: Path) -> tuple[dict[str, dict[str, bool]], dict[str, set[str]],
                                    dict[str, set[str]]]:
    """Name -> {form: singular?}, name -> its SGJP lemmas (a surname's
    feminine is one name with its masculine) and name -> its SGJP qualifiers,
    cached in benchmarks/work/ (delete it after a Morfeusz upgrade)."""
    WORK_DIR.mkdir(exist_ok=True)
    cache = WORK_DIR / "sgjp-names-2.json"
    if cache.exists():
        lemmas, family, kinds = json.loads(cache.read_text())
    else:
        lemmas, family, kinds = build_name_rules.load_paradigms(data)
        cache.write_text(json.dumps([lemmas, family, kinds], ensure_ascii=False, sort_keys=True))
    members: dict[str, set[str]] = defaultdict(set)
    name_kinds: dict[str, set[str]] = defaultdict(set)
    for lemma, name in family.items():
        members[name].add(lemma)
        name_kinds[name].update(kinds.get(lemma, ()))
    return build_name_rules.join(lemmas, family), members, name_kinds


def vocabulary(data: Path) -> dict[str, set[str]]:
    """Lemma -> forms of the common vocabulary of ../shared/data/inflection."""
    out: dict[str, set[str]] = defaultdict(set)
    for name in ("paradigms_sgjp.tsv.gz", "gold_ud.tsv.gz"):
        with gzip.open(data / "inflection" / name, "rt", encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            form_at, lemma_at = header.index("form"), header.index("lemma")
            for line in f:
                row = line.rstrip("\n").split("\t")
                out[row[lemma_at].lower()].add(row[form_at].lower())
    return out


class Terms:
    """Which lemmas and forms of the universe reach each term."""

    def __init__(self, universe: dict[str, set[str]], term: dict[str, str]):
        self.term = term
        self.owners: dict[str, set[str]] = defaultdict(set)
        self.forms_of_term: dict[str, set[str]] = defaultdict(set)
        self.form_owners: dict[str, set[str]] = defaultdict(set)
        for lemma, forms in universe.items():
            for form in forms:
                self.owners[term[form]].add(lemma)
                self.forms_of_term[term[form]].add(form)
                self.form_owners[form].add(lemma)


def score(test: dict[str, set[str]], terms: Terms, skip: frozenset = frozenset()) -> dict:
    """The figures over ``test``'s names, leaving out the forms in ``skip``
    (as queries and as the other form of a pair)."""
    term, owners, forms_of_term, form_owners = (
        terms.term, terms.owners, terms.forms_of_term, terms.form_owners)
    recalls, wrong, wrong_hits, names_merged = [], 0, [], 0
    n_forms = n_names = 0
    for lemma, forms in test.items():
        forms = sorted(set(forms) - skip)
        if not forms:
            continue
        n_names += 1
        if len(forms) > 1:
            same = sum(term[f] == term[g] for f in forms for g in forms if f != g)
            recalls.append(same / (len(forms) * (len(forms) - 1)))
        merged = False
        for form in forms:
            n_forms += 1
            t = term[form]
            if owners[t] - {lemma}:
                wrong += 1
                merged = True
            hits = forms_of_term[t]
            wrong_hits.append(sum(lemma not in form_owners[g] for g in hits) / len(hits))
        names_merged += merged
    return {
        "names": n_names,
        "forms": n_forms,
        "recall": sum(recalls) / len(recalls),
        "names_all_one_term": sum(r == 1 for r in recalls) / len(recalls),
        "wrong_forms": wrong / n_forms,
        "wrong_hits": sum(wrong_hits) / len(wrong_hits),
        "names_merged": names_merged / n_names,
    }


# SGJP's qualifiers -> the categories reported; a name counts in each it has.
CATEGORIES = {"nazwisko": "surnames", "imię": "first names", "nazwa_geograficzna": "place names"}


def split(names: dict[str, set[str]], fold: int = 0):
    train = {k: v for k, v in names.items() if not held_out(k, fold)}
    test = {k: v for k, v in names.items() if held_out(k, fold)}
    return train, test


def masculines(test, members) -> frozenset:
    """The masculine of each held-out feminine surname, even when the corpora
    did not show it: a dictionary that lacks Barciszewska lacks Barciszewski
    (else Barciszewskich, Barciszewskim would keep the dictionary's lemma)."""
    return frozenset(
        lemma[:-1] + end for name in test for lemma in members[name]
        if lemma.endswith("a") and (lemma[:-1] + "ej" in test[name] or lemma[:-1] + "iej" in test[name])
        for end in ("", "i", "y"))


def evaluate(names, members, vocab, stemmer_path, settings=(3, 2), fold=0, analyzers=None,
             verbose=True, kinds=None, detail=True) -> dict:
    train, test = split(names, fold)
    context, min_count = settings
    table = guesser.learn(build_name_rules.pairs(train), context=context, min_count=min_count)
    guess = guesser.Guesser(table)
    removed = {lemma for name in test for lemma in members[name]}
    surnames = masculines(test, members)
    today = WithoutNames(removed, stemmer_path, surnames=surnames)
    new = WithoutNames(removed, stemmer_path, guess, surnames=surnames)
    new._lemmas = today._lemmas  # the same dictionary answers: look each form up once
    # The ceiling of any ending rules: every form the dictionary lacks of a
    # held-out name guessed to that name's key (what the rules aim at).
    right = {}
    for name in sorted(test):
        for form in test[name]:
            right.setdefault(form, guesser.name_key(name))
    oracle = WithoutNames(removed, stemmer_path, right.get, surnames=surnames)
    oracle._lemmas = today._lemmas
    # Judged: the names whose citation form the dictionary would then lack
    # (Tokajew, Syrski); not the surnames that are words too (Smutek, Duży).
    judged = {k: set(v) for k, v in test.items() if not today.lemmas(k)}
    singular = {k: {f for f, sg in test[k].items() if sg} for k in judged}
    universe: dict[str, set[str]] = defaultdict(set)
    for part in (vocab, train, test):
        for lemma, forms in part.items():
            universe[lemma] |= set(forms)
    forms = {f for fs in universe.values() for f in fs}
    # Forms that two lemmas of the universe have (Jana: Jan's genitive, the
    # name Jana): whatever their term, one lemma's documents come with it.
    holders: dict[str, int] = defaultdict(int)
    for lemma_forms in universe.values():
        for form in lemma_forms:
            holders[form] += 1
    shared = frozenset(form for form, n in holders.items() if n > 1)
    functions = {
        "form itself": lambda f: f,
        "searchkit before (dictionary, else polimorf)": today.compute,
        "searchkit (dictionary, else name rules)": new.compute,
        "ceiling: dictionary, else each held-out name's own key": oracle.compute,
    }
    if analyzers:
        functions.update(analyzers)
    out = {"rules": len(table), "judged_names": len(judged), "held_out_names": len(test),
           "unknown_forms": sum(not today.lemmas(f) for v in judged.values() for f in v),
           "shared_forms": sum(f in shared for v in judged.values() for f in v),
           "judged_forms": sum(map(len, judged.values())),
           "categories": {label: sum(q in kinds.get(k, ()) for k in judged)
                          for q, label in CATEGORIES.items()} if kinds else {}}
    for label, function in functions.items():
        clock = time.perf_counter()
        terms = Terms(universe, {form: function(form) for form in forms})
        out[label] = score(judged, terms)
        if detail:
            out[label]["singular"] = score(singular, terms)
            out[label]["unshared"] = score(judged, terms, shared)
            out[label]["by category"] = {
                category: score({k: v for k, v in judged.items() if q in kinds.get(k, ())}, terms)
                for q, category in CATEGORIES.items()} if kinds else {}
        if verbose:
            print(f"{label}: {time.perf_counter() - clock:.1f} s", file=sys.stderr)
    return out


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=build_name_rules.DEFAULT_DATA)
    parser.add_argument("--tune", action="store_true",
                        help="compare rule settings on a split of the training names")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (args.data / "inflection").is_dir():
        print(f"names_eval: {args.data} not found: the shared data is missing", file=sys.stderr)
        return 2
    names, members, kinds = load_names(args.data)
    vocab = vocabulary(args.data)
    stemmer_path = str(WORK_DIR / "stempel-polimorf.bin")
    stemtable.load_or_build(stemmer_path, "polimorf")
    default = stemtable.load_or_build(WORK_DIR / "stempel-default.bin", "default")

    if args.tune:
        # Held-out names of the real run (fold 0) are left out altogether;
        # the settings are judged on fold 1 of the rest.
        train_names, _ = split(names, 0)
        print("| context | min count | rules | recall | wrong forms | wrong hits |")
        print("|---:|---:|---:|---:|---:|---:|")
        for context in (1, 2, 3, 4, 5):
            for min_count in (1, 2, 3, 5):
                r = evaluate(train_names, members, vocab, stemmer_path, (context, min_count), fold=1,
                             verbose=False, detail=False)
                s = r["searchkit (dictionary, else name rules)"]
                print(f"| {context} | {min_count} | {r['rules']} | {pct(s['recall'])} | "
                      f"{pct(s['wrong_forms'])} | {pct(s['wrong_hits'])} |", flush=True)
        return 0

    settings = (build_name_rules.CONTEXT, build_name_rules.MIN_COUNT)
    result = evaluate(names, members, vocab, stemmer_path, settings, kinds=kinds, analyzers={
        "pystempel default on every word (Lucene stempel's table)":
            lambda f: default(f) or f})
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    analyzers = {label: s for label, s in result.items() if isinstance(s, dict) and "recall" in s}
    print(f"{len(names):,} SGJP names; {result['held_out_names']:,} held out, of which "
          f"{result['judged_names']:,} whose citation form the dictionary then lacks "
          f"are judged ({result['unknown_forms']:,} of their {result['judged_forms']:,} forms "
          f"unknown); {result['rules']:,} rules learnt "
          f"from the rest (context {settings[0]}, min count {settings[1]}).\n")
    print("All forms of the judged names:\n")
    print("| analyzer | recall of other forms | names with one term | wrong forms "
          "| wrong hits | names merged | singular forms: recall | wrong hits |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, s in analyzers.items():
        print(f"| {label} | {pct(s['recall'])} | {pct(s['names_all_one_term'])} | "
              f"{pct(s['wrong_forms'])} | {pct(s['wrong_hits'])} | "
              f"{pct(s['names_merged'])} | {pct(s['singular']['recall'])} | "
              f"{pct(s['singular']['wrong_hits'])} |")
    print(f"\nWithout the {result['shared_forms']:,} forms that another lemma of SGJP (or UD) "
          f"has too (Jana: the name Jana, Jan's genitive), as queries and in pairs; the raw "
          f"figures above count them:\n")
    print("| analyzer | recall of other forms | wrong forms | wrong hits |")
    print("|---|---:|---:|---:|")
    for label, s in analyzers.items():
        u = s["unshared"]
        print(f"| {label} | {pct(u['recall'])} | {pct(u['wrong_forms'])} | {pct(u['wrong_hits'])} |")
    print("\nBy SGJP category (all forms; a name counts in each category SGJP gives it):\n")
    categories = list(CATEGORIES.values())
    print("| analyzer | " + " | ".join(
        f"{c} ({result['categories'][c]:,}): recall | wrong hits"
        for q, c in CATEGORIES.items()) + " |")
    print("|---|" + "---:|---:|" * len(categories))
    for label, s in analyzers.items():
        print(f"| {label} | " + " | ".join(
            f"{pct(s['by category'][c]['recall'])} | {pct(s['by category'][c]['wrong_hits'])}"
            for c in categories) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
