"""Variants of the name rules that were measured and not adopted, on training names only.

``benchmarks/names_eval.py --tune`` compares the rules' context and minimum
count; this script compares other choices the same way: the rules are learnt on
four fifths of the *training* names of names_eval's real run and judged on the
other fifth (the names names_eval holds out are not used at all).

* ``key``: the term a name's forms are guessed to. ``strip`` (searchkit's
  ``guesser.name_key``: lemma less a final vowel, but an -i not after k or g,
  ó as o); ``strip_i`` (before 2026-12-01) strips every final vowel; ``keep_a`` keeps a
  final -a, so feminine first names stay apart from masculine ones (Bolesława,
  Bolesław); ``none`` strips no vowel; ``keep_ó`` does not write ó as o;
* ``sg``: the weight of a singular form's vote when learning (news mostly
  uses the singular);
* ``short``: the shortest unknown word the rules guess (``MIN_GUESS_LENGTH``);
* ``reject``: 1 keeps the form, 2 stems it, when the guess is the lemma of a
  word the dictionary knows (wiatrowie -> wiatr);
* ``context``, ``min_count``: as in names_eval;
* ``capitals``: what a capitalised word that the dictionary knows gets, when
  the rules' guess for it differs from its lemma (Koronowa: the adjective
  koronowy, guessed koronow; Grotkowie: the Groteks, guessed grotkow).
  ``one`` (searchkit): the lemma only; ``both``: the lemma and the guess, in the
  index and in a query; ``both_index``: both in the index, the lemma in a
  query; ``common``/``proper``: both only when the dictionary's readings are
  all common words / include a proper name; ``novel``: both when the
  guess is no word of the dictionary; ``common_novel``: both conditions.  Names' forms count as
  capitalised, the common vocabulary's as not (sentence-initial capitals are
  left out, which flatters every variant but ``one``).

Run from the repository root (about 15 s a variant; needs ../shared/data)::

    .venv/bin/python benchmarks/names_variants.py key=strip key=keep_a short=5 sg=2
    .venv/bin/python benchmarks/names_variants.py capitals=one capitals=both capitals=both_index
    .venv/bin/python benchmarks/names_variants.py capitals=novel capitals=unnamed
    .venv/bin/python benchmarks/names_variants.py --held-out capitals=one capitals=novel  # names_eval's split
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import build_name_rules  # noqa: E402
import names_docs  # noqa: E402
import names_eval  # noqa: E402
from searchkit import guesser, lemmatizer  # noqa: E402


def _strip(lemma: str, keep: str = "") -> str:
    if len(lemma) > guesser.MIN_KEPT and lemma[-1] in guesser._VOWELS and lemma[-1] not in keep:
        lemma = lemma[:-1]
    return lemma


KEYS = {
    "strip": guesser.name_key,
    "strip_i": lambda lemma: _strip(lemma).replace("ó", "o"),
    "keep_a": lambda lemma: _strip(lemma, "a").replace("ó", "o"),
    "none": lambda lemma: lemma.replace("ó", "o"),
    "keep_ó": _strip,
}


def learn_weighted(weighted: dict[tuple[str, str], int], context: int, min_count: int):
    """guesser.learn with a weight for each (form, key) pair."""
    votes: dict[str, Counter] = defaultdict(Counter)
    for (form, lemma), weight in weighted.items():
        cut, tail = guesser.rewrite(form, lemma)
        if len(form) - cut < guesser.MIN_KEPT:
            continue
        for length in range(cut, min(len(form) - 1, cut + context) + 1):
            votes[form[len(form) - length:]][cut, tail] += weight
    table: dict[str, guesser.Rule] = {}
    for ending in sorted(votes, key=len):
        counts = votes[ending]
        if sum(counts.values()) < min_count:
            continue
        best = min(counts, key=lambda rule: (-counts[rule], rule[0], rule[1]))
        if guesser._lookup(table, ending, len(ending)) != best:
            table[ending] = best
    return table


class Rejecting(names_eval.WithoutNames):
    reject = 0

    def compute(self, form, caps=False):
        term = super().compute(form, caps)
        if (self.reject and not self.before and term != form and not self.lemmas(form)
                and term in (lemma.lower() for lemma in self.lemmas(term))):
            return form if self.reject == 1 else (self.stem(form) or form)
        return term


def run(data, key="strip", sg=1, short=lemmatizer.MIN_GUESS_LENGTH, reject=0,
        context=build_name_rules.CONTEXT, min_count=build_name_rules.MIN_COUNT):
    names, members, kinds = data
    train, _ = names_eval.split(names, 0)
    lemmatizer.MIN_GUESS_LENGTH = short
    Rejecting.reject = reject

    def pairs(paradigm):
        out: dict[tuple[str, str], int] = {}
        for lemma, forms in paradigm.items():
            for form, singular in forms.items():
                pair = (form, KEYS[key](lemma))
                out[pair] = max(out.get(pair, 0), sg if singular else 1)
        return out

    names_eval.build_name_rules.pairs = pairs
    names_eval.guesser.learn = learn_weighted
    names_eval.WithoutNames = Rejecting
    vocab, stemmer_path = data_extra
    r = names_eval.evaluate(train, members, vocab, stemmer_path, (context, min_count), fold=1,
                            verbose=False, kinds=kinds)
    s = r["searchkit (dictionary, else name rules)"]
    u, c = s["unshared"], s["by category"]
    pct = names_eval.pct
    return (f"| key={key} sg={sg} short={short} reject={reject} context={context} "
            f"min_count={min_count} | {r['rules']} | {pct(s['recall'])} | {pct(s['wrong_hits'])} | "
            f"{pct(s['singular']['recall'])} | {pct(s['singular']['wrong_hits'])} | "
            f"{pct(u['recall'])} | {pct(u['wrong_hits'])} | "
            + " | ".join(f"{pct(v['recall'])} / {pct(v['wrong_hits'])}" for v in c.values()) + " |")


def run_capitals(data, capitals="one", context=build_name_rules.CONTEXT,
                 min_count=build_name_rules.MIN_COUNT, held_out=False):
    """names_eval's figures when capitalised dictionary words may get two terms.

    A document is a (lemma, form) pair, capitalised when the lemma is a name;
    a query is a held-out name's form, capitalised.  A hit is wrong, as in
    names_eval, when the query's name does not have the hit form."""
    names, members, kinds = data
    vocab, stemmer_path = data_extra
    if held_out:  # names_eval's own split: for the variant kept, once
        train, test = names_eval.split(names, 0)
    else:
        train, test = names_eval.split(names_eval.split(names, 0)[0], 1)
    guess = guesser.Guesser(guesser.learn(build_name_rules.pairs(train), context, min_count))
    removed = {lemma for name in test for lemma in members[name]}
    lem = names_eval.WithoutNames(removed, stemmer_path, guess,
                                  surnames=names_eval.masculines(test, members))
    judged = {k: sorted(v) for k, v in test.items() if not lem.lemmas(k)}
    universe: dict[str, set[str]] = defaultdict(set)
    for part in (vocab, train, test):
        for lemma, forms in part.items():
            universe[lemma] |= set(forms)
    named = set(train) | set(test)
    term, second = {}, {}
    for forms in universe.values():
        for form in forms:
            if form in term:
                continue
            term[form] = lem.compute(form)
            lemmas = lem.lemmas(form)
            guessed = guess(form) if lemmas else None
            if (capitals != "one" and guessed and guessed != term[form]
                    and names_docs.wanted(capitals, lemmas, guessed, lem)):
                second[form] = guessed

    def index(lemma, form):
        extra = second.get(form) if lemma in named else None
        return {term[form], extra} - {None}

    def query(form):
        extra = None if capitals == "both_index" else second.get(form)
        return {term[form], extra} - {None}

    forms_of: dict[str, set[str]] = defaultdict(set)
    owners: dict[str, set[str]] = defaultdict(set)
    for lemma, forms in universe.items():
        for form in forms:
            owners[form].add(lemma)
            for t in index(lemma, form):
                forms_of[t].add(form)
    recalls, wrong = [], []
    for lemma, forms in judged.items():
        if len(forms) > 1:
            recalls.append(sum(bool(query(f) & index(lemma, g)) for f in forms for g in forms
                               if f != g) / (len(forms) * (len(forms) - 1)))
        for form in forms:
            hits = set().union(*(forms_of[t] for t in query(form)))
            wrong.append(sum(lemma not in owners[g] for g in hits) / len(hits))
    pct = names_eval.pct
    return (f"| capitals={capitals} | {len(second):,} | "
            f"{pct(sum(recalls) / len(recalls))} | {pct(sum(wrong) / len(wrong))} |")


def main(argv=None) -> int:
    global data_extra
    argv = sys.argv[1:] if argv is None else argv
    shared = build_name_rules.DEFAULT_DATA
    if not (shared / "inflection").is_dir():
        print(f"names_variants: {shared} not found: the shared data is missing", file=sys.stderr)
        return 2
    data = names_eval.load_names(shared)
    data_extra = (names_eval.vocabulary(shared), str(names_eval.WORK_DIR / "stempel-polimorf.bin"))
    capitals = [spec for spec in argv if spec.startswith("capitals=")]
    if capitals:
        print("| variant | forms whose guess would be a second term | recall | wrong hits |\n"
              "|---|---:|---:|---:|")
        for spec in capitals:
            print(run_capitals(data, spec.split("=", 1)[1], held_out="--held-out" in argv),
                  flush=True)
        return 0
    print("| variant | rules | recall | wrong hits | singular: recall | wrong hits "
          "| unshared forms: recall | wrong hits | surnames | first names | place names |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for spec in argv or ["key=strip"]:
        options = dict(item.split("=", 1) for item in spec.split(","))
        options = {k: v if k == "key" else int(v) for k, v in options.items()}
        print(run(data, **options), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
