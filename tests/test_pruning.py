"""Pruned ranking gives exactly the exhaustive answer.

A query of words is ranked by block-max MaxScore (searchkit/topk.py), which
skips postings that cannot reach the top k.  It is only a speed-up: the top
documents, their order (ties to the lower document number) and their scores,
to the last bit, must be those of scoring every posting (``pruning = False``,
the cached per-term scores of search._TermScores).
"""

from __future__ import annotations

import gzip
import json
import random
import re

import pytest

from searchkit import topk
from searchkit.query import flat_terms, split_forms
from searchkit.search import PROXIMITY_DEPTH, Searcher

from conftest import POQUAD, SHARED, require_shared

WIKISOURCE = SHARED / "data" / "wikisource" / "paragraphs.jsonl.gz"
WORD = re.compile(r"\w+(?:[-.,/]\w+)*")


def compare(searcher: Searcher, text: str, k: int = PROXIMITY_DEPTH):
    """(pruned, exhaustive) best ``k`` of ``text`` before proximity, and after
    it (top 10), or None when the query is not an OR of words."""
    q, forms = split_forms(searcher.parse(text))
    terms = flat_terms(q)
    if terms is None:
        return None
    out = []
    for pruning in (True, False):
        searcher.pruning = pruning
        try:
            top = searcher._candidates(q, k, count=False)[0]
            # exact forms and proximity re-rank the best PROXIMITY_DEPTH (as _top does)
            out.append((top, searcher._rescored(top, terms, forms)[:10]))
        finally:
            searcher.pruning = True
    return tuple(out)


def assert_same(searcher: Searcher, queries, ks=(PROXIMITY_DEPTH,)) -> int:
    """Every query ranks alike both ways; the number of queries compared."""
    compared = 0
    for text in queries:
        for k in ks:
            both = compare(searcher, text, k)
            if both is None:
                continue
            pruned, exhaustive = both
            assert pruned == exhaustive, (text, k)
            compared += 1
    return compared


def questions(limit: int | None = None) -> list[str]:
    with open(POQUAD / "dev-queries.tsv", encoding="utf-8") as f:
        found = [line.rstrip("\n").split("\t", 1)[1] for line in f]
    return found[:limit]


def keyword_queries(limit: int | None = None) -> list[str]:
    """What people type: each paragraph title's words, and the last two to four
    words of each question that are not stopwords, with and without diacritics."""
    from searchkit.analysis import STOPWORDS, fold

    with open(POQUAD / "corpus.jsonl", encoding="utf-8") as f:
        titles = {" ".join(WORD.findall(json.loads(line)["title"])) for line in f}
    found = sorted(t for t in titles if t)
    for n, question in enumerate(questions()[::3]):
        words = [w for w in WORD.findall(question) if w.lower() not in STOPWORDS]
        if len(words) >= 2:
            found.append(" ".join(words[-(2 + n % 3):]))
    found = found[:limit]
    return found + [fold(text) for text in found[::4]]


# ------------------------------------------------------------------ PoQuAD

def test_every_poquad_question_ranks_as_exhaustive_scoring(poquad_index):
    with Searcher(poquad_index) as s:
        assert assert_same(s, questions()) > 3400


def test_poquad_keyword_queries_rank_as_exhaustive_scoring(poquad_index):
    with Searcher(poquad_index) as s:
        assert assert_same(s, keyword_queries()) > 3000


# ----------------------------------------------------- a bigger index (Wikisource)

@pytest.fixture(autouse=True)
def pruned_at_any_size(monkeypatch):
    """These indexes are small: searchkit would score them exhaustively."""
    from searchkit import search

    monkeypatch.setattr(search, "PRUNE_MIN_DOCUMENTS", 0)


def test_small_indexes_are_scored_exhaustively(make_index, monkeypatch):
    from searchkit import search

    monkeypatch.setattr(search, "PRUNE_MIN_DOCUMENTS", 1000)
    with Searcher(make_index(generated(2, 999), "fewer")) as s:
        assert not s._pruning()
    with Searcher(make_index(generated(3, 1000), "enough")) as s:
        assert s._pruning()
        s.pruning = False
        assert not s._pruning()


@pytest.fixture(scope="session")
def bigger_index(tmp_path_factory) -> str:
    """PoQuAD's paragraphs and the first 4,000 Wikisource paragraphs twice over
    (the copies tie with their originals), written by two processes: two
    segments, 9,449 documents."""
    require_shared()
    require_shared(WIKISOURCE)
    from searchkit.index import update

    folder = tmp_path_factory.mktemp("bigger")
    corpus = folder / "corpus.jsonl"
    with open(corpus, "w", encoding="utf-8") as out:
        out.write((POQUAD / "corpus.jsonl").read_text(encoding="utf-8"))
        with gzip.open(WIKISOURCE, "rt", encoding="utf-8") as f:
            for n, line in zip(range(4000), f):
                doc = json.loads(line)
                for copy in range(2):
                    out.write(json.dumps({"id": f"{doc['id']}/{copy}", "title": doc["book"],
                                          "text": doc["text"]}, ensure_ascii=False) + "\n")
    index = folder / "index"
    update(str(index), [str(corpus)], warn=lambda *a, **k: None, procs=2)
    return str(index)


def test_bigger_index_ranks_as_exhaustive_scoring(bigger_index, monkeypatch):
    # windows of 1,024 documents: the non-essential terms change along the index
    monkeypatch.setattr(topk, "MIN_WINDOW", 1024)
    queries = questions(400) + keyword_queries(200) + [
        "wojna", "król polski wojna szwedzka", "Warszawa Kraków Gdańsk", "rok", "pan pani",
        "kościół miłość", "szwedzka wojna wojna", "xyzzyq wojna"]
    with Searcher(bigger_index) as s:
        reader = s._searcher.reader()
        assert len(list(reader.leaf_readers())) == 2
        assert assert_same(s, queries, ks=(PROXIMITY_DEPTH, 1)) > 1200
        # and the pruning did skip: fewer postings read than exhaustive scoring
        total = read = skipped = 0
        for text in questions(300):
            terms = flat_terms(s.parse(text))
            if terms is None:
                continue
            s._ranker = None  # nothing cached from the queries before
            _, _, complete = s._pruned().top(terms, PROXIMITY_DEPTH)
            total += sum(s._searcher.doc_frequency(t.fieldname, t.text) for t in terms)
            read += s._ranker.postings_read
            skipped += not complete
        assert skipped > 100
        assert read < total


def test_a_small_cache_ranks_as_exhaustive_scoring(bigger_index, monkeypatch):
    # Terms evicted between queries (the capacity is in bytes, topk.*_BYTES)
    import searchkit.search
    monkeypatch.setattr(topk, "MIN_WINDOW", 1024)
    monkeypatch.setattr(searchkit.search, "RANKER_CACHE_BYTES", 300_000)
    with Searcher(bigger_index) as s:
        assert assert_same(s, questions(150) + keyword_queries(50), ks=(PROXIMITY_DEPTH,)) > 150
        ranker = s._pruned()
        assert ranker._size <= 300_000 or len(ranker._terms) == 1
        assert all(ranker._terms.get(t.key) is t for t, _ in ranker._fresh)


def test_the_cache_keeps_a_first_query_s_blocks_as_tuples_then_as_arrays(bigger_index,
                                                                         monkeypatch):
    monkeypatch.setattr(topk, "MIN_WINDOW", 1024)

    def kept(ranker):
        return {(t.key, i): ids for t in ranker._terms.values() for i, (ids, _) in t.raw.items()}

    with Searcher(bigger_index) as s:
        s.pruning = True
        ranker = s._pruned()
        first = flat_terms(split_forms(s.parse("król polski wojna szwedzka"))[0])
        ranker.top(first, PROXIMITY_DEPTH)
        ranker.count(first)  # one query's count: no arrays yet (a one-shot search)
        blocks = kept(ranker)
        assert len(blocks) > 10 and all(isinstance(ids, tuple) for ids in blocks.values())
        # A block decoded but never scored: its weights are read after compaction
        unscored = [(t, i) for t in ranker._terms.values() for i in t.raw if i not in t.scores]
        assert unscored
        second = flat_terms(split_forms(s.parse("wojna pokój Kraków"))[0])
        ranker.top(second, PROXIMITY_DEPTH)
        after = kept(ranker)
        assert not any(isinstance(ids, tuple) for ids in after.values())
        assert all(list(after[key]) == list(ids) for key, ids in blocks.items() if key in after)
        for t, i in unscored[:20]:
            leaf = t.places[i][0]
            docs = [leaf.offset + d for d in t.raw[i][0]][:5]
            term = next(q for q in first if (q.fieldname, q.text) == t.key)
            fresh = s._new_searcher()
            expected = topk.Ranker(fresh, ranker._weighting, ranker._norm, 10**9).scores(
                [term], docs)
            assert ranker.scores([term], docs) == expected


def test_json_total_is_marked_as_an_estimate_and_count_stays_exact(bigger_index, cli,
                                                                   monkeypatch):
    monkeypatch.setattr(topk, "MIN_WINDOW", 1024)
    monkeypatch.setattr(topk, "COUNT_UP_TO", 1000)  # these words have a few thousand postings
    text = "Kto był pierwszym królem Polski?"
    with Searcher(bigger_index) as s:
        exact = sum(1 for _ in s._searcher.docs_for_query(s.parse(text)))
        s.pruning = False
        assert s.search(text, passages=0).total == exact
    found = cli("search", "--index", bigger_index, "--json", text)
    summary = json.loads(found.output.splitlines()[-1])
    assert summary["total_is_estimate"] is True
    assert exact * 0.8 <= summary["total"] <= exact * 1.25
    counted = cli("search", "--index", bigger_index, "-c", text)
    assert counted.output == f"{exact}\n"


# ---------------------------------------------------------------- edge cases

VOCABULARY = """wojna pokój król królowa miasto wieś rzeka góra las morze statek wojsko
żołnierz generał bitwa zamek kościół szkoła dom ogród pole koń pies kot ptak drzewo
kwiat słońce księżyc gwiazda deszcz śnieg wiatr burza noc dzień rano wieczór zima lato
wiosna jesień chleb woda wino mleko książka list pieśń obraz""".split()


def generated(seed: int, count: int, words: list[str] = VOCABULARY) -> dict[str, str]:
    """Documents of 3 to 60 words drawn with a skewed frequency (a few words in
    most documents, most in a few), some words repeated."""
    rng = random.Random(seed)
    weights = [1 / (i + 1) for i in range(len(words))]
    return {f"d{seed}_{n:04}.txt": " ".join(rng.choices(words, weights, k=rng.randint(3, 60)))
            for n in range(count)}


EDGE_QUERIES = ["wojna", "pieśń", "wojna wojna", "wojna pokój", "xyzzyq", "xyzzyq pieśń",
                "król królowa zamek bitwa", "obraz pieśń list", "wojna pokój król miasto wieś",
                "Wojna i pokój", "krol krolowa", " ".join(VOCABULARY[:12]), " ".join(VOCABULARY)]


@pytest.fixture
def small_windows(monkeypatch):
    """Windows of 16 documents, so that a few hundred documents go through
    many of them."""
    monkeypatch.setattr(topk, "MIN_WINDOW", 16)
    monkeypatch.setattr(topk, "WINDOWS", 1000)


def test_edge_cases_rank_as_exhaustive_scoring(make_index, small_windows):
    index = make_index(generated(1, 400))
    with Searcher(index) as s:
        assert assert_same(s, EDGE_QUERIES, ks=(1, 3, PROXIMITY_DEPTH, 500)) > 40
        assert s._pruned().postings_read > 0  # the pruned path ran


def test_deleted_documents_and_several_segments(make_index, small_windows, tmp_path):
    from searchkit.index import update

    files = generated(2, 300)
    index = make_index(files)
    # rewrite the documents with the most "pieśń" and "wojna": their old
    # versions stay in the first segment, deleted
    folder = tmp_path / "docs"
    changed = sorted(files, key=lambda name: -files[name].count("pieśń") - files[name].count("wojna"))
    for name in changed[:40]:
        (folder / name).write_text("ogród " * 3, encoding="utf-8")
    for name, text in generated(3, 60).items():  # and new documents
        (folder / name).write_text(text, encoding="utf-8")
    update(index, [str(folder)], warn=lambda *a, **k: None)
    with Searcher(index) as s:
        reader = s._searcher.reader()
        assert len(list(reader.leaf_readers())) >= 2 and reader.has_deletions()
        assert assert_same(s, EDGE_QUERIES, ks=(1, 3, PROXIMITY_DEPTH, 500)) > 40
        # no deleted document comes back
        q = s.parse("pieśń wojna")
        top, total = s._candidates(q, 500, count=True)
        live = {n for n in range(reader.doc_count_all()) if not reader.is_deleted(n)}
        assert {doc for doc, _ in top} <= live
        assert total == sum(1 for _ in s._searcher.docs_for_query(q))


def test_one_segment_of_ties(make_index, small_windows):
    """Identical documents score alike: the lower document number first."""
    same = {f"same{n:03}.txt": "kompozytor wojna pokój" for n in range(50)}
    index = make_index({**generated(4, 100), **same, **generated(5, 100)})
    with Searcher(index) as s:
        assert assert_same(s, ["kompozytor", "kompozytor wojna", "król wojna miasto"],
                           ks=(1, 7, 20)) == 9
        top = s._candidates(s.parse("kompozytor wojna"), 7, count=False)[0]
        assert len({score for _, score in top}) == 1
        assert [doc for doc, _ in top] == sorted(doc for doc, _ in top)


def test_counts_whether_read_whole_or_estimated(make_index, small_windows, monkeypatch):
    monkeypatch.setattr(topk, "COUNT_UP_TO", 300)
    index = make_index(generated(5, 400))
    estimates = 0
    with Searcher(index) as s:
        for text in EDGE_QUERIES:
            q = s.parse(text)
            exact = sum(1 for _ in s._searcher.docs_for_query(q))
            assert s._candidates(q, 3, count=True)[1] == exact
            _, estimated = s._candidates(q, 3, count="estimate")
            if isinstance(estimated, topk.Estimate):
                estimates += 1
                # the words are drawn independently here: the estimate is close
                assert exact * 0.8 <= estimated <= exact * 1.25, text
            else:
                assert estimated == exact
    assert estimates > 0
