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
    ("Albertiego", "Alberti"),          # a foreign name keeps its -i in every form
    ("Contim", "Conti"),
    ("Chersonia", "Chersoń"),           # ń -> ni: the genitive is no feminine Chersonia's
    ("Chersoniem", "Chersoń"),
    ("Norfolku", "Norfolk"),            # not a Norfolek's, whose e its cases would lose
    ("Blackiem", "Black"),
]

# Real names that share their beginning and must not share a term.
APART = [
    ("Tokajew", "Tokaju"),            # Kazakhstan's president, the Hungarian town
    ("Kostiantyniwce", "Kostiantyna"),  # the town, the first name
    ("Budanowem", "Budana"),          # the general, the surname Budan
    ("Syrskiego", "Sunaka"),
    ("Albertiego", "Alberta"),        # Alberti, Albert
    ("Contiego", "Contem"),           # Conti, Conte
    ("Christine", "Christiną"),       # Christine, Christina
    ("Johanne", "Johannem"),          # Johanne, Johann
]


def index_terms(text: str) -> list[str]:
    return [t.text for t in analysis.polish_analyzer()(text)]


def query_terms(text: str) -> list[str]:
    return [t.text for t in analysis.polish_analyzer()(text, mode="query")]


@pytest.mark.parametrize("form, name", NAMES)
def test_forms_of_a_name_the_dictionary_lacks_reach_its_term(form, name):
    lemmatizer = Lemmatizer()
    assert not lemmatizer.known(form.lower()) and not lemmatizer.known(name.lower())
    term = index_terms(name.lower())
    assert index_terms(form.lower()) == term
    # Written with a capital, as names are, a form also gets the name term:
    # the name's key, capitalised (a term space lower-case words never reach);
    # an adjectival surname's keeps its -i (lemmatizer.adjectival_keys).
    key = term[0] + ("i" if name.endswith(("ski", "cki")) else "")
    names = term + [key[:1].upper() + key[1:]]
    assert index_terms(name) == index_terms(form) == names
    assert index_terms(f"Rozmowa z {form} trwała godzinę.")[1:3] == names
    # A query, typed as written or in lower case, finds the document's term
    # (with an index, the name term: tests/test_search.py).
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
    assert index_terms("aliego") == index_terms("aliemu") == index_terms("ali") == ["ali"]
    assert index_terms("Aliego") == index_terms("Aliemu") == ["ali", "Ali"]


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
    # An adjective's -i goes (Syrska is Syrski's); a foreign name's stays.
    assert guesser.name_key("syrski") == guesser.name_key("syrska") == "syrsk"
    assert guesser.name_key("alberti") == "alberti" != guesser.name_key("albert")
    # An -e after n or s is a foreign name's; elsewhere a Polish ending's.
    assert guesser.name_key("christine") == "christine" != guesser.name_key("christina")
    assert guesser.name_key("katowice") == "katowic"
    # A final ń is written as its cases write it (Armenia's nominative is also
    # the genitive of an Armeń), and a masculine's e before k or l goes, as in
    # its cases (Szafranka: the masculine's genitive, the feminine).
    assert guesser.name_key("armeń") == guesser.name_key("armenia") == "armeni"
    assert guesser.name_key("chersoń") == "chersoni"
    assert guesser.name_key("szafranek") == guesser.name_key("szafranka") == "szafrank"
    assert guesser.name_key("bebel") == guesser.name_key("bebla") == "bebl"
    # After an i the consonant softens instead: Grzesiek is not Grzesik.
    assert guesser.name_key("grzesiek") == guesser.name_key("grześka") == "grześk"
    assert guesser.name_key("grzesik") == "grzesik"
    assert guesser.name_key("daniel") == "daniel" != guesser.name_key("danila")


def test_a_name_the_dictionary_has_in_o_meets_its_spelling_in_a():
    # SGJP has Łukaszenko (Łukaszenki, Łukaszence); the press also writes
    # Łukaszenka, which SGJP lacks: written as names, they meet.
    assert index_terms("z Łukaszenką i Łukaszence")[1::2] == ["Łukaszenk", "Łukaszenk"]
    assert index_terms("o Łukaszence")[1] == index_terms("o Łukaszenka")[1]


def test_changed_rules_change_the_signature_and_ask_for_a_rebuild(tmp_path, monkeypatch, cli):
    from searchkit.errors import SearchkitError
    from searchkit.index import update

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Rozmowa z Tokajewem.", encoding="utf-8")
    ix = str(tmp_path / "ix")
    update(ix, [str(docs)], warn=lambda *a, **k: None)
    sharded = str(tmp_path / "sharded")
    assert cli("index", str(docs), "--index", sharded, "--shards", "2").exit_code == 0
    assert cli("search", "Tokajewem", "--index", ix).stderr == ""
    assert cli("search", "Tokajewem", "--index", sharded).stderr == ""
    before = analysis.signature()
    rules = tmp_path / "name-rules.tsv"
    shutil.copyfile(guesser.RULES_PATH, rules)
    with open(rules, "a", encoding="utf-8") as f:
        f.write("wem\t3\t\n")
    monkeypatch.setattr(guesser, "RULES_PATH", str(rules))
    assert analysis.signature() != before
    with pytest.raises(SearchkitError, match="--rebuild"):
        update(ix, [str(docs)], warn=lambda *a, **k: None)
    # A search still searches, and says the index needs rebuilding.
    result = cli("search", "Tokajewem", "--index", ix)
    assert result.exit_code == 0 and "a.txt" in result.stdout
    assert "--rebuild" in result.stderr and len(result.stderr.splitlines()) == 1
    assert "--rebuild" in cli("search", "Tokajewem", "--index", sharded).stderr


def test_search_for_an_inflected_name_finds_the_seed_article(cli, seed_index):
    # The seed article says "Tokajew" only.
    for query in ("Tokajewem", "tokajewem", "Tokajewowi"):
        r = cli("search", query, "--index", seed_index)
        assert r.exit_code == 0
        assert SEED_ID in r.stdout, query


# ------------------------------------------------------------ name terms

def test_a_word_written_as_a_name_gets_its_name_term_beside_its_term():
    terms = index_terms("Rozmawiał z gen. Syrskim, potem z Markiem. Wojna trwa. "
                        "Tokajew przyjechał. Marek milczał.\nKraków leży nad Wisłą.")
    assert terms == [
        "rozmawiać",            # a sentence's first word: a capital says nothing
        "gen", "syrsk", "Syrski",  # after a title's full stop: inside the sentence
        "pot", "marek", "Marek",  # inside a sentence: Marek, a name of the dictionary
        "wojna", "trwać",       # Wojna starts a sentence, and is a word too
        "tokajew", "Tokajew",   # starts one, but the dictionary lacks it: a name
        "przyjechać",
        "marek", "milczeć",     # Marek is also a word (marek): at the start, that
        "kraków", "Kraków",     # after a line break; the dictionary knows it only as a name
        "leż", "wisła", "Wisła"]
    # A name's forms share the name term (Markiem, Marka: Marek's, not Marco's).
    assert index_terms("o Marku, z Markiem, dla Marka")[1::2] == ["Marek"] * 3


def test_jan_is_the_name_not_an_abbreviation(make_index):
    # Morfeusz reads Jan also as the abbreviation of "Ewangelia świętego
    # Jana", whose lemma came first: Jan's name term was not Jana's.
    assert index_terms("Miasta Jan Jana Janem Janowi")[2::2] == ["Jan"] * 4
    folder = make_index({"a.txt": "Przyszedł Jan Kowalski.", "b.txt": "Rozmawiał z Janem.",
                         "c.txt": "Dom Jana stał pusty."}, name="jan")
    for query in ("Jan", "Janem", "jan"):
        assert _found(folder, query) == ["a.txt", "b.txt", "c.txt"], query


def test_a_name_the_dictionary_knows_as_another_word_meets_its_forms_among_names():
    # SGJP reads Koronowa as the adjective koronowy; written with a capital,
    # it is also the town Koronowo, as Koronowem is (a name in -o is keyed
    # without it, as the rules key the names they guess).
    assert index_terms("w Koronowa i z Koronowem") == ["koronowy", "Koronow",
                                                     "koronowo", "Koronow"]


@pytest.fixture(scope="module")
def names_index(tmp_path_factory):
    from searchkit.index import update

    docs = tmp_path_factory.mktemp("names-docs")
    for name, text in {
            "tokajew": "Rozmowa z Tokajewem trwała godzinę.",
            "caps": "RELACJA Z ROZMOWY Z TOKAJEWEM.",
            "lower": "Ktoś napisał tokajewem i tokajewowi małą literą.",
            "mark": "Spotkał Marka Twaina, ale nie Mark Twain.",
            "marek": "Marek przyjechał. Rozmawiał z Markiem o marce samochodu."}.items():
        (docs / f"{name}.txt").write_text(text, encoding="utf-8")
    folder = str(tmp_path_factory.mktemp("names") / "ix")
    update(folder, [str(docs)], warn=lambda *a, **k: None)
    return folder


def _found(folder, query):
    from searchkit.search import Searcher

    with Searcher(folder) as searcher:
        return sorted(hit.id.rsplit("/", 1)[-1] for hit in searcher.search(query).hits)


def test_a_name_typed_with_a_capital_finds_the_documents_that_write_it_as_a_name(names_index):
    # Tokajew is a name wherever written with a capital (or in capitals):
    # typed so, a query asks for the name, not for a lower-case word that
    # shares its term -- also in a form the index only has in lower case
    # (tokajewowi), and in one it lacks (Tokajewa).
    for query in ("Tokajew", "Tokajewem", "Tokajewowi", "Tokajewa"):
        assert _found(names_index, query) == ["caps.txt", "tokajew.txt"], query
    # In lower case, the word (an ALL-CAPS word the dictionary lacks keeps its
    # form as its term, as an acronym would: TOKAJEWEM is found as a name).
    for query in ("tokajew", "tokajewowi"):
        assert _found(names_index, query) == ["lower.txt", "tokajew.txt"], query
    # A prefix is letters, not a name.
    for query in ("Tokajew*", "tokajew*"):
        assert _found(names_index, query) == ["caps.txt", "lower.txt", "tokajew.txt"], query


def test_a_word_in_lower_case_the_index_also_writes_so_is_searched_by_its_terms(names_index):
    from searchkit.search import Searcher

    with Searcher(names_index) as searcher:
        # tokajewem: written in lower case too; tokajew: not in the index.
        for form in ("tokajewem", "tokajew"):
            terms = searcher.lemmatizer.query_terms(form, capital=False)
            assert "tokajew" in terms and "Tokajew" not in terms, form
            assert searcher.lemmatizer.query_terms(form, capital=True) == ["Tokajew"], form


def test_a_word_in_lower_case_the_index_writes_only_as_a_name_is_that_name(make_index):
    # Jaśmina, a name SGJP lacks, gets the guessed key jaśmin, the flower's
    # lemma.  Typed in lower case, as most queries are, it finds the woman,
    # not the flower: the index writes it only as a name.
    people = {"a.txt": "Rozmawiał z Jaśminą o książce.", "b.txt": "Wczoraj Jaśmina nie przyszła.",
              "c.txt": "W ogrodzie kwitnie jaśmin."}
    folder = make_index(people, name="people")
    for query in ("jaśmina", "jaśminą", "jasmina", "Jaśmina"):
        assert _found(folder, query) == ["a.txt", "b.txt"], query
    assert _found(folder, "jaśmin") == ["a.txt", "b.txt", "c.txt"]
    # Once a document writes a form of the word in lower case (here added by
    # an update), the query means the word as well, as before: a lower-case
    # query loses no document it found before.
    folder = make_index({"d.txt": "Podpisano: jaśmina."}, name="people")
    for query in ("jaśmina", "jaśminą"):
        assert _found(folder, query) == ["a.txt", "b.txt", "c.txt", "d.txt"], query
    assert _found(folder, "Jaśmina") == ["a.txt", "b.txt"]
    folder = make_index({"a.txt": "Zwiastun serialu pokazał wczoraj Netflix.",
                         "b.txt": "Serial obejrzysz na netflixie od piątku.",
                         "c.txt": "Ceny subskrypcji netflixa znowu wzrosły.",
                         # Alfonsa: to Morfeusz only Alfons's with a capital,
                         # the common alfons's in lower case.
                         "d.txt": "Wystawa prac Alfonsa Muchy odbyła się w Pradze.",
                         "e.txt": "Policja zatrzymała alfonsa podejrzanego o stręczycielstwo."},
                        name="brands")
    assert _found(folder, "netflix") == ["a.txt", "b.txt", "c.txt"]
    assert _found(folder, "alfonsa") == ["d.txt", "e.txt"]
    # The same where an update brings the name to a lexicon that has the
    # word only in lower case (an update reads its words' terms there).
    make_index({"e.txt": "Policja zatrzymała alfonsa podejrzanego o stręczycielstwo."},
               name="update")
    folder = make_index({"d.txt": "Wystawa prac Alfonsa Muchy odbyła się w Pradze."},
                        name="update")
    assert _found(folder, "alfonsa") == ["d.txt", "e.txt"]
    # Gdańska and Gdańsku are also the adjective gdański's: gdansk found
    # only the document writing Gdańsk.  NATO in capitals stays the acronym.
    folder = make_index({"a.txt": "Mieszka w Gdańsku od lat.", "b.txt": "Wyjechał do Gdańska.",
                         "c.txt": "Miasto Gdańsk leży nad morzem.", "d.txt": "Szczyt NATO w Wilnie.",
                         "e.txt": "Sojusz NATO obraduje."}, name="towns")
    for query in ("gdansk", "gdańsk", "Gdańsk"):
        assert _found(folder, query) == ["a.txt", "b.txt", "c.txt"], query
    assert _found(folder, "nato") == _found(folder, "NATO") == ["d.txt", "e.txt"]


def test_a_word_the_dictionary_lacks_that_only_starts_sentences_is_no_name(make_index):
    # An old spelling (nieustannem, for nieustannym) starts a sentence in one
    # document and is written in lower case in the others: a query that
    # starts with it, with a capital, means the word.
    folder = make_index({"a.txt": "Nieustannem staraniem zbudowano dom.",
                         "b.txt": "Pracował nieustannem wysiłkiem."})
    assert _found(folder, "Nieustannem") == ["a.txt", "b.txt"]
    # Also where a word of the dictionary is written as a name whose key the
    # rules would guess for it too (a band, Nieustanny Ruch).
    folder = make_index({"a.txt": "Nieustannem staraniem zbudowano dom.",
                         "b.txt": "Pracował nieustannem wysiłkiem.",
                         "c.txt": "Grał w zespole Nieustanny Ruch."}, name="band")
    assert _found(folder, "Nieustannem") == ["a.txt", "b.txt"]


def test_a_name_the_dictionary_lacks_only_starting_sentences_is_that_name(make_index):
    # Gina, a name SGJP lacks, starts both its documents' sentences and no
    # document writes it in lower case: typed with a capital or not, it is
    # the name, not its guessed term gin, the drink's (ginu) and the verb's
    # (ginie: ginąć, or gin's locative).
    folder = make_index({"a.txt": "Gina przyszła wczoraj do domu.", "b.txt": "Gina śpiewa pięknie.",
                         "c.txt": "Ten żołnierz ginie w boju.",
                         "d.txt": "Lubię zapach ginu z tonikiem."})
    for query in ("Gina", "gina"):
        assert _found(folder, query) == ["a.txt", "b.txt"], query
    assert _found(folder, "gin") == ["a.txt", "b.txt", "c.txt", "d.txt"]
    # A word the dictionary lacks (written without diacritics) starting a
    # sentence, whose other forms documents write in lower case, is the word.
    folder = make_index({"a.txt": "Jezyki obce sa trudne.", "b.txt": "Uczy sie jezyka polskiego.",
                         "c.txt": "Mowi tym jezykiem od dziecka."}, name="plain")
    for query in ("Jezyki", "jezyki", "Jezyki obce"):
        assert _found(folder, query) == ["a.txt", "b.txt", "c.txt"], query


def test_a_town_in_sk_and_an_adjectival_surname_stay_apart(make_index):
    # The rules key the town Nikolsk and the surname Nikolski alike (nikolsk);
    # only the surname's forms are an adjective's, and -ska is both (the
    # town's genitive, the woman's name): lemmatizer.adjectival_keys.
    folder = make_index({"a.txt": "Rozmawiał z Nikolskim o pracy.",
                         "b.txt": "Mieszkał długo w Nikolsku.",
                         "c.txt": "Wyjechał z Nikolska rano.",
                         "d.txt": "Przyszli też Nikolscy z dziećmi."})
    for query in ("Nikolski", "Nikolskim", "nikolskiego", "Nikolscy"):
        assert _found(folder, query) == ["a.txt", "c.txt", "d.txt"], query
    for query in ("Nikolsk", "Nikolsku", "nikolskiem"):
        assert _found(folder, query) == ["b.txt", "c.txt"], query
    assert _found(folder, "Nikolska") == ["a.txt", "b.txt", "c.txt", "d.txt"]
    # Typed with a capital, a form the index has only in lower case is
    # searched by the key its other forms have as names (helper-28).
    folder = make_index({"a.txt": "Rozmawiał z Nikolskim o pracy.",
                         "b.txt": "Mieszkał długo w Nikolsku.",
                         "e.txt": "Przy rogu nikolskiego prospektu i ulicy nikolska."},
                        name="lower")
    assert _found(folder, "Nikolskiego") == ["a.txt"]
    assert _found(folder, "Nikolska") == ["a.txt", "b.txt"]
    # A surname whose nominative is also a common word (woski, wosk's plural)
    # keeps one key for all its forms.
    folder = make_index({"a.txt": "Rozmawiał z Woskim o pracy.",
                         "b.txt": "Przyszedł też pan Woski z żoną."}, name="wosk")
    for query in ("Woskim", "Woskiego"):
        assert _found(folder, query) == ["a.txt", "b.txt"], query


def test_capitals_do_not_make_a_word_a_name(make_index):
    # A heading in capitals says no more than a sentence's first letter:
    # JAŚMINU is the flower's (a word of the dictionary), not Jaśmina's; a
    # name wherever capitalised is still one in capitals (TOKAJEWA).
    folder = make_index({"a.txt": "Rozmawiał z Jaśminą o książce.",
                         "b.txt": "ZAPACH JAŚMINU\n\nW ogrodzie pachnie.",
                         "c.txt": "WIZYTA TOKAJEWA\n\nPrezydent przyleciał.",
                         "d.txt": "Spotkanie z Tokajewem trwało godzinę."})
    for query in ("Jaśmina", "jaśmina", "Jaśminą"):
        assert _found(folder, query) == ["a.txt"], query
    assert _found(folder, "jaśmin") == ["a.txt", "b.txt"]
    for query in ("Tokajew", "tokajew", "Tokajewa"):
        assert _found(folder, query) == ["c.txt", "d.txt"], query


def test_a_name_that_is_also_a_word_finds_every_marek_whatever_its_capital(names_index):
    # Marek is a name and a word: typed with a capital (as at a query's
    # start) it still finds every Marek; Mark (which the dictionary lacks)
    # finds Mark, not Marek, whose rules' guess would be "mark".
    assert _found(names_index, "Marek") == _found(names_index, "marek") == ["marek.txt",
                                                                              "mark.txt"]
    assert _found(names_index, "Mark") == ["mark.txt"]


def test_a_word_that_is_also_a_name_is_the_name_where_the_index_has_it_so_as_often(make_index):
    # To the dictionary, Koronowa is the adjective koronowy; written with a
    # capital, it is also the town Koronowo's genitive, as Koronowem is.
    # Typed with a capital, it asks for the name where the index has the name
    # in as many documents as the word; where the adjective is commoner, for
    # the word.  In lower case, the word, with the town's name term beside it
    # on the same terms (lexicon.TOWN); never a name term that is no place's
    # (on a small index, radiem's and mieszka's name terms may be in as many
    # documents as the words).
    town = {"a.txt": "Jechał do Koronowa wczoraj.", "b.txt": "Mieszka pod Koronowem od lat."}
    folder = make_index(town, name="town")
    assert _found(folder, "Koronowa") == ["a.txt", "b.txt"]
    assert _found(folder, "koronowa") == ["a.txt", "b.txt"]
    assert _found(folder, "mieszka") == ["b.txt"]
    folder = make_index({**town, "c.txt": "Uszyto koronową suknię.",
                         "d.txt": "Była w koronowej sukni."}, name="both")
    assert _found(folder, "Koronowa") == _found(folder, "koronowa") == ["a.txt", "c.txt",
                                                                         "d.txt"]


def test_a_common_word_seen_only_in_lower_case_is_the_word_typed_with_a_capital(make_index):
    # Wiosna is written as a name once (Praska Wiosna), wiosną only in lower
    # case: typed with a capital, Wiosną is still the word.
    folder = make_index({"a.txt": "Była to Praska Wiosna w Czechach.",
                         "b.txt": "Przyszła wiosna.", "c.txt": "Lubię wiosnę.",
                         "d.txt": "Pachnie wiosną."})
    assert _found(folder, "Wiosną") == ["a.txt", "b.txt", "c.txt", "d.txt"]


def test_only_the_forms_written_as_the_name_are_highlighted(names_index):
    from searchkit.search import Searcher

    text = "Ktoś napisał tokajewem, a Tokajew przyjechał. Tokajewem!"
    with Searcher(names_index) as searcher:
        assert [text[s:e] for s, e in searcher.highlight(text, "Tokajew")] == [
            "Tokajew", "Tokajewem"]
        assert [text[s:e] for s, e in searcher.highlight(text, "tokajew")] == [
            "tokajewem", "Tokajew", "Tokajewem"]


def test_a_phrase_takes_one_term_a_word(names_index):
    # A word with a name term (tokajewem: its term and the name's) stands at
    # one position of a phrase, by its own term: the phrase decides.
    assert _found(names_index, '"z Tokajewem trwała"') == ["tokajew.txt"]
    assert _found(names_index, '"napisał tokajewem"') == ["lower.txt"]


def test_an_update_gives_new_documents_name_terms_as_a_fresh_build_does(make_index):
    from searchkit.lexicon import Lexicon

    make_index({"a.txt": "Rozmowa z Tokajewem trwała godzinę."})
    folder = make_index({"b.txt": "Potem podziękowano Tokajewowi i Syrskiemu."})
    assert _found(folder, "Tokajew") == ["a.txt", "b.txt"]
    assert _found(folder, "Syrski") == ["b.txt"]
    lexicon = Lexicon.open(folder)
    try:
        assert lexicon.name_of("tokajewowi") == ("Tokajew", True)
        assert lexicon.name_of("rozmowa") is None  # a sentence's first word, and a word
    finally:
        lexicon.close()


def test_a_names_form_the_index_lacks_is_not_only_a_dictionary_word_with_diacritics(make_index):
    folder = make_index({"a.txt": "Pakiety systemu Debian instaluje się łatwo."})
    # "debianie" could be the dictionary's "dębianie" typed without its
    # diacritics; its own term (debian) is in the index, so it is that too.
    assert _found(folder, "Debianie") == _found(folder, "debianie") == ["a.txt"]


def test_names_reach_the_lexicon_when_the_word_caches_are_cleared(make_index, monkeypatch):
    from searchkit import segments
    from searchkit.lexicon import Lexicon

    # The writer clears its caches of words every so many words: between
    # documents, so that a name met early in a document still reaches the
    # lexicon when it is posted later in it.
    monkeypatch.setattr(segments, "_WORDS_CACHED", 12)
    words = " ".join(f"słowo{n}" for n in range(30))
    folder = make_index({"a.txt": f"Tokajewem. {words} i z Tokajewem.",
                         "b.txt": f"{words} o Syrskim."})
    lexicon = Lexicon.open(folder)
    try:
        assert lexicon.name_of("tokajewem") == ("Tokajew", True)
        assert lexicon.is_name("Tokajew") and lexicon.is_name("Syrski")
    finally:
        lexicon.close()


def test_a_russian_surnames_locative_meets_its_other_forms(make_index):
    # The rules read -owie as a family's plural (Nowakowie: Nowak), and
    # Budanowie is also Budanow's locative: it gets both name terms.
    assert index_terms("mówiono o Budanowie") == ["mówić", "budan", "Budan", "Budanow"]
    folder = make_index({"a.txt": "Rozmowa z Budanowem trwała.", "b.txt": "Mówiono o Budanowie.",
                         "c.txt": "Według Budanowa atak nastąpi.", "d.txt": "Stado lwów spało."})
    for query in ("Budanow", "budanow", "Budanowie", "budanowie", "Budanowa"):
        assert _found(folder, query) == ["a.txt", "b.txt", "c.txt"], query
    # An update takes the second name term from the lexicon.
    folder = make_index({"e.txt": "Znów mówiono o Budanowie."})
    for query in ("Budanowa", "Budanowem"):
        assert _found(folder, query) == ["a.txt", "b.txt", "c.txt", "e.txt"], query
    # Also where the index writes the name only in -owie.
    folder = make_index({"a.txt": "Mówiono o Kadyrowie wczoraj.", "b.txt": "Stado lwów spało."},
                        name="kadyrow")
    for query in ("Kadyrow", "kadyrow", "Kadyrowa"):
        assert _found(folder, query) == ["a.txt"], query


def test_a_towns_row_reaches_the_lexicon_when_the_names_cache_is_cleared(make_index,
                                                                        monkeypatch):
    from searchkit import lemmatizer
    from searchkit.lexicon import NAME_INSIDE, TOWN, Lexicon

    # A document's names are worked out before its words are posted; the
    # bounded cache of names (and of which are towns') may be cleared between.
    monkeypatch.setattr(lemmatizer, "NAMES_CACHED", 2)
    folder = make_index({"a.txt": "Jadę do Kijowa, potem do Zenona, Mariana i Tadeusza."})
    lexicon = Lexicon.open(folder)
    try:
        assert {NAME_INSIDE, TOWN} <= lexicon.codes("kijowa")
    finally:
        lexicon.close()


def test_a_towns_forms_are_not_a_familys_plural(make_index):
    # Krakowie is Kraków's locative and the Kraks (a surname's plural);
    # Kraków is also their genitive.  The alphabetical lemma (Krak) took them
    # from the city's other forms: a search for Kraków missed Krakowa.
    terms = index_terms("Kraków Krakowa Krakowie Krakowem")
    assert {t for t in terms if t.islower()} == {"kraków"}
    assert index_terms("we Lwowie")[0] == index_terms("do Lwowa")[0] == "lwów"
    # Peoples are no family (the Serbs, not the village Serbów), nor is a
    # family beside a village's neuter name (the Nowaks, not Nowakowo).
    assert index_terms("Serbów")[0] == "serb"
    assert index_terms("Nowakowie")[0] == "nowak"
    # Kijów is also the genitive plural of the villages Kij and Kije (and
    # Tarnów of Tarnowa's and Tarnowo's): a town's singular keys it as the town.
    for forms in ("Kijów Kijowa Kijowie Kijowem", "Lwów Lwowa Lwowie",
                  "Tarnów Tarnowa Tarnowie", "Piotrków Piotrkowa Piotrkowie"):
        names = index_terms(f"Miasta {forms}")[2::2]
        assert len(set(names)) == 1 and names[0] == forms.split()[0], (forms, names)
    # Not over a people (the Hungarians, the Italians, the Serbs: also towns
    # Węgrów, Włochów, Serbów) nor over a person's singular (Romanow's).
    for form, name in (("Węgrów", "Węgier"), ("Włochów", "Włoch"), ("Serbów", "Serb"),
                       ("Romanowa", "Romanow")):
        assert index_terms(f"Miasta {form}")[2] == name, form
    town = make_index({"a.txt": "Jadę do Kijowa.", "b.txt": "Mieszkam w Kijowie.",
                       "c.txt": "Wczoraj Kijów świętował.", "d.txt": "Bił go kijem."}, name="kijow")
    assert _found(town, "Kijów") == ["a.txt", "b.txt", "c.txt"]
    # In lower case kijów is kij's genitive plural, whose term Kijowa and
    # Kijowie lack: the town's name term beside it finds them (and kijem).
    for query in ("kijów", "kijow"):
        assert _found(town, query) == ["a.txt", "b.txt", "c.txt", "d.txt"], query
    # Also where no document writes Kijów itself.
    town = make_index({"a.txt": "Jadę do Kijowa.", "b.txt": "Mieszkam w Kijowie.",
                       "d.txt": "Bił go kijem."}, name="kijowa")
    for query in ("kijów", "kijow", "Kijów"):
        assert _found(town, query)[:2] == ["a.txt", "b.txt"], query
    # Also in an update, and where a common word is commoner the word stays
    # alone (lwów: lions).
    make_index({"x.txt": "Jechał do Krakowa."}, name="lwow")
    town = make_index({"e.txt": "Pojechał przez Lwów do domu.", "f.txt": "Był we Lwowie."},
                      name="lwow")
    assert _found(town, "lwow") == ["e.txt", "f.txt"]
    town = make_index({"g.txt": "Stado lwów spało.", "h.txt": "Ryk lwów słychać.",
                       "i.txt": "Lew i lwy."}, name="lwow")
    assert _found(town, "lwow") == ["e.txt", "g.txt", "h.txt", "i.txt"]
    folder = make_index({"a.txt": "Mieszkam w Krakowie od lat.", "b.txt": "Jadę do Krakowa.",
                         "c.txt": "Kraków jest pięknym miastem.", "d.txt": "Pod Krakowem pada."})
    for query in ("Kraków", "krakow", "Krakowie", "Krakowa"):
        assert _found(folder, query) == ["a.txt", "b.txt", "c.txt", "d.txt"], query


def test_a_name_the_index_lacks_in_the_typed_form_is_found_by_its_name_term_too(make_index):
    # Gdańsku and Gdańska are also the adjective gdański's (po gdańsku): no
    # document writes Gdańsk itself, and Gdańsk, typed as most people type a
    # town, found nothing -- its term is no other form's.
    folder = make_index({"a.txt": "Mieszka w Gdańsku od lat.", "b.txt": "Wyjechał do Gdańska.",
                         "c.txt": "Mówił po gdańsku.", "d.txt": "Jechał z Krakowa."})
    for query in ("Gdańsk", "gdańsk", "gdansk", "Gdansk"):
        assert _found(folder, query) == ["a.txt", "b.txt"], query
    # Also where the index has Gdańsk only starting a sentence (a letter's
    # "Gdańsk, 12 maja"): no name row inside a sentence either.
    folder = make_index({"e.txt": "Gdańsk jest piękny."})
    for query in ("Gdańsk", "gdańsk", "gdansk"):
        assert _found(folder, query) == ["a.txt", "b.txt", "e.txt"], query
    # Beside its terms, not instead of them: Klara and Klarze are also the
    # surname Klar's (name term Klar), Klary only Klara's, and at a
    # sentence's start Klary and Klarze are the word klar's too.
    folder = make_index({"b.txt": "Dałem to Klarze w piątek.", "c.txt": "Klary nie było w domu.",
                         "e.txt": "Klarze nikt nie pomógł.", "f.txt": "Jechał z Krakowa."},
                        name="klara")
    for query in ("Klara", "klara"):
        assert _found(folder, query) == ["b.txt", "c.txt", "e.txt"], query


def test_a_word_the_index_has_is_searched_without_loading_the_dictionary(make_index):
    from searchkit.search import Searcher

    # Its load (about 90 ms) would double a one-shot search: the lexicon
    # answers for the forms the index has, capitalised or not.
    folder = make_index({"a.txt": "Długo trwała wojna domowa.",
                         "b.txt": "Muzeum Wojny Polskiej otwarto w Gdańsku."})
    with Searcher(folder) as searcher:
        for query in ("Wojna", "wojna", "Wojny", "Gdańsku", "gdańsku", "muzeum"):
            assert searcher.search(query).hits, query
        assert searcher.lemmatizer._morfeusz is None


def test_a_capital_after_the_query_s_first_word_ranks_the_name_first(make_index):
    # Duda is a word (bagpipes) and a surname; the index writes it in lower
    # case more often than as a name, so typed first it is the word.  After
    # the query's first word a capital says what it says inside a sentence.
    folder = make_index({
        "a.txt": "Grała duda, a muzyka niosła się po wsi.",
        "b.txt": "Na weselu duda grała długo.",
        "c.txt": "Muzyka, o której wczoraj mówił prezydent Duda podczas spotkania z "
                 "dziennikarzami w pałacu, była ludowa.",
    }, name="duda")
    from searchkit.search import Searcher

    with Searcher(folder) as s:
        ranked = {text: [h.id for h in s.search(text, passages=0).hits]
                  for text in ("muzyka Duda", "muzyka duda", "Duda muzyka", "muzyka. Duda",
                               "muzyka Duda -skrzypce", '"muzyka" Duda')}
    assert ranked["muzyka Duda"][0] == "c.txt"
    assert ranked["muzyka Duda -skrzypce"][0] == "c.txt"  # the parser reads it alike
    assert ranked['"muzyka" Duda'][0] == "c.txt"
    # The bagpipes' documents are still found, below.
    assert set(ranked["muzyka Duda"]) == {"a.txt", "b.txt", "c.txt"}
    # In lower case, first, or starting a sentence: the word, as before.
    for text in ("muzyka duda", "Duda muzyka", "muzyka. Duda"):
        assert ranked[text][0] == "a.txt", text
