"""The best k documents of an OR of terms without scoring every posting.

Exhaustive ranking reads every posting of every query term; at a million
documents that is most of a query's time.  This is block-max MaxScore (Turtle
and Flood 1995; Ding and Suel 2011; Lucene's MaxScoreBulkScorer) over Whoosh's
own posting blocks: each block of up to 128 postings carries, in its header,
its last document, its highest term frequency and its shortest field length,
so a bound on every score inside it is known without decoding it.

The documents are taken in windows of consecutive numbers.  In each window,
the terms whose bounds there add up to less than the k-th best score found so
far are *non-essential*: a document that has none of the other terms cannot
reach the top k, so only the other terms' postings are read, and a
non-essential term is looked up (one block decoded, no scores computed) only
for the documents that could still make it, best first, each dropped as soon
as its score so far plus the bounds of the terms not yet looked up falls below
the k-th best.  A first estimate of that k-th score comes from the rarest
terms' documents before the windows start (partial sums never exceed the
full ones), so common words are skipped from the first window on.

Exactly the exhaustive answer: a document's score is the sum of its terms'
scores added in the query's term order, each computed with the same
floating-point operations as ``search._TermScores``.  Bounds are true bounds:
summed in fixed point (integers, each block's bound rounded up), compared with
a margin that covers any rounding of a float sum in another order, and a
document is dropped only when its bound is *below* the k-th score, so ties
still go to the lower document number.  Field lengths are what Whoosh stores
(one byte per document; ``length_to_byte`` rounds up and a block's minimum is
stored the same way), so a block's bound uses the length norm of a length no
longer than any in the block.

Every statistic (IDF, average field length) comes through the searcher, so a
searcher that answers them for several indexes at once ranks each one as part
of the whole.
"""

from __future__ import annotations

import bisect
import heapq
import pickle
import zlib
from array import array
from collections import OrderedDict
from itertools import accumulate

from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

FIXED = 1 << 40  # bounds in units of 2^-40: integer sums, exact
# A float sum of the same numbers in another order may differ in its last bits
# (2^-52 relative per addition): bounds are compared as this much larger.
MARGIN = 1e-9
WINDOWS = 32  # per index: the non-essential terms are chosen again in each
MIN_WINDOW = 2048  # documents
SEED_SHARE = 4  # the first estimate of the k-th score reads at most 1/4 of the postings


def _theta(heap, k: int) -> float:
    """The score a document must reach to enter the top k (0: any will do)."""
    return heap[0][0] if len(heap) == k else 0.0


def _offer(heap: list, k: int, score: float, doc: int) -> None:
    """Keep ``doc`` if it is among the k best so far (ties: lower numbers)."""
    item = (score, -doc)
    if len(heap) < k:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)


class Estimate(int):
    """A number of matching documents that was estimated, not counted."""


# Up to this many postings in all, the query's matches are counted even when
# only an estimate is asked for (counting reads every posting's document).
COUNT_UP_TO = 10_000


def estimate(terms, frequency, documents: int) -> Estimate | None:
    """How many documents match some term, from the whole index's statistics
    alone (``frequency(fieldname, text)``, ``documents``), or None when the
    words are rare enough to count.  Only statistics, so that whether and
    what is estimated does not depend on how far a pruned ranking read, nor
    on how the index is sharded.  Between the commonest term's frequency and
    every document: as if the words were independent.  A word's title
    terms mostly repeat its text field's, so only the text field's terms
    count when there are any."""
    frequencies = {(t.fieldname, t.text): frequency(t.fieldname, t.text) for t in terms}
    if sum(frequencies.values()) <= COUNT_UP_TO:
        return None
    total = max(documents, 1)
    body = [key for key in frequencies if key[0] == "body"] or list(frequencies)
    missing = 1.0
    for key in body:
        missing *= 1.0 - min(frequencies[key], total) / total
    guess = round(total * (1.0 - missing))
    return Estimate(min(total, max(guess, max(frequencies.values()))))


class Leaf:
    """One segment: where its documents start, its deleted documents, and its
    field lengths as bytes (one read of the column instead of a file access
    per document)."""

    def __init__(self, reader, offset: int):
        self.reader = reader
        self.offset = offset
        self.deleted = _deleted(reader)
        self.lengths: dict[str, bytes] = {}

    def length_bytes(self, fieldname: str) -> bytes:
        found = self.lengths.get(fieldname)
        if found is None:
            found = self.lengths[fieldname] = _length_column(self.reader, fieldname)
        return found


def _deleted(reader) -> frozenset:
    if not reader.has_deletions():
        return frozenset()
    try:  # Whoosh 2.7's segment reader keeps them as a set
        return frozenset(reader._perdoc.deleted_docs())
    except AttributeError:
        return frozenset(n for n in range(reader.doc_count_all()) if reader.is_deleted(n))


def _length_column(reader, fieldname: str) -> bytes:
    """Every document's stored length byte for ``fieldname``."""
    count = reader.doc_count_all()
    try:  # Whoosh 2.7's W3 codec: a column of one byte per document
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN

        column = reader._perdoc._cached_reader("_%s_len" % fieldname, LENGTHS_COLUMN)
        if column is None:
            return bytes(count)
        stored = column._dbfile.get(column._basepos, column._count)
        return bytes(stored) + bytes(count - len(stored))
    except (AttributeError, ImportError):  # another codec: document by document
        from whoosh.util.numeric import length_to_byte

        return bytes(length_to_byte(reader.doc_field_length(n, fieldname, 0) or 0)
                     for n in range(count))


# Protocol 2 pickles bytes as calls of _codecs.encode: a block's values (a
# term's positions in each document) take most of its unpickling time, and only
# proximity needs them, for a few documents (Ranker.positions).
_VALUES = b"c_codecs\nencode\n"


def _ids_and_weights(data: bytes, compressed: int, count: int) -> tuple:
    """(delta-coded document numbers, weights) of a W3 block's data, a pickled
    (ids, weights, values): the part before the values, with None put in
    their place, decompressed and unpickled; all of it when that fails."""
    if compressed:
        inflate = zlib.decompressobj()
        # ids take at most 5 bytes each, weights 9: usually enough at once
        plain = inflate.decompress(data, 14 * count + 64)
        while _VALUES not in plain and inflate.unconsumed_tail:
            plain += inflate.decompress(inflate.unconsumed_tail, 4096)
    else:
        plain = data
    cut = plain.find(_VALUES)
    if cut > 0:
        if plain[cut - 1:cut] == b"(":  # a tuple of values opens before it
            cut -= 1
        try:
            # None for the values; TUPLE3; STOP
            ids, weights, _ = pickle.loads(plain[:cut] + b"N\x87.")
            if len(ids) == count and (not isinstance(weights, tuple) or len(weights) == count):
                return ids, weights
        except Exception:  # not the layout expected: read the whole block
            pass
    if compressed:
        plain = zlib.decompress(data)
    return pickle.loads(plain)[:2]


# What the ranker's cache holds, in bytes, roughly (tracemalloc at 845k
# documents): its capacity is in bytes, since a rare word's blocks of one or
# two postings cost their headers' and objects' bytes, not their postings'.
TERM_BYTES = 700  # a TermBlocks, even without postings
HEADER_BYTES = 300  # a block's end, bound and place
BLOCK_BYTES = 200  # a decoded block's own objects
TUPLE_POSTING_BYTES = 70  # a decoded posting as Python int and float in tuples
ARRAY_POSTING_BYTES = 12  # in arrays
SCORES_BYTES = 100  # a block's score array
SCORE_BYTES = 8


class TermBlocks:
    """A term's posting blocks over the whole index: where each ends (global
    document numbers, ascending), a bound on its scores, and where to read
    it.  Decoded blocks and their scores are kept for later queries, within
    the ranker's budget."""

    __slots__ = ("key", "ends", "bounds", "places", "before", "raw", "scores", "idf", "floor",
                 "size")

    def __init__(self, key):
        self.key = key
        self.ends: list[int] = []
        self.bounds: list[float] = []
        # (leaf, postings file, data offset, data length, compressed, count)
        self.places: list[tuple] = []
        self.before: list[int] = [0]  # postings in the blocks before each (and in all)
        # block -> (segment document numbers, weights): tuples when decoded,
        # arrays once kept past a query (Ranker._compact)
        self.raw: dict[int, tuple] = {}
        self.scores: dict[int, array] = {}  # block -> every posting's score
        self.idf = self.floor = 0.0
        self.size = TERM_BYTES  # roughly, in bytes: see the *_BYTES constants


class Ranker:
    """Top-k of OR-ed terms for one searcher, with the per-term data cached
    (a batch repeats words a lot) up to ``capacity`` bytes, roughly."""

    def __init__(self, searcher, weighting, norm, capacity: int):
        self._searcher = searcher
        self._weighting = weighting
        self._norm = norm  # (fieldname, length) -> BM25's length part, as the exhaustive path's
        self._leaves = None
        self._terms: OrderedDict = OrderedDict()
        self._tables: dict[str, list[float]] = {}
        self._size = 0
        self._capacity = capacity
        self.postings_read = 0  # postings decoded (for benchmarks)
        self._fresh: list[tuple[TermBlocks, int]] = []  # blocks decoded as tuples
        self._tops = 0  # calls of top(): one a query, but for ties at the cut

    def leaves(self) -> list[Leaf]:
        if self._leaves is None:
            self._leaves = [Leaf(r, off) for r, off in self._searcher.reader().leaf_readers()]
        return self._leaves

    def _table(self, fieldname: str) -> list[float]:
        """BM25's length part for each stored length byte."""
        table = self._tables.get(fieldname)
        if table is None:
            table = self._tables[fieldname] = [self._norm(fieldname, byte_to_length(b))
                                               for b in range(256)]
        return table

    # ------------------------------------------------------------------ terms

    def term(self, fieldname: str, text: str) -> TermBlocks:
        key = (fieldname, text)
        found = self._terms.get(key)
        if found is not None:
            self._terms.move_to_end(key)
            return found
        t = TermBlocks(key)
        self._size += t.size
        searcher = self._searcher
        if searcher.doc_frequency(fieldname, text):
            t.idf = searcher.idf(fieldname, text)
            t.floor = self._weighting.lower_bounds.get(fieldname, 0.0) * t.idf
            for leaf in self.leaves():
                self._read_headers(t, leaf)
            t.before = [0, *accumulate(place[5] for place in t.places)]
        self._grow(t, HEADER_BYTES * len(t.ends))
        self._terms[key] = t
        return t

    def _read_headers(self, t: TermBlocks, leaf: Leaf) -> None:
        fieldname, text = t.key
        try:
            m = leaf.reader.postings(fieldname, text)
        except TermNotFound:
            return
        if isinstance(m, FilterMatcher):  # deleted documents: Leaf.deleted has them
            m = m.child
        k1p = self._weighting.K1 + 1
        if not hasattr(m, "_goto"):  # not a W3 block list (inlined postings): one block
            ids, weights = [], []
            while m.is_active():
                ids.append(m.id())
                weights.append(m.weight())
                m.next()
            if ids:
                n = len(t.ends)
                t.ends.append(leaf.offset + ids[-1])
                t.places.append((leaf, None, 0, 0, 0, len(ids)))
                t.raw[n] = (tuple(ids), tuple(weights))
                self._fresh.append((t, n))
                self._grow(t, BLOCK_BYTES + TUPLE_POSTING_BYTES * len(ids))
                t.bounds.append(max(self._block_scores(t, n)))
            return
        # Whoosh 2.7.4 (pinned) W3LeafMatcher: _goto reads one block's header.
        position = m._baseoffset
        while True:
            m._goto(position)
            weight = m._maxweight
            # the block's shortest length as stored: no document in it has a smaller norm
            norm = self._norm(fieldname, m._minlength or 0)
            t.ends.append(leaf.offset + m._maxid)
            t.bounds.append(t.idf * weight * k1p / (weight + norm) + t.floor)
            t.places.append((leaf, m._postfile, m._dataoffset, m._nextoffset - m._dataoffset,
                             m._compression, m._blocklength))
            if m._lastblock:
                break
            position = m._nextoffset

    def _raw(self, t: TermBlocks, i: int) -> tuple:
        """(segment document numbers, weights) of block ``i``, as the W3
        codec writes them: a pickled tuple (delta-coded ids, weights, values)."""
        found = t.raw.get(i)
        if found is not None:
            return found
        leaf, postfile, offset, length, compressed, count = t.places[i]
        deltas, weights = _ids_and_weights(postfile.get(offset, length), compressed, count)
        if weights is None:
            weights = (1.0,) * count
        elif isinstance(weights, float):
            weights = (weights,) * count
        if self._tops > 1:  # past a first query: kept compact from the start (_compact)
            found = t.raw[i] = (array("i", accumulate(deltas)), array("d", weights))
            size = BLOCK_BYTES + ARRAY_POSTING_BYTES * count
        else:
            found = t.raw[i] = (tuple(accumulate(deltas)), weights)
            self._fresh.append((t, i))
            size = BLOCK_BYTES + TUPLE_POSTING_BYTES * count
        self._grow(t, size)
        self.postings_read += count
        return found

    def _block_scores(self, t: TermBlocks, i: int) -> array:
        """The score of every posting of block ``i`` (deleted documents too)."""
        found = t.scores.get(i)
        if found is not None:
            return found
        ids, weights = self._raw(t, i)
        leaf = t.places[i][0]
        table = self._table(t.key[0])
        lengths = leaf.length_bytes(t.key[0])
        idf, floor, k1p = t.idf, t.floor, self._weighting.K1 + 1
        # search._TermScores's expression, operation for operation
        found = t.scores[i] = array("d", [idf * w * k1p / (w + table[lengths[d]]) + floor
                                          for d, w in zip(ids, weights)])
        self._grow(t, SCORES_BYTES + SCORE_BYTES * len(found))
        return found

    def _add_window(self, t: TermBlocks, low: int, high: int, boost: float,
                    into: dict) -> None:
        """Add boost x score to ``into`` for ``t``'s documents from ``low`` to ``high``."""
        get = into.get
        ends = t.ends
        i = bisect.bisect_left(ends, low)
        while i < len(ends):
            leaf = t.places[i][0]
            off, deleted = leaf.offset, leaf.deleted
            ids = self._raw(t, i)[0]
            scores = self._block_scores(t, i)
            start = bisect.bisect_left(ids, low - off)
            stop = bisect.bisect_right(ids, high - off, start)
            if deleted:
                for doc, value in zip(ids[start:stop], scores[start:stop]):
                    if doc not in deleted:
                        doc += off
                        into[doc] = get(doc, 0.0) + value * boost
            else:
                for doc, value in zip(ids[start:stop], scores[start:stop]):
                    doc += off
                    into[doc] = get(doc, 0.0) + value * boost
            if ends[i] >= high:
                break
            i += 1

    def _grow(self, t: TermBlocks, size: int) -> None:
        """Count ``size`` more bytes (or fewer) for ``t`` and the cache."""
        t.size += size
        self._size += size

    def _trim(self) -> None:
        terms = self._terms
        evicted = False
        while self._size > self._capacity and len(terms) > 1:
            _, old = terms.popitem(last=False)
            self._size -= old.size
            evicted = True
        if evicted:  # not kept alive by _fresh
            self._fresh = [(t, i) for t, i in self._fresh if terms.get(t.key) is t]

    def _compact(self) -> None:
        """The blocks the first query decoded, kept as arrays, as later
        queries' are decoded: a tuple of Python ints and floats takes ~70
        bytes a posting, arrays 12, so the same memory caches six times the
        postings (1,000 questions at 845k on every core: 16% less CPU, with
        the capacity search.RANKER_CACHE_BYTES).  Not in the first query:
        building an array costs twice a tuple, and a one-shot search reads
        each block once."""
        terms = self._terms
        for t, i in self._fresh:
            found = t.raw.get(i)
            if found is not None and isinstance(found[0], tuple) and terms.get(t.key) is t:
                t.raw[i] = (array("i", found[0]), array("d", found[1]))
                self._grow(t, (ARRAY_POSTING_BYTES - TUPLE_POSTING_BYTES) * len(found[0]))
        self._fresh.clear()

    # ---------------------------------------------------------------- ranking

    def top(self, terms, k: int):
        """([(docnum, score)] best first, ties to the lower number; documents
        seen; whether every matching document was seen) for the OR of
        ``terms`` (Whoosh Term queries, with boosts)."""
        self._tops += 1
        if self._tops > 1 and self._fresh:
            self._compact()
        blocks = [self.term(term.fieldname, term.text) for term in terms]
        boosts = [term.boost for term in terms]
        # a term a document lacks adds 0: no bound is below that
        fixed = [[max(int(b * boost * FIXED) + 1, 0) for b in t.bounds]
                 for t, boost in zip(blocks, boosts)]
        heap: list[tuple[float, int]] = []  # (score, -doc): the k best, worst first
        # the likeliest best documents first, scored in full: a high k-th score
        # from the first window on
        scored = self._seed(blocks, boosts, fixed, k)
        for doc, score in scored.items():
            _offer(heap, k, score, doc)
        seen = 0
        complete = True
        count = self._searcher.reader().doc_count_all()
        width = max(MIN_WINDOW, -(-count // WINDOWS))
        everything = range(len(blocks))
        for low in range(0, count, width):
            high = min(low + width, count) - 1
            bound = [0] * len(blocks)
            for n in everything:
                ends = blocks[n].ends
                i = bisect.bisect_left(ends, low)
                if i < len(ends):
                    j = bisect.bisect_left(ends, high, i)
                    bound[n] = max(fixed[n][i:j + 1])
            theta = _theta(heap, k)
            limit = theta * FIXED
            # Non-essential: as many postings as fit under theta, the terms with
            # the most postings per unit of bound first (as Lucene's
            # MaxScoreBulkScorer orders them); looked up the other way round,
            # so that the cheap strong terms shrink the bound left quickly.
            present = [n for n in everything if bound[n]]
            cost = {n: self._postings_in(blocks[n], low, high) / bound[n] for n in present}
            total = 0
            essential, lookups = [], []
            for n in sorted(present, key=lambda n: -cost[n]):
                if (total + bound[n]) * (1 + MARGIN) < limit:
                    total += bound[n]
                    lookups.append(n)
                else:
                    essential.append(n)
            lookups.reverse()
            if lookups:
                complete = False
            if not essential:
                continue
            # In the query's order, the essential terms' sums are the exhaustive
            # ones when there is nothing to look up.
            essential.sort()
            partial: dict[int, float] = {}
            for n in essential:
                self._add_window(blocks[n], low, high, boosts[n], partial)
            seen += len(partial)
            if lookups:
                partial = self._look_up(blocks, boosts, essential, lookups, bound, total,
                                        partial, _theta(heap, k))
            for doc, score in sorted(partial.items(), key=lambda item: -item[1]):
                theta = _theta(heap, k)
                if score * (1 + MARGIN) < theta:
                    break  # the rest of the window scores lower still
                if doc not in scored:
                    _offer(heap, k, score, doc)
        self._trim()
        top = sorted(((-d, s) for s, d in heap), key=lambda item: (-item[1], item[0]))
        return top, seen, complete

    def _look_up(self, blocks, boosts, essential, lookups, bound, total, partial,
                 theta) -> dict:
        """{doc: exhaustive score} for the documents of ``partial`` (sums over
        the ``essential`` terms) that can still beat ``theta`` once the
        non-essential ``lookups`` are added: each term in turn, dropping the
        documents whose sum so far plus the bounds of the terms left is below
        ``theta``."""
        found: dict[int, dict] = {}
        left = total
        cut = theta / (1 + MARGIN) - left / FIXED
        # in document order, so that each term's blocks are visited in order
        alive = {doc: partial[doc] for doc in sorted(partial) if partial[doc] >= cut}
        for n in lookups:
            if not alive:
                return {}
            left -= bound[n]
            cut = theta / (1 + MARGIN) - left / FIXED
            found[n], alive = self._add_and_cut(blocks[n], alive, boosts[n], cut)
        if not alive:
            return {}
        for n in essential:
            found[n] = self._values(blocks[n], alive, boosts[n])
        # the exhaustive sum: every term's value in the query's order
        out = {}
        terms = [found[n].get for n in sorted(found)]
        for doc in alive:
            score = 0.0
            for got in terms:
                value = got(doc)
                if value is not None:
                    score += value
            out[doc] = score
        return out

    def _values(self, t: TermBlocks, docs, boost: float) -> dict:
        """{doc: boost x score} for those of ``docs`` (ascending global numbers)
        that have ``t``: only the blocks holding them are decoded."""
        return self._add_and_cut(t, dict.fromkeys(docs, 0.0), boost, float("inf"))[0]

    def _add_and_cut(self, t: TermBlocks, alive: dict, boost: float, cut: float):
        """({doc: boost x score} for the documents of ``alive`` ({doc: sum so far},
        ascending) that have ``t``, {doc: sum with it} for those whose sum reaches
        ``cut``), in one pass: only the blocks holding them are decoded, and only
        their scores are computed."""
        values, kept = {}, {}
        ends = t.ends
        last = len(ends)
        i = -1
        end = -1
        ids = ()
        off = 0
        deleted = scores = weights = lengths = table = None
        for doc, before in alive.items():
            if doc > end:
                i = bisect.bisect_left(ends, doc, i + 1)
                if i == last:  # past the term's last posting: nothing to add
                    end, ids = 1 << 62, ()
                else:
                    end = ends[i]
                    leaf = t.places[i][0]
                    off, deleted = leaf.offset, leaf.deleted
                    ids, weights = self._raw(t, i)
                    scores = t.scores.get(i)
                    lengths = table = None
            local = doc - off
            j = bisect.bisect_left(ids, local)
            if j < len(ids) and ids[j] == local and not (deleted and local in deleted):
                if scores is not None:
                    value = scores[j]
                else:
                    if table is None:
                        table = self._table(t.key[0])
                        lengths = leaf.length_bytes(t.key[0])
                    w = weights[j]
                    # search._TermScores's expression
                    value = (t.idf * w * (self._weighting.K1 + 1) / (w + table[lengths[local]])
                             + t.floor)
                value = values[doc] = value * boost
                before = before + value
            if before >= cut:
                kept[doc] = before
        return values, kept

    def _postings_in(self, t: TermBlocks, low: int, high: int) -> int:
        """Postings in the blocks of ``t`` that overlap ``low`` to ``high``."""
        i = bisect.bisect_left(t.ends, low)
        j = min(bisect.bisect_left(t.ends, high, i), len(t.ends) - 1)
        return t.before[j + 1] - t.before[i]

    def _seed(self, blocks, boosts, fixed, k: int) -> dict[int, float]:
        """{doc: exhaustive score} for the k documents with the best sums over
        the rarest, strongest terms (those holding at most 1/SEED_SHARE of
        the postings): likely among the best, and looked up in every term."""
        order = sorted(range(len(blocks)), key=lambda n: -max(fixed[n], default=0))
        sizes = [t.before[-1] for t in blocks]
        budget = sum(sizes) // SEED_SHARE
        partial: dict[int, float] = {}
        used = 0
        for n in order:
            t = blocks[n]
            if not t.ends or used + sizes[n] > budget:
                break
            used += sizes[n]
            self._add_window(t, 0, 1 << 62, boosts[n], partial)
        best = sorted(heapq.nlargest(k, partial, key=partial.__getitem__))
        return self._sums(blocks, boosts, best)

    def _sums(self, blocks, boosts, docs) -> dict[int, float]:
        """{doc: exhaustive score} for ``docs`` (ascending global numbers)."""
        values = [self._values(t, docs, boost).get for t, boost in zip(blocks, boosts)]
        scored = {}
        for doc in docs:
            score = 0.0
            for got in values:  # the query's order, as exhaustively
                value = got(doc)
                if value is not None:
                    score += value
            scored[doc] = score
        return scored

    def scores(self, terms, docs) -> dict[int, float]:
        """{doc: score} over the OR of ``terms`` for ``docs`` (ascending global
        numbers), 0.0 for those with none of them, as exhaustive scoring sums it."""
        blocks = [self.term(term.fieldname, term.text) for term in terms]
        found = self._sums(blocks, [term.boost for term in terms], docs)
        self._trim()
        return found

    def count(self, terms) -> int:
        """Exactly how many documents match some term: every block's document
        numbers read, no scores computed."""
        return len(self.matching(terms))

    def matching(self, terms) -> set[int]:
        """The documents that match some term (global numbers)."""
        matched: set[int] = set()
        for term in terms:
            t = self.term(term.fieldname, term.text)
            for i, (leaf, *_) in enumerate(t.places):
                off, deleted = leaf.offset, leaf.deleted
                matched.update(d + off for d in self._raw(t, i)[0]
                               if not (deleted and d in deleted))
        self._trim()
        return matched

    def positions(self, fieldname: str, text: str, docs) -> dict:
        """{doc: positions of ``text`` in it} for those of ``docs`` (global
        numbers) that have it: only the blocks holding them are read whole."""
        decode = self._searcher.schema[fieldname].format.decoder("positions")
        t = self.term(fieldname, text)
        where = {}
        values = {}  # block -> its values (encoded positions), read once here
        for doc in docs:
            i = bisect.bisect_left(t.ends, doc)
            if i == len(t.ends):
                continue
            leaf, postfile, offset, length, compressed, count = t.places[i]
            local = doc - leaf.offset
            ids = self._raw(t, i)[0]
            j = bisect.bisect_left(ids, local)
            if j == len(ids) or ids[j] != local or local in leaf.deleted:
                continue
            if i not in values:
                data = postfile.get(offset, length) if postfile is not None else None
                if data is not None and compressed:
                    data = zlib.decompress(data)
                found = pickle.loads(data)[2] if data is not None else None
                if not isinstance(found, tuple) or len(found) != count:
                    return self._positions_by_skipping(fieldname, text, docs)
                values[i] = found
            where[doc] = decode(values[i][j])
        self._trim()
        return where

    def _positions_by_skipping(self, fieldname: str, text: str, docs) -> dict:
        """``positions`` through Whoosh's matchers (postings not in W3 blocks)."""
        decode = self._searcher.schema[fieldname].format.decoder("positions")
        where = {}
        leaves = self.leaves()
        starts = [leaf.offset for leaf in leaves]
        by_leaf: dict[int, list[int]] = {}
        for doc in sorted(docs):
            by_leaf.setdefault(bisect.bisect_right(starts, doc) - 1, []).append(doc)
        for n, group in by_leaf.items():
            leaf = leaves[n]
            try:
                m = leaf.reader.postings(fieldname, text)
            except TermNotFound:
                continue
            for doc in group:
                if not m.is_active():
                    break
                m.skip_to(doc - leaf.offset)
                if m.is_active() and m.id() == doc - leaf.offset:
                    where[doc] = decode(m.value())
        return where
