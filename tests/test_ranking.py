"""Ranking of keyword queries: documents with more of the words first.

The collection is generated (seeded, so every run sees the same documents) in
the shape of the case that showed the problem: in 987 news articles,
``białoruscy żołnierze`` ranked the one long article holding both words 8th,
behind short ones with one of the words in their headline and first sentence.
"""

from __future__ import annotations

import random

import pytest

from searchkit.search import Searcher

# Everyday news vocabulary, none of it related to the query words.
FILLER = """
rząd minister premier prezydent spotkanie rozmowy decyzja ustawa sejm senat posłowie
partia wybory kampania budżet podatki gospodarka inflacja ceny paliwo energia gaz prąd
miasto gmina mieszkańcy ulica szkoła szpital lekarze pacjenci uczniowie nauczyciele
pociąg autobus lotnisko samolot droga most budowa inwestycja firma pracownicy pensje
pogoda deszcz śnieg mróz upał burza rzeka powódź las pożar strażacy policja kierowca
wypadek sąd wyrok prokurator śledztwo świadek dziennikarze telewizja gazeta internet
mecz drużyna trener bramka puchar kibice stadion koncert festiwal muzyka film teatr
książka wystawa muzeum turyści hotel morze góry jezioro wakacje rolnicy zboże owoce
sklep klienci bank kredyt mieszkanie remont dach okno wieczorem rano wczoraj jutro
ogłosił powiedział zapowiedział podkreślił przyznał wyjaśnił dodał zaproponował
nowy duży mały ważny trudny szybki wolny lokalny krajowy zagraniczny publiczny prywatny
""".split()


def sentence(rng: random.Random, *words: str) -> str:
    """A sentence of filler words with ``words`` among them."""
    parts = rng.sample(FILLER, rng.randint(7, 12))
    for word in words:
        parts.insert(rng.randint(0, len(parts)), word)
    text = " ".join(parts)
    return text[0].upper() + text[1:] + "."


def article(rng: random.Random, words: int) -> str:
    sentences = []
    while sum(len(s.split()) for s in sentences) < words:
        sentences.append(sentence(rng))
    return " ".join(sentences)


def collection() -> dict[str, str]:
    rng = random.Random(9)
    docs = {}
    # Background: articles of 80-400 words that mention neither word.
    for n in range(80):
        docs[f"news{n:02}.txt"] = f"{sentence(rng)}\n\n{article(rng, rng.randint(80, 400))}"
    # Short articles with one of the words in their first sentence (a text
    # file's first line: its title).
    for n, word in enumerate(["białoruscy", "żołnierze"] * 3 + ["białoruscy"]):
        docs[f"short{n}.txt"] = f"{sentence(rng, word)}\n\n{article(rng, 60)}"
    # One long article with both words in its text, a few words apart.
    docs["both.txt"] = "\n\n".join([
        sentence(rng),
        article(rng, 250),
        "W czwartek wieczorem do stolicy przybyli pierwsi żołnierze rosyjscy, "
        "a za nimi białoruscy.",
        article(rng, 250),
        sentence(rng, "żołnierzami"),
        article(rng, 150),
    ])
    return docs


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    from searchkit.index import update
    folder = tmp_path_factory.mktemp("news")
    (folder / "docs").mkdir()
    for name, text in collection().items():
        (folder / "docs" / name).write_text(text, encoding="utf-8")
    update(str(folder / "ix"), [str(folder / "docs")], warn=lambda w, m, skipped=False: None)
    with Searcher(str(folder / "ix")) as s:
        yield s


def ranked(searcher, query):
    return [h.id for h in searcher.search(query, limit=20, passages=0).hits]


@pytest.mark.parametrize("query", ["białoruscy żołnierze", "żołnierze białoruscy",
                                   "bialoruscy zolnierze", "białoruskich żołnierzy"])
def test_the_document_with_both_words_ranks_first(news, query):
    hits = ranked(news, query)
    assert hits[0] == "both.txt"
    # and the documents with one of the words all follow it
    assert set(hits) == {"both.txt"} | {f"short{n}.txt" for n in range(7)}


def test_a_filter_does_not_change_the_order(news):
    assert ranked(news, "białoruscy żołnierze type:text") == ranked(news, "białoruscy żołnierze")


def test_one_word_still_prefers_the_short_articles_about_it(news):
    # Nothing here is about proximity or coordination: a short article whose
    # headline is about soldiers is a better hit for "żołnierze" than a long
    # one that mentions them twice.
    assert ranked(news, "żołnierze")[-1] == "both.txt"


@pytest.mark.parametrize("pruning", [False, True])
def test_the_query_s_own_word_form_ranks_first_and_every_form_matches(make_index, pruning):
    """Exact forms re-score the best candidates (Searcher._rescored): of two
    documents alike but for the form, the one with the typed form comes first,
    and the other still matches, with the same lemma score."""
    rng = random.Random(5)
    filler = article(rng, 40)
    index = make_index({"inna.txt": f"Raport\n\n{filler} Żołnierzy widziano nad rzeką.",
                        "ta.txt": f"Raport\n\n{filler} Żołnierze widziano nad rzeką.",
                        "nic.txt": f"Raport\n\n{filler}"})
    with Searcher(index) as s:
        s.pruning = pruning
        for typed, first in [("żołnierze", "ta.txt"), ("żołnierzy", "inna.txt"),
                             ("żołnierzy rzeka", "inna.txt")]:
            hits = s.search(typed, passages=0).hits
            assert [h.id for h in hits][0] == first
            assert {h.id for h in hits} == {"ta.txt", "inna.txt"}
            assert hits[0].score > hits[1].score
