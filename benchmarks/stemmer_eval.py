"""How well do pystempel's tables and searchkit's own word -> term function
group the forms of a Polish word, and keep different words apart?

For every analyzer (a function from a word form to one index term) two shares
of lemmas are measured:

* conflation: lemmas whose forms all get one and the same term (only lemmas
  with at least two distinct forms count: a single form conflates trivially);
* wrongly merged: lemmas that share a term with at least one *different*
  lemma.  Two lemma strings are the same lemma when they are equal after
  lower-casing (Nowy/nowy, Rynek/rynek).  Forms that two lemmas really share
  (kredytowi: kredyt / kredytowy) merge under any form -> term function, so
  the "form itself" row, which does no analysis at all, shows that floor.

The analyzers are pystempel's ``default`` and ``polimorf`` tables (no stem
means "the word itself", as in searchkit), searchkit's
``Lemmatizer.compute`` (Morfeusz 2 lemma, else the fallback stemming table
``lemmatizer.STEMMER_TABLE``), and the same with the other table as fallback:
the alternative that choice is measured against.

Three evaluation sets, read from ``../shared/data/inflection``:

1. ``paradigms_sgjp.tsv.gz``: full SGJP paradigms (participles and gerunds
   included in a verb's) of 3,000 (lemma, UD UPOS) pairs.  Morfeusz generated
   them, so they favour searchkit, which analyses with Morfeusz.
2. ``gold_ud.tsv.gz``: hand-annotated (form, lemma, UPOS) types from the UD
   Polish treebanks, counted both per lemma and per token (each lemma weighted
   by how often its forms occur in the treebanks).
3. The forms of (2) that Morfeusz does not know: the only words on which
   searchkit's fallback table matters.  Their lemmas seldom have two unknown
   forms, so there each lemma's citation form (its lemma, lower-cased, as a
   query would type it) counts as one of its forms; a wrong merge is a term
   of an unknown form that some form of another lemma of the file also gets.

Both files hold lower-case forms, so searchkit's ALL-CAPS rule never fires.

Run from the repository root::

    python benchmarks/stemmer_eval.py            # markdown report on stdout
    python benchmarks/stemmer_eval.py --json     # the same numbers as JSON

Progress goes to stderr.  The compact stemming tables are cached in
``benchmarks/work/`` (about 7 s to build the first time).  Exits with status 2
when the data folder is missing.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable, Hashable, Iterable, Iterator, NamedTuple

from searchkit import lemmatizer, stemtable

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
WORK_DIR = Path(__file__).resolve().parent / "work"

IDENTITY = "form-itself"
SEARCHKIT = "searchkit"
# The per-UPOS tables and the failure examples compare these three.
MAIN_ANALYZERS = ("pystempel-default", "pystempel-polimorf", SEARCHKIT)


class Entry(NamedTuple):
    lemma: str  # lower-cased: the identity of a lemma here
    upos: str
    form: str
    count: int  # corpus tokens (1 for a paradigm form)


class Group(NamedTuple):
    """The forms of one lemma (or lemma + UPOS) and its weight in tokens."""

    forms: frozenset[str]
    weight: int


class Share(NamedTuple):
    lemmas: int  # how many lemmas were judged
    hits: int  # how many of them had the property
    tokens: int
    token_hits: int

    def rate(self) -> float:
        return self.hits / self.lemmas if self.lemmas else math.nan

    def token_rate(self) -> float:
        return self.token_hits / self.tokens if self.tokens else math.nan


class Dataset(NamedTuple):
    name: str
    title: str
    weighted: bool  # do the counts mean corpus tokens?
    entries: list[Entry]
    # lemma -> forms that should all get one term (conflation)
    conflation_groups: dict[str, Group]
    # lemma -> forms whose terms should be no other lemma's (wrong merges)
    merge_groups: dict[str, Group]
    # every lemma's forms in the file: the terms a merge can collide with
    universe: dict[str, Group]


# --------------------------------------------------------------------------- data


def read_tsv(path: Path) -> Iterator[dict[str, str]]:
    # QUOTE_NONE: a form is never quoted, and a stray quote must stay a letter.
    with gzip.open(path, "rt", encoding="utf-8", newline="") as file:
        yield from csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE)


def read_paradigms(path: Path) -> list[Entry]:
    # A form occurs once per tag (and a lemma once per UD UPOS it was sampled
    # with, with the same paradigm), so keep each (lemma, UPOS, form) once.
    keys = {(row["lemma"].lower(), row["upos_from_ud"], row["form"]) for row in read_tsv(path)}
    return [Entry(lemma, upos, form, 1) for lemma, upos, form in sorted(keys)]


def read_gold(path: Path) -> list[Entry]:
    return [
        Entry(row["lemma"].lower(), row["upos"], row["form"], int(row["count"]))
        for row in read_tsv(path)
    ]


def group_by(entries: Iterable[Entry], key: Callable[[Entry], Hashable]) -> dict:
    forms: dict = defaultdict(set)
    weights: dict = defaultdict(int)
    for entry in entries:
        forms[key(entry)].add(entry.form)
        weights[key(entry)] += entry.count
    return {k: Group(frozenset(forms[k]), weights[k]) for k in forms}


def full_dataset(name: str, title: str, weighted: bool, entries: list[Entry]) -> Dataset:
    by_lemma = group_by(entries, lambda entry: entry.lemma)
    return Dataset(name, title, weighted, entries, by_lemma, by_lemma, by_lemma)


def unknown_subset(gold: Dataset, known: Callable[[str], bool]) -> Dataset:
    entries = [entry for entry in gold.entries if not known(entry.form)]
    merge_groups = group_by(entries, lambda entry: entry.lemma)
    # With the citation form added, a lemma seen in one unknown form is judged
    # too: does the query word (the lemma) reach that form?
    conflation_groups = {
        lemma: Group(group.forms | {lemma}, group.weight) for lemma, group in merge_groups.items()
    }
    title = "UD gold, forms Morfeusz does not know (+ citation form)"
    return Dataset(
        "gold_unknown", title, True, entries, conflation_groups, merge_groups, gold.universe
    )


# ---------------------------------------------------------------------- analyzers


class Analyzers(NamedTuple):
    labels: dict[str, str]  # key -> name in the report, in report order
    functions: dict[str, Callable[[str], str]]  # key -> form -> term
    fallbacks: dict[str, str]  # searchkit and its alternatives -> fallback table


def build_analyzers(work_dir: Path) -> Analyzers:
    """The analyzers, keyed as in the report.

    Every function takes a form as written and lower-cases it itself, the way
    searchkit asks for the term of a token.
    """
    labels = {IDENTITY: "form itself (no analysis)"}
    functions: dict[str, Callable[[str], str]] = {IDENTITY: str.lower}
    fallbacks = {}
    paths = {}
    for name in stemtable.TABLE_NAMES:
        paths[name] = work_dir / f"stempel-{name}.bin"
        print(f"loading pystempel table {name!r}", file=sys.stderr)
        # load_or_build also rebuilds a file left by another pystempel version,
        # so the Lemmatizers below, which load it unchecked, get fresh tables.
        stem = stemtable.load_or_build(paths[name], name)
        labels[f"pystempel-{name}"] = f"pystempel {name}"
        functions[f"pystempel-{name}"] = lambda form, stem=stem: stem(form.lower()) or form.lower()

    # searchkit as shipped first, then the same with each other table.
    tables = sorted(stemtable.TABLE_NAMES, key=lambda name: name != lemmatizer.STEMMER_TABLE)
    for name in tables:
        if name == lemmatizer.STEMMER_TABLE:
            key, label = SEARCHKIT, f"searchkit (Morfeusz, else name rules, else {name})"
        else:
            key, label = f"{SEARCHKIT}-{name}-fallback", f"alternative: Morfeusz, else name rules, else {name}"
        labels[key] = label
        fallbacks[key] = name
        lem = lemmatizer.Lemmatizer(stemmer_path=str(paths[name]))
        functions[key] = lambda form, lem=lem: lem.compute(form.lower(), lemmatizer.is_caps(form))
    return Analyzers(labels, functions, fallbacks)


# ----------------------------------------------------------------------- measures


def is_split(group: Group, term: dict[str, str]) -> bool:
    return len({term[form] for form in group.forms}) > 1


def conflation(groups: Iterable[Group], term: dict[str, str]) -> Share:
    judged = [group for group in groups if len(group.forms) > 1]
    hits = [group for group in judged if not is_split(group, term)]
    return Share(len(judged), len(hits), sum(g.weight for g in judged), sum(g.weight for g in hits))


def term_owners(universe: dict[str, Group], term: dict[str, str]) -> dict[str, set[str]]:
    owners: dict[str, set[str]] = defaultdict(set)
    for lemma, group in universe.items():
        for form in group.forms:
            owners[term[form]].add(lemma)
    return owners


def merged_lemmas(dataset: Dataset, term: dict[str, str]) -> set[str]:
    owners = term_owners(dataset.universe, term)
    # Every merge group is part of the universe, so a term's owners include
    # the lemma itself: more than one owner means another lemma.
    return {
        lemma
        for lemma, group in dataset.merge_groups.items()
        if any(len(owners[term[form]]) > 1 for form in group.forms)
    }


def merge_share(dataset: Dataset, term: dict[str, str]) -> Share:
    merged = merged_lemmas(dataset, term)
    groups = dataset.merge_groups
    return Share(
        len(groups),
        len(merged),
        sum(g.weight for g in groups.values()),
        sum(groups[lemma].weight for lemma in merged),
    )


def evaluate(dataset: Dataset, terms: dict[str, dict[str, str]]) -> dict:
    return {
        "title": dataset.title,
        "weighted": dataset.weighted,
        "lemmas": len(dataset.merge_groups),
        "forms": len({entry.form for entry in dataset.entries}),
        "tokens": sum(entry.count for entry in dataset.entries) if dataset.weighted else None,
        "analyzers": {
            key: {
                "conflation": conflation(dataset.conflation_groups.values(), term),
                "merged": merge_share(dataset, term),
            }
            for key, term in terms.items()
        },
    }


def conflation_by_upos(dataset: Dataset, terms: dict[str, dict[str, str]]) -> dict:
    """UPOS -> analyzer -> conflation share, the most frequent UPOS first.

    UPOS whose lemmas all have a single form (CCONJ, ...) are left out.
    """
    # Grouped by (lemma, UPOS): in the gold file a lemma's forms under one
    # UPOS (być as AUX, as VERB) are a paradigm of their own.
    by_pair = group_by(dataset.entries, lambda entry: (entry.lemma, entry.upos))
    by_upos: dict[str, list[Group]] = defaultdict(list)
    for (_lemma, upos), group in by_pair.items():
        if len(group.forms) > 1:
            by_upos[upos].append(group)
    table = {
        upos: {key: conflation(groups, terms[key]) for key in MAIN_ANALYZERS}
        for upos, groups in by_upos.items()
    }
    return dict(sorted(table.items(), key=lambda item: -item[1][SEARCHKIT].lemmas))


def failure_examples(dataset: Dataset, term: dict[str, str], limit: int) -> dict[str, list[str]]:
    """The most frequent split and wrongly merged lemmas, as readable lines.

    Merges through a form both lemmas really have are left out: they are the
    data's, not the analyzer's.
    """

    def most_frequent_first(groups: dict[str, Group]) -> list[str]:
        return sorted(groups, key=lambda lemma: (-groups[lemma].weight, lemma))

    split = []
    for lemma in most_frequent_first(dataset.conflation_groups):
        group = dataset.conflation_groups[lemma]
        if len(split) < limit and is_split(group, term):
            pairs = ", ".join(f"{form} → {term[form]}" for form in sorted(group.forms))
            split.append(f"{lemma}: {pairs}")

    owners = term_owners(dataset.universe, term)
    merged = []
    shown: set[str] = set()  # so that a pair of lemmas is shown only once
    for lemma in most_frequent_first(dataset.merge_groups):
        collisions = [
            (form, other_form, other)
            for form in sorted(dataset.merge_groups[lemma].forms)
            for other in sorted(owners[term[form]] - {lemma} - shown)
            for other_form in sorted(dataset.universe[other].forms)
            if term[other_form] == term[form] and other_form != form
        ]
        if len(merged) < limit and collisions:
            form, other_form, other = collisions[0]
            merged.append(f"{lemma}: {form} → {term[form]} ← {other_form} ({other})")
            shown.add(lemma)
    return {"split": split, "merged": merged}


def paired_comparison(dataset: Dataset, first: dict[str, str], second: dict[str, str]) -> dict:
    """Lemmas only ``first`` conflates (wins) and only ``second`` does (losses).

    Both analyzers are judged on the same lemmas, so the discordant ones say
    whether a difference in conflation is more than a handful of lemmas; the
    two-sided exact sign test puts a number on it.
    """
    judged = [group for group in dataset.conflation_groups.values() if len(group.forms) > 1]
    wins = sum(1 for g in judged if not is_split(g, first) and is_split(g, second))
    losses = sum(1 for g in judged if is_split(g, first) and not is_split(g, second))
    n = wins + losses
    tail = sum(math.comb(n, k) for k in range(min(wins, losses) + 1)) / 2**n
    return {"wins": wins, "losses": losses, "sign_test_p": min(1.0, 2 * tail)}


# ------------------------------------------------------------------------ summary


def rank_fallbacks(unknown: dict, candidates: Iterable[str]) -> list[str]:
    """Best fallback first: more conflation on unknown words, then fewer merges."""
    scores = unknown["analyzers"]
    return sorted(
        candidates,
        key=lambda key: (-scores[key]["conflation"].rate(), scores[key]["merged"].rate()),
    )


def pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:.1f}%"


def conclusion(results: dict, analyzers: Analyzers, ranked: list[str], paired: dict) -> str:
    """One paragraph, every claim of which is computed from the results."""
    labels = analyzers.labels
    unknown = results["gold_unknown"]["analyzers"]
    gold = results["gold"]["analyzers"]
    paradigms = results["paradigms"]["analyzers"]
    best, runner_up = ranked[0], ranked[1]
    b, r = unknown[best], unknown[runner_up]
    conf_gain = 100 * (b["conflation"].rate() - r["conflation"].rate())
    merge_gain = 100 * (r["merged"].rate() - b["merged"].rate())
    best_table, other_table = analyzers.fallbacks[best], analyzers.fallbacks[runner_up]
    text = (
        f"On the {results['gold_unknown']['forms']:,} gold forms Morfeusz does not know, "
        f"the {best_table} table as fallback conflates {pct(b['conflation'].rate())} of their "
        f"lemmas (with the citation form) against {pct(r['conflation'].rate())} for the "
        f"{other_table} table ({conf_gain:+.1f} points: {paired['wins']} lemmas joined only by "
        f"{best_table}, {paired['losses']} only by {other_table}, sign test "
        f"p = {paired['sign_test_p']:.2g}), and wrongly merges {pct(b['merged'].rate())} "
        f"({b['merged'].hits} lemmas) against {pct(r['merged'].rate())} ({r['merged'].hits})"
    )
    if merge_gain > 0:
        text += f", so {best_table} is the better fallback on both counts"
    elif merge_gain == 0:
        text += f", so {best_table} is the better fallback at no cost in merges"
    else:
        text += f", so {best_table} pays {-merge_gain:.1f} points of merges for its conflation"
    if best == SEARCHKIT:
        text += ", and it is the one searchkit uses. "
    else:
        text += (
            f"; searchkit uses {lemmatizer.STEMMER_TABLE!r}, which the measurement does not "
            "favour. "
        )
    raw = max(
        (key for key in MAIN_ANALYZERS if key != SEARCHKIT),
        key=lambda key: gold[key]["conflation"].rate(),
    )
    s, p = gold[SEARCHKIT], gold[raw]
    text += (
        f"Morfeusz first pays on all UD gold lemmas: searchkit conflates "
        f"{pct(s['conflation'].rate())} ({pct(s['conflation'].token_rate())} of tokens) and "
        f"wrongly merges {pct(s['merged'].rate())} ({pct(s['merged'].token_rate())}), against "
        f"{pct(p['conflation'].rate())} ({pct(p['conflation'].token_rate())}) and "
        f"{pct(p['merged'].rate())} ({pct(p['merged'].token_rate())}) for the better table "
        f"alone, {labels[raw]}. On the SGJP paradigms, which favour it, searchkit conflates "
        f"{pct(paradigms[SEARCHKIT]['conflation'].rate())} against "
        f"{pct(paradigms[raw]['conflation'].rate())}."
    )
    return text


# ------------------------------------------------------------------------- output


def markdown_results(result: dict, labels: dict[str, str]) -> list[str]:
    judged = next(iter(result["analyzers"].values()))["conflation"].lemmas
    size = f"{result['lemmas']:,} lemmas, {result['forms']:,} distinct forms"
    if result["weighted"]:
        size += f", {result['tokens']:,} tokens"
    lines = [
        f"### {result['title']}",
        "",
        f"{size}; conflation judged on the {judged:,} lemmas with two or more forms.",
        "",
    ]
    if result["weighted"]:
        lines += [
            "| analyzer | conflation (lemmas) | conflation (tokens) "
            "| wrongly merged (lemmas) | wrongly merged (tokens) |",
            "|---|---:|---:|---:|---:|",
        ]
    else:
        lines += ["| analyzer | conflation | wrongly merged |", "|---|---:|---:|"]
    for key, scores in result["analyzers"].items():
        shares = (scores["conflation"], scores["merged"])
        if result["weighted"]:
            cells = [f(s) for s in shares for f in (Share.rate, Share.token_rate)]
        else:
            cells = [s.rate() for s in shares]
        lines.append(f"| {labels[key]} | " + " | ".join(pct(c) for c in cells) + " |")
    return lines + [""]


def markdown_upos(title: str, by_upos: dict, labels: dict[str, str]) -> list[str]:
    lines = [
        f"Conflation by UPOS, {title} (lemmas with two or more forms under that UPOS):",
        "",
        "| UPOS | lemmas | " + " | ".join(labels[key] for key in MAIN_ANALYZERS) + " |",
        "|---|---:|" + "---:|" * len(MAIN_ANALYZERS),
    ]
    for upos, shares in by_upos.items():
        cells = " | ".join(pct(shares[key].rate()) for key in MAIN_ANALYZERS)
        lines.append(f"| {upos} | {shares[SEARCHKIT].lemmas:,} | {cells} |")
    return lines + [""]


def markdown_examples(title: str, examples: dict, labels: dict[str, str]) -> list[str]:
    lines = [f"Failures on {title}, most frequent lemmas first:", ""]
    for key, kinds in examples.items():
        lines.append(f"* {labels[key]}")
        for kind, found in kinds.items():
            lines += [f"  * {kind}: {line}" for line in found or ["(none)"]]
    return lines + [""]


def to_json(value):
    if isinstance(value, Share):
        # null, not NaN (which is not JSON), for a share of nothing.
        return {
            "lemmas": value.lemmas,
            "hits": value.hits,
            "share": value.rate() if value.lemmas else None,
            "tokens": value.tokens,
            "token_hits": value.token_hits,
            "token_share": value.token_rate() if value.tokens else None,
        }
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="the shared data folder, holding inflection/ (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    parser.add_argument(
        "--examples",
        type=int,
        default=5,
        help="failures shown per analyzer and kind (default: %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    inflection = args.data / "inflection"
    if not inflection.is_dir():
        print(
            f"stemmer_eval: {inflection} not found: the shared data is missing "
            "(point --data at the folder holding inflection/)",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()

    paradigms = full_dataset(
        "paradigms", "SGJP paradigms", False, read_paradigms(inflection / "paradigms_sgjp.tsv.gz")
    )
    gold = full_dataset("gold", "UD gold", True, read_gold(inflection / "gold_ud.tsv.gz"))
    analyzers = build_analyzers(WORK_DIR)
    labels = analyzers.labels
    morfeusz = lemmatizer.Lemmatizer()
    unknown = unknown_subset(gold, lambda form: morfeusz.known(form.lower()))
    datasets = (paradigms, gold, unknown)

    # Each analyzer sees every distinct form once (paradigms repeat forms
    # across UPOS, and the gold file across lemmas).
    forms = {
        form
        for dataset in datasets
        for groups in (dataset.conflation_groups, dataset.universe)
        for group in groups.values()
        for form in group.forms
    }
    terms = {}
    for key, function in analyzers.functions.items():
        clock = time.perf_counter()
        terms[key] = {form: function(form) for form in forms}
        print(
            f"{labels[key]}: {len(forms):,} forms in {time.perf_counter() - clock:.1f} s",
            file=sys.stderr,
        )

    results = {dataset.name: evaluate(dataset, terms) for dataset in datasets}
    for dataset in (paradigms, gold):
        results[dataset.name]["conflation_by_upos"] = conflation_by_upos(dataset, terms)
    results[unknown.name]["examples"] = {
        key: failure_examples(unknown, terms[key], args.examples) for key in MAIN_ANALYZERS
    }
    ranked = rank_fallbacks(results[unknown.name], analyzers.fallbacks)
    paired = paired_comparison(unknown, terms[ranked[0]], terms[ranked[1]])
    summary = conclusion(results, analyzers, ranked, paired)
    seconds = time.perf_counter() - started
    print(f"done in {seconds:.1f} s", file=sys.stderr)

    if args.json:
        report = {
            "data": str(inflection),
            "lemma_identity": "lemma strings equal after lower-casing are one lemma",
            "analyzers": labels,
            "datasets": results,
            "fallback_ranking": ranked,
            "fallback_paired_comparison": paired,
            "conclusion": summary,
            "seconds": round(seconds, 1),
        }
        json.dump(to_json(report), sys.stdout, ensure_ascii=False, indent=2, allow_nan=False)
        print()
        return 0

    lines = [
        "## Stemmer evaluation",
        "",
        "Conflation: share of lemmas all of whose forms get one term. Wrongly merged: share "
        "of lemmas that share a term with a different lemma; lemma strings that differ only "
        'in case (Nowy/nowy) count as one lemma. The "form itself" row is the floor set by '
        "forms that two lemmas really share.",
        "",
    ]
    for result in results.values():
        lines += markdown_results(result, labels)
    for dataset in (paradigms, gold):
        lines += markdown_upos(dataset.title, results[dataset.name]["conflation_by_upos"], labels)
    lines += markdown_examples(unknown.title, results[unknown.name]["examples"], labels)
    lines += [summary, ""]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
