"""The fast paths give what the general ones give.

Plain words skip Whoosh's query parser, OR-of-terms queries are ranked from
cached per-term scores instead of Whoosh's matchers, and ORs of terms and
phrases find the phrases' documents on their own.  All are only speed-ups:
these tests hold them to the general path's answers.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from searchkit import parser as full_parser
from searchkit.query import flat_terms, split_forms, terms_and_phrases

from conftest import POQUAD

WORDS = ["Kazachstanu", "kazachstan", "żołnierze", "zolnierze", "ODKB", "odkb", "Rosja",
         "siły", "pokojowe", "sil", "pokojowych", "Tokajewa", "i", "w", "się", "sie",
         "ktory", "Kasym-Żomart", "F-16", "2022", "protesty?", "Ałmaty,", "almaty", "USA.",
         "wojna", "Waszyngton", "zamieszki", "xyzzy", "gazu", "LPG", "t1-zależnych"]


def leaves(q):
    """A query as the multiset of its (field, text, boost) terms: an OR is a sum."""
    if q is wq.NullQuery:
        return []
    terms = flat_terms(q)
    assert terms is not None, q
    return sorted((t.fieldname, t.text, t.boost) for t in terms)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))
def test_plain_words_build_the_query_the_parser_would(searcher, words):
    text = " ".join(words)
    builder = searcher._queries
    builder.parse(text)  # sets the expander's per-query state
    parser = full_parser.make_parser(builder.schema, builder.expander, builder.boosts)
    assert leaves(builder.plain(text)) == leaves(parser.parse(text).normalize())


def test_a_capital_after_the_first_word_builds_the_query_the_parser_would(poquad_index):
    """Words the dictionary knows that PoQuAD also writes as names: after the
    query's first word their capital adds a name term, in both paths alike,
    and their forms keep their own words' lemmas (FormTerm).  A group is
    words; a filter is none."""
    import itertools

    from searchkit.search import Searcher

    words = ["Sąd", "Najwyższy", "Wielka", "Góra", "Dom", "Nowy", "Polski", "Stany", "wyrok",
             "muzyka", "św.", "J.", "wyrok.", "Sad", "Gora"]
    with Searcher(poquad_index) as s:
        builder = s._queries
        parser = full_parser.make_parser(builder.schema, builder.expander, builder.boosts)
        added = 0
        for first, second in itertools.permutations(words, 2):
            text = f"{first} {second}"
            plain = with_lemmas(builder.parse(text))
            whole = parser.parse(text).normalize().accept(builder._with_lemmas)
            assert plain == with_lemmas(whole), text
            assert plain == with_lemmas(builder.parse(f"({first}) {second} -xyzzy")), text
            assert with_lemmas(builder.parse(f"type:text {second}")) == with_lemmas(
                builder.parse(second)), text
            alone = {t.text for t in flat_terms(builder.parse(second)) or ()}
            added += bool({t[1] for t in plain} - alone
                          - {t.text for t in flat_terms(builder.parse(first)) or ()})
    assert added > 20  # the capitals after the first word did add name terms


def with_lemmas(q):
    """``leaves``, with each word form's lemmas (FormTerm: what weighs it)."""
    if type(q) is wq.And:  # words beside a filter
        q = q.subqueries[0]
    if type(q) is wq.AndNot:  # words without one
        q = q.a
    return sorted((t.fieldname, t.text, t.boost, getattr(t, "lemmas", ())) for t in flat_terms(q))


@pytest.mark.parametrize("text", [
    "Gdzie mieszkał młody Wacław?", "Gdzie mieszkal mlody Waclaw?", "Kto był królem Polski?",
    "wojna", "rok", "Warszawa Kraków Gdańsk", "Jaki gatunek muzyczny reprezentuje Black River?",
])
def test_cached_scores_rank_as_whoosh_does(poquad_index, text):
    from searchkit.search import Searcher
    with Searcher(poquad_index) as s:
        q = s.parse(text)
        assert flat_terms(q) is not None  # the fast path applies
        fast, total = s._candidates(q, 20, count=True)
        slow = s._searcher.search(q, limit=20)
        assert total == len(slow)
        assert [round(score, 6) for _, score in fast] == [round(h.score, 6) for h in slow]
        # the same documents, except for exact ties at the cut-off
        cut = fast[-1][1] + 1e-9
        assert {d for d, sc in fast if sc > cut} == {h.docnum for h in slow if h.score > cut}


@pytest.mark.parametrize("text", [
    "Gdzie mieszkał młody Wacław?", "Gdzie mieszkal mlody Waclaw?", "Kto był królem Polski?",
    "wojna", "Warszawa Kraków Gdańsk", "mistrzostwa świata", "siły zbrojne Stanów Zjednoczonych",
])
def test_proximity_ranks_both_paths_alike(poquad_index, text):
    from searchkit.search import Searcher
    with Searcher(poquad_index) as s:
        q = s.parse(text)
        fast, total = s._top(q, 10, count=True)
        slow, slow_total = s._top(q, 10, count=True, fast=False)
        assert total == slow_total
        assert [round(score, 6) for _, score in fast] == [round(score, 6) for _, score in slow]
        cut = fast[-1][1] + 1e-9
        assert {d for d, sc in fast if sc > cut} == {d for d, sc in slow if sc > cut}


PHRASES = ['"siły pokojowe" ODKB', '"Kawa na ławę"', 'wojna "król polski"', '"w roku" wojna',
           '"Liga Polskich Rodzin" slogan', '"Liga Polskich Rodzin" "Gazeta Polska"',
           '"xyzzy qwerty" wojna', '"xyzzy qwerty"']


def test_terms_and_phrases_rank_as_whoosh_does(poquad_index):
    """Every dev question that quotes words, and made-up ones, pruned or not,
    for several depths: the same scores, documents and counts."""
    from searchkit.search import Searcher

    with open(POQUAD / "dev-queries.tsv", encoding="utf-8") as f:
        texts = [line.split("\t", 1)[1].strip() for line in f if '"' in line] + PHRASES
    compared = 0
    with Searcher(poquad_index) as s:
        for text in texts:
            q = split_forms(s.parse(text))[0]
            if terms_and_phrases(q) is None:
                continue  # a quoted word alone is a term
            for pruning in (False, True):
                s.pruning = pruning
                for k in (1, 10, 20):
                    fast, total = s._candidates(q, k, count=True)
                    assert s._with_phrases(*terms_and_phrases(q), k, True) == (fast, total)
                    slow, slow_total = s._candidates(q, k, count=True, fast=False)
                    assert total == slow_total, text
                    assert [round(x, 6) for _, x in fast] == [round(x, 6) for _, x in slow], text
                    cut = fast[-1][1] + 1e-9 if fast else 0
                    assert {d for d, x in fast if x > cut} == {d for d, x in slow if x > cut}
                    assert s._candidates(q, k, count=False) == (fast, None)  # as batch mode's
                    compared += 1
    assert compared > 300


def test_terms_and_phrases_estimate_their_count_from_statistics(poquad_index, monkeypatch):
    """Where the words are common enough to estimate (here: few postings), a
    phrase counts as its rarest word: documents with the phrase but none of
    the other words are in the estimate too."""
    from searchkit import topk
    from searchkit.search import Searcher

    monkeypatch.setattr(topk, "COUNT_UP_TO", 300)
    with open(POQUAD / "dev-queries.tsv", encoding="utf-8") as f:
        texts = [line.split("\t", 1)[1].strip() for line in f if '"' in line]
    ratios = []
    with Searcher(poquad_index) as s:
        s.pruning = True
        for text in texts:
            q = split_forms(s.parse(text))[0]
            if terms_and_phrases(q) is None:
                continue
            exact = s._candidates(q, 10, count=True)[1]
            assert exact == s._candidates(q, 10, count=True, fast=False)[1]
            estimated = s._candidates(q, 10, count="estimate")[1]
            if isinstance(estimated, topk.Estimate):
                ratios.append(estimated / exact)
                phrased = s._searcher.search(wq.Or(terms_and_phrases(q)[1]), limit=None)
                assert estimated >= len(phrased.top_n), text
            else:
                assert estimated == exact
    assert len(ratios) > 10
    assert 0.9 <= min(ratios) and max(ratios) <= 1.3
    # Phrases alone: their documents are all the matches, counted already.
    monkeypatch.setattr(topk, "COUNT_UP_TO", 20)
    with Searcher(poquad_index) as s:
        s.pruning = True
        for text in ('"II wojna światowa"', '"Stanów Zjednoczonych"', '"Stany Zjednoczone" "Wielka Brytania"'):
            q = split_forms(s.parse(text))[0]
            assert terms_and_phrases(q)[0] == []
            total = s._candidates(q, 10, count="estimate")[1]
            assert total == s._candidates(q, 10, count=True, fast=False)[1] > 20, text
            assert not isinstance(total, topk.Estimate)
