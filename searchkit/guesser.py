"""Lemmas for words the dictionary does not know, guessed from their endings.

Most names in the news (Tokajew, Syrski, Kramatorsk, Pawłograd) are not in
SGJP, but they inflect like thousands of names that are.  The rules map a
word's ending to the ending of its lemma, consonant alternations included:

    pawłogradzie -> pawłograd   (ending "dzie" -> "d")
    kostiantyniwce -> kostiantyniwka   ("ce" -> "ka")
    syrskiego -> syrski   ("ego" -> "")

They are learnt by ``learn`` from the paradigms of SGJP's surnames, first
names and place names, which Morfeusz 2 generates (``tools/build_name_rules.py``
makes ``data/name-rules.tsv``).  Like the suffix tries of Morfologik's and
Morfeusz's guessers, a rule is keyed by the shortest ending that decides it:
a word takes the rule of its longest ending in the table.

Guessing works on the lower-cased word, so a name typed in lower case in a
query (``tokajewem``) gets the term its capitalised form got in a document.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from typing import Iterable

RULES_PATH = os.path.join(os.path.dirname(__file__), "data", "name-rules.tsv")

# A guess keeps at least this many letters of the word: shorter "lemmas" are
# noise, and would merge unrelated names.
MIN_KEPT = 3

Rule = tuple[int, str]  # (letters cut from the end, ending appended)

_VOWELS = frozenset("aeiouyąę")
_SOFT = {"ń": "ni", "ć": "ci", "ź": "zi"}
_SOFTENED = {"s": "ś", "z": "ź", "c": "ć", "n": "ń"}


def name_key(lemma: str) -> str:
    """The term a name's forms are guessed to: its lemma less a final vowel,
    with ó written o (kostiantyniwk, syrsk, kijow).

    A lemma would not do: a form's endings often fit two paradigms
    (Łuhańska: genitive of Łuhańsk or the feminine of Łuhański; Kijowa:
    of Kijów or of Kijow), and whichever lemma a rule picked would split the
    other name's forms; their keys are the same.  For the same reason the key
    drops the e that a masculine's cases lose before a final k or l
    (Szafranek, Szafranka; Bebel, Bebla: `szafrank`, `bebl`, which Szafranka
    the feminine shares; Grzesiek, Grześka: `grześk`; not Daniel's, whose
    cases keep it), and writes a final ń, ć, ź as the ni, ci, zi of the
    cases (Armenia would otherwise be the genitive of an Armeń, `armeń`,
    while Armenii is `armeni`; Chersoń, Chersonia: `chersoni`).

    A final -i stays but after k or g: there it ends an adjective (Syrski,
    whose feminine is Syrska); elsewhere it ends a foreign name that keeps it
    in every form (Alberti, Albertiego), which without it would meet another
    (Albert; Conti and Conte: benchmarks/names_unknown.py).  So does a final
    -e after n or s, which a Polish name's cases soften (Christinie): it is
    a foreign name's (Christine, Johanne, Louise), not Christina's or Johann's."""
    if len(lemma) > MIN_KEPT and lemma[-1] in _VOWELS and not (
            (lemma[-1] == "i" and lemma[-2] not in "kg")
            or (lemma[-1] == "e" and lemma[-2] in "ns")):
        lemma = lemma[:-1]
    if len(lemma) > MIN_KEPT + 1 and lemma[-2] == "e" and lemma[-1] in "kl":
        if lemma[-3] != "i":
            lemma = lemma[:-2] + lemma[-1]
        elif lemma[-1] == "k" and len(lemma) > MIN_KEPT + 2 and lemma[-4] in _SOFTENED:
            # -siek, -ciek, -niek, -ziek: Grzesiek's cases soften the
            # consonant instead (Grześka); without the i, the key would be
            # Grzesik's, another name.
            lemma = lemma[:-4] + _SOFTENED[lemma[-4]] + "k"
    if lemma[-1:] in _SOFT:
        lemma = lemma[:-1] + _SOFT[lemma[-1]]
    return lemma.replace("ó", "o")


def rewrite(form: str, lemma: str) -> Rule:
    """The rule that turns ``form`` into ``lemma``: cut after their common prefix."""
    common = 0
    for a, b in zip(form, lemma):
        if a != b:
            break
        common += 1
    return len(form) - common, lemma[common:]


def learn(pairs: Iterable[tuple[str, str]], context: int = 3,
          min_count: int = 2) -> dict[str, Rule]:
    """Ending -> rule, from (form, lemma) pairs (lower-cased).

    Every pair votes for its rule under its cut ending and each longer ending
    up to ``context`` more letters.  An ending keeps its majority rule when at
    least ``min_count`` pairs support it and a shorter ending would not give
    the same rule (the table then only holds the endings that decide).
    """
    votes: dict[str, Counter] = defaultdict(Counter)
    for form, lemma in set(pairs):
        cut, tail = rewrite(form, lemma)
        if len(form) - cut < MIN_KEPT:
            continue
        for length in range(cut, min(len(form) - 1, cut + context) + 1):
            votes[form[len(form) - length:]][cut, tail] += 1
    table: dict[str, Rule] = {}
    # Shorter endings first: a longer one is kept only where it overrides.
    for ending in sorted(votes, key=len):
        counts = votes[ending]
        if sum(counts.values()) < min_count:
            continue
        # Ties go to the smaller change, then to the alphabetically first.
        best = min(counts, key=lambda rule: (-counts[rule], rule[0], rule[1]))
        if _lookup(table, ending, len(ending)) != best:
            table[ending] = best
    return table


def _lookup(table: dict[str, Rule], form: str, longest: int) -> Rule | None:
    for length in range(min(longest, len(form)), -1, -1):
        rule = table.get(form[len(form) - length:])
        if rule is not None:
            return rule
    return None


def save(table: dict[str, Rule], path: str, header: str = "") -> None:
    lines = [f"# {line}" for line in header.splitlines()]
    lines += [f"{ending}\t{cut}\t{tail}" for ending, (cut, tail) in sorted(
        table.items(), key=lambda item: (item[0][::-1], item[0]))]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


class Guesser:
    def __init__(self, table: dict[str, Rule]):
        self.table = table
        self.longest = max(map(len, table), default=0)

    @classmethod
    def load(cls, path: str | None = None) -> "Guesser":
        table = {}
        with open(path or RULES_PATH, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#"):
                    continue
                ending, cut, tail = line.rstrip("\n").split("\t")
                table[ending] = (int(cut), tail)
        return cls(table)

    def __call__(self, form: str) -> str | None:
        """The guessed lemma of a lower-case ``form``, or None."""
        table = self.table
        for length in range(min(self.longest, len(form) - 1), -1, -1):
            rule = table.get(form[len(form) - length:])
            # A rule that would leave too little of a short word (geniem:
            # "niem" -> cut 4) gives way to a shorter ending's rule, rather
            # than to pystempel, whose guesses for such words are noise
            # (geniem -> genibyć; held-out SGJP names +0.3 points of recall).
            if rule is not None and len(form) - rule[0] >= MIN_KEPT:
                return form[:len(form) - rule[0]] + rule[1]
        return None


def rules_digest(path: str | None = None) -> str:
    """Part of the analysis signature: other rules, other terms."""
    try:
        # Every search checks it: hashlib would load OpenSSL, 4 ms of a
        # one-shot search; CPython's own SHA-1 gives the same digest.
        from _sha1 import sha1
    except ImportError:
        from hashlib import sha1
    with open(path or RULES_PATH, "rb") as f:
        return sha1(f.read()).hexdigest()[:12]
