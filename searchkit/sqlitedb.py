"""Opening the index's SQLite files (lexicon, manifest).

SQLite leaves a "hot" journal behind when a write fails -- on a full disk it
does even after rolling back -- and only a read-write connection may roll it
back: a read-only one refuses to read at all.  So readers open read-write
whenever they can, and read-only only where they must (a read-only folder).
"""

from __future__ import annotations

import os
import sqlite3


def connect(path: str, writable: bool = False) -> sqlite3.Connection:
    if writable or os.access(os.path.dirname(path) or ".", os.W_OK):
        return sqlite3.connect(path)
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def recover(path: str) -> None:
    """Roll back what a failed or killed writer left in ``path`` (if anything).
    A file damaged beyond that is left for whoever opens it to report."""
    if os.path.exists(path):
        _read(path, "SELECT count(*) FROM sqlite_master")


def healthy(path: str) -> bool:
    """Does ``path`` pass SQLite's own consistency check?  (Reads all of it.)"""
    return _read(path, "PRAGMA quick_check") == [("ok",)]


def _read(path: str, sql: str) -> list | None:
    """Rows of ``sql`` on a read-write connection (which rolls back a hot
    journal on the way), or None if the file is not a usable database."""
    try:
        db = sqlite3.connect(path)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return None
