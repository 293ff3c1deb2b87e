"""What the index holds: source files (with the size and mtime they had) and the
documents each produced (with a content hash), for incremental re-indexing.

Written only after the Whoosh commit succeeded, so it never claims more than
the index has: after a crash between the two, the next run redoes a little
work instead of missing documents.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass

from searchkit import sqlitedb

FILENAME = "manifest.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    kind TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_source ON documents (source);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class SourceRecord:
    root: str
    kind: str
    mtime_ns: int
    size: int

    @property
    def signature(self) -> tuple[int, int]:
        return (self.mtime_ns, self.size)


@dataclass
class Changes:
    """One run's changes, applied in a single transaction."""
    sources: dict[str, SourceRecord]  # path -> new record
    removed_sources: set[str]
    documents: dict[str, tuple[str, str]]  # id -> (source path, hash)
    removed_documents: set[str]
    reset: bool = False  # a fresh build: forget everything recorded before


class Manifest:
    def __init__(self, connection: sqlite3.Connection):
        self._db = connection

    @classmethod
    def open(cls, folder: str, writable: bool = False) -> "Manifest":
        path = os.path.join(folder, FILENAME)
        db = sqlitedb.connect(path, writable)
        if writable:
            db.executescript(_SCHEMA)
        return cls(db)

    def close(self) -> None:
        self._db.close()

    def sources(self) -> dict[str, SourceRecord]:
        return {path: SourceRecord(root, kind, mtime, size) for path, root, kind, mtime, size
                in self._db.execute("SELECT path, root, kind, mtime_ns, size FROM sources")}

    def documents(self) -> dict[str, tuple[str, str]]:
        """id -> (source path, content hash)"""
        return {doc_id: (source, digest) for doc_id, source, digest
                in self._db.execute("SELECT id, source, hash FROM documents")}

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def apply(self, changes: Changes, meta: dict[str, str] | None = None) -> None:
        with self._db:
            db = self._db
            if changes.reset:
                db.execute("DELETE FROM sources")
                db.execute("DELETE FROM documents")
            db.executemany("DELETE FROM sources WHERE path = ?",
                           ((p,) for p in changes.removed_sources))
            db.executemany("DELETE FROM documents WHERE id = ?",
                           ((i,) for i in changes.removed_documents))
            db.executemany(
                "INSERT OR REPLACE INTO sources (path, root, kind, mtime_ns, size) "
                "VALUES (?, ?, ?, ?, ?)",
                ((p, r.root, r.kind, r.mtime_ns, r.size) for p, r in changes.sources.items()))
            db.executemany(
                "INSERT OR REPLACE INTO documents (id, source, hash) VALUES (?, ?, ?)",
                ((i, s, h) for i, (s, h) in changes.documents.items()))
            meta = dict(meta or {}, updated=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
            db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                           meta.items())
