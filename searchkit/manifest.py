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

from searchkit import sqlitedb

FILENAME = "manifest.sqlite"

# WITHOUT ROWID: each table is its primary key's b-tree, not a rowid table
# plus a second b-tree of the same keys (303 MB -> 255 MB at 845k files).
# Paths are stored relative to the folder the files were found under (``base``
# in meta), a document's source not at all where it is its id (a file's
# document), hashes as bytes: 34 MB -> 13 MB at 84k files (see _Paths).
_TABLES = (
    """CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    kind TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    scanned INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    source TEXT,  -- NULL: the id
    hash BLOB NOT NULL,
    type TEXT NOT NULL DEFAULT 'text'
) WITHOUT ROWID""",
    # The queries ask for COALESCE(source, id), which this index serves.
    "CREATE INDEX IF NOT EXISTS documents_source ON documents (COALESCE(source, id))",
)
_SCHEMA = ";\n".join(_TABLES) + """;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""

# Columns added since the first format: an older manifest gets them (its index
# asks for --rebuild anyway, and the rebuild writes through this manifest).
_ADDED = {"sources": {"scanned": "INTEGER NOT NULL DEFAULT 0"},
          "documents": {"type": "TEXT NOT NULL DEFAULT 'text'"}}


# One run's changes, staged in temporary tables (SQLite keeps them in a file
# beside the database, not in memory: a run over a million files holds none of
# its plan in Python) and applied in one transaction after the index commit.
_STAGE = """
PRAGMA temp_store = FILE;
CREATE TEMP TABLE seen (
    path TEXT PRIMARY KEY, root TEXT, kind TEXT, mtime_ns INTEGER, size INTEGER,
    changed INTEGER NOT NULL DEFAULT 1,
    kept INTEGER NOT NULL DEFAULT 0  -- changed, but unreadable: its old record stays
);
CREATE TEMP TABLE gone (path TEXT PRIMARY KEY);
CREATE TEMP TABLE new_sources (
    path TEXT PRIMARY KEY, root TEXT, kind TEXT, mtime_ns INTEGER, size INTEGER, scanned INTEGER
);
CREATE TEMP TABLE new_documents (id TEXT PRIMARY KEY, source TEXT, hash TEXT, type TEXT);
CREATE TEMP TABLE run_documents (id TEXT PRIMARY KEY, source TEXT);
CREATE TEMP TABLE removed_documents (id TEXT PRIMARY KEY);
"""


class _Paths:
    """Paths as the manifest stores them: relative to ``base`` when under it
    ("" for ``base`` itself), else absolute.  Every path in and out of the
    manifest, its staging tables included, goes through here."""

    def __init__(self, base: str):
        self.base = base
        self._prefix = base if base.endswith(os.sep) else base + os.sep

    def stored(self, path: str) -> str:
        if path.startswith(self._prefix):
            return path[len(self._prefix):]
        return "" if path == self.base else path

    def absolute(self, stored: str) -> str:
        if os.path.isabs(stored):
            return stored
        return self._prefix + stored if stored else self.base


def _common_folder(roots) -> str:
    """The folder all of ``roots`` (folders or files) are in."""
    folders = [r if os.path.isdir(r) else os.path.dirname(r) for r in roots]
    return os.path.commonpath(folders) if folders else os.sep


class Stage:
    """The plan of one run: what the walk found, what changed, what goes."""

    def __init__(self, db: sqlite3.Connection, fresh: bool, paths: _Paths):
        self._db = db
        self.fresh = fresh
        self.paths = paths
        self.changed_total = 0  # files to read, once the walk knows
        db.executescript(_STAGE)

    # ------------------------------------------------------------ the walk

    def saw(self, sources) -> None:
        stored = self.paths.stored
        self._db.executemany(
            "INSERT OR IGNORE INTO seen (path, root, kind, mtime_ns, size) VALUES (?, ?, ?, ?, ?)",
            ((stored(s.path), stored(s.root), s.kind, s.mtime_ns, s.size) for s in sources))

    def compare(self, ocr: bool) -> None:
        """Mark the files that are as the index has them (same size and mtime;
        with ``ocr``, not when they still have pages to OCR)."""
        if self.fresh:
            return
        self._db.execute(
            "UPDATE seen SET changed = 0 WHERE EXISTS (SELECT 1 FROM sources s "
            "WHERE s.path = seen.path AND s.mtime_ns = seen.mtime_ns AND s.size = seen.size "
            "AND NOT (? AND s.scanned > 0))", (int(ocr),))

    def unchanged_documents(self) -> int:
        if self.fresh:
            return 0
        return self._db.execute(
            "SELECT count(*) FROM documents d JOIN seen s ON COALESCE(d.source, d.id) = s.path "
            "WHERE s.changed = 0").fetchone()[0]

    def missing(self):
        """(path, root) of every recorded file the walk did not find."""
        if self.fresh:
            return iter(())
        absolute = self.paths.absolute
        return ((absolute(path), absolute(root)) for path, root in self._db.execute(
            "SELECT path, root FROM sources WHERE path NOT IN (SELECT path FROM seen)"))

    def gone(self, paths) -> int:
        """Record files that are gone, and their documents; how many documents."""
        db = self._db
        stored = self.paths.stored
        db.executemany("INSERT OR IGNORE INTO gone (path) VALUES (?)",
                       ((stored(p),) for p in paths))
        db.execute("INSERT OR IGNORE INTO removed_documents (id) SELECT id FROM documents "
                   "WHERE COALESCE(source, id) IN (SELECT path FROM gone)")
        return db.execute("SELECT count(*) FROM removed_documents").fetchone()[0]

    def changed(self, chunk: int = 500):
        """Rows (path, root, kind, mtime_ns, size) of the changed files, in walk
        order, a chunk at a time."""
        last = 0
        while True:
            rows = self._db.execute(
                "SELECT rowid, path, root, kind, mtime_ns, size FROM seen "
                "WHERE changed = 1 AND rowid > ? ORDER BY rowid LIMIT ?", (last, chunk)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            absolute = self.paths.absolute
            yield [(absolute(path), absolute(root), *rest) for _, path, root, *rest in rows]

    def changed_count(self) -> int:
        return self._db.execute("SELECT count(*) FROM seen WHERE changed = 1").fetchone()[0]

    # ------------------------------------------------------------ documents

    def keep(self, path: str) -> None:
        """A changed file that could not be read keeps what the index has of it."""
        self._db.execute("UPDATE seen SET kept = 1 WHERE path = ?", (self.paths.stored(path),))

    def known(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        """id -> (source, hash) recorded for those of ``ids`` the index has."""
        found: dict[str, tuple[str, str]] = {}
        if self.fresh:
            return found
        absolute = self.paths.absolute
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            found.update((doc_id, (absolute(source), digest.hex()))
                         for doc_id, source, digest in self._db.execute(
                "SELECT id, COALESCE(source, id), hash FROM documents "
                f"WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def still_owned(self, source: str) -> bool:
        """Does ``source``'s record keep its documents in this run (it is neither
        gone nor being read again)?"""
        row = self._db.execute(
            "SELECT (SELECT 1 FROM gone WHERE path = ?), "
            "(SELECT 1 FROM seen WHERE path = ? AND changed = 1 AND kept = 0)",
            (self.paths.stored(source),) * 2).fetchone()
        return not (row[0] or row[1])

    def produced(self, ids: list[str]) -> dict[str, str]:
        """id -> source for those of ``ids`` that a file of this run produced already."""
        found: dict[str, str] = {}
        absolute = self.paths.absolute
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            found.update((doc_id, absolute(source)) for doc_id, source in self._db.execute(
                f"SELECT id, source FROM run_documents WHERE id IN ({','.join('?' * len(chunk))})",
                chunk))
        return found

    def source(self, s, scanned: int) -> None:
        stored = self.paths.stored
        self._db.execute("INSERT OR REPLACE INTO new_sources VALUES (?, ?, ?, ?, ?, ?)",
                         (stored(s.path), stored(s.root), s.kind, s.mtime_ns, s.size, scanned))

    def documents(self, produced: list[tuple[str, str]],
                  changed: list[tuple[str, str, str, str]]) -> None:
        """``produced``: (id, source) of every document read; ``changed``: (id,
        source, hash, type) of those to index."""
        db = self._db
        stored = self.paths.stored
        db.executemany("INSERT OR REPLACE INTO run_documents (id, source) VALUES (?, ?)",
                       ((doc_id, stored(source)) for doc_id, source in produced))
        db.executemany("INSERT OR REPLACE INTO new_documents VALUES (?, ?, ?, ?)",
                       ((doc_id, stored(source), bytes.fromhex(digest), kind)
                        for doc_id, source, digest, kind in changed))

    def dropped(self, source: str, ids: set[str]) -> None:
        """``source`` was read again and no longer gives these of its documents."""
        if self.fresh:
            return
        self._db.executemany(
            "INSERT OR IGNORE INTO removed_documents (id) SELECT id FROM documents "
            "WHERE COALESCE(source, id) = ? AND id = ?",
            ((self.paths.stored(source), i) for i in ids))

    def recorded_ids(self, source: str) -> set[str]:
        if self.fresh:
            return set()
        return {i for (i,) in self._db.execute(
            "SELECT id FROM documents WHERE COALESCE(source, id) = ?", (self.paths.stored(source),))}

    def removals(self):
        """Ids to delete from the index: gone or dropped, and not produced again
        by another file (an id that moved is re-indexed, not removed)."""
        self._db.execute("DELETE FROM removed_documents WHERE id IN (SELECT id FROM run_documents)")
        return (i for (i,) in self._db.execute("SELECT id FROM removed_documents ORDER BY id"))

    def removed_count(self) -> int:
        return self._db.execute("SELECT count(*) FROM removed_documents").fetchone()[0]


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

    def source_count(self) -> int:
        return self._db.execute("SELECT count(*) FROM sources").fetchone()[0]

    def scanned_sources(self) -> dict[str, int]:
        """Files with pages that have no text: path -> how many such pages."""
        paths = _Paths(self.get_meta("base") or os.sep)
        return {paths.absolute(path): n for path, n in self._db.execute(
            "SELECT path, scanned FROM sources WHERE scanned > 0 ORDER BY path")}

    def types(self) -> dict[str, int]:
        """Documents per type, commonest first."""
        return dict(self._db.execute(
            "SELECT type, count(*) FROM documents GROUP BY type ORDER BY count(*) DESC, type"))

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def stage(self, fresh: bool, roots=()) -> Stage:
        """The plan of a run over ``roots`` (absolute paths); paths are stored
        relative to the folder of this build's roots, which updates keep."""
        base = None if fresh else self.get_meta("base")
        return Stage(self._db, fresh, _Paths(base or _common_folder(roots)))

    def apply(self, stage: Stage, meta: dict[str, str] | None = None) -> None:
        with self._db:
            db = self._db
            if stage.fresh:
                # Made anew: a manifest of an older layout takes this one's.
                db.execute("DROP TABLE IF EXISTS sources")
                db.execute("DROP TABLE IF EXISTS documents")
                for statement in _TABLES:
                    db.execute(statement)
            db.execute("DELETE FROM sources WHERE path IN (SELECT path FROM gone)")
            db.execute("DELETE FROM documents WHERE id IN (SELECT id FROM removed_documents)")
            db.execute("INSERT OR REPLACE INTO sources (path, root, kind, mtime_ns, size, scanned) "
                       "SELECT path, root, kind, mtime_ns, size, scanned FROM new_sources")
            db.execute("INSERT OR REPLACE INTO documents (id, source, hash, type) "
                       "SELECT id, NULLIF(source, id), hash, type FROM new_documents")
            meta = dict(meta or {}, base=stage.paths.base,
                        updated=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
            db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                           meta.items())
