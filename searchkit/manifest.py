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
    size INTEGER NOT NULL,
    scanned INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    hash TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT 'text'
);
CREATE INDEX IF NOT EXISTS documents_source ON documents (source);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Columns added since the first format: an older manifest gets them (its index
# asks for --rebuild anyway, and the rebuild writes through this manifest).
_ADDED = {"sources": {"scanned": "INTEGER NOT NULL DEFAULT 0"},
          "documents": {"type": "TEXT NOT NULL DEFAULT 'text'"}}


@dataclass
class SourceRecord:
    root: str
    kind: str
    mtime_ns: int
    size: int
    scanned: int = 0  # pages without text, not OCRed

    @property
    def signature(self) -> tuple[int, int]:
        return (self.mtime_ns, self.size)


@dataclass
class Changes:
    """One run's changes, applied in a single transaction."""
    sources: dict[str, SourceRecord]  # path -> new record
    removed_sources: set[str]
    documents: dict[str, tuple[str, str, str]]  # id -> (source path, hash, type)
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
            for table, columns in _ADDED.items():
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for name, declaration in columns.items():
                    if name not in have:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
            db.commit()
        return cls(db)

    def close(self) -> None:
        self._db.close()

    def sources(self) -> dict[str, SourceRecord]:
        return {row[0]: SourceRecord(*row[1:]) for row in self._db.execute(
            "SELECT path, root, kind, mtime_ns, size, scanned FROM sources")}

    def documents(self) -> dict[str, tuple[str, str, str]]:
        """id -> (source path, content hash, type)"""
        return {doc_id: (source, digest, kind) for doc_id, source, digest, kind
                in self._db.execute("SELECT id, source, hash, type FROM documents")}

    def scanned_sources(self) -> dict[str, int]:
        """Files with pages that have no text: path -> how many such pages."""
        return dict(self._db.execute(
            "SELECT path, scanned FROM sources WHERE scanned > 0 ORDER BY path"))

    def types(self) -> dict[str, int]:
        """Documents per type, commonest first."""
        return dict(self._db.execute(
            "SELECT type, count(*) FROM documents GROUP BY type ORDER BY count(*) DESC, type"))

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
                "INSERT OR REPLACE INTO sources (path, root, kind, mtime_ns, size, scanned) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                ((p, r.root, r.kind, r.mtime_ns, r.size, r.scanned)
                 for p, r in changes.sources.items()))
            db.executemany(
                "INSERT OR REPLACE INTO documents (id, source, hash, type) VALUES (?, ?, ?, ?)",
                ((i, s, h, t) for i, (s, h, t) in changes.documents.items()))
            meta = dict(meta or {}, updated=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
            db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                           meta.items())
