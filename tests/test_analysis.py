"""Polish analysis: every known trap, and index/query consistency."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.analysis import (STOPWORDS, diacritic_variants, fold, iter_words,
                                polish_analyzer, surface_analyzer)
from searchkit.lemmatizer import Lemmatizer


@pytest.fixture(scope="module")
def lemmatizer():
    return Lemmatizer()


def terms(text: str) -> list[str]:
    """What the index stores for ``text`` (the lemmatizer is computed, not looked up)."""
    return [t.text for t in polish_analyzer()(text)]


def same_term(a: str, b: str) -> bool:
    # One term each (a name the dictionary lacks also gets its name term: the
    # same letters, capitalised).
    return terms(a) == terms(b) and len({t.lower() for t in terms(a)}) == 1


# -------------------------------------------------------------- the traps

@pytest.mark.parametrize("word, expected", [
    ("ODKB", "odkb"),  # polimorf table: "odkiebajt"
    ("NATO", "nato"),  # default table: "na" (a stopword!); Morfeusz prefers "nata"
    ("USA", "usa"),  # polimorf table: "usativus"
    ("PRL", "prl"),
])
def test_acronyms_are_not_stemmed(word, expected):
    # (in capitals, as a name may be written, a word also gets its name term)
    assert terms(word)[0] == expected


@pytest.mark.parametrize("word, expected", [
    ("2021", "2021"),  # default table: "20ć"
    ("2022", "2022"),
    ("F-16", "f-16"),  # kept whole: "f" and "16" alone mean nothing
    ("COVID-19", "covid-19"),
    ("3", "3"),
])
def test_tokens_with_digits_are_kept(word, expected):
    assert terms(word) == [expected]


def test_a_word_neither_the_name_rules_nor_pystempel_analyse_is_kept(lemmatizer, monkeypatch):
    # pystempel's polimorf table returns None for "dossa"; Morfeusz does not know it
    assert lemmatizer.stem("dossa") is None
    assert not lemmatizer.known("dossa")
    assert lemmatizer.compute("dossa") == "doss"  # the name rules: like Tokajewa
    monkeypatch.setattr(lemmatizer, "_guess", lambda form: None)
    assert lemmatizer.compute("dossa") == "dossa"


@pytest.mark.parametrize("query_word, document_word", [
    ("żołnierzy", "żołnierze"),
    ("Kazachstanem", "Kazachstanu"),
    ("Kazachstanie", "Kazachstan"),
    ("zamieszki", "zamieszkami"),
    ("Tokajewa", "Tokajew"),  # not in the dictionary: the name rules conflate them
    ("siły", "sił"),
    ("pokojowe", "pokojowych"),
    ("Warszawie", "Warszawa"),
    ("czarne", "czarny"),  # not the colloquial noun "czarna" (black coffee)
    ("nagraniami", "nagranie"),  # not the gerund of "nagrać"
    ("bram", "brama"),  # not the archaic "bram"
])
def test_inflected_forms_find_each_other(query_word, document_word):
    assert same_term(query_word, document_word)


@pytest.mark.parametrize("query_word, document_word", [
    # SGJP also lists pierwsza (one o'clock), radna, nowa as nouns: before, the
    # forms they share with the adjective went to the noun, the others not
    ("pierwszy", "pierwszym"),
    ("pierwszy", "pierwszej"),
    ("pierwszego", "pierwsze"),
    ("radnego", "radnym"),
    ("radny", "radna"),  # the adjective reading is marked obsolete: still one word
    ("nowego", "nowym"),
    ("znany", "znane"),
    ("swój", "swoim"),
])
def test_forms_of_an_adjective_also_listed_as_a_noun_find_each_other(query_word, document_word):
    assert same_term(query_word, document_word)


@pytest.mark.parametrize("query_word, document_word", [
    # zakończone, stosowane: forms of the adjectives zakończony, stosowany,
    # which SGJP also reads as the verbs' participles
    ("zakończono", "zakończone"),
    ("stosuje", "stosowane"),
    ("wygrała", "wygranym"),
    ("przełożono", "przełożony"),
])
def test_participles_find_their_verb(query_word, document_word):
    assert same_term(query_word, document_word)


def test_negated_participles_stay_apart_from_their_verb():
    assert not same_term("nieznany", "znać")
    assert not same_term("nieoceniony", "ocenić")


def test_only_nouns_join_an_adjective(lemmatizer):
    # "me" (an interjection, and an old form of "mój") is not a substantivised adjective
    assert lemmatizer.lemmas("me") == ["mój", "mój", "mój", "mój", "me"]
    assert lemmatizer.compute("me") == "me"
    # a word with one lemma is left as it is: Polsce stays Polska, not polski
    # (and, a name wherever written with a capital, gets its name term)
    assert terms("Polsce") == ["polska", "Polska"]


def test_different_words_stay_apart():
    assert not same_term("wojna", "wojsko")
    assert not same_term("Kazachstan", "kazachski")


def test_short_unknown_words_are_not_stemmed(lemmatizer):
    # the stemmer makes "hmlmetr" of "hmm"
    assert lemmatizer.compute("hmm") == "hmm"


def test_stopwords_are_removed_before_lemmatizing():
    assert terms("i w na się który jaki ile") == []
    assert {"i", "w", "się", "który", "jakim", "ilu"} <= STOPWORDS


def test_capitalisation_does_not_matter_for_dictionary_words():
    # (WOJNY, inside the sentence and in capitals, also gets its name term)
    assert [t for t in terms("Wojna WOJNY wojną") if t.islower()] == ["wojna", "wojna", "wojna"]


# -------------------------------------------------------------- tokens

def test_hyphenated_words_split_unless_they_have_digits():
    assert [w for w, _, _ in iter_words("Kasym-Żomart F-16 B-2 biało-czerwony")] == [
        "Kasym", "Żomart", "F-16", "B-2", "biało", "czerwony"]


def test_numbers_joined_by_hyphens_split_into_the_numbers():
    # a range is about each of its numbers: "1994" finds "w latach 1994-1997"
    text = "w latach 1994-1997, s. 110-115, 2022-01-05, F-16"
    assert [w for w, _, _ in iter_words(text)] == [
        "w", "latach", "1994", "1997", "s", "110", "115", "2022", "01", "05", "F-16"]
    assert terms("1994-1997") == ["1994", "1997"]
    assert "1994" in terms(text) and "f-16" in terms(text)


def test_word_offsets_point_into_the_text():
    text = "Prezydent Kazachstanu Kasym-Żomart Tokajew"
    for word, start, end in iter_words(text):
        assert text[start:end] == word


def test_surface_analyzer_keeps_forms():
    assert [t.text for t in surface_analyzer()("Żołnierze w Kazachstanie")] == [
        "żołnierze", "kazachstanie"]


def test_fold_removes_polish_diacritics():
    assert fold("Zażółć gęślą jaźń Łódź") == "Zazolc gesla jazn Lodz"


def test_diacritic_variants():
    assert "żółw" in diacritic_variants("zolw")
    assert len(diacritic_variants("zolw")) == 3 * 2 * 2 * 1
    assert diacritic_variants("szczęśliwszej" * 3) == []  # too many: none rather than slow


def test_query_words_the_index_knows_take_the_index_terms(make_index):
    # Typed in lower case, "centcom" is no acronym to the analyzer, and the
    # name rules read it as a dative plural (centc-om); the lexicon knows the
    # document's CENTCOM.
    from searchkit.search import Searcher
    assert Lemmatizer().query_terms("centcom") == ["centc"]
    index = make_index({"a.txt": "Raport\n\nDowództwo CENTCOM potwierdziło atak."})
    with Searcher(index) as s:
        assert s.lemmatizer.query_terms("centcom") == ["centcom"]
        assert [h.id for h in s.search("centcom").hits] == ["a.txt"]


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from("aąz19 -\u2010\u2011,.\n"), max_size=40))
def test_words_of_gives_the_words_of_iter_words(text):
    from searchkit.analysis import words_of

    assert words_of(text) == [word for word, _, _ in iter_words(text)]
    assert words_of("Kasym-Żomart F-16") == ["Kasym", "Żomart", "F-16"]


def _surface_counts(text, forms):
    counts = {}
    for token in surface_analyzer()(text):
        if token.text in forms:
            counts[token.text] = counts.get(token.text, 0) + 1
    return counts


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aąZ1 -\u2010_,.\n"), max_size=30),
       st.sets(st.text(alphabet="aąz1-", min_size=1, max_size=4), max_size=4))
def test_form_counts_count_what_the_surface_analyzer_sees(text, forms):
    # Re-scoring counts the query's forms in a document's stored text: every
    # count must be the one an index of the forms would have held.
    from searchkit.analysis import form_counts
    forms = frozenset(f for f in forms if f not in STOPWORDS)
    assert form_counts(text, forms) == _surface_counts(text, forms)


def test_form_counts_in_a_real_text():
    from pathlib import Path

    from searchkit.analysis import form_counts
    text = next(Path(__file__).parents[1].joinpath("seeds").glob("*.txt")).read_text("utf-8")
    forms = frozenset({"kazachstanu", "odkb", "kasym", "żomart", "tokajew", "rosyjscy", "2022"})
    counts = form_counts(text, forms)
    assert counts == _surface_counts(text, forms)
    assert counts["kazachstanu"] >= 3 and counts["żomart"] >= 1


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aąZŻ1 -\u2010_,.\nİ"), max_size=40),
       st.sets(st.text(alphabet="aązż1-", min_size=1, max_size=4), max_size=4))
def test_form_spans_are_where_iter_words_finds_the_forms(text, forms):
    # Passages highlight these spans in the document's own text, capitals
    # and all (İ lower-cases to two characters: offsets must not drift).
    from searchkit.analysis import form_spans
    expected = {}
    for word, start, end in iter_words(text):
        if word.lower() in forms:
            expected.setdefault(word.lower(), []).append((start, end))
    assert form_spans(text, frozenset(forms)) == expected


def test_form_spans_of_greek_capitals_and_of_nothing():
    from searchkit.analysis import form_spans
    assert form_spans("ΟΔΟΣ.Α", frozenset({"οδος", "οδοσ"})) == {"οδος": [(0, 4)]}
    assert form_spans("abc abc", frozenset({""})) == {}
