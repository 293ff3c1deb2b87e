"""Search: run queries against an index; ranked hits with their best passages.

``Searcher`` opens an index once and answers any number of queries (the batch
mode runs thousands through one).  Nothing here prints: ``output`` does.

Ranking is BM25 as Lucene computes it, with a floor per query word a document
has (BM25+), and a bonus for query words near each other in the best
documents of a query of words (proximity).  A query that is just words (an OR of
terms, like every question in a batch) is scored by summing per-term scores
that are computed once per term with Whoosh's own scorer and then cached:
Whoosh's matchers cost several milliseconds per query in Python, a cached
term costs a dict update per posting.  Words with phrases (in any field) rank
the same way, with the phrases' documents found by Whoosh's matchers.
Anything else (NOT, +word, filters, prefixes) runs through Whoosh's matchers,
with the same weighting.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import math
import os
import re
import time
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh import scoring

from searchkit import whoosh_fixes  # noqa: F401  (applies them)
from searchkit.analysis import STOPWORDS, bind, fold, form_counts, iter_words
from searchkit.errors import SearchkitError
from searchkit.index import FIELD_BOOSTS, STEMMER_FILE, damaged, open_whoosh
from searchkit.lemmatizer import Lemmatizer
from searchkit.lexicon import Lexicon
from searchkit.passages import WRAPPED_TYPES, Highlighter, Passage, best_passages
from searchkit.query import (FoldExpander, FormTerm, QueryBuilder, flat_terms, is_empty,
                             positive_leaves, ranked_terms, split_forms, terms_and_phrases)
from searchkit.topk import Estimate, Ranker, estimate


def lucene_idf(n: int, total: int) -> float:
    return math.log(1 + (total - n + 0.5) / (n + 0.5))


class LuceneBM25(scoring.BM25F):
    """BM25 with the IDF Lucene and Elasticsearch use, log(1 + (N - n + .5) / (n + .5)).
    Whoosh's own, log(N / (n + 1)) + 1, lets words found in most documents
    weigh almost as much as rare ones (measured: nDCG@10 -0.02 on PoQuAD).

    In the fields of ``lower_bounds``, a term a document contains scores at
    least ``delta`` x IDF however long the document is: BM25+ (Lv and Zhai,
    "Lower-bounding term frequency normalization", CIKM 2011).  Plain BM25
    lets a long document with both words of a query score below a short one
    with one of them; the floor makes every further query word a document
    has worth something."""

    def __init__(self, B=0.75, K1=1.2, lower_bounds=None):
        super().__init__(B=B, K1=K1)
        self.lower_bounds = dict(lower_bounds or {})

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        return lucene_idf(parent.doc_frequency(fieldname, text), parent.doc_count_all())

    def scorer(self, searcher, fieldname, text, qf=1):
        delta = self.lower_bounds.get(fieldname)
        if not delta or not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf)
        return _BM25PlusScorer(searcher, fieldname, text, self.B, self.K1, delta)


class _BM25PlusScorer(scoring.BM25FScorer):
    def __init__(self, searcher, fieldname, text, B, K1, delta):
        self.delta = delta  # before the base class computes the maximum score
        super().__init__(searcher, fieldname, text, B, K1)

    def _score(self, weight, length):
        return super()._score(weight, length) + self.delta * self.idf


# Measured on PoQuAD's questions and the keyword sets (README "Relevance"): a
# floor in the text field, not in the title (one word in a title should not
# count twice) nor in the exact forms (already counted in the text).
LOWER_BOUNDS = {"body": 0.5}
WEIGHTING = LuceneBM25(B=0.75, K1=1.2, lower_bounds=LOWER_BOUNDS)

# Did you mean: words within this edit distance that share this many first
# letters (typos rarely start a word; fewer candidates to measure).
MAXDIST, PREFIX = 2, 2


def form_frequency(lexicon, doc_frequency):
    """form -> how many documents have its lemma (``body``), which stands for
    the form's own count (not indexed) when choosing among forms."""
    def frequency(form: str) -> int:
        return max((doc_frequency("body", term) for term in lexicon.terms_of(form)), default=0)
    return frequency


def likeliest(candidates: dict[str, int], frequency) -> str | None:
    """The closest of ``candidates`` (form -> edit distance), then the
    commonest (ties: the greater word).  Whoosh's corrector ranked by
    frequency alone, which, now that a form's frequency is its lemma's, would
    pick among a lemma's forms by the alphabet (kotaa -> koty, not kota)."""
    return max(candidates, key=lambda form: (-candidates[form], frequency(form), form),
               default=None)


# Proximity (README "Relevance"): the best PROXIMITY_DEPTH documents of a query
# of words get a bonus for pairs of its words within PROXIMITY_WINDOW words of
# each other (stopwords not counted), as a phrase would.
PROXIMITY_DEPTH = 20
PROXIMITY_WINDOW = 5
PROXIMITY_WEIGHT = 0.5

# Postings kept in the term-score cache (12 bytes each, 24 with their positions:
# 24-48 MB).
CACHE_POSTINGS = 2_000_000
# What the pruned ranking keeps (topk.Ranker), in bytes, roughly (topk's
# *_BYTES).  A batch repeats words: over 600 PoQuAD questions at 845k in one
# process, 2M postings kept as tuples decoded 8.7M postings (peak RSS 232
# MB), 8M units as arrays 5.4M (218 MB), about the 120 MB here.
RANKER_CACHE_BYTES = 120_000_000


@dataclass
class Hit:
    """One ranked document of a result, with its best passages."""

    rank: int
    id: str
    path: str
    title: str
    date: str | None
    score: float
    passages: list[Passage] = field(default_factory=list)
    title_matches: list[tuple[int, int]] = field(default_factory=list)
    type: str = "text"
    author: str | None = None


@dataclass
class Result:
    """A query's answer: its hits, best first, and how many documents matched."""

    query: str
    hits: list[Hit]
    total: int | None  # matching documents, when counted
    seconds: float
    suggestion: str | None = None
    note: str | None = None  # why nothing could be searched, if so
    total_is_estimate: bool = False  # ``total`` estimated (topk.estimate)


@dataclass
class StoredDocument:
    """A document as the index stores it (``searchkit show``)."""

    id: str
    path: str
    title: str
    date: str | None
    text: str
    type: str = "text"
    author: str | None = None
    pages: list[int] | None = None  # where each page starts in ``text``

    def page(self, number: int) -> str | None:
        """The text of page ``number`` (1-based), None if there is no such page."""
        return self.page_span(number)[1]

    def page_span(self, number: int) -> tuple[int, str | None]:
        """Where page ``number`` starts in ``text``, and its text."""
        if not self.pages or not 1 <= number <= len(self.pages):
            return 0, None
        from searchkit.documents.model import page_span

        start, end = page_span(self.text, self.pages, number)
        return start, self.text[start:end]


class _TermScores:
    """Every document's score for a term, computed once, least recently used
    dropped first.  The BM25 formula is LuceneBM25's; the per-document part of
    it (the length norm) is cached too, as Lucene does, since reading a field
    length from Whoosh is a file access.  For proximity, a term's encoded
    positions can be kept too (decoded only for the documents it ranks):
    opening a term's postings again would cost more than reading them."""

    def __init__(self, searcher, capacity: int = CACHE_POSTINGS):
        self._searcher = searcher
        self._cache: OrderedDict = OrderedDict()
        self._size = 0
        self._capacity = capacity
        self._norms: dict[str, dict[int, float]] = {}

    def get(self, fieldname: str, text: str, positions: bool = False) -> tuple[array, array]:
        """(document numbers ascending, their scores) for ``text``; with
        ``positions``, also keep where it occurs (see ``positions``)."""
        return self._entry(fieldname, text, positions)[:2]

    def positions(self, fieldname: str, text: str, docs) -> dict:
        """{doc: positions of ``text`` in it} for those of ``docs`` that have it."""
        known, _, (ends, encoded) = self._entry(fieldname, text, True)
        decode = self._searcher.schema[fieldname].format.decoder("positions")
        where = {}
        for doc in docs:
            i = bisect.bisect_left(known, doc)
            if i < len(known) and known[i] == doc:
                where[doc] = decode(encoded[ends[i - 1] if i else 0:ends[i]])
        return where

    def has_positions(self, fieldname: str, text: str) -> bool:
        found = self._cache.get((fieldname, text))
        return found is not None and found[2] is not None

    def _entry(self, fieldname: str, text: str, positions: bool):
        key = (fieldname, text)
        found = self._cache.get(key)
        if found is not None and (found[2] is not None or not positions):
            self._cache.move_to_end(key)
            return found
        if found is not None:  # read again, with positions
            del self._cache[key]
            self._size -= self._cost(found)
        docs, scores = array("i"), array("d")
        values = [] if positions else None
        searcher = self._searcher
        if searcher.doc_frequency(fieldname, text):
            k1 = WEIGHTING.K1
            idf = searcher.idf(fieldname, text)
            floor = WEIGHTING.lower_bounds.get(fieldname, 0.0) * idf
            norms = self._norms.setdefault(fieldname, {})
            m = searcher.postings(fieldname, text)
            while m.is_active():
                doc, weight = m.id(), m.weight()
                norm = norms.get(doc)  # the dict first: most documents were seen before
                if norm is None:
                    norm = self.norm(fieldname, doc)
                docs.append(doc)
                scores.append(idf * weight * (k1 + 1) / (weight + norm) + floor)
                if positions:
                    values.append(m.value())
                m.next()
        if positions:  # one bytes object, not one per posting (~50 bytes each)
            values = (array("i", itertools.accumulate(map(len, values))), b"".join(values))
        entry = self._cache[key] = (docs, scores, values)
        self._size += self._cost(entry)
        while self._size > self._capacity and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._size -= self._cost(old)
        return entry

    @staticmethod
    def _cost(entry) -> int:
        """In postings of 12 bytes; kept positions take as much again (4 bytes
        for where they end, about 8 for the encoded positions)."""
        docs, _, values = entry
        return len(docs) * (1 if values is None else 2)

    def norm(self, fieldname: str, doc: int) -> float:
        """BM25's length part for ``doc``: k1 (1 - b + b length / average length)."""
        norms = self._norms.setdefault(fieldname, {})
        norm = norms.get(doc)
        if norm is None:
            length = self._searcher.doc_field_length(doc, fieldname, 1)
            norm = norms[doc] = length_norm(self._searcher, fieldname, length)
        return norm


FREQUENCIES_KEPT = 100_000  # (fieldname, text) pairs, 11-18 MB


def _kept(doc_frequency):
    """``doc_frequency`` answered from a dict after the first time (a
    searcher's index does not change under it)."""
    kept: dict = {}

    def frequency(fieldname, text) -> int:
        key = (fieldname, text)
        found = kept.get(key)
        if found is None:
            if len(kept) >= FREQUENCIES_KEPT:
                kept.clear()
            found = kept[key] = doc_frequency(fieldname, text)
        return found
    return frequency


def _best(scores: dict[int, float], limit: int) -> list[tuple[int, float]]:
    """The ``limit`` best (docnum, score) of ``scores``; ties go to the lower
    document number, as in Whoosh's collector."""
    return heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))


def length_norm(searcher, fieldname: str, length: int) -> float:
    """BM25's length part for a field ``length`` long (the pruned ranking uses
    the same expression, so that its scores are the same floats)."""
    average = searcher.avg_field_length(fieldname) or 1
    return WEIGHTING.K1 * (1 - WEIGHTING.B + WEIGHTING.B * length / average)


def _reading(method):
    """Report a failure while reading the index as what it almost always is:
    damaged files (Whoosh raises anything from EOFError to a bare Exception)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except SearchkitError:
            raise
        except Exception as e:
            if os.environ.get("SEARCHKIT_DEBUG"):
                raise
            raise damaged(self.folder, e, certain=False) from None
    return wrapper


ID_LOOKUPS_STORED = 2000  # see Searcher._id_of
# Candidates asked for beyond the depth a ranking needs, so that documents tied
# at the cut are mostly among them without asking again (see Searcher._ranked).
TIE_SLACK = 8

# Pruning pays from about this many documents (in the whole index, all shards):
# measured in one process over PoQuAD's dev questions, cold caches, pruned
# against the cached term scores: 1,449 documents 320 vs 417 q/s, 84k 125 vs
# 149 (3,501 questions; even over 1,000), 420k 48 vs 28 q/s.
PRUNE_MIN_DOCUMENTS = 100_000


class Searcher:
    # Rank an OR of terms with block-max pruning (topk.py): True, or False to
    # score every posting (the reference that tests and benchmarks compare
    # with); None: pruned from PRUNE_MIN_DOCUMENTS documents up.
    pruning: bool | None = None

    def __init__(self, folder: str):
        self.folder = folder
        self._ix = open_whoosh(folder)
        try:
            self._open(folder)
        except SearchkitError:
            raise
        except Exception as e:
            raise damaged(folder, e) from None

    def _open(self, folder: str) -> None:
        # Read the schema once: every ``ix.schema`` unpickles a new copy, and the
        # copy the queries use is the one whose analyzers are bound below.
        schema = self._ix.schema
        self.lexicon = Lexicon.open(folder)
        self.lemmatizer = Lemmatizer(os.path.join(folder, STEMMER_FILE))
        self.lemmatizer.lexicon = self.lexicon
        bind(schema, self.lemmatizer)
        self._searcher = self._new_searcher()
        # Whether a word typed with a capital is a name (lemmatizer.query_terms)
        self.lemmatizer.frequency = lambda term: self._frequency("body", term)
        expander = FoldExpander(self.lexicon, self.lemmatizer,
                                form_frequency(self.lexicon, self._searcher.doc_frequency))
        self._queries = QueryBuilder(schema, expander, FIELD_BOOSTS)
        self._scores = _TermScores(self._searcher)
        self._ranker = None
        # Long documents are stored as several parts: collapse them to one hit.
        self._multipart = self._searcher.doc_frequency("more", "1") > 0

    def _new_searcher(self):
        """Whoosh's searcher (a shard's sees the whole index's statistics:
        searchkit.shards), its document frequencies kept: a query asks for a
        term's several times (the name rules, the ranking, the count's
        estimate, the forms' IDF), and Whoosh sums them over the segments
        each time, a lookup in each one's term table."""
        searcher = self._ix.searcher(weighting=WEIGHTING)
        searcher.doc_frequency = _kept(searcher.doc_frequency)
        return searcher

    def close(self) -> None:
        self._searcher.close()
        self.lexicon.close()

    def __enter__(self) -> "Searcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def parse(self, text: str):
        return self._queries.parse(text)

    # ------------------------------------------------------------------ queries

    @_reading
    def search(self, text: str, limit: int = 10, passages: int = 3,
               count: bool | str = True) -> Result:
        """Top ``limit`` documents for the query ``text``; ``count`` also counts
        every matching document (``Result.total``); otherwise (False, or
        "estimate") a query of words counts its matches when that is cheap and
        estimates them when not (topk.estimate, ``Result.total_is_estimate``),
        words with phrases likewise with "estimate" (a one-shot --json; a
        phrase as its rarest word), and other queries (-word, fields, phrases
        alone) are counted exactly; with False (batch mode) queries with
        syntax give None."""
        started = time.perf_counter()
        q = self.parse(text)
        if is_empty(q):
            return Result(text, [], 0, time.perf_counter() - started,
                          note="the query has only stopwords; nothing to search for")
        top, total = self._top(q, limit, count)
        highlighter = self._highlighter(q) if passages else None
        hits = [self._hit(rank, docnum, score, highlighter, passages)
                for rank, (docnum, score) in enumerate(top, 1)]
        estimated = isinstance(total, Estimate) and bool(hits)
        if not hits:
            total = 0
        suggestion = self.suggest(text) if not hits else None
        return Result(text, hits, total, time.perf_counter() - started, suggestion,
                      total_is_estimate=estimated)

    def _hit(self, rank: int, docnum: int, score: float, highlighter, passages: int) -> Hit:
        stored = self._searcher.stored_fields(docnum)
        hit = Hit(rank, stored["id"], stored.get("path", ""), stored.get("title", ""),
                  stored.get("date"), round(score, 4), type=stored.get("type", "text"),
                  author=stored.get("author"))
        if highlighter is not None:
            hit.passages = best_passages(stored.get("text", ""), highlighter, passages,
                                         wrapped=hit.type in WRAPPED_TYPES)
            first_page, page_starts = stored.get("page"), stored.get("pages")
            for p in hit.passages:
                if first_page is not None:
                    p.page = first_page + bisect.bisect_right(page_starts or (), p.offset)
                p.offset += stored.get("offset", 0)
            hit.title_matches = [(s, e) for s, e, _, _ in highlighter.find(hit.title)]
        return hit

    def _top(self, q, limit: int, count: bool, fast: bool = True):
        """[(docnum, score)] best first, and the number of matches (or None).
        ``fast``: rank an OR of terms from cached term scores when possible;
        the result is the same either way (tests hold it).  A query of words
        is ranked without its word forms (which no index holds), which then
        re-score the best PROXIMITY_DEPTH with proximity (``_rescored``)."""
        q, forms = split_forms(q)
        terms = ranked_terms(q)
        depth = max(limit, PROXIMITY_DEPTH) if terms else limit
        top, total = self._ranked(q, depth, count, fast)
        if terms:
            top = self._rescored(top, terms, forms)
        return top[:limit], total

    def _ranked(self, q, depth: int, count: bool, fast: bool = True):
        """``_candidates``, with equal scores in the order of their ids rather
        than of document numbers: a sharded index (searchkit.shards) has no
        document numbers across shards, and must rank exactly as one index.
        So that the cut at ``depth`` is right too, ask for a few more than
        ``depth`` (TIE_SLACK), and for more again while the last one of them
        still ties with the last one kept."""
        want = depth + TIE_SLACK
        while True:
            top, total = self._candidates(q, want, count, fast)
            if len(top) < want or top[-1][1] != top[depth - 1][1]:
                break
            if top[0][1] == top[-1][1]:
                # Every match alike ('*', filters alone): all of them at once.
                want = self._searcher.doc_count_all() + 1
            else:
                # Many alike at the cut (copies of a document): asking for all
                # the matches made a 4-word query 10x slower at 845k.
                want *= 2
        return self._by_id(top)[:depth], total

    def _frequency(self, fieldname: str, text) -> int:
        """A term's document frequency in the whole index."""
        return self._searcher.doc_frequency(fieldname, text)

    def _documents(self) -> int:
        """The whole index's number of documents, as frequencies count them
        (a shard's searcher gives all shards' while a query's statistics are set)."""
        return self._searcher.doc_count_all()

    def _by_id(self, top):
        """``top`` (best first) with ties in id order."""
        tied = {a[1] for a, b in zip(top, top[1:]) if a[1] == b[1]}
        if not tied:
            return top
        ids = self._id_of
        return sorted(top, key=lambda item: (-item[1], ids(item[0]) if item[1] in tied else ""))

    def _id_of(self, docnum: int) -> str:
        ids = getattr(self, "_ids", None)
        if ids is None:
            # The id column must first read every document's offset (43 ms at
            # 845k documents): a one-shot search reads its few ids from the
            # stored fields instead, a batch soon pays for the column.
            self._id_lookups = getattr(self, "_id_lookups", 0) + 1
            if self._id_lookups <= ID_LOOKUPS_STORED:
                return self._searcher.stored_fields(docnum)["id"]
            ids = self._ids = self._searcher.reader().column_reader("id")
        return ids[docnum]

    def _candidates(self, q, limit: int, count: bool, fast: bool = True):
        """The best ``limit`` documents by BM25 (before proximity), and the count."""
        flat = flat_terms(q)
        if fast and flat is None and not self._multipart:
            mixed = terms_and_phrases(q)
            if mixed is not None:
                return self._with_phrases(*mixed, limit, count)
        if fast and flat is not None and not self._multipart and self._pruning():
            ranker = self._pruned()
            top, seen, complete = ranker.top(flat, limit)
            if count is not True:
                estimated = estimate(flat, self._frequency, self._documents())
                if estimated is not None:
                    return top, estimated  # free, and marked as an estimate
            if complete:  # every matching document was seen: the count is free
                return top, seen
            return top, ranker.count(flat)
        if fast and flat is not None and not self._multipart:
            # Proximity will need the positions of the words: read them now,
            # with the scores, rather than open the postings twice.
            scores = self._term_sums(flat, near=sum(t.fieldname == "body" for t in flat) > 1)
            return _best(scores, limit), len(scores)
        collapse = {"collapse": "id", "collapse_limit": 1} if self._multipart else {}
        # Not Whoosh's block skipping: its UnionMatcher skips one side's blocks
        # by the other's current block bound, not its best, and lost the best
        # document to a smaller limit.  Scoring every match cost nothing more
        # at 845k ("wojna -Niemcy", "+król polski wojna": the same times).
        results = self._searcher.search(q, limit=limit, optimize=False, **collapse)
        top = [(hit.docnum, hit.score) for hit in results]
        return top, self._count(q, results) if count else None

    def _with_phrases(self, terms, phrases, limit: int, count: bool):
        """``_candidates`` for an OR of terms and phrases, as Whoosh's matchers
        rank it (an OR's score is the sum of its parts'), without scoring every
        posting of the terms: the phrases' documents are found and scored on
        their own, the terms rank the rest as a query of words, and the
        phrases' documents get their terms' scores looked up.  At 845k
        documents, 1.4-5x faster than the matchers (dev questions quoting a
        title; "wojna światowa" rok), however many documents have the phrase."""
        bonus = {doc: score for score, doc in
                 self._searcher.search(wq.Or(phrases), limit=None).top_n}
        pruned = self._pruning()
        if pruned:
            # A document outside the terms' best ``limit`` and without a phrase
            # scores at most what each of those does: it cannot rank.
            ranker = self._pruned()
            top = ranker.top(terms, limit)[0] if terms else []
            scores = dict(top)
            scores.update(ranker.scores(terms, sorted(set(bonus) - scores.keys())))
        else:
            scores = self._term_sums(terms)
        if not terms:  # phrases alone: their documents are all the matches
            matched = None if count is False else len(bonus)
        else:
            matched = None if pruned or count is False else len(scores.keys() | bonus.keys())
        for doc, value in bonus.items():
            scores[doc] = scores.get(doc, 0.0) + value
        top = _best(scores, limit)
        if matched is not None or count is False:
            return top, matched
        if count != True:  # noqa: E712  ("estimate")
            # A phrase as its rarest word, which at most that many documents
            # have: statistics alone, the same in every shard.
            frequency = self._frequency
            rarest = [min((wq.Term(p.fieldname, w) for w in p.words),
                          key=lambda t: frequency(t.fieldname, t.text)) for p in phrases]
            estimated = estimate(terms + rarest, frequency, self._documents())
            if estimated is not None:
                return top, estimated
        return top, len(ranker.matching(terms) | bonus.keys())

    def _term_sums(self, terms, near: bool = False) -> dict[int, float]:
        """{doc: its score} over every document with some of ``terms``, from
        the cached term scores (``near``: with the positions of ``body``'s)."""
        scores: dict[int, float] = {}
        get = scores.get
        for term in terms:
            docs, values = self._scores.get(term.fieldname, term.text,
                                            near and term.fieldname == "body")
            boost = term.boost
            for doc, value in zip(docs, values):
                scores[doc] = get(doc, 0.0) + value * boost
        return scores

    def _pruning(self) -> bool:
        if self.pruning is None:
            # The whole index's size (a shard sees all shards'): every shard
            # ranks the way one index would, and counts alike.
            return self._documents() >= PRUNE_MIN_DOCUMENTS
        return self.pruning

    def _pruned(self):
        if self._ranker is None:
            self._ranker = Ranker(self._searcher, WEIGHTING,
                                       functools.partial(length_norm, self._searcher),
                                       RANKER_CACHE_BYTES)
        return self._ranker

    def _rescored(self, top, terms, forms=()):
        """``top`` with its first PROXIMITY_DEPTH documents re-scored: each of
        the query's word forms (``split_forms``) adds its BM25 score there,
        and so does proximity: BM25TP (Rasolofo and Savoy, "Term proximity
        scoring for keyword-based retrieval systems", ECIR 2003).  Each pair of
        words within PROXIMITY_WINDOW adds 1/distance²; per pair of query terms
        that sum is saturated and length-normalised as BM25 does a term
        frequency, weighted by the rarer word's IDF.  A bonus never lowers a
        score, so the documents past the depth, which get none, still rank
        below every re-scored one."""
        head = top[:PROXIMITY_DEPTH]
        near = self._nearness(head, terms) if head else {}
        if not forms and not near:
            return top
        found = self._form_scores(forms, [doc for doc, _ in head])
        rescored = []
        for doc, score in head:
            for boost, values in found:
                value = values.get(doc)
                if value is not None:
                    score += value * boost
            rescored.append((doc, score + PROXIMITY_WEIGHT * near.get(doc, 0.0)))
        return self._by_id(sorted(rescored, key=lambda item: -item[1])) + top[PROXIMITY_DEPTH:]

    def _nearness(self, head, terms) -> dict:
        """{doc: proximity bonus} for the documents of ``head`` that have one."""
        words = sorted({t.text for t in terms if t.fieldname == "body"})
        if len(words) < 2:
            return {}
        found = []  # (idf, {doc: positions}) of each word in these documents
        docs = sorted(doc for doc, _ in head)
        for word in words:
            where = self._positions(word, docs)
            if where:
                found.append((self._searcher.idf("body", word), where))
        if len(found) < 2:
            return {}
        k1, window = WEIGHTING.K1, PROXIMITY_WINDOW
        out = {}
        for doc, _ in head:
            present = [(idf, where[doc]) for idf, where in found if doc in where]
            bonus = 0.0
            for i, (idf_a, a) in enumerate(present):
                for idf_b, b in present[i + 1:]:
                    near = 0.0
                    for p in a:
                        j = bisect.bisect_left(b, p - window)
                        while j < len(b) and b[j] <= p + window:
                            if b[j] != p:
                                near += 1.0 / (b[j] - p) ** 2
                            j += 1
                    if near:
                        norm = self._scores.norm("body", doc)
                        bonus += min(idf_a, idf_b) * near * (k1 + 1) / (near + norm)
            if bonus:
                out[doc] = bonus
        return out

    def _form_scores(self, forms, docs) -> list[tuple[float, dict]]:
        """(boost, {doc: BM25 score}) of each of the query's word forms
        (``FormTerm``) in those of ``docs`` that have it: the form's count in
        the document's stored text (title included, as ``body`` has it), the
        document's ``body`` length, and the IDF of the form's lemma.  Forms
        are not indexed: counting them in the few texts re-scored costs less
        than half the postings of an index."""
        k1 = WEIGHTING.K1
        idfs = {}
        for form in forms:
            idf = self._form_idf(form.lemmas)
            if idf is not None:
                idfs[form.text] = idf
        if not idfs:
            return []
        words = frozenset(idfs)
        counts = {doc: form_counts(self._indexed_text(doc), words) for doc in docs}
        found = []
        for form in forms:
            idf = idfs.get(form.text)
            if idf is None:
                continue
            scores = {}
            for doc in docs:
                tf = counts[doc].get(form.text)
                if tf:
                    norm = self._scores.norm("body", doc)
                    scores[doc] = idf * tf * (k1 + 1) / (tf + norm)
            found.append((form.boost, scores))
        return found

    def _form_idf(self, lemmas) -> float | None:
        """A word form's IDF: its rarest lemma's in the whole index (a shard
        may lack the lemma and still hold the form: Kasym in Kasym-Żomart,
        whose lemmas differ), None if the index has none of them."""
        found = [n for n in (self._frequency("body", lemma) for lemma in lemmas) if n]
        return lucene_idf(min(found), self._documents()) if found else None

    def _indexed_text(self, docnum: int) -> str:
        """A document's text as ``body`` indexed it: with the title in front
        where index._add put it there."""
        stored = self._searcher.stored_fields(docnum)
        if stored.get("titled"):
            return f"{stored.get('title', '')}\n{stored.get('text', '')}"
        return stored.get("text", "")

    def _positions(self, word: str, docs) -> dict:
        """{doc: positions of ``word`` in its text} for those of ``docs`` that have it."""
        if self._pruning() or not self._scores.has_positions("body", word):
            return self._pruned().positions("body", word, docs)
        return self._scores.positions("body", word, docs)

    @_reading
    def count(self, text: str) -> int:
        q = self.parse(text)
        return 0 if is_empty(q) else self._count(q)

    def _count(self, q, results=None) -> int:
        if self._multipart:
            ids = self._searcher.reader().column_reader("id")
            return len({ids[n] for n in self._searcher.docs_for_query(q)})
        if results is not None:
            return len(results)
        return sum(1 for _ in self._searcher.docs_for_query(q))

    # ------------------------------------------------------------ highlighting

    def _highlighter(self, q) -> Highlighter:
        """Every word form the query matches, with its query term and weight."""
        lemma_terms, own_forms, prefixes = set(), set(), set()
        for leaf in positive_leaves(q):
            name = getattr(leaf, "fieldname", None)
            if isinstance(leaf, (wq.Prefix, wq.Wildcard)):
                # the literal start of the pattern; "*" alone highlights nothing
                prefixes.add(re.split(r"[*?]", leaf.text, maxsplit=1)[0])
            elif isinstance(leaf, wq.Phrase):
                lemma_terms.update(leaf.words)
            elif isinstance(leaf, FormTerm):
                own_forms.add((leaf.text, leaf.lemmas))
            elif isinstance(leaf, wq.Term) and name in ("body", "title"):
                lemma_terms.add(leaf.text)
        weights = {term: self._searcher.idf("body", term) for term in lemma_terms}
        forms, names = {}, {}
        for form, terms in self.lexicon.forms_of_terms(lemma_terms).items():
            # A form the query matches by its own term matches anywhere; one
            # it matches only by its name term (lemmatizer.name: capitalised),
            # only where written as a name.
            own = [term for term in terms if not term[:1].isupper()] or terms
            forms[form] = max(((term, weights[term]) for term in own), key=lambda tw: tw[1])
            if own is terms and terms[0][:1].isupper():
                found = self.lexicon.name_of(form)
                names[form] = bool(found and found[1])
        for form, lemmas in own_forms:
            forms.setdefault(form, (form, self._form_idf(lemmas) or 0.0))
        return Highlighter(forms, prefixes, names)

    @_reading
    def highlight(self, text: str, query_text: str) -> list[tuple[int, int]]:
        """Where ``query_text`` matches in ``text`` (for ``show --query``)."""
        q = self.parse(query_text)
        if is_empty(q):
            return []
        return [(s, e) for s, e, _, _ in self._highlighter(q).find(text)]

    # ------------------------------------------------------------ did you mean

    def suggest(self, text: str) -> str | None:
        """A query like ``text`` with its unknown words replaced by the likeliest
        words of the index (missing diacritics, typos), if that finds something."""
        corrected, changed = text, False
        for word, start, end in reversed(list(iter_words(text))):
            lower = word.lower()
            if (lower in STOPWORDS or word in ("AND", "OR", "NOT") or text[end:end + 1] == ":"
                    or any(ch.isdigit() for ch in word) or self.lexicon.terms_of(lower)):
                continue
            best = self._closest(lower)
            if best and best != lower:
                if word[:1].isupper():
                    best = best[:1].upper() + best[1:]
                corrected = corrected[:start] + best + corrected[end:]
                changed = True
        if changed and self.count(corrected) > 0:
            return corrected
        return None

    def _closest(self, word: str) -> str | None:
        same_letters = self.lexicon.forms_folding_to(fold(word))
        if same_letters:  # only the diacritics missing: no edit at all
            candidates = dict.fromkeys(same_letters, 0)
        elif len(word) < 4:
            return None  # too short to tell a typo from another word
        else:
            candidates = self.lexicon.forms_within(word, MAXDIST, PREFIX)
        prefetch = getattr(self._searcher, "known", None)
        if prefetch is not None:  # a sharded index: every frequency in one round trip
            prefetch([("body", self._searcher.schema["body"].to_bytes(term))
                      for form in candidates for term in self.lexicon.terms_of(form)])
        return likeliest(candidates, form_frequency(self.lexicon, self._searcher.doc_frequency))

    # ---------------------------------------------------------------- documents

    @_reading
    def document(self, doc_id: str) -> StoredDocument | None:
        """A document of the index by id (its parts joined), or None."""
        numbers = list(self._searcher.document_numbers(id=doc_id))
        if not numbers:
            return None
        parts = sorted((self._searcher.stored_fields(n) for n in numbers),
                       key=lambda f: f.get("part", 0))
        first = parts[0]
        pages = None
        if first.get("page") is not None:
            pages = []
            for p in parts:
                # a page that starts where the part does is the part's own "page"
                while len(pages) < p["page"]:
                    pages.append(p.get("offset", 0))
                pages += [p.get("offset", 0) + start for start in p.get("pages") or ()]
        return StoredDocument(first["id"], first.get("path", ""), first.get("title", ""),
                              first.get("date"), "".join(p.get("text", "") for p in parts),
                              type=first.get("type", "text"), author=first.get("author"),
                              pages=pages)
