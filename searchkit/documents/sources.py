"""Finding the files to index under the folders a user names.

A file is a candidate when its extension names a format searchkit reads, or
when it has no extension (then its content decides, as for every file: see
``detect``).  Other files -- images, programs, style sheets -- are passed
over without a word, as before.
"""

from __future__ import annotations

import os
import stat
from typing import Iterator

from searchkit.documents.model import DocumentError, Source, Warn

# extension -> the kind the name suggests (the content has the last word)
SUFFIXES = {
    ".txt": "text", ".md": "text", ".markdown": "text", ".text": "text",
    ".jsonl": "jsonl",
    ".pdf": "pdf",
    ".docx": "docx", ".odt": "odt", ".rtf": "rtf", ".doc": "doc",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".epub": "epub",
    ".eml": "eml", ".mbox": "mbox",
}


def kind_by_name(name: str) -> str | None:
    """The kind a file name suggests; "" for no extension; None: not ours."""
    base = os.path.basename(name)
    root, ext = os.path.splitext(base)
    if not ext or not root:
        return ""
    return SUFFIXES.get(ext.lower())


def find_sources(paths: list[str], warn: Warn) -> Iterator[Source]:
    """Yield every indexable file under ``paths`` (folders are walked recursively).

    Hidden files and folders are skipped.  Symbolic links are followed, but a
    folder already visited on the current path (a symlink loop) is reported and
    not entered again.  A file named explicitly is read whatever its name.
    """
    for given in paths:
        root = os.path.abspath(given)
        try:
            st = os.stat(root)
        except FileNotFoundError:
            raise DocumentError(f"{given}: no such file or folder") from None
        except OSError as e:
            raise DocumentError(f"{given}: {e.strerror}") from None
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(root, root, warn, ancestors=((st.st_dev, st.st_ino),))
        else:
            yield Source(root, root, kind_by_name(root) or "", st.st_mtime_ns, st.st_size)


def _walk(folder: str, root: str, warn: Warn, ancestors: tuple) -> Iterator[Source]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        warn(folder, f"cannot read folder: {e.strerror}", skipped=True)
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            entry.name.encode("utf-8")
        except UnicodeEncodeError:  # bytes the file system holds that are not UTF-8
            shown = os.fsencode(entry.path).decode("utf-8", "replace")
            warn(shown, "name is not valid UTF-8 (rename it to index it)", skipped=True)
            continue
        try:
            st = entry.stat()  # follows symlinks
        except FileNotFoundError:
            warn(entry.path, "broken symbolic link", skipped=True)
            continue
        except OSError as e:
            warn(entry.path, f"cannot read: {e.strerror}", skipped=True)
            continue
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                warn(entry.path, "symbolic link loop, not followed", skipped=True)
                continue
            yield from _walk(entry.path, root, warn, ancestors + (key,))
        elif stat.S_ISREG(st.st_mode):
            kind = kind_by_name(entry.name)
            if kind is not None:
                yield Source(entry.path, root, kind, st.st_mtime_ns, st.st_size)
