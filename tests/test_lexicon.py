"""The lexicon: a form's term, the forms of a term, the forms that fold alike."""

from __future__ import annotations

import sqlite3

import pytest

from searchkit.lexicon import FILENAME, NAME_ANYWHERE, NAME_INSIDE, Lexicon

ENTRIES = {("żołnierze", False): "żołnierz", ("żołnierz", False): "żołnierz",
           ("zolnierze", False): "zolnierz", ("wojna", False): "wojna",
           ("wojny", False): "wojna", ("Marek", True): "marek", ("marek", False): "marka",
           ("łódź", False): "łódź", ("lodz", False): "lodz", ("odkb", True): "odkb"}

# As the lexicon was written before 2026-12-01: every term and fold stored.
OLD_SCHEMA = """
CREATE TABLE forms (form TEXT NOT NULL, caps INTEGER NOT NULL, term TEXT NOT NULL,
                    fold TEXT NOT NULL, PRIMARY KEY (form, caps)) WITHOUT ROWID;
CREATE INDEX forms_term ON forms (term);
CREATE INDEX forms_fold ON forms (fold);
"""


@pytest.fixture(params=["now", "older"])
def lexicon(request, tmp_path):
    if request.param == "older":
        from searchkit.analysis import fold
        db = sqlite3.connect(tmp_path / FILENAME)
        db.executescript(OLD_SCHEMA)
        db.executemany("INSERT INTO forms VALUES (?, ?, ?, ?)",
                       [(form, int(caps), term, fold(form))
                        for (form, caps), term in ENTRIES.items()])
        db.commit()
        db.close()
    else:
        writer = Lexicon.open(str(tmp_path), writable=True)
        writer.add(ENTRIES)
        writer.compact()
        writer.close()
    found = Lexicon.open(str(tmp_path))
    yield found
    found.close()


def test_a_lexicon_answers_alike_whichever_way_it_stores_its_forms(lexicon):
    # Forms that are their own term or fold are stored without them now.
    assert lexicon.terms_of("wojna") == ["wojna"]
    assert lexicon.terms_of("marek") == ["marka"]
    assert lexicon.term("marek", True) is None and lexicon.term("odkb", True) == "odkb"
    assert lexicon.forms_folding_to("zolnierze") == ["zolnierze", "żołnierze"]
    assert lexicon.forms_folding_to("lodz") == ["lodz", "łódź"]
    assert lexicon.forms_of_terms(["wojna", "żołnierz"]) == {
        "wojna": ("wojna",), "wojny": ("wojna",), "żołnierze": ("żołnierz",),
        "żołnierz": ("żołnierz",)}
    assert lexicon.entries() == ENTRIES
    assert lexicon.forms_within("wojnaa", 2, 2) == {"wojna": 1, "wojny": 2}


def test_forms_that_are_their_own_term_and_fold_store_neither(tmp_path):
    writer = Lexicon.open(str(tmp_path), writable=True)
    writer.add(ENTRIES)
    rows = dict(((form, caps), (term, folded)) for form, caps, term, folded in
                writer._db.execute("SELECT form, caps, term, fold FROM forms"))
    writer.close()
    assert rows[("wojna", 0)] == (None, None)
    assert rows[("żołnierze", 0)] == ("żołnierz", "zolnierze")


def test_a_form_written_as_a_name_keeps_its_name_term_apart(tmp_path):
    lexicon = Lexicon.open(str(tmp_path), writable=True)
    # Koronowa: the adjective koronowy, or (with a capital) the town Koronowo.
    lexicon.add({("koronowa", False): "koronowy", ("koronowa", NAME_INSIDE): "Koronow",
                 ("koronowie", False): "koronow", ("koronowie", NAME_ANYWHERE): "Koronow",
                 ("wojna", False): "wojna"})
    # A query word's own terms never include its name term; name_of says
    # whether the dictionary lacks the word.
    assert lexicon.terms_of("koronowa") == ["koronowy"]
    assert lexicon.name_of("koronowa") == ("Koronow", False)
    assert lexicon.name_of("koronowie") == ("Koronow", True)
    assert lexicon.name_of("wojna") is None
    # Highlighting: every form with one of the terms, with all of its terms.
    assert lexicon.forms_of_terms(["Koronow", "koronowy"]) == {
        "koronowa": ("Koronow", "koronowy"), "koronowie": ("Koronow",)}
    assert lexicon.forms_folding_to("koronowa") == ["koronowa"]
    assert lexicon.entries()[("koronowa", NAME_INSIDE)] == "Koronow"
    lexicon.close()
