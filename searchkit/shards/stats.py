"""BM25 statistics of the whole sharded index, given to each shard's searcher.

A shard alone would score with its own document count, document frequencies
and average field lengths, and rank differently from one index holding all
the documents.  So, as Elasticsearch's ``dfs_query_then_fetch`` does, a query
first asks every shard for the statistics of its terms; their sums are handed
to each shard's Whoosh searcher, which uses them wherever Whoosh's scorers
and searchkit's cached term scores read statistics (doc_frequency,
doc_count_all, field_length, avg_field_length, idf).  Per-document values
(term weights, field lengths) stay the shard's own: they are the same as in
one index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import query, searching

from searchkit import query as sq


@dataclass
class Totals:
    """Index-wide counts, summed over the shards."""

    documents: int = 0  # Whoosh's doc_count_all: parts of long documents, deleted ones too
    lengths: dict[str, int] = field(default_factory=dict)  # field -> total length
    multipart: bool = False  # some shard stores long documents as several parts
    # some shard was made by rules that give some words other terms
    # (index.made_by_other_rules): on a cluster only the workers see its files
    other_rules: bool = False

    def add(self, other: "Totals") -> "Totals":
        lengths = dict(self.lengths)
        for name, length in other.lengths.items():
            lengths[name] = lengths.get(name, 0) + length
        return Totals(self.documents + other.documents, lengths,
                      self.multipart or other.multipart, self.other_rules or other.other_rules)


@dataclass
class Stats:
    """What a shard scores with: the totals, and the document frequency of
    every term of the query that some shard holds."""

    totals: Totals
    frequencies: dict[tuple[str, bytes], int]


def local_totals(searcher) -> Totals:
    reader = searcher.reader()
    schema = searcher.schema
    lengths = {name: reader.field_length(name) for name in schema.scorable_names()}
    return Totals(reader.doc_count_all(), lengths, reader.doc_frequency("more", "1") > 0)


def query_terms(q, reader) -> dict[tuple[str, bytes], int]:
    """The terms ``q`` scores with in this shard (prefixes and ranges expanded
    against the shard's own vocabulary) and those its highlighting weighs,
    with their document frequency here."""
    # Not Query.existing_terms: in Whoosh 2.7.4 its loop variable overwrites its
    # ``fieldname`` argument, and it drops every leaf after the first in
    # another field.
    schema = reader.schema
    terms = set()
    for leaf in q.leaves():
        for name, text in leaf.expanded_terms(reader, phrases=True):
            if name in schema:
                try:
                    terms.add((name, schema[name].to_bytes(text)))
                except ValueError:
                    pass
    # Highlighting weighs a title word by its IDF in the text (search._highlighter).
    for leaf in sq.positive_leaves(q):
        name = getattr(leaf, "fieldname", None)
        words = getattr(leaf, "words", None) or [getattr(leaf, "text", None)]
        if name in ("body", "title"):
            for word in words:
                if isinstance(word, str):
                    terms.add(("body", schema["body"].to_bytes(word)))
        # A word form is weighed by its lemma's IDF (search.Searcher._form_scores).
        for lemma in getattr(leaf, "lemmas", ()):
            terms.add(("body", schema["body"].to_bytes(lemma)))
    out = {}
    for name, btext in terms:
        n = reader.doc_frequency(name, btext)
        if n:
            out[(name, btext)] = n
    return out


class GlobalStatsSearcher(searching.Searcher):
    """Whoosh's searcher, with the whole index's statistics when ``stats`` is
    set (else the shard's own).  A term the shard lacks keeps frequency 0
    here: no document of the shard has it, and searchkit's cached term
    scores read a term's postings only when its frequency is not 0."""

    stats: Stats | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.parent is None:
            # Whoosh copies the reader's doc_frequency onto the instance.
            self._local_frequency = self.doc_frequency
            self.doc_frequency = self._frequency
            self.misses = 0

    def _frequency(self, fieldname, text):
        local = self._local_frequency(fieldname, text)
        if not local or self.stats is None:
            return local
        found = self.whole_frequency(fieldname, text)
        if found is None:  # not asked for by query_terms: a bug, but not a failure
            self.misses += 1
            return local
        return found

    def whole_frequency(self, fieldname, text) -> int | None:
        """The term's document frequency in all shards (``stats`` set), or None
        if the query's statistics do not hold it (no shard has it)."""
        key = (fieldname, text if isinstance(text, bytes)
               else self.schema[fieldname].to_bytes(text))
        return self.stats.frequencies.get(key)

    def doc_count_all(self):
        top = self.get_parent()
        if top.stats is None:
            return top._doccount
        return top.stats.totals.documents

    def field_length(self, fieldname):
        top = self.get_parent()
        if top.stats is None:
            return top.reader().field_length(fieldname)
        return top.stats.totals.lengths.get(fieldname, 0)

    def avg_field_length(self, fieldname, default=None):
        if not self.schema[fieldname].scorable:
            return default
        return self.field_length(fieldname) / (self.doc_count_all() or 1)

    def idf(self, fieldname, text):
        # Not cached as Whoosh does: the statistics are set per query.
        return self.weighting.idf(self.get_parent(), fieldname, text)


# ------------------------------------------------------------------ expansions

def expansions(q, reader) -> dict[str, list]:
    """For each prefix, wildcard or range of ``q`` (by its repr): the terms it
    stands for in this shard."""
    from whoosh.query import MultiTerm

    return {repr(leaf): list(leaf._btexts(reader)) for leaf in q.leaves()
            if isinstance(leaf, MultiTerm)}


def with_expansions(q, found: dict[str, set]):
    """``q`` with its prefixes, wildcards and ranges scored as they are in one
    index.  Whoosh scores such a query by BM25 when it stands for one term,
    with a constant score when it stands for several: a shard where ``kazach*``
    finds one word must not score it by BM25 when the whole index has many."""
    from whoosh.query import MultiTerm

    if not found:
        return q

    def fix(node):
        if isinstance(node, MultiTerm) and repr(node) in found:
            return Expanded(node, sorted(found[repr(node)]))
        return node

    return q.accept(fix)


class Expanded(query.MultiTerm):
    """A prefix, wildcard or range, with the terms it stands for in the whole
    index."""

    def __init__(self, original, btexts):
        self.original = original
        self.fieldname = original.fieldname
        self.boost = original.boost
        self.constantscore = original.constantscore
        self.btexts = btexts

    def __repr__(self):
        return f"Expanded({self.original!r}, {len(self.btexts)} terms)"

    def __eq__(self, other):
        return (type(other) is Expanded and self.original == other.original
                and self.btexts == other.btexts)

    def __hash__(self):
        return hash(self.original)

    def _btexts(self, ixreader):
        return [t for t in self.btexts if (self.fieldname, t) in ixreader]

    def matcher(self, searcher, context=None):
        from whoosh import matching
        from whoosh.query import compound
        from whoosh.searching import SearchContext

        if len(self.btexts) < 2 or not self.constantscore:
            return self.original.matcher(searcher, context)
        here = [query.Term(self.fieldname, t) for t in self._btexts(searcher.reader()) if t]
        if not here:
            return matching.NullMatcher()
        context = context.set(weighting=None) if context else SearchContext(weighting=None)
        # Whoosh's Or chooses by the number of terms (MultiTerm.matcher and
        # Or._matcher): a scored union, or for a small index (which the
        # statistics say it is) a constant score.  Choose by the whole index's.
        n = len(self.btexts)
        if n < compound.Or.TOO_MANY_CLAUSES and (context.needs_current or n == 2
                                                 or searcher.doc_count_all() > 5000):
            if len(here) == 1:
                return query.Term(self.fieldname, here[0].text,
                                  boost=self.boost).matcher(searcher, context)
            return compound.DefaultOr(here, boost=self.boost).matcher(searcher, context)
        return compound.PreloadedOr(here, boost=self.boost)._matcher(here, searcher, context)
