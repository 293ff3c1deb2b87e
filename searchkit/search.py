"""Search: run queries against an index; ranked hits with their best passages.

``Searcher`` opens an index once and answers any number of queries (the batch
mode runs thousands through one).  Nothing here prints: ``output`` does.
"""

from __future__ import annotations

import fnmatch
import math
import os
import re
import time
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh import scoring

from searchkit import passages as passages_mod
from searchkit.analysis import STOPWORDS, bind, fold, iter_words
from searchkit.index import FIELD_BOOSTS, STEMMER_FILE, open_whoosh
from searchkit.lemmatizer import Lemmatizer
from searchkit.lexicon import Lexicon
from searchkit.passages import Passage
from searchkit.query import is_empty, make_parser, parse, positive_leaves

class LuceneBM25(scoring.BM25F):
    """BM25 with the IDF Lucene and Elasticsearch use, log(1 + (N - n + .5) / (n + .5)).
    Whoosh's own, log(N / (n + 1)) + 1, lets words found in most documents
    weigh almost as much as rare ones (measured: nDCG@10 -0.02 on PoQuAD)."""

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        total = parent.doc_count_all()
        return math.log(1 + (total - n + 0.5) / (n + 0.5))


WEIGHTING = LuceneBM25(B=0.75, K1=1.2)


@dataclass
class Hit:
    rank: int
    id: str
    path: str
    title: str
    date: str | None
    score: float
    passages: list[Passage] = field(default_factory=list)
    title_matches: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Result:
    query: str
    hits: list[Hit]
    total: int  # matching documents, not only those returned
    seconds: float
    suggestion: str | None = None
    note: str | None = None  # why nothing could be searched, if so


@dataclass
class StoredDocument:
    id: str
    path: str
    title: str
    date: str | None
    text: str


class Searcher:
    def __init__(self, folder: str):
        self.folder = folder
        self._ix = open_whoosh(folder)
        # Read the schema once: every ``ix.schema`` unpickles a new copy, and the
        # copy the parser uses is the one whose analyzers are bound below.
        schema = self._ix.schema
        self.lexicon = Lexicon.open(folder)
        self.lemmatizer = Lemmatizer(os.path.join(folder, STEMMER_FILE))
        self.lemmatizer.lexicon = self.lexicon
        bind(schema, self.lemmatizer)
        self._searcher = self._ix.searcher(weighting=WEIGHTING)
        self._parser = make_parser(schema, self.lexicon, self.lemmatizer,
                                   lambda form: self._searcher.doc_frequency("exact", form),
                                   FIELD_BOOSTS)
        # Long documents are stored as several parts: collapse them to one hit.
        self._multipart = self._searcher.doc_frequency("more", "1") > 0

    def close(self) -> None:
        self._searcher.close()
        self.lexicon.close()

    def __enter__(self) -> "Searcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ queries

    def search(self, text: str, limit: int = 10, passages: int = 3,
               count: bool = True) -> Result:
        """Top ``limit`` documents for the query ``text``.  ``count`` also counts
        every matching document (``Result.total``); without it, total is the
        number of hits returned."""
        started = time.perf_counter()
        q = parse(self._parser, text)
        if is_empty(q):
            return Result(text, [], 0, time.perf_counter() - started,
                          note="the query has only stopwords; nothing to search for")
        collapse = {"collapse": "id", "collapse_limit": 1} if self._multipart else {}
        results = self._searcher.search(q, limit=limit, **collapse)
        weigh = self._weigher(q) if passages else None
        hits = []
        for rank, hit in enumerate(results, 1):
            stored = hit.fields()
            h = Hit(rank, stored["id"], stored.get("path", ""), stored.get("title", ""),
                    stored.get("date"), round(hit.score, 4))
            if weigh is not None:
                h.passages = passages_mod.best_passages(stored.get("text", ""), weigh, passages)
                offset = stored.get("offset", 0)
                for p in h.passages:
                    p.offset += offset
                h.title_matches = [(s, e) for s, e, _, _ in
                                   passages_mod.find_matches(h.title, weigh)]
            hits.append(h)
        total = self._count(q, results) if count else len(hits)
        suggestion = self.suggest(text) if total == 0 else None
        return Result(text, hits, total, time.perf_counter() - started, suggestion)

    def count(self, text: str) -> int:
        q = parse(self._parser, text)
        return 0 if is_empty(q) else self._count(q)

    def _count(self, q, results=None) -> int:
        if not self._multipart:
            return len(results) if results is not None else sum(
                1 for _ in self._searcher.docs_for_query(q))
        ids = self._searcher.reader().column_reader("id")
        return len({ids[n] for n in self._searcher.docs_for_query(q)})

    # ------------------------------------------------------------ highlighting

    def _weigher(self, q):
        """word -> (query term, weight) for every word form the query matches."""
        lemma_terms, exact_forms, patterns = set(), set(), []
        for leaf in positive_leaves(q):
            name = getattr(leaf, "fieldname", None)
            if isinstance(leaf, (wq.Prefix, wq.Wildcard)):
                pattern = leaf.text + ("*" if isinstance(leaf, wq.Prefix) else "")
                patterns.append(re.compile(fnmatch.translate(pattern)))
            elif isinstance(leaf, wq.Phrase):
                (exact_forms if name == "exact" else lemma_terms).update(leaf.words)
            elif isinstance(leaf, wq.Term) and name in ("body", "title"):
                lemma_terms.add(leaf.text)
            elif isinstance(leaf, wq.Term) and name == "exact":
                exact_forms.add(leaf.text)
        weights = {term: self._searcher.idf("body", term) for term in lemma_terms}
        table = {form: (term, weights[term])
                 for form, term in self.lexicon.forms_of_terms(lemma_terms).items()}
        for form in exact_forms:
            table.setdefault(form, (form, self._searcher.idf("exact", form)))

        def weigh(word: str):
            lower = word.lower()
            found = table.get(lower)
            if found is None and patterns and lower not in STOPWORDS:
                if any(p.match(lower) for p in patterns):
                    return (lower, 1.0)
            return found

        return weigh

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
        frequency = self._searcher.doc_frequency
        same_letters = self.lexicon.forms_folding_to(fold(word))
        if same_letters:
            return max(same_letters, key=lambda form: frequency("exact", form))
        found = self._searcher.corrector("exact").suggest(word, limit=1, maxdist=2, prefix=1)
        return found[0] if found else None

    # ---------------------------------------------------------------- documents

    def document(self, doc_id: str) -> StoredDocument | None:
        """A document of the index by id (its parts joined), or None."""
        numbers = list(self._searcher.document_numbers(id=doc_id))
        if not numbers:
            return None
        parts = sorted((self._searcher.stored_fields(n) for n in numbers),
                       key=lambda f: f.get("part", 0))
        first = parts[0]
        return StoredDocument(first["id"], first.get("path", ""), first.get("title", ""),
                              first.get("date"), "".join(p.get("text", "") for p in parts))

    def highlight(self, text: str, query_text: str) -> list[tuple[int, int]]:
        """Where ``query_text`` matches in ``text`` (for ``show --query``)."""
        q = parse(self._parser, query_text)
        if is_empty(q):
            return []
        weigh = self._weigher(q)
        return [(s, e) for s, e, _, _ in passages_mod.find_matches(text, weigh)]
