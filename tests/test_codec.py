"""Stored fields compressed in blocks (searchkit/codec.py): every document's
stored fields read back as written, whatever block it landed in, in indexes
mixing segments of Whoosh's codec and searchkit's, and in less space."""

from __future__ import annotations

import os
import random

from whoosh import fields, index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import RamStorage

from searchkit import codec
from conftest import SEEDS, SEED_ID


def sentences() -> list[str]:
    text = (SEEDS / SEED_ID).read_text(encoding="utf-8")
    return [s.strip() for s in text.replace("\n", " ").split(".") if s.strip()]


def write_column(values: dict[int, object], doccount: int) -> codec.BlockPickleColumn.Reader:
    storage = RamStorage()
    f = storage.create_file("c")
    writer = codec.STORED_COLUMN.writer(f)
    for docnum in sorted(values):
        writer.add(docnum, values[docnum])
    writer.finish(doccount)
    f.close()
    length = storage.file_length("c")
    return codec.STORED_COLUMN.reader(storage.open_file("c"), 0, length, doccount)


def test_every_value_reads_back_by_number_and_in_order():
    rnd = random.Random(3)
    words = sentences()
    values = {}
    for docnum in range(3000):
        if rnd.random() < 0.05:
            continue  # a document without stored fields
        values[docnum] = {"id": f"d{docnum}", "text": " ".join(rnd.sample(words, rnd.randint(1, 4)))}
    values[1500] = {"id": "big", "text": "ż" * (3 * codec.BLOCK_BYTES)}  # a block of its own
    reader = write_column(values, 3010)  # the last ten documents have nothing stored
    assert len(reader) == 3010
    expected = [values.get(n) for n in range(3010)]
    assert list(reader) == expected
    for docnum in rnd.sample(range(3010), 600) + [0, 1500, 3009]:
        assert reader[docnum] == expected[docnum]


def test_an_empty_column():
    reader = write_column({}, 0)
    assert list(reader) == []


def schema():
    return fields.Schema(id=fields.ID(stored=True), body=fields.TEXT(stored=True))


def fill(ix, docs, use_codec):
    writer = ix.writer(codec=codec.Codec() if use_codec else W3Codec(), compound=False)
    for doc_id, text in docs:
        writer.add_document(id=doc_id, body=text)
    writer.commit()


def stored_size(folder) -> int:
    return sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder)
               if name.endswith("_stored.col"))


def test_smaller_than_whoosh_and_mixed_segments_merge(tmp_path):
    rnd = random.Random(5)
    words = sentences()
    docs = [(f"d{n}", " ".join(rnd.sample(words, rnd.randint(1, 5)))) for n in range(2000)]
    sizes = {}
    for use_codec in (False, True):
        folder = tmp_path / str(use_codec)
        folder.mkdir()
        fill(index.create_in(folder, schema()), docs, use_codec)
        sizes[use_codec] = stored_size(folder)
    assert sizes[True] < sizes[False] * 0.7

    # An older index (Whoosh's codec) updated by searchkit: both kinds of
    # segment are read, and merged into searchkit's.
    folder = tmp_path / "mixed"
    folder.mkdir()
    ix = index.create_in(folder, schema())
    fill(ix, docs[:1000], use_codec=False)
    fill(ix, docs[1000:], use_codec=True)
    with ix.searcher() as s:
        assert [d["id"] for d in s.all_stored_fields()] == [d for d, _ in docs]
    writer = ix.writer(codec=codec.Codec())
    writer.commit(optimize=True)
    with ix.searcher() as s:
        assert len(s.reader().leaf_readers()) == 1
        assert isinstance(ix._segments()[0].codec(), codec.Codec)
        assert [(d["id"], d["body"]) for d in s.all_stored_fields()] == docs
