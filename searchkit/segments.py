"""Writing Whoosh segments directly: postings gathered per term, then written
in Whoosh's own file format (codec W3), block by block.

Whoosh's writer sends every posting of every document through a pool of
tuples that it sorts, spills to disk in runs and merges again (58% of a
writer's time on 845k documents), after running each text through the
analyzer once per field.  Here a text is split once for both of its word
fields (lemmatised ``body`` and ``title``, with positions) and postings are
appended to per-term arrays in document order, already sorted.  When the
arrays reach a memory budget they are written to a run file as they are
(arrays, not tuples), and at the end the runs are merged term by term into
one segment, written with Whoosh's own codec classes: one segment per writer
process, however many documents (a search pays for every segment it opens:
26 segments at 845k documents made a 4-word query 3.7x slower).  Search reads
these segments like any other; tests compare every posting with what
Whoosh's writer makes of the same documents.
"""

from __future__ import annotations

import heapq
import os
import re
import struct
from array import array
from operator import sub
from pickle import dumps
from zlib import compress

from whoosh.analysis import IDTokenizer
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC as _MAGIC
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.formats import Existence
from whoosh.util.numeric import byte_to_length, length_to_byte

from searchkit.analysis import (SENTENCE_ENDS, STOPWORDS, is_capitalised, starts_after,
                                words_and_ends)
from searchkit.codec import Codec
from searchkit.lemmatizer import MIN_NAME_LENGTH, Lemmatizer, is_caps
from searchkit.lexicon import (LOWER_CASE, NAME_ALSO, NAME_ANYWHERE, NAME_INSIDE,
                               NAME_STARTS, TOWN)

# The field a document's text goes to; every other field is short and indexed
# through Whoosh's own analyzers.
BODY = "body"

# Bytes held in memory per posting (its docnum and weight in arrays, a list
# slot for its value), per encoded value (a bytes object's header), and per
# distinct term (dict entry, key, two arrays and a list): measured with
# tracemalloc on the Wikisource corpus to within 10%.
_POSTING_BYTES = 16
_VALUE_BYTES = 33
_TERM_BYTES = 330

# Word -> (form, term, name term or None, whether the name term stands at a
# sentence's start too), or _STOP, for the words seen lately: a document's
# words are mostly ones seen before, so this one lookup replaces lower-casing,
# the stopword test and the lemmatizer's own lookups.  Cleared when it grows
# past this many words (memory stays bounded; common words come straight back).
_WORDS_CACHED = 400_000

_has_digit = re.compile(r"\d").search
_STOP = ("", "", (), False)
# A sentence end (analysis.words_and_ends): not a word, but what the capital of
# the next one means depends on it.
_END = (".", "", (), False)  # not _STOP: `is` tells them apart
_ENDS = {end: _END for end in SENTENCE_ENDS}

# Fields analysed like the text (lemmatised, with positions): one code path,
# the same as Whoosh's analyzer for them.
_WORD_FIELDS = frozenset({"title", "author"})
_UINT = struct.Struct("!I")
# A posting's value when the word is once in the document, by position: the
# common case, encoded once (as Whoosh's Positions.encode would).
_SINGLE_POSITION: dict[int, bytes] = {}

# W3's block length, term info and posting extent, as its writer packs them.
_INT = struct.Struct("!i")
_TERMINFO = W3TermInfo._struct
_EXTENT = struct.Struct("!qi")
_HASH_LENGTHS = struct.Struct("!ii")  # whoosh.filedb.filetables: a key's and value's lengths
_COMPRESSION = 3  # W3Codec's default zlib level
_COMPRESS_MIN = 64  # bytes of pickled block below which zlib saves nothing
# A run file's record header: field name length, term length, postings, value
# bytes (_NO_VALUES when the values derive from the weights).
_RUN_HEADER = struct.Struct("=HIII")
_NO_VALUES = 0xFFFFFFFF


def _quantised(length: int) -> int:
    """A field length as Whoosh stores and reads it back (one byte)."""
    return byte_to_length(length_to_byte(length))


class SegmentBuilder:
    """Collects documents into postings and writes them as Whoosh segments.

    ``add`` takes a document's stored and indexed field values, as
    ``writer.add_document`` would; ``flush`` writes what was added as one
    segment (returned, for the table of contents) and starts afresh."""

    def __init__(self, storage, schema, indexname: str, lemmatizer: Lemmatizer,
                 budget_mb: float = 160, known=None):
        self.storage = storage
        self.schema = schema
        self.indexname = indexname
        self.lemmatizer = lemmatizer
        self.budget = budget_mb * 1024 * 1024
        self.codec = Codec()  # W3, stored fields compressed in blocks
        # Forms whose term was computed here, for the lexicon; ``known`` (the
        # lexicon of an index being updated) is asked before computing.
        self.new_forms: dict[tuple[str, int], str] = {}
        self.known = known
        self._words: dict[str, tuple] = dict(_ENDS)
        # Name terms computed here and not yet posted: form -> is its name term
        # a town's (lexicon.TOWN)
        self._unposted: dict[str, bool] = {}
        # An update's forms -> the caps of their rows in its index's lexicon
        self._codes: dict[str, set[int]] = {}
        # Fields indexed as one whole value (ids): posted directly, as
        # IDTokenizer and the Existence format would (5% of a writer's time
        # went through them).
        self._whole_values = {name: field.format.field_boost for name, field in schema.items()
                              if type(field.analyzer) is IDTokenizer
                              and type(field.format) is Existence}
        self._start()

    def _start(self) -> None:
        self.segment = self.codec.new_segment(self.storage, self.indexname)
        self.perdoc = self.codec.per_document_writer(self.storage, self.segment)
        self.docnum = 0
        self.runs: list[str] = []  # spilled postings, merged at the flush
        # field -> term -> [docnums, weights, encoded values (None: derived)]
        self.postings: dict[str, dict[str, list]] = {}
        self.count = 0  # postings held
        self.value_bytes = 0  # their encoded values
        self.lengths: dict[str, array] = {}  # scorable field -> quantised length per docnum
        self.terms = 0

    def take_new_forms(self) -> dict[tuple[str, bool], str]:
        forms, self.new_forms = self.new_forms, {}
        return forms

    @property
    def size(self) -> int:
        """Estimated bytes held, for the flush decision."""
        return self.count * _POSTING_BYTES + self.value_bytes + self.terms * _TERM_BYTES

    # ------------------------------------------------------------ documents

    def add(self, fields: dict) -> None:
        """Add one document: ``fields`` maps field names to values (None: absent)."""
        schema = self.schema
        docnum = self.docnum
        perdoc = self.perdoc
        perdoc.start_doc(docnum)
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if name == BODY or name in _WORD_FIELDS:
                length = self._add_words(name, value, docnum)
            elif name in self._whole_values and isinstance(value, str):
                self._post(name, value, docnum, self._whole_values[name], b"")
            elif field.indexed:
                for btext, freq, weight, vbytes in field.index(value):
                    if field.scorable:
                        length += freq
                    self._post(name, btext.decode("utf-8"), docnum, weight, vbytes)
            if field.scorable and length:
                self._length(name, docnum, length)
            perdoc.add_field(name, field, value if field.stored else None, length)
            column = field.column_type
            if column:
                perdoc.add_column_value(name, column, field.to_column_value(value))
        perdoc.finish_doc()
        self.docnum += 1

    def _length(self, name: str, docnum: int, length: int) -> None:
        lengths = self.lengths.get(name)
        if lengths is None:
            lengths = self.lengths[name] = array("i")
        if len(lengths) < docnum:
            lengths.extend([0] * (docnum - len(lengths)))
        lengths.append(_quantised(length))

    def _field(self, name: str) -> dict:
        terms = self.postings.get(name)
        if terms is None:
            terms = self.postings[name] = {}
        return terms

    def _post(self, name: str, term: str, docnum: int, weight: float, vbytes: bytes) -> None:
        terms = self._field(name)
        entry = terms.get(term)
        if entry is None:
            entry = terms[term] = [array("I"), array("f"), []]
            self.terms += 1
        entry[0].append(docnum)
        entry[1].append(weight)
        entry[2].append(vbytes)
        self.count += 1
        self.value_bytes += _VALUE_BYTES + len(vbytes)

    def _add_words(self, name: str, text: str, docnum: int) -> int:
        """Index ``text`` in a lemmatised field with positions, as the
        schema's analyzers would (``tests/test_segments.py`` holds them to it).
        Positions are Whoosh's: the first word that is not a stopword keeps
        its place among all words, the later ones follow it without gaps
        (StopFilter renumbers).  A word's name term (lemmatizer.name) takes
        its position too.  Returns the field length (words indexed; name
        terms do not count)."""
        if len(self._words) >= _WORDS_CACHED:
            self._clear_caches()
        words = self._words
        tokens = words_and_ends(text)
        entries = list(map(words.get, tokens))
        if None in entries:  # words not seen lately
            lemmatizer = self.lemmatizer
            for i, entry in enumerate(entries):
                if entry is None:
                    word = tokens[i]
                    entry = words.get(word)
                    if entry is None:
                        entry = words[word] = self._entry(word, lemmatizer.cache, lemmatizer)
                    entries[i] = entry
        positions: dict[str, list[int]] = {}
        get = positions.get
        unposted = self._unposted
        pos = 0  # the next word's position (stopwords count until the first kept)
        kept = 0
        ends = ""  # the sentence ends since the last word
        previous = None
        for i, entry in enumerate(entries):
            if entry is _END:
                ends += tokens[i]
                continue
            if entry is _STOP:
                if not kept:
                    pos += 1
                previous, ends = tokens[i], ""
                continue
            form, term, names, anywhere = entry
            where = get(term)
            if where is None:
                positions[term] = [pos]
            else:
                where.append(pos)
            if names:
                starts = starts_after(ends, previous)
                if anywhere or not starts:
                    for name_term in names:
                        where = get(name_term)
                        if where is None:
                            positions[name_term] = [pos]
                        else:
                            where.append(pos)
                    if form in unposted:  # the lexicon learns a name term once posted
                        if len(names) > 1:
                            self.new_forms[form, NAME_ALSO] = names[1]
                        if not anywhere:
                            code = NAME_INSIDE
                            if unposted[form]:
                                self.new_forms[form, TOWN] = form
                        elif starts:
                            code = NAME_STARTS  # until seen inside a sentence
                        else:
                            code = NAME_ANYWHERE
                        self.new_forms[form, code] = names[0]
                        if code != NAME_STARTS:
                            del unposted[form]
            pos += 1
            kept += 1
            previous, ends = tokens[i], ""
        terms = self._field(name)
        added = value_bytes = 0
        single = _SINGLE_POSITION
        for term, where in positions.items():
            entry = terms.get(term)
            if entry is None:
                entry = terms[term] = [array("I"), array("f"), []]
                added += 1
            entry[0].append(docnum)
            if len(where) == 1:
                entry[1].append(1)
                value = single.get(where[0])
                if value is None:
                    value = _UINT.pack(1) + dumps(where, 2)
                    if where[0] < 65536:  # bounded: a long document's far positions are rare
                        single[where[0]] = value
            else:
                entry[1].append(len(where))
                # Whoosh's Positions.encode: the count, then the pickled gaps.
                gaps = [where[0]]
                gaps.extend(map(sub, where[1:], where[:-1]))
                value = _UINT.pack(len(where)) + dumps(gaps, 2)
            entry[2].append(value)
            value_bytes += len(value)
        self.count += len(positions)
        self.value_bytes += value_bytes + _VALUE_BYTES * len(positions)
        self.terms += added
        return kept

    def _clear_caches(self) -> None:
        """Between documents (a name computed for a document's word and
        posted later in it must still reach the lexicon)."""
        self._words.clear()
        self._words.update(_ENDS)
        # Together: a name the lemmatizer keeps is known to have reached the
        # lexicon or to be waiting in _unposted.
        self._unposted.clear()
        self._codes.clear()
        self.lemmatizer.clear_names()
        if len(self.lemmatizer.cache) >= _WORDS_CACHED:
            self.lemmatizer.cache.clear()

    def _entry(self, word: str, cache: dict, lemmatizer: Lemmatizer):
        form = word.lower()
        if form in STOPWORDS:
            return _STOP
        caps = is_caps(word)
        term = self._term(form, caps, cache, lemmatizer)
        if not is_capitalised(word):
            if (len(form) >= MIN_NAME_LENGTH and (form, LOWER_CASE) not in self.new_forms
                    and not _has_digit(form) and self._lower_case_row(form)):
                self.new_forms[form, LOWER_CASE] = form  # lexicon.lower_case_name
            return (form, term, (), False)
        name = self._name(form, lemmatizer, None if caps else term)
        if caps and not name[1]:
            # As a sentence's first word (analysis.LemmaFilter): JAŚMINU in a
            # heading is the flower as likely as the woman.
            return (form, term, (), False)
        if name[1] and (form, LOWER_CASE) not in self.new_forms and self._named_lower(form):
            self.new_forms[form, LOWER_CASE] = form
        # The name term, and the second one if any (lemmatizer.second_name).
        second = lemmatizer.second_names.get(form)
        return (form, term, (name[0],) if second is None else (name[0], second), name[1])

    def _lower_case_row(self, form: str) -> bool:
        """Does this use of ``form`` in lower case call for a LOWER_CASE row:
        can the word only be a name?  Without asking Morfeusz where the
        updated index's lexicon has the form (an update reads most words
        there): then it needs one where the lexicon has it as such a name."""
        found = self.lemmatizer.only_a_name(form, look_up=self.known is None)
        if found is not None:
            return found
        codes = self._known_codes(form)
        return LOWER_CASE not in codes and (NAME_ANYWHERE in codes or NAME_STARTS in codes)

    def _named_lower(self, form: str) -> bool:
        """Does ``form``, a name wherever capitalised, call for a LOWER_CASE row
        here?  Where it is a dictionary word in lower case (Alfonsa; alfonsa,
        the common alfons's): a lower-case query means the word, whether or
        not a document writes it so.  In an update, also where the lexicon
        has the form but no name for it yet: it was written in lower case."""
        found = self.lemmatizer.only_a_name(form, look_up=self.known is None)
        if found is not None:
            return not found
        codes = self._known_codes(form)
        return codes == {0} or codes == {0, 1}

    def _known_codes(self, form: str) -> set[int]:
        codes = self._codes.get(form)
        return codes if codes is not None else self.known.codes(form)

    def _term(self, form: str, caps: bool, cache: dict, lemmatizer: Lemmatizer) -> str:
        """The lemmatizer's term, from the lexicon of the index being updated
        when it has it; a new one goes to the lexicon."""
        key = (form, caps)
        term = cache.get(key)
        if term is None:
            if self.known is not None:
                # One look-up for the term and for how the index wrote the
                # form (_lower_case_row, _named_lower ask next).
                rows = self.known.rows(form)
                self._codes[form] = set(rows)
                term = rows.get(int(caps))
            if term is None:
                term = self.new_forms[key] = lemmatizer.compute(form, caps)
            cache[key] = term
        return term

    def _name(self, form: str, lemmatizer: Lemmatizer, term: str | None) -> tuple[str, bool]:
        """``lemmatizer.name(form, term)`` (``term``: the form's, None for an
        ALL-CAPS word), from the lexicon of the index being
        updated when it has it; a new one goes to the lexicon when first
        posted (``_add_words``: not for a word that only starts sentences)."""
        found = lemmatizer.names.get(form)
        if found is None:
            known = self.known.name_of(form) if self.known is not None else None
            if known is None:
                if term is None:
                    # An ALL-CAPS word's name comes from the term its form has
                    # in lower case -- which the lexicon is not told about: a
                    # query for the lower-case form would take it for one of
                    # the index's (centcom: centc, which no document has).
                    term = (self.known.term(form, False) if self.known is not None
                            else None) or lemmatizer.compute(form, False)
                found = lemmatizer.name(form, term)
                # Whether its name term is a town's, read now: the names cache
                # (and its towns) may be cleared before the form is posted.
                self._unposted[form] = form in lemmatizer.town_forms
            else:
                found = lemmatizer.names[form] = known
                if NAME_ALSO in self._known_codes(form):
                    lemmatizer.second_names[form] = self.known.second_name_of(form)
                if known[1] and not self.known.is_name(known[0]):
                    self._unposted[form] = False  # seen only starting sentences so far
        return found

    # ------------------------------------------------------------ writing

    def spill(self) -> None:
        """Move the postings held to a run file (sorted by field and term), to be
        merged into the segment by ``flush``: memory stays within the budget
        while the segment -- and so the number of segments a search opens --
        grows with the documents, not with the budget."""
        if not self.count:
            return
        path = self._run_path(len(self.runs))
        with open(path, "wb") as f:
            for name in sorted(self.postings):
                terms = self.postings.pop(name)
                nameb = name.encode()
                for btext, term in sorted((term.encode("utf-8"), term) for term in terms):
                    docnums, weights, values = terms.pop(term)
                    if values is None:
                        sizes, blob, nvalues = b"", b"", _NO_VALUES
                    else:
                        sizes = array("I", map(len, values)).tobytes()
                        blob = b"".join(values)
                        nvalues = len(blob)
                    f.write(_RUN_HEADER.pack(len(nameb), len(btext), len(docnums), nvalues))
                    f.write(nameb)
                    f.write(btext)
                    f.write(docnums.tobytes())
                    f.write(weights.tobytes())
                    f.write(sizes)
                    f.write(blob)
        self.runs.append(path)
        self.postings = {}
        self.count = self.value_bytes = self.terms = 0

    def _run_path(self, n: int) -> str:
        # Named as the segment's files are: a run left by a killed writer is
        # removed with them (index.remove_leftovers).
        return os.path.join(self.storage.folder, f"{self.segment.make_filename(f'.run{n}')}")

    def flush(self):
        """Write the documents added since the last flush as one segment; None
        if there were none."""
        if not self.docnum:
            return None
        self.perdoc.close()
        fieldwriter = self.codec.field_writer(self.storage, self.segment)
        if self.runs:
            self.spill()
            postings = _merged(self.runs)
        else:
            postings = self._held()
        # Where the next term goes in each file, tracked here: asking the file
        # (tell(), a system call) three times a term cost 4% of a writer's time.
        terms = _TermTable(fieldwriter._tindex)
        self._offset = fieldwriter._postfile.tell()
        field = name = None
        for fieldname, btext, docnums, weights, values in postings:
            if fieldname != name:
                if name is not None:
                    fieldwriter.finish_field()
                name, field = fieldname, self.schema[fieldname]
                fieldwriter.start_field(name, field)
                lengths = self.lengths.get(name) if field.scorable else None
                fixed = field.format.fixed_value_size()
                key = fieldwriter._fieldid.to_bytes(2, "big")
            self._write_term(fieldwriter, terms, key, btext, docnums, weights, values, fixed,
                             lengths)
        if name is not None:
            fieldwriter.finish_field()
        fieldwriter.close()
        for path in self.runs:
            os.remove(path)
        segment = self.segment
        segment.set_doc_count(self.docnum)
        self.runs = []
        self._start()
        return segment

    def _held(self):
        """The postings in memory, by field and term (bytes) order."""
        for name in sorted(self.postings):
            terms = self.postings[name]
            for btext, term in sorted((term.encode("utf-8"), term) for term in terms):
                yield (name, btext, *terms.pop(term))

    def _write_term(self, fieldwriter, terms, key: bytes, btext: bytes, docnums, weights,
                    values, fixed, lengths) -> None:
        """A term's postings in blocks of Whoosh's size, encoded as
        ``W3PostingsWriter`` encodes them (delta-coded ids, minified weights and
        values, pickled, with per-block statistics for skipping), but a term at
        a time rather than a posting at a time -- most terms have one short
        block, and Whoosh's per-posting path cost more than the postings."""
        postfile = fieldwriter._postfile
        offset = self._offset
        blocklimit = self.codec._blocklimit
        n = len(docnums)
        chunks = [_MAGIC]
        total = 0.0
        maxweight = 0.0
        minlength, maxlength = None, 0
        for start in range(0, n, blocklimit):
            end = min(start + blocklimit, n)
            ids = docnums[start:end]
            block_weights = weights[start:end]
            total += sum(block_weights)
            top = max(block_weights)
            if top > maxweight:
                maxweight = top
            if lengths is not None:
                block_lengths = [lengths[d] for d in ids]
                low, high = min(block_lengths), max(block_lengths)
                minlength = low if minlength is None or low < minlength else minlength
                maxlength = high if high > maxlength else maxlength
            else:
                low, high = None, 0
            count = end - start
            if block_weights.count(1.0) == count:
                mini_weights = None
            elif block_weights.count(block_weights[0]) == count:
                mini_weights = block_weights[0]
            else:
                mini_weights = tuple(block_weights)
            if fixed is None or fixed < 0:
                mini_values = tuple(values[start:end])
            elif fixed == 0:
                mini_values = None
            elif values is None:  # Frequency: the value is the count
                mini_values = b"".join(map(_UINT.pack, map(int, block_weights)))
            else:
                mini_values = b"".join(values[start:end])
            deltas = (ids[0],) + tuple(map(sub, ids[1:], ids[:-1]))
            data = dumps((deltas, mini_weights, mini_values), 2)
            # The reader decompresses only blocks marked so: tiny ones
            # (most terms' only block) are left as they are.
            comp = _COMPRESSION if len(data) >= _COMPRESS_MIN else 0
            if comp:
                data = compress(data, comp)
            info = dumps((count, ids[-1], top, comp, length_to_byte(low),
                          length_to_byte(high)), 2)
            size = len(info) + len(data)
            chunks.append(_INT.pack(-size if end == n else size))
            chunks.append(info)
            chunks.append(data)
        blob = b"".join(chunks)
        postfile.write(blob)
        self._offset += len(blob)
        terminfo = _TERMINFO.pack(
            0, total, n, 0 if minlength is None else length_to_byte(minlength),
            length_to_byte(maxlength), maxweight, docnums[0], docnums[-1])
        terms.add(key + btext, terminfo + _EXTENT.pack(offset, len(blob)))


class _TermTable:
    """``OrderedHashWriter.add`` (Whoosh's terms file), keeping track of the
    position in the file instead of asking for it twice a term."""

    def __init__(self, table):
        self._table = table
        self._write = table.dbfile.write
        self._position = table.dbfile.tell()

    def add(self, key: bytes, value: bytes) -> None:
        table = self._table
        if key <= table.lastkey:
            raise ValueError(f"keys must increase: {table.lastkey!r}..{key!r}")
        position = self._position
        table.index.append(position)
        header = _HASH_LENGTHS.pack(len(key), len(value))
        self._write(header)
        self._write(key)
        self._write(value)
        h = table.hashfn(key)
        table.buckets[h & 255].append((h, position))
        table.lastkey = key
        self._position += len(header) + len(key) + len(value)


def _runs_of(path: str):
    """(field, term bytes, docnums, weights, values) of a run file, in order."""
    with open(path, "rb") as f:
        read = f.read
        while header := read(_RUN_HEADER.size):
            namelen, textlen, n, nvalues = _RUN_HEADER.unpack(header)
            name = read(namelen).decode()
            btext = read(textlen)
            docnums = array("I")
            docnums.frombytes(read(4 * n))
            weights = array("f")
            weights.frombytes(read(4 * n))
            if nvalues == _NO_VALUES:
                values = None
            else:
                sizes = array("I")
                sizes.frombytes(read(4 * n))
                blob = read(nvalues)
                values, at = [], 0
                for size in sizes:
                    values.append(blob[at:at + size])
                    at += size
            yield name, btext, docnums, weights, values


def _merged(paths: list[str]):
    """The postings of several runs as one stream: a term's postings from
    each run, in run (that is, document) order, joined."""
    current = None
    for name, btext, docnums, weights, values in heapq.merge(
            *map(_runs_of, paths), key=lambda record: (record[0], record[1])):
        if current is not None and current[0] == name and current[1] == btext:
            current[2].extend(docnums)
            current[3].extend(weights)
            if values is not None:
                current[4].extend(values)
            continue
        if current is not None:
            yield current
        current = [name, btext, docnums, weights, values]
    if current is not None:
        yield current
