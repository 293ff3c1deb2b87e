"""The index: incremental updates, ids, long documents, rebuilds, locking."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from searchkit.index import describe, split_parts, update
from searchkit.lock import IndexBusy, IndexLock
from searchkit.search import Searcher


def index(folder, paths, **kw):
    warnings = []
    summary = update(str(folder), [str(p) for p in paths],
                     warn=lambda w, m, skipped=False: warnings.append((w, m)), **kw)
    return summary, warnings


def ids(folder, query="*"):
    with Searcher(str(folder)) as s:
        return sorted(h.id for h in s.search(query, limit=100).hits)


def touch(path, text):
    path.write_text(text, encoding="utf-8")
    # mtime granularity: make sure the change is visible even within one tick
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Wojna\n\nWojna trwała długo.", encoding="utf-8")
    (folder / "b.txt").write_text("Pokój\n\nPokój nastał w maju.", encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "c.md").write_text("# Rozejm\n\nRozejm podpisano.", encoding="utf-8")
    return folder


@pytest.fixture
def other(tmp_path):
    """A second folder indexed into the same index."""
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "x.txt").write_text("Inny\n\nInny tekst.", encoding="utf-8")
    return folder


def test_adds_then_skips_unchanged_updates_changed_removes_deleted(tmp_path, docs):
    ix = tmp_path / "ix"
    s, _ = index(ix, [docs])
    assert (s.added, s.updated, s.removed, s.unchanged, s.documents) == (3, 0, 0, 0, 3)
    assert ids(ix) == ["a.txt", "b.txt", "sub/c.md"]

    s, _ = index(ix, [docs])
    assert (s.added, s.updated, s.removed, s.unchanged) == (0, 0, 0, 3)

    touch(docs / "a.txt", "Wojna\n\nWojna skończyła się zwycięstwem.")
    (docs / "b.txt").unlink()
    (docs / "d.txt").write_text("Traktat\n\nTraktat pokojowy.", encoding="utf-8")
    s, _ = index(ix, [docs])
    assert (s.added, s.updated, s.removed, s.unchanged, s.documents) == (1, 1, 1, 1, 3)
    assert ids(ix) == ["a.txt", "d.txt", "sub/c.md"]
    assert ids(ix, "zwycięstwo") == ["a.txt"]
    assert ids(ix, "trwać") == []  # the old text is gone


def test_touched_but_identical_file_is_not_reindexed(tmp_path, docs):
    ix = tmp_path / "ix"
    index(ix, [docs])
    touch(docs / "a.txt", (docs / "a.txt").read_text(encoding="utf-8"))
    s, _ = index(ix, [docs])
    assert (s.added, s.updated, s.unchanged) == (0, 0, 3)


def test_other_roots_are_left_alone(tmp_path, docs, other):
    ix = tmp_path / "ix"
    index(ix, [docs])
    index(ix, [other])
    assert ids(ix) == ["a.txt", "b.txt", "sub/c.md", "x.txt"]
    # Re-indexing one folder removes only what was deleted from that folder.
    (other / "x.txt").unlink()
    s, _ = index(ix, [other])
    assert s.removed == 1
    assert ids(ix) == ["a.txt", "b.txt", "sub/c.md"]


def test_rebuild_holds_exactly_the_given_paths(tmp_path, docs, other):
    ix = tmp_path / "ix"
    index(ix, [docs])
    s, _ = index(ix, [other], rebuild=True)
    assert (s.added, s.documents) == (1, 1)
    assert ids(ix) == ["x.txt"]
    s, _ = index(ix, [other])
    assert s.unchanged == 1


def test_the_manifest_stores_each_path_once_relative_to_its_folder(tmp_path, docs, other):
    # 400 of a file's 600 bytes were its absolute path, three times over.
    ix = tmp_path / "ix"
    index(ix, [docs])
    manifest = (ix / "manifest.sqlite").read_bytes()
    assert manifest.count(str(docs).encode()) == 1  # the base, in meta
    # A root outside that folder is recorded whole, and updates still see it.
    index(ix, [other])
    (other / "x.txt").unlink()
    touch(docs / "a.txt", "Wojna\n\nWojna skończyła się zwycięstwem.")
    s, _ = index(ix, [docs, other])
    assert (s.updated, s.removed, s.unchanged) == (1, 1, 2)


def test_an_index_with_the_older_manifest_layout_asks_for_a_rebuild(tmp_path, docs):
    import sqlite3

    from searchkit.errors import SearchkitError
    ix = tmp_path / "ix"
    index(ix, [docs])
    db = sqlite3.connect(ix / "manifest.sqlite")
    with db:  # as searchkit 1.0 wrote it: absolute paths, text hashes, format 2
        db.execute("UPDATE meta SET value = '2' WHERE key = 'format'")
        db.execute("DELETE FROM meta WHERE key = 'base'")
        db.execute("DROP TABLE documents")
        db.execute("CREATE TABLE documents (id TEXT PRIMARY KEY, source TEXT NOT NULL, "
                   "hash TEXT NOT NULL, type TEXT NOT NULL DEFAULT 'text') WITHOUT ROWID")
        db.execute("CREATE INDEX documents_source ON documents (source)")
    db.close()
    with pytest.raises(SearchkitError, match="rebuild"):
        index(ix, [docs])
    assert ids(ix) == ["a.txt", "b.txt", "sub/c.md"]  # searches still work
    s, _ = index(ix, [docs], rebuild=True)
    assert s.added == 3
    s, _ = index(ix, [docs])
    assert (s.added, s.updated, s.unchanged) == (0, 0, 3)


def test_a_rebuild_takes_this_version_s_schema(tmp_path, docs, monkeypatch):
    # An index made before the ``titled`` field existed: its rebuild must not
    # add documents under the old schema (KeyError: No field named 'titled').
    from searchkit import index as index_module
    ix = tmp_path / "ix"
    current = index_module.make_schema

    def older():
        schema = current()
        schema.remove("titled")
        return schema

    monkeypatch.setattr(index_module, "make_schema", older)
    with pytest.raises(Exception):
        index(ix, [docs])  # this version's documents do not fit the older schema
    monkeypatch.setattr(index_module, "make_schema", current)
    index(ix, [docs], rebuild=True)
    assert ids(ix) == ["a.txt", "b.txt", "sub/c.md"]
    with Searcher(str(ix)) as s:
        assert "titled" in s._searcher.schema


def test_jsonl_lines_update_individually(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "1", "title": "Jeden", "text": "pierwszy tekst"}\n'
                    '{"id": "2", "title": "Dwa", "text": "drugi tekst"}\n', encoding="utf-8")
    ix = tmp_path / "ix"
    index(ix, [path])
    touch(path, '{"id": "1", "title": "Jeden", "text": "pierwszy tekst"}\n'
                '{"id": "3", "title": "Trzy", "text": "trzeci tekst"}\n')
    s, _ = index(ix, [path])
    assert (s.added, s.updated, s.removed, s.unchanged) == (1, 0, 1, 1)
    assert ids(ix) == ["1", "3"]


def test_duplicate_ids_are_reported_and_skipped(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "1", "text": "pierwszy"}\n{"id": "1", "text": "drugi"}\n',
                    encoding="utf-8")
    s, warnings = index(tmp_path / "ix", [path])
    assert s.added == 1 and s.skipped == 1
    assert "duplicate id '1'" in warnings[0][1] and warnings[0][0].endswith(":2")


def test_unreadable_files_are_skipped_and_counted(tmp_path, docs):
    (docs / "empty.txt").write_text("")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 8)
    s, warnings = index(tmp_path / "ix", [docs])
    assert (s.added, s.skipped) == (3, 2)
    assert sorted(os.path.basename(w) for w, _ in warnings) == ["binary.txt", "empty.txt"]


def test_long_documents_are_indexed_in_parts_and_shown_whole(tmp_path):
    paragraph = "Zdanie o wojnie i pokoju w Europie. " * 30 + "\n\n"
    body = paragraph * 400 + "Na samym końcu pojawia się słowo Kazachstan.\n"
    assert len(split_parts(body)) > 1
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "long.txt").write_text("Długi\n\n" + body, encoding="utf-8")
    (folder / "short.txt").write_text("Krótki\n\nO wojnie.", encoding="utf-8")
    ix = tmp_path / "ix"
    s, _ = index(ix, [folder])
    assert s.documents == 2
    with Searcher(str(ix)) as searcher:
        result = searcher.search("wojna")
        assert sorted(h.id for h in result.hits) == ["long.txt", "short.txt"]  # one hit each
        assert result.total == 2
        hit = searcher.search("Kazachstan").hits[0]
        assert hit.id == "long.txt"
        # the passage offset is into the whole document, not the part
        doc = searcher.document("long.txt")
        p = hit.passages[0]
        assert doc.text[p.offset:p.offset + len(p.text)] == p.text
        assert doc.text == body.strip()
    assert describe(str(ix))["documents"] == 2


def test_split_parts_cover_the_text_exactly():
    text = ("słowo " * 50 + "\n") * 2000
    parts = split_parts(text, size=10_000)
    assert "".join(p for _, p in parts) == text
    assert all(offset == sum(len(p) for _, p in parts[:i]) for i, (offset, _) in enumerate(parts))
    assert max(len(p) for _, p in parts) <= 10_000


def test_a_second_writer_waits_then_gives_up(tmp_path):
    folder = tmp_path / "ix"
    folder.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from searchkit.lock import IndexLock\n"
         f"with IndexLock({str(folder)!r}):\n"
         "    print('locked', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        started = time.monotonic()
        with pytest.raises(IndexBusy, match=f"pid {holder.pid}"):
            update(str(folder), [str(tmp_path)], warn=lambda w, m, skipped=False: None, lock_timeout=0.3)
        assert time.monotonic() - started >= 0.3
    finally:
        holder.kill()
        holder.wait()
    # The holder died without unlocking: the lock went with it.
    with IndexLock(str(folder), timeout=0):
        pass


def test_refuses_a_folder_that_is_not_an_index(tmp_path, docs):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("moje")
    from searchkit.errors import SearchkitError
    with pytest.raises(SearchkitError, match="not empty"):
        index(tmp_path / "mine", [docs])
    assert os.listdir(tmp_path / "mine") == ["notes.txt"]


def test_an_index_is_tied_to_the_analysis_that_made_it(tmp_path, docs, monkeypatch):
    ix = tmp_path / "ix"
    index(ix, [docs])
    from searchkit import analysis, lemmatizer
    from searchkit.errors import SearchkitError
    monkeypatch.setattr(lemmatizer, "RULES_VERSION", lemmatizer.RULES_VERSION + 1)
    # Mixing terms of two analyses in one index would be wrong: refuse.
    with pytest.raises(SearchkitError, match="rebuild"):
        index(ix, [docs])
    monkeypatch.setattr(lemmatizer, "RULES_VERSION", lemmatizer.RULES_VERSION - 1)
    # A tokenizer that would split the text into other words asks for one too.
    monkeypatch.setattr(analysis, "TOKENS_VERSION", analysis.TOKENS_VERSION + 1)
    with pytest.raises(SearchkitError, match="rebuild"):
        index(ix, [docs])
    # A rebuild recomputes the lexicon, rather than reusing the old terms.
    monkeypatch.setattr(lemmatizer.Lemmatizer, "compute",
                        lambda self, form, caps=False: form.upper())
    s, _ = index(ix, [docs], rebuild=True)
    assert s.added == 3
    with Searcher(str(ix)) as searcher:
        assert searcher.lexicon.terms_of("wojna") == ["WOJNA"]
    assert "rules" in analysis.signature()
