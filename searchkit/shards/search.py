"""Searching a sharded index as one index.

Per batch of queries (one query is a batch of one), each step one call per
shard -- in this process, or as a task on the Dask worker holding the shard
(``cluster``):

1. the coordinator parses the queries (with the union of the shards'
   lexicons: a query means the same whichever shard holds its words);
2. *dfs*: each shard gives the document frequencies of the queries' terms,
   the coordinator sums them (``stats``);
3. *query*: each shard ranks its best ``max(limit, PROXIMITY_DEPTH)``
   documents by BM25 with those statistics, and re-scores its best
   PROXIMITY_DEPTH by word forms and proximity as one index would (a
   document's bonus depends only on the document and the global statistics);
4. the coordinator merges the candidates by BM25 score, ties by id, takes the
   global top PROXIMITY_DEPTH's re-scored scores, and cuts to ``limit``;
5. *fetch*: the shards holding the winners build their hits and passages.

Steps 1-5 are what one index does (search.Searcher._top), with the same
arithmetic in the same order, so ids, order and scores are the same.  Ties
rank by id in both (search.Searcher._ranked).  One difference remains: Whoosh
counts deleted documents in its statistics until segments are merged, and
shards merge at other times than one index would, so after incremental
updates scores may differ from a fresh single index in the last digits.
"""

from __future__ import annotations

import time

from searchkit.analysis import bind
from searchkit.errors import SearchkitError
from searchkit.index import FIELD_BOOSTS, STEMMER_FILE, made_by_other_rules, open_whoosh
from searchkit.lemmatizer import Lemmatizer
from searchkit.lexicon import Lexicon
from searchkit.query import (FoldExpander, QueryBuilder, QueryError, is_empty, ranked_terms,
                             split_forms)
from searchkit.search import (PROXIMITY_DEPTH, WEIGHTING, Result, Searcher, _reading,
                              form_frequency)
from searchkit.shards import layout as shard_layout
from searchkit.shards.stats import (GlobalStatsSearcher, Stats, Totals, expansions, local_totals,
                                    query_terms, with_expansions)
from searchkit.topk import Estimate


class ShardSearcher(Searcher):
    """One shard, scoring with the whole index's statistics; every method
    answers a batch (one call, one round trip to a worker)."""

    def _new_searcher(self):
        return GlobalStatsSearcher(self._ix.reader(), weighting=WEIGHTING, fromindex=self._ix)

    def generation(self) -> int:
        return self._ix.latest_generation()

    def totals(self) -> Totals:
        totals = local_totals(self._searcher)
        totals.other_rules = made_by_other_rules(self.folder)
        return totals

    @_reading
    def term_stats(self, queries) -> list[tuple[dict, dict]]:
        """For each query: its terms' document frequencies here, and what its
        prefixes, wildcards and ranges stand for here."""
        reader = self._searcher.reader()
        return [(query_terms(q, reader), expansions(q, reader)) for q in queries]

    @_reading
    def rank(self, jobs) -> list:
        """For each (query, limit, count, fast, stats): its best documents here,
        [(BM25 score, score after proximity or None, id, docnum)] in the
        order one index would rank them, and how many match here."""
        out = []
        for q, limit, count, fast, stats in jobs:
            self._searcher.stats = stats
            q, forms = split_forms(q)
            terms = ranked_terms(q)
            depth = max(limit, PROXIMITY_DEPTH) if terms else limit
            top, total = self._ranked(q, depth, count, fast)
            near = dict(self._rescored(top[:PROXIMITY_DEPTH], terms, forms)) if terms else {}
            out.append(([(score, near.get(doc), self._id_of(doc), doc) for doc, score in top],
                        total))
        return out

    def _frequency(self, fieldname: str, text) -> int:
        # Not the searcher's doc_frequency: a term this shard lacks has its
        # frequency in the others.
        if self._searcher.stats is None:
            return super()._frequency(fieldname, text)
        return self._searcher.whole_frequency(fieldname, text) or 0

    @_reading
    def hits(self, jobs) -> list:
        """For each (query, stats, passages, [(rank, docnum, score)]): the hits."""
        out = []
        for q, stats, passages, wanted in jobs:
            self._searcher.stats = stats
            highlighter = self._highlighter(q) if passages else None
            out.append([self._hit(rank, doc, score, highlighter, passages)
                        for rank, doc, score in wanted])
        return out

    @_reading
    def frequencies(self, keys) -> list[int]:
        frequency = self._searcher.reader().doc_frequency
        return [frequency(name, text) for name, text in keys]

    @_reading
    def counts(self, queries) -> list[int]:
        return [self._count(q) for q in queries]


class LocalShards:
    """Every shard opened in this process."""

    def __init__(self, layout):
        self.layout = layout
        self.searchers = []
        try:
            for path in layout.paths():
                self.searchers.append(ShardSearcher(path))
        except BaseException:
            self.close()
            raise

    batch_size = 1  # queries per round of calls: no round trips to save here

    def each(self, method: str, *args) -> list:
        """``method(*args)`` on every shard, in shard order."""
        return [getattr(s, method)(*args) for s in self.searchers]

    def some(self, method: str, args_by_shard: dict[int, tuple]) -> dict:
        """``method`` on the shards named, with their own arguments."""
        return {k: getattr(self.searchers[k], method)(*args) for k, args in args_by_shard.items()}

    def schema(self):
        return self.searchers[0]._ix.schema

    def close(self) -> None:
        for s in self.searchers:
            s.close()


class _UnionLexicon:
    """The shards' lexicons read as one (each holds the forms of its documents)."""

    def __init__(self, folders):
        self.parts = [Lexicon.open(f) for f in folders]

    def terms_of(self, form: str) -> list[str]:
        found = []
        for caps in (False, True):
            for part in self.parts:
                term = part.term(form, caps)
                if term is not None and term not in found:
                    found.append(term)
        return found

    def name_of(self, form: str) -> tuple[str, bool] | None:
        # A form's name term is a function of the form: any shard's will do.
        for part in self.parts:
            found = part.name_of(form)
            if found is not None:
                return found
        return None

    def second_name_of(self, form: str) -> str | None:
        for part in self.parts:
            found = part.second_name_of(form)
            if found is not None:
                return found
        return None

    def is_name(self, term: str) -> bool:
        return any(part.is_name(term) for part in self.parts)

    def codes(self, form: str) -> set[int]:
        return set().union(*(part.codes(form) for part in self.parts))

    def written_in_lower_case(self, terms: list[str]) -> bool:
        # A form's LOWER_CASE row is in the shard that has its document (and
        # its term row): written so in any shard is written so in the index.
        return any(part.written_in_lower_case(terms) for part in self.parts)

    def forms_folding_to(self, folded: str) -> list[str]:
        return sorted({form for part in self.parts for form in part.forms_folding_to(folded)})

    def forms_within(self, word: str, maxdist: int, prefix: int) -> dict[str, int]:
        found: dict[str, int] = {}
        for part in self.parts:
            found.update(part.forms_within(word, maxdist, prefix))
        return found

    def forms_of_terms(self, terms) -> dict[str, tuple[str, ...]]:
        terms = set(terms)
        found: dict[str, set[str]] = {}
        for part in self.parts:
            for form, its in part.forms_of_terms(terms).items():
                found.setdefault(form, set()).update(its)
        return {form: tuple(sorted(its)) for form, its in found.items()}

    def close(self) -> None:
        for part in self.parts:
            part.close()


class _GlobalView:
    """What the coordinator's borrowed Searcher methods read statistics from
    (self._searcher in search.Searcher): sums over the shards, cached."""

    def __init__(self, shards, totals: Totals):
        self.shards = shards
        self.totals = totals
        self.schema = None
        self._frequencies: dict = {}

    def known(self, keys) -> dict:
        keys = [k for k in dict.fromkeys(keys) if k not in self._frequencies]
        if keys:
            for counts in self.shards.each("frequencies", keys):
                for key, n in zip(keys, counts):
                    self._frequencies[key] = self._frequencies.get(key, 0) + n
        return {k: self._frequencies[k] for k in keys}

    def doc_frequency(self, fieldname: str, text) -> int:
        key = (fieldname, text if isinstance(text, bytes)
               else self.schema[fieldname].to_bytes(text))
        if key not in self._frequencies:
            self.known([key])
        return self._frequencies[key]

    def idf(self, fieldname: str, text) -> float:
        return WEIGHTING.idf(self, fieldname, text)

    # for LuceneBM25.idf
    def get_parent(self):
        return self

    def doc_count_all(self) -> int:
        return self.totals.documents


class ShardedSearcher:
    """search.Searcher's interface over a sharded index."""

    def __init__(self, folder: str, cluster: str | None = None):
        self.folder = folder
        layout = shard_layout.read(folder)
        if layout is None:
            open_whoosh(folder)  # the usual "no index" message
            raise SearchkitError(f"{folder} holds no sharded index")
        self.layout = layout
        self.lexicon = None
        if cluster:
            from searchkit.shards.cluster import ClusterShards
            self.shards = ClusterShards(cluster, layout)
        else:
            self.shards = LocalShards(layout)
        try:
            self._open(layout)
        except BaseException:
            self.close()
            raise

    def _open(self, layout) -> None:
        schema = self.shards.schema()
        totals = Totals()
        for part in self.shards.each("totals"):
            totals = totals.add(part)
        self.totals = totals
        self._searcher = _GlobalView(self.shards, totals)
        self._searcher.schema = schema
        self.lexicon = _UnionLexicon(layout.paths())
        self.lemmatizer = Lemmatizer(_stemmer(layout))
        self.lemmatizer.lexicon = self.lexicon
        self.lemmatizer.frequency = lambda term: self._searcher.doc_frequency("body", term)
        bind(schema, self.lemmatizer)
        expander = FoldExpander(self.lexicon, self.lemmatizer,
                                form_frequency(self.lexicon, self._searcher.doc_frequency))
        self._queries = QueryBuilder(schema, expander, FIELD_BOOSTS)

    def close(self) -> None:
        if self.lexicon is not None:
            self.lexicon.close()
        self.shards.close()

    def __enter__(self) -> "ShardedSearcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def batch_size(self) -> int:
        return self.shards.batch_size

    def parse(self, text: str):
        return self._queries.parse(text)

    # ------------------------------------------------------------------ queries

    def search(self, text: str, limit: int = 10, passages: int = 3,
               count: bool = True) -> Result:
        result = self.search_many([text], limit, passages, count)[0]
        if isinstance(result, QueryError):
            raise result
        return result

    def search_many(self, texts: list[str], limit: int = 10, passages: int = 3,
                    count: bool = True) -> list:
        """search() for each of ``texts`` (a Result, or the QueryError that
        made it unusable), in one round of calls to the shards."""
        started = time.perf_counter()
        out: list = [None] * len(texts)
        live = []  # (position, query)
        for i, text in enumerate(texts):
            try:
                q = self.parse(text)
            except QueryError as e:
                out[i] = e
                continue
            if is_empty(q):
                out[i] = Result(text, [], 0, 0.0,
                                note="the query has only stopwords; nothing to search for")
            else:
                live.append((i, q))
        if live:
            stats, scored = self._stats([q for _, q in live])
            fast = not self.totals.multipart
            ranked = self.shards.each("rank", [(q, limit, count, fast, s)
                                               for q, s in zip(scored, stats)])
            tops, totals = [], []
            for n, (_, q) in enumerate(live):
                top, total = _merge([shard[n] for shard in ranked], q, limit)
                tops.append(top)
                totals.append(total)
            hits = self._fetch(live, stats, tops, passages)
            for n, (i, q) in enumerate(live):
                total = totals[n] if hits[n] else 0
                out[i] = Result(texts[i], hits[n], total, 0.0,
                                total_is_estimate=isinstance(total, Estimate) and bool(hits[n]))
        for i, result in enumerate(out):
            if isinstance(result, Result) and not result.hits and result.note is None:
                result.suggestion = self.suggest(texts[i])
        seconds = (time.perf_counter() - started) / max(len(texts), 1)
        for result in out:
            if isinstance(result, Result):
                result.seconds = seconds
        return out

    def _stats(self, queries):
        """The whole index's statistics for each query, and each query as the
        shards should score it (stats.with_expansions)."""
        summed: list[dict] = [{} for _ in queries]
        expanded: list[dict] = [{} for _ in queries]
        for shard in self.shards.each("term_stats", queries):
            for total, union, (part, terms) in zip(summed, expanded, shard):
                for key, n in part.items():
                    total[key] = total.get(key, 0) + n
                for key, found in terms.items():
                    union.setdefault(key, set()).update(found)
        return ([Stats(self.totals, frequencies) for frequencies in summed],
                [with_expansions(q, union) for q, union in zip(queries, expanded)])

    def _fetch(self, live, stats, tops, passages) -> list[list]:
        wanted: dict[int, list] = {}  # shard -> [(query number, [(rank, docnum, score)])]
        for n, top in enumerate(tops):
            by_shard: dict[int, list] = {}
            for rank, (score, shard, doc) in enumerate(top, 1):
                by_shard.setdefault(shard, []).append((rank, doc, score))
            for shard, docs in by_shard.items():
                wanted.setdefault(shard, []).append((n, docs))
        answers = self.shards.some("hits", {
            shard: ([(live[n][1], stats[n], passages, docs) for n, docs in jobs],)
            for shard, jobs in wanted.items()})
        hits: list[list] = [[] for _ in tops]
        for shard, jobs in wanted.items():
            for (n, _), found in zip(jobs, answers[shard]):
                hits[n].extend(found)
        for found in hits:
            found.sort(key=lambda hit: hit.rank)
        return hits

    def count(self, text: str) -> int:
        q = self.parse(text)
        return 0 if is_empty(q) else sum(c[0] for c in self.shards.each("counts", [q]))

    # ------------------------------------------ borrowed from search.Searcher

    _highlighter = Searcher._highlighter
    # the whole index's frequencies, through the view of the shards' sums
    _form_idf = Searcher._form_idf
    _frequency = Searcher._frequency
    _documents = Searcher._documents
    highlight = Searcher.highlight
    suggest = Searcher.suggest
    # over the union of the shards' lexicons, with the whole index's frequencies
    _closest = Searcher._closest

    # ---------------------------------------------------------------- documents

    def document(self, doc_id: str):
        shard = shard_layout.shard_of(doc_id, self.layout.count)
        return self.shards.some("document", {shard: (doc_id,)})[shard]


def _merge(parts, q, limit: int):
    """The shards' candidates ([(BM25, proximity score, id, docnum)], total)
    merged as one index ranks (search.Searcher._top): best BM25 first, ties
    by id; the first PROXIMITY_DEPTH re-ordered by their proximity scores.
    [(score, shard, docnum)], and the total (None if a shard did not count)."""
    terms = ranked_terms(q)
    depth = max(limit, PROXIMITY_DEPTH) if terms else limit
    merged = sorted(((score, near, doc_id, shard, doc)
                     for shard, (candidates, _) in enumerate(parts)
                     for score, near, doc_id, doc in candidates),
                    key=lambda c: (-c[0], c[2]))[:depth]
    if terms:
        head = sorted(((near if near is not None else score, doc_id, shard, doc)
                       for score, near, doc_id, shard, doc in merged[:PROXIMITY_DEPTH]),
                      key=lambda c: (-c[0], c[1]))
        top = [(s, shard, doc) for s, _, shard, doc in head]
        top += [(s, shard, doc) for s, _, _, shard, doc in merged[PROXIMITY_DEPTH:]]
    else:
        top = [(s, shard, doc) for s, _, _, shard, doc in merged]
    totals = [total for _, total in parts]
    if any(t is None for t in totals):
        return top[:limit], None
    if any(isinstance(t, Estimate) for t in totals):
        # Made from the whole index's statistics: every shard's is the
        # estimate for all of them, as one index would give it.
        return top[:limit], next(t for t in totals if isinstance(t, Estimate))
    return top[:limit], sum(totals)


def _stemmer(layout) -> str:
    import os

    return os.path.join(layout.path(0), STEMMER_FILE)


def open_searcher(folder: str, cluster: str | None = None):
    """The right searcher for ``folder``: sharded or not."""
    if shard_layout.is_sharded(folder):
        return ShardedSearcher(folder, cluster)
    if cluster:
        raise SearchkitError(f"{folder} is not a sharded index: --cluster searches sharded "
                             "indexes ('searchkit index --rebuild --shards N')")
    return Searcher(folder)
