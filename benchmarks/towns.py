"""Do a town's forms share one name term?  For 79 Polish towns (listed by
hand, the big and the small, masculine in -ów and others), every singular
form Morfeusz 2 generates for the town's lemma, capitalised as in a document,
gets its name term (lemmatizer.name); a town counts as split when its forms
get more than one.  Prints the split towns with their name terms and their
terms, then their number.

The towns are a sample chosen by a person (the README says so); the
dictionary's names in documents are measured by ``names_docs.py
--dictionary``.  Run from the repository root (seconds)::

    .venv/bin/python benchmarks/towns.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchkit import lemmatizer  # noqa: E402

TOWNS = """Kraków Tarnów Rzeszów Chorzów Piotrków Pruszków Kijów Lwów Charków Jarosław Radom
Węgrów Bytów Grójec Rybnik Żyrardów Otwock Głogów Ostrów Kołobrzeg Hrubieszów Tomaszów Biłgoraj
Sosnowiec Przemyśl Bolesławiec Kutno Zamość Sandomierz Pułtusk Łańcut Tczew Turek Końskie Koło
Oleśnica Wieliczka Bochnia Ropczyce Sanok Kalisz Gniezno Opole Nysa Brzeg Ełk Gdańsk Sopot Gdynia
Malbork Elbląg Olsztyn Mława Płock Łomża Suwałki Augustów Białystok Siedlce Radomsko Wieluń
Sieradz Kielce Busko Staszów Mielec Dębica Jasło Krosno Przeworsk Jarocin Leszno Kościan Września
Konin Łowicz Skierniewice Żychlin Łęczyca""".split()


def main() -> int:
    import morfeusz2

    generator = morfeusz2.Morfeusz(analyse=False, generate=True, expand_tags=False)
    lem = lemmatizer.Lemmatizer()
    split = 0
    for town in TOWNS:
        forms = sorted({form for form, lemma, tag, _names, _labels in generator.generate(town)
                        if tag.startswith("subst:sg") and lemma.split(":")[0] == town})
        names = sorted({lem.name(form.lower())[0] for form in forms})
        if len(names) > 1:
            split += 1
            terms = sorted({lem.term(form.lower()) for form in forms})
            print(f"{town}: name terms {', '.join(names)}; terms {', '.join(terms)}")
    print(f"{split} of {len(TOWNS)} towns have singular forms under more than one name term")
    return 0


if __name__ == "__main__":
    sys.exit(main())
