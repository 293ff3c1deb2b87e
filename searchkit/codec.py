"""Whoosh's W3 codec, with stored fields compressed a block of documents at a
time instead of one document at a time.

A document's stored fields (its text, id, path, title) are a few hundred
bytes: compressed alone they shrink to 76% (Whoosh's way), compressed with
their neighbours in blocks of 16 KB to 40% (measured on Wikisource's
paragraphs; Lucene's stored fields work the same way): 333 MB -> 162 MB of
stored fields at 845k documents.  Reading one document
decompresses its block, 16 KB: tens of microseconds, for the ten hits a
search shows.

Segments written with this codec say so in the index's table of contents;
segments of older indexes keep Whoosh's codec and are read as before.
"""

from __future__ import annotations

import bisect
import itertools
import pickle
import struct
import sys
import zlib
from array import array

from whoosh import columns
from whoosh.codec import whoosh3

BLOCK_BYTES = 16 * 1024  # uncompressed bytes of values per block
LEVEL = 6  # zlib: 6 gives 4% less than 3, at a cost only the build pays
_CACHED_BLOCKS = 16
_TRAILER = struct.Struct("<QI")  # where the block index starts, how many blocks


def _little(numbers: array) -> array:
    """``numbers`` in little-endian order (the file's), in place."""
    if sys.byteorder != "little":
        numbers.byteswap()
    return numbers


class BlockPickleColumn(columns.Column):
    """A column of picklable values, compressed in blocks of about BLOCK_BYTES.

    On disk: the compressed blocks, then the index -- each block's first
    document number and offset (uint64 arrays) -- then the trailer.  A block
    is its number of values, their lengths (uint32) and the pickles, one
    after the other; an empty pickle is a document without a value."""

    _default = None

    class Writer(columns.ColumnWriter):
        def __init__(self, dbfile):
            super().__init__(dbfile)
            self._values: list[bytes] = []
            self._held = 0
            self._written = 0  # bytes of blocks so far
            self._starts = array("Q")
            self._offsets = array("Q")

        def add(self, docnum: int, value) -> None:
            while self._count < docnum:  # documents without stored fields
                self._append(b"")
            self._append(pickle.dumps(value, 4))

        def _append(self, data: bytes) -> None:
            self._values.append(data)
            self._held += len(data)
            self._count += 1
            if self._held >= BLOCK_BYTES:
                self._flush()

        def _flush(self) -> None:
            values = self._values
            if not values:
                return
            lengths = _little(array("I", map(len, values)))
            raw = b"".join((struct.pack("<I", len(values)), lengths.tobytes(), *values))
            block = zlib.compress(raw, LEVEL)
            self._starts.append(self._count - len(values))
            self._offsets.append(self._written)
            self._dbfile.write(block)
            self._written += len(block)
            self._values, self._held = [], 0

        def finish(self, doccount: int) -> None:
            while self._count < doccount:
                self._append(b"")
            self._flush()
            count = len(self._starts)
            self._dbfile.write(_little(self._starts).tobytes())
            self._dbfile.write(_little(self._offsets).tobytes())
            self._dbfile.write(_TRAILER.pack(self._written, count))

    class Reader(columns.ColumnReader):
        def __init__(self, dbfile, basepos, length, doccount):
            super().__init__(dbfile, basepos, length, doccount)
            at, count = _TRAILER.unpack(dbfile.get(basepos + length - _TRAILER.size,
                                                   _TRAILER.size))
            index = dbfile.get(basepos + at, 16 * count)
            self._starts = _little(array("Q", index[:8 * count]))
            self._offsets = _little(array("Q", index[8 * count:]))
            self._ends = list(self._offsets[1:]) + [at]
            self._cache: dict[int, tuple[list[int], bytes]] = {}

        def _block(self, n: int) -> tuple[list[int], bytes]:
            """Where each value of block ``n`` starts (and the end), and its bytes."""
            found = self._cache.get(n)
            if found is None:
                start = self._offsets[n]
                raw = zlib.decompress(self._dbfile.get(self._basepos + start,
                                                       self._ends[n] - start))
                count = struct.unpack_from("<I", raw)[0]
                lengths = _little(array("I", raw[4:4 + 4 * count]))
                if len(self._cache) >= _CACHED_BLOCKS:
                    self._cache.pop(next(iter(self._cache)))
                found = self._cache[n] = (list(itertools.accumulate(lengths, initial=0)),
                                          raw[4 + 4 * count:])
            return found

        def __getitem__(self, docnum: int):
            if not 0 <= docnum < self._doccount:
                raise IndexError(f"document {docnum} of {self._doccount}")
            n = bisect.bisect_right(self._starts, docnum) - 1
            bounds, data = self._block(n)
            i = docnum - self._starts[n]
            value = data[bounds[i]:bounds[i + 1]]
            return pickle.loads(value) if value else None

        def __iter__(self):
            for n in range(len(self._starts)):
                bounds, data = self._block(n)
                for start, end in zip(bounds, bounds[1:]):
                    yield pickle.loads(data[start:end]) if end > start else None


STORED_COLUMN = BlockPickleColumn()


class Codec(whoosh3.W3Codec):
    """W3, with the stored fields in a BlockPickleColumn."""

    def per_document_writer(self, storage, segment):
        return _PerDocWriter(self, storage, segment)

    def per_document_reader(self, storage, segment):
        return _PerDocReader(storage, segment)


class _PerDocWriter(whoosh3.W3PerDocWriter):
    def _create_column(self, fieldname, column):
        # W3 creates the stored fields' column when it starts, and later adds
        # to it whatever column object it names.
        super()._create_column(fieldname, STORED_COLUMN if fieldname == "_stored" else column)


class _PerDocReader(whoosh3.W3PerDocReader):
    def stored_fields(self, docnum):
        value = self._cached_reader("_stored", STORED_COLUMN)[docnum]
        return {} if value is None else value
