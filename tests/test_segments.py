"""The direct segment writer must index exactly what Whoosh's own writer does
with the same schema and analyzers: every term, posting, weight, position and
field length, and every stored value."""

import os

import pytest
from whoosh import index as whoosh_index
from whoosh import writing

from searchkit import analysis, index, writer
from searchkit.documents import Document
from searchkit.lemmatizer import Lemmatizer
from searchkit.lexicon import Lexicon

TEXTS = [
    ("Wojna", "Wojna i pokój. W 1812 roku wojska Napoleona weszły do Rosji, a ODKB i NATO "
     "milczały. Kasym-Żomart Tokajew spotkał się z Tokajewem; F-16 i COVID-19 też."),
    ("a", "A to jest tekst, który zaczyna się od stopwordów: i w z na. Żołnierze, żołnierzy, "
     "żołnierzom -- białoruscy żołnierze w Pawłogradzie i Kramatorsku."),
    ("Bez tytułu", "Słowo słowo SŁOWO Słowo. " * 30),
    ("Krótki", "x"),
    ("Tylko stopwordy", "i w z na o a"),
]


def _docs():
    docs = []
    for n, (title, text) in enumerate(TEXTS):
        docs.append(Document(
            id=f"d{n}", path=f"/tmp/d{n}.txt", title=title, text=text,
            date="2022-01-0%d" % (n + 1) if n % 2 else None,
            author="Jan Kowalski" if n == 1 else None, type="text"))
    return docs


def _words_only(field):
    """``field.index``, whose name terms (capitalised: lemmatizer.name) do not
    lengthen the field: a field's length counts its words, as Lucene's norms
    do not count a token at the position of another (Whoosh's writer adds up
    every term's frequency)."""
    index = field.index

    def counted(value, **kwargs):
        for btext, freq, weight, vbytes in index(value, **kwargs):
            yield btext, 0 if btext.decode("utf-8")[:1].isupper() else freq, weight, vbytes
    return counted


def _by_whoosh(folder, docs):
    """The reference: Whoosh's writer and the schema's analyzers."""
    os.makedirs(folder)
    ix = whoosh_index.create_in(folder, index.make_schema(), index.INDEX_NAME)
    lemmatizer = Lemmatizer()
    w = ix.writer()
    analysis.bind(w.schema, lemmatizer)
    for name in ("body", "title", "author"):
        w.schema[name].index = _words_only(w.schema[name])
    for doc in docs:
        _, fields = _fields(doc)
        w.add_document(**{k: v for k, v in fields.items() if v is not None})
    for name in ("body", "title", "author"):
        del w.schema[name].index  # the schema is pickled into the index
    w.commit()
    return folder


def _fields(doc):
    captured = []

    class Capture:
        def add(self, fields):
            captured.append(fields)

    index._add(Capture(), doc)
    return doc.id, captured[0]


def _new_builder(folder, procs=1, **kwargs):
    """An empty index in ``folder``, its lexicon, and a fresh build's Builder."""
    os.makedirs(folder, exist_ok=True)
    ix = whoosh_index.create_in(folder, index.make_schema(), index.INDEX_NAME)
    lexicon = Lexicon.open(folder, writable=True)
    builder = writer.Builder(ix, lexicon, os.path.join(folder, index.STEMMER_FILE), procs,
                             fresh=True, **kwargs)
    return ix, lexicon, builder


def _by_builder(folder, docs, procs=1):
    ix, lexicon, builder = _new_builder(folder, procs)
    for doc in docs:
        builder.add(_fields(doc)[1])
    segments = builder.finish()
    writer.add_segments(ix.writer(), segments, writing.CLEAR)
    lexicon.close()
    return folder


def _contents(folder):
    """Everything a search can read, keyed by document id (not docnum, which
    depends on how documents were split into segments)."""
    ix = whoosh_index.open_dir(folder, index.INDEX_NAME)
    with ix.reader() as reader:
        ids = {n: reader.stored_fields(n)["id"] for n in reader.all_doc_ids()}
        out = {"stored": {ids[n]: reader.stored_fields(n) for n in ids}}
        for name in ix.schema.names():
            if not ix.schema[name].indexed:
                continue
            if ix.schema[name].scorable:
                # A segment without the field at all has no lengths: 0 then.
                out[("length", name)] = {ids[n]: reader.doc_field_length(n, name) or 0
                                         for n in ids}
            for text in reader.lexicon(name):
                postings = {}
                m = reader.postings(name, text)
                while m.is_active():
                    postings[ids[m.id()]] = (m.weight(), m.value())
                    m.next()
                info = reader.term_info(name, text)
                out[(name, text)] = (postings, info.doc_frequency(), info.weight(),
                                     info.max_weight(), info.min_length(), info.max_length())
    return out


def test_segments_hold_what_whoosh_would_write(tmp_path):
    docs = _docs()
    expected = _contents(_by_whoosh(str(tmp_path / "whoosh"), docs))
    got = _contents(_by_builder(str(tmp_path / "ours"), docs))
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key] == expected[key], key


def test_writer_processes_and_budget_flushes_give_the_same_index(tmp_path, monkeypatch):
    """Several writer processes, each spilling its postings to several runs
    and merging them into its segment, index the same postings as one process
    holding them all."""
    docs = [Document(id=f"p{i}-{d.id}", path=d.path, title=d.title, text=d.text, date=d.date,
                     author=d.author, type=d.type) for i in range(40) for d in _docs()]
    expected = _contents(_by_builder(str(tmp_path / "one"), docs))
    monkeypatch.setattr(writer, "PARALLEL_MIN_CHARS", 2_000)
    monkeypatch.setattr(writer, "BATCH_CHARS", 1_000)
    folder = str(tmp_path / "two")
    ix, lexicon, builder = _new_builder(folder, procs=2, budget_mb=0.02)
    for doc in docs:
        builder.add(_fields(doc)[1])
    segments = builder.finish()
    # One segment per writer process, from the runs each spilled.
    assert len(segments) == 2
    assert not [name for name in os.listdir(folder) if ".run" in name]
    writer.add_segments(ix.writer(), segments, writing.CLEAR)
    forms = lexicon.entries()
    lexicon.close()
    assert _contents(folder) == expected
    # Every form the writers met reached the lexicon (query analysis reads it).
    assert forms[("tokajewem", False)] == forms[("tokajew", False)]
    assert ("białoruscy", False) in forms


@pytest.mark.parametrize("text", ["i w z", "", "słowo"])
def test_texts_without_words_or_with_one(tmp_path, text):
    docs = [Document(id="a", path="/a", title="", text=text, date=None, type="text")]
    assert _contents(_by_builder(str(tmp_path / "ours"), docs)) == _contents(
        _by_whoosh(str(tmp_path / "whoosh"), docs))


def test_one_process_spills_runs_and_merges_them_into_one_segment(tmp_path):
    docs = [Document(id=f"p{i}-{d.id}", path=d.path, title=d.title, text=d.text, date=d.date,
                     author=d.author, type=d.type) for i in range(20) for d in _docs()]
    expected = _contents(_by_whoosh(str(tmp_path / "whoosh"), docs))
    folder = str(tmp_path / "ours")
    ix, lexicon, builder = _new_builder(folder, procs=1, budget_mb=0.01)
    for doc in docs:
        builder.add(_fields(doc)[1])
    assert len(builder._here.runs) > 5
    segments = builder.finish()
    assert len(segments) == 1
    writer.add_segments(ix.writer(), segments, writing.CLEAR)
    lexicon.close()
    assert _contents(folder) == expected
    assert not [name for name in os.listdir(folder) if ".run" in name]
