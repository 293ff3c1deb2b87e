"""Search: ranking, query syntax, diacritics, passages, bad queries."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit.query import QueryError
from searchkit.search import Searcher

from conftest import SEED_ID


def found(searcher, query, **kw):
    return [h.id for h in searcher.search(query, **kw).hits]


# ------------------------------------------------------------ on the seed article

@pytest.mark.parametrize("query", ["ODKB", "odkb", "żołnierzy", "Kazachstanem", "zamieszki",
                                   "Tokajewa", "USA", "siły pokojowe", "zolnierze", "Almaty"])
def test_seed_article_is_found(searcher, query):
    assert found(searcher, query) == [SEED_ID]


@pytest.mark.parametrize("query, forms", [
    ("ODKB", {"ODKB"}),
    ("żołnierzy", {"żołnierze", "żołnierzami"}),
    ("Kazachstanem", {"Kazachstanu", "Kazachstanie", "Kazachstan"}),
    ("zamieszki", {"zamieszkami", "zamieszek"}),
    ("Tokajewa", {"Tokajew"}),
    ("kazach*", {"Kazachstanu", "kazachskich"}),
])
def test_every_inflected_form_is_highlighted(searcher, query, forms):
    doc = searcher.document(SEED_ID)
    assert forms <= {doc.text[s:e] for s, e in searcher.highlight(doc.text, query)}


def test_passages_leave_no_matching_word_unmarked(searcher):
    import re
    for hit in searcher.search("Kazachstanem zamieszki").hits:
        for p in hit.passages:
            marked = {(s, e) for s, e in p.matches}
            for m in re.finditer(r"Kazachstan\w*|zamieszk\w*", p.text):
                assert (m.start(), m.end()) in marked, m.group()


def test_passages_are_sentences_not_the_document(searcher):
    hit = searcher.search("ODKB").hits[0]
    assert 1 <= len(hit.passages) <= 3
    doc = searcher.document(SEED_ID)
    for p in hit.passages:
        assert len(p.text) <= 300
        assert doc.text[p.offset:p.offset + len(p.text)] == p.text
        assert "\n" not in p.text
    # The best passage names ODKB.
    best = hit.passages[0]
    assert "ODKB" in [best.text[s:e] for s, e in best.matches]


def test_hit_carries_metadata(searcher):
    hit = searcher.search("ODKB").hits[0]
    assert (hit.rank, hit.id, hit.date) == (1, SEED_ID, "2022-01")
    assert hit.title.startswith("Stany Zjednoczone")
    assert hit.path.endswith("seeds/" + SEED_ID)
    assert hit.score > 0


@pytest.mark.parametrize("query, hits", [
    ('"siły pokojowe"', 1), ('"pokojowe siły"', 0),  # a phrase keeps its order
    ("ODKB -Tokajew", 0), ("ODKB -NATO", 1), ("NATO OR ODKB", 1), ("+NATO ODKB", 0),
    ("title:Rosja", 1), ("title:Tokajew", 0), ("tytuł:Rosja", 1),
    ("date:2022", 1), ("date:2022-01", 1), ("date:2021", 0), ("date:[2021 TO 2022]", 1),
    ("Kasym-Żomart", 1), ("id:" + SEED_ID, 1), ("*", 1),
])
def test_query_syntax(searcher, query, hits):
    assert searcher.search(query).total == hits


@pytest.mark.parametrize("query, message", [
    ("", "empty query"), ("   ", "empty query"),
    ("foo:bar", "unknown field 'foo'"),
    ("k*", "too broad"),
    ("wojna " * 1000, "too long"),
])
def test_unusable_queries_say_why(searcher, query, message):
    with pytest.raises(QueryError, match=message):
        searcher.search(query)


@pytest.mark.parametrize("query", ["i w na", "się", "OR", "-", "AND NOT", "(", '"', ")))",
                                   '"i w"', "NOT", "^2", "title:", "date:[", "10:30"])
def test_odd_queries_give_a_result_or_a_reason(searcher, query):
    try:
        result = searcher.search(query)
    except QueryError as e:
        assert str(e)
    else:
        assert result.total >= 0


def test_only_stopwords_is_explained(searcher):
    result = searcher.search("i w na")
    assert result.hits == [] and "stopwords" in result.note


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_arbitrary_text_never_crashes_the_search(searcher, text):
    try:
        searcher.search(text, limit=3)
    except QueryError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(['"', "(", ")", "-", "+", "*", ":", "^", "[", "]", "{", "}",
                                 "AND", "OR", "NOT", "TO", "title:", "date:", "ODKB", "wojna",
                                 "żółw", "2022", " ", "\\", "~", "'"]), max_size=12))
def test_query_syntax_soup_never_crashes(searcher, parts):
    try:
        searcher.search("".join(parts), limit=3)
    except QueryError:
        pass


# ------------------------------------------------------------ ranking

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from searchkit.index import update
    folder = tmp_path_factory.mktemp("small")
    docs = {
        "both.txt": "Siły\n\nSiły pokojowe przybyły do miasta.",
        "one.txt": "Siły\n\nSiły powietrzne ćwiczyły nad morzem.",
        "none.txt": "Pogoda\n\nPadał deszcz przez cały dzień.",
        "zolw.txt": "Zwierzęta\n\nŻółw pływał w stawie razem z żabą.",
        "laska.txt": "Laska\n\nDziadek chodził o lasce.",
        "laska2.txt": "Łaska\n\nKról okazał łaskę więźniom.",
        "stan.txt": "Stan\n\nStan wyjątkowy wprowadzono na dwa tygodnie.",
    }
    for name, text in docs.items():
        (folder / "docs").mkdir(exist_ok=True)
        (folder / "docs" / name).write_text(text, encoding="utf-8")
    update(str(folder / "ix"), [str(folder / "docs")], warn=lambda w, m, skipped=False: None)
    with Searcher(str(folder / "ix")) as s:
        yield s


def test_documents_with_more_of_the_words_come_first(small):
    assert found(small, "siły pokojowe") == ["both.txt", "one.txt"]


def test_query_without_diacritics_finds_the_forms_with_them(small):
    assert found(small, "zolw") == ["zolw.txt"]
    assert found(small, "zolwie") == ["zolw.txt"]  # no such form here: restored by dictionary
    assert set(found(small, "laska")) == {"laska.txt", "laska2.txt"}  # both can be meant


def test_typed_diacritics_are_taken_at_their_word(small):
    # Whoever types "żółw" can type "ł": their "laska" means laska, not łaska.
    assert set(found(small, "żółw laska")) == {"zolw.txt", "laska.txt"}
    assert set(found(small, "zolw laska")) == {"zolw.txt", "laska.txt", "laska2.txt"}


def test_did_you_mean_for_typos_and_wrong_diacritics(small):
    assert small.search("wyjatkowy stam").suggestion is None  # something matched
    assert small.search("wyjątkowego stam").total > 0
    result = small.search("pogda")
    assert (result.total, result.suggestion) == (0, "pogoda")
    result = small.search("Żólw")
    assert (result.total, result.suggestion) == (0, "Żółw")


def test_no_suggestion_when_nothing_close(small):
    result = small.search("kwazar")
    assert result.total == 0 and result.suggestion is None


def test_sentences_do_not_end_at_abbreviations():
    from searchkit.passages import sentences
    text = ("Prof. Nowak przyszedł. Mamy wątpliwości [dosł. „pytania”, ang. questions – red.] "
            "co do tego. W 1939 r. Wojna wybuchła. To np. Kraków.\nNowa linia")
    assert [text[a:b] for a, b in sentences(text)] == [
        "Prof. Nowak przyszedł.",
        "Mamy wątpliwości [dosł. „pytania”, ang. questions – red.] co do tego.",
        "W 1939 r.", "Wojna wybuchła.", "To np. Kraków.", "Nowa linia"]


def test_a_wrapped_line_goes_on_with_its_sentence():
    from searchkit.passages import sentences
    # As PDF text comes out (the shared Audacity manual), and a hard-wrapped e-mail:
    # a single line break before a lower-case letter reads as a space
    text = ("Można go zainstalować na serwerze WWW. Pakiet ten dostępny jest\nonline.\n"
            "2 Zanim zaczniesz\nKonfiguracja Audacity nie jest trudna, wystarczy,\n"
            "że wybierzesz w roku\n1939 3 tys.\nosób:\nplik\n\nnowy akapit.\nAle")
    wrapped = [
        "Można go zainstalować na serwerze WWW.",
        "Pakiet ten dostępny jest\nonline.",
        "2 Zanim zaczniesz",  # a heading: a capital after it
        "Konfiguracja Audacity nie jest trudna, wystarczy,\nże wybierzesz w roku",  # a digit
        "1939 3 tys.\nosób:\nplik",  # as "3 tys. osób" on one line
        "nowy akapit.",  # a blank line
        "Ale"]
    assert [text[a:b] for a, b in sentences(text, wrapped=True)] == wrapped
    windows = text.replace("\n", "\r\n")  # a .txt written on Windows
    assert [windows[a:b] for a, b in sentences(windows, wrapped=True)] == [
        w.replace("\n", "\r\n") for w in wrapped]
    # Formats whose line breaks separate blocks (HTML, DOCX...): every one ends a sentence
    assert [text[a:b] for a, b in sentences(text)][:3] == [
        "Można go zainstalować na serwerze WWW.", "Pakiet ten dostępny jest", "online."]


def test_a_long_wrapped_passage_is_cut_between_words():
    from searchkit.passages import Highlighter, best_passages
    text = "lista:\n" + "\n".join(f"składnik{n}" for n in range(60)) + "\ncukier\n" + \
        "\n".join(f"dodatek{n}" for n in range(60))
    passage, = best_passages(text, Highlighter({"cukier": ("cukier", 1.0)}), 1, wrapped=True)
    assert passage.text.split()[0] in text.split() and passage.text.split()[-1] in text.split()
    assert passage.cut_before and passage.cut_after
    assert [passage.text[a:b] for a, b in passage.matches] == ["cukier"]
    assert text[passage.offset:passage.offset + len(passage.text)] == passage.text


def test_a_hit_s_passage_is_its_whole_wrapped_sentence(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Podręcznik\n\nTłumaczenia są częścią pakietu debian-edu-doc. Można go zainstalować\n"
        "na serwerze WWW. Pakiet ten dostępny jest\nonline.\n", encoding="utf-8")
    # In HTML a line break separates blocks: a heading is not its paragraph's first words
    (folder / "b.html").write_text(
        "<html><body><h3>Narzędzie Przesunięcie czasowe</h3>"
        "<p>za pomocą tego można pracować na segmentach audio.</p></body></html>",
        encoding="utf-8")
    from searchkit.index import update
    update(str(tmp_path / "ix"), [str(folder)], warn=lambda *a, **k: None)
    with Searcher(str(tmp_path / "ix")) as s:
        texts = [p.text for p in s.search("pakiet online").hits[0].passages]
        html = [p.text for p in s.search("pracować segmentach").hits[0].passages]
    assert texts[0] == "Pakiet ten dostępny jest\nonline."
    assert html == ["za pomocą tego można pracować na segmentach audio."]


def test_the_seed_passages_are_whole_sentences(searcher):
    texts = [p.text for p in searcher.search("ODKB").hits[0].passages]
    assert texts[1].startswith("– Mamy wątpliwości [dosł. „pytania”")


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dated")
    (folder / "a.txt").write_text("date 2022-01 Wojna\n\nWojna i koperta.", encoding="utf-8")
    (folder / "b.txt").write_text("date 2022-03 Wojna\n\nWojna bez niczego.", encoding="utf-8")
    (folder / "c.txt").write_text("date 2021-05 Wojna\n\nDawna wojna.", encoding="utf-8")
    (folder / "d.txt").write_text("date 2022-02 Pokój\n\nPokój i koperta.", encoding="utf-8")
    from searchkit.index import update
    index = folder.parent / "dated-index"
    update(str(index), [str(folder)], warn=lambda *a, **k: None)
    with Searcher(str(index)) as s:
        yield s


@pytest.mark.parametrize("query, ids", [
    ("wojna date:2022", {"a.txt", "b.txt"}),          # a filter, not "or any 2022 document"
    ("wojna -koperta date:2022", {"b.txt"}),          # beside an exclusion
    ("+wojna date:2022", {"a.txt", "b.txt"}),         # beside a required word
    ("+wojna date:2022 koperta", {"a.txt", "b.txt"}),
    ("koperta date:2022-01 date:2022-02", {"a.txt", "d.txt"}),  # one field twice: either
    ("date:2022", {"a.txt", "b.txt", "d.txt"}),       # alone: what it matches
])
def test_metadata_fields_narrow_a_search_down(dated, query, ids):
    assert {h.id for h in dated.search(query, limit=20).hits} == ids


def test_a_filter_does_not_change_the_ranking(dated):
    plain = [(h.id, h.score) for h in dated.search("wojna koperta").hits if h.id != "c.txt"]
    filtered = [(h.id, h.score) for h in dated.search("wojna koperta date:2022").hits]
    assert filtered == [hit for hit in plain if hit[0] != "c.txt"]


def test_an_excluded_word_excludes_whatever_document_comes_first(dated):
    # Whoosh's AndNot skipped the excluded side only when both started on the
    # same document: d.txt (koperta) comes before... a.txt here (koperta too).
    assert {h.id for h in dated.search("wojna -koperta").hits} == {"b.txt", "c.txt"}
    assert {h.id for h in dated.search("koperta -wojna").hits} == {"d.txt"}


def test_the_best_document_comes_first_whatever_the_limit(make_index):
    # Whoosh's UnionMatcher skips one side's blocks by the other side's current
    # block's bound, not its best: with --limit 1 the last block of 128 (the
    # best documents) was skipped.  Only queries with syntax use its matchers.
    filler = " ".join(f"słowo{i}" for i in range(60))
    texts = (["alfa beta gamma delta epsilon zeta eta theta"] * 127 + ["alfa beta"]
             + [f"alfa beta {filler}"] * 128 + ["beta alfa beta alfa"] * 128)
    index = make_index({f"d{n:03}.txt": f"Tytuł\n\n{text}" for n, text in enumerate(texts)})
    with Searcher(index) as s:
        for text in ("alfa beta -omega", "+alfa beta", '"alfa beta" gamma'):
            best = s.search(text, limit=len(texts), passages=0).hits[0]
            assert [(h.id, h.score) for h in s.search(text, limit=1, passages=0).hits] == [
                (best.id, best.score)]
        assert best.id == "d000.txt"
        assert s.search("alfa beta -omega", limit=1, passages=0).hits[0].id == "d256.txt"


def test_a_quoted_word_keeps_each_field_s_weight(dated):
    # Whoosh made a one-word phrase a plain term without its field's boost:
    # "Wojna" in the titles counted five times as much as unquoted.
    plain = [(h.id, round(h.score, 9)) for h in dated.search("wojna koperta").hits]
    assert [(h.id, round(h.score, 9)) for h in dated.search('"wojna" koperta').hits] == plain


@pytest.mark.parametrize("query", ["wojna - koperta", "koperta + wojna", "wojna — koperta"])
def test_a_dash_or_plus_standing_alone_is_not_an_operator(dated, query):
    # "mecz Brazylia - Włochy": excluding Włochy would lose the very match
    assert {h.id for h in dated.search(query).hits} == {"a.txt", "b.txt", "c.txt", "d.txt"}


def test_unknown_type_names_the_types(dated):
    with pytest.raises(QueryError, match=r"unknown type 'eml' \(types: text, pdf"):
        dated.search("wojna type:eml")


def test_ties_at_the_cut_rank_by_id_however_many(make_index):
    """More documents tie at the cut than the ranking first asks for: the
    whole group is fetched, and the first ones by id win (here the last ones
    written, so document numbers would pick others)."""
    import json

    from searchkit import search

    lines = [json.dumps({"id": f"j{n:02}", "text": "Protest w Kazachstanie."}, ensure_ascii=False)
             for n in reversed(range(3 * (search.PROXIMITY_DEPTH + search.TIE_SLACK)))]
    others = {f"x{n}.txt": f"Protest i zamieszki numer {n} w mieście." for n in range(5)}
    best = {"best.txt": "Protest w Kazachstanie: protest, protest i Kazachstan."}
    index = make_index({"tied.jsonl": "\n".join(lines) + "\n", **others, **best})
    with Searcher(index) as s:
        hits = s.search("Kazachstan protest", limit=10, passages=0).hits
    assert [h.id for h in hits] == ["best.txt"] + [f"j{n:02}" for n in range(9)]
    assert len({h.score for h in hits[1:]}) == 1 and hits[0].score > hits[1].score


def test_did_you_mean_prefers_the_closest_form_of_a_word(make_index):
    # Every form of a lemma counts its lemma's documents: the edit distance
    # decides between them (kotaa is one edit from kota, two from koty).
    index = make_index({"a.txt": "Kot\n\nWidziałem kota i kota, i jeszcze kota.",
                        "b.txt": "Koty\n\nKoty śpią."})
    with Searcher(index) as s:
        assert s.search("kotaa").suggestion == "kota"
        assert s.search("zolnierze").suggestion is None  # nothing near it here
