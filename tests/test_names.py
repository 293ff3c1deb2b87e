"""Names the dictionary lacks inflect: their forms reach one term, at index and
query time, in whatever case they are typed, and stay apart from other names."""

from __future__ import annotations

import shutil

import pytest

from searchkit import analysis, guesser
from searchkit.lemmatizer import Lemmatizer

from conftest import SEED_ID

# (an inflected form, the name): none of them is in SGJP.
NAMES = [
    ("Tokajewem", "Tokajew"),
    ("Tokajewowi", "Tokajew"),
    ("Syrskiego", "Syrski"),
    ("Kramatorsku", "Kramatorsk"),
    ("Pawłogradzie", "Pawłograd"),      # d -> dzi
    ("Kostiantyniwce", "Kostiantyniwka"),  # k -> c
    ("Stoltenbergiem", "Stoltenberg"),
    ("Sunakiem", "Sunak"),
    ("Łuhańsku", "Łuhańsk"),
    ("Hamą", "Hama"),                   # the Syrian city: short names inflect too
    ("Hamy", "Hama"),
]

# Real names that share their beginning and must not share a term.
APART = [
    ("Tokajew", "Tokaju"),            # Kazakhstan's president, the Hungarian town
    ("Kostiantyniwce", "Kostiantyna"),  # the town, the first name
    ("Budanowem", "Budana"),          # the general, the surname Budan
    ("Syrskiego", "Sunaka"),
]


def index_terms(text: str) -> list[str]:
    return [t.text for t in analysis.polish_analyzer()(text)]


def query_terms(text: str) -> list[str]:
    return [t.text for t in analysis.polish_analyzer()(text, mode="query")]


@pytest.mark.parametrize("form, name", NAMES)
def test_forms_of_a_name_the_dictionary_lacks_reach_its_term(form, name):
    lemmatizer = Lemmatizer()
    assert not lemmatizer.known(form.lower()) and not lemmatizer.known(name.lower())
    term = index_terms(name)
    assert index_terms(form) == term
    assert term[0] in index_terms(f"Rozmowa z {form} trwała godzinę.")
    # A query, typed as written or in lower case, finds the document's term.
    assert query_terms(form) == query_terms(form.lower()) == term
    assert query_terms(name.lower()) == term


@pytest.mark.parametrize("one, other", APART)
def test_different_names_keep_different_terms(one, other):
    assert index_terms(one) != index_terms(other)
    assert query_terms(one.lower()) != query_terms(other.lower())


def test_a_capitalised_word_at_the_start_of_a_sentence_is_the_word():
    # Capitals do not make a name: the dictionary decides, whatever the case.
    assert index_terms("Zamek stoi.")[0] == index_terms("stary zamek")[1] == "zamek"
    assert index_terms("Zamkiem")[0] == "zamek"


def test_parts_of_compound_adjectives_take_their_lemma():
    # The tokenizer splits skrajno-prawicowy; Morfeusz knows skrajno- in a compound.
    assert index_terms("skrajno-prawicowy") == ["skrajny", "prawicowy"]


def test_guesser_rules_rewrite_endings():
    guess = guesser.Guesser({"": (0, ""), "dzie": (4, "d"), "ce": (2, "k"), "em": (2, "")})
    assert guess("pawłogradzie") == "pawłograd"
    assert guess("kostiantyniwce") == "kostiantyniwk"
    assert guess("sunak") == "sunak"
    # A rule that would leave fewer than three letters gives way to a shorter
    # ending's rule; with none left, there is no guess.
    assert guesser.Guesser({"em": (2, ""), "niem": (4, "")})("geniem") == "geni"
    assert guesser.Guesser({"em": (2, "")})("xem") is None


def test_a_short_name_whose_longest_ending_cuts_too_much_still_gets_a_rule():
    # Muhammad Ali: the rule for -iego would leave two letters; pystempel's
    # guess for Aliego was "alękni".
    assert index_terms("Aliego") == index_terms("Aliemu") == index_terms("Ali") == ["ali"]


def test_learnt_rules_keep_only_the_endings_that_decide():
    pairs = [("pawłogradzie", "pawłograd"), ("wołgogradzie", "wołgograd"),
             ("pawłograd", "pawłograd"), ("wołgograd", "wołgograd"),
             ("kijowie", "kijow"), ("lwowie", "lwow")]
    table = guesser.learn(pairs, context=2, min_count=2)
    assert guesser.Guesser(table)("stalingradzie") == "stalingrad"
    assert guesser.Guesser(table)("krakowie") == "krakow"
    # An ending whose rule a shorter one already gives is not stored.
    assert all(table[e] != table.get(e[1:]) for e in table if e)


def test_name_key_joins_a_names_paradigms():
    assert guesser.name_key("Kostiantyniwka".lower()) == "kostiantyniwk"
    assert guesser.name_key("kijów") == guesser.name_key("kijow") == "kijow"


def test_changed_rules_change_the_signature_and_ask_for_a_rebuild(tmp_path, monkeypatch):
    from searchkit.errors import SearchkitError
    from searchkit.index import update

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Rozmowa z Tokajewem.", encoding="utf-8")
    ix = str(tmp_path / "ix")
    update(ix, [str(docs)], warn=lambda *a, **k: None)
    before = analysis.signature()
    rules = tmp_path / "name-rules.tsv"
    shutil.copyfile(guesser.RULES_PATH, rules)
    with open(rules, "a", encoding="utf-8") as f:
        f.write("wem\t3\t\n")
    monkeypatch.setattr(guesser, "RULES_PATH", str(rules))
    assert analysis.signature() != before
    with pytest.raises(SearchkitError, match="--rebuild"):
        update(ix, [str(docs)], warn=lambda *a, **k: None)


def test_search_for_an_inflected_name_finds_the_seed_article(cli, seed_index):
    # The seed article says "Tokajew" only.
    for query in ("Tokajewem", "tokajewem", "Tokajewowi"):
        r = cli("search", query, "--index", seed_index)
        assert r.exit_code == 0
        assert SEED_ID in r.stdout, query
