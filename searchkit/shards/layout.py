"""Where a sharded index keeps its shards, and which shard a document goes to.

``shards.json`` in the index folder names the shard folders; it is replaced
atomically, so a search sees either the old set of shards or the new one.
Each shard folder is a complete index.  A document's shard is a hash of its
id that does not depend on the process (unlike Python's ``hash``), the
machine or the version of Python: blake2b, 8 bytes, modulo the number of
shards.  Changing the number of shards moves documents, so it means a
rebuild, into new folders (``shard-0of4``...), the old ones removed after.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from searchkit.errors import SearchkitError

META_FILE = "shards.json"
FORMAT = 1


@dataclass(frozen=True)
class Layout:
    """A sharded index: its folder and its shards' folders."""

    folder: str
    names: tuple[str, ...]  # shard folders, relative to ``folder``

    @property
    def count(self) -> int:
        return len(self.names)

    def path(self, shard: int) -> str:
        return os.path.join(self.folder, self.names[shard])

    def paths(self) -> list[str]:
        return [self.path(k) for k in range(self.count)]


def shard_of(doc_id: str, count: int) -> int:
    import hashlib

    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


class KeepShard:
    """``keep`` for index.update: the ids of shard ``shard`` of ``count``
    (a class, not a closure, so that it pickles for worker processes)."""

    def __init__(self, shard: int, count: int):
        self.shard, self.count = shard, count

    def __call__(self, doc_id: str) -> bool:
        return shard_of(doc_id, self.count) == self.shard


def names_for(count: int) -> tuple[str, ...]:
    return tuple(f"shard-{k}of{count}" for k in range(count))


def is_sharded(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, META_FILE))


def read(folder: str) -> Layout | None:
    """The layout of ``folder``, None if it holds no sharded index."""
    import json

    path = os.path.join(folder, META_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise SearchkitError(f"cannot read {path} ({e}); rebuild the index with "
                             "'searchkit index --rebuild --shards N'") from None
    if meta.get("format") != FORMAT or not meta.get("shards"):
        raise SearchkitError(f"{path} was written by another version of searchkit; rebuild "
                             "the index with 'searchkit index --rebuild --shards N'")
    return Layout(folder, tuple(meta["shards"]))


def write(layout: Layout) -> None:
    import json

    path = os.path.join(layout.folder, META_FILE)
    with open(path + ".part", "w", encoding="utf-8") as f:
        json.dump({"format": FORMAT, "shards": list(layout.names),
                   "hash": "blake2b-64(id) mod shards"}, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".part", path)


def version(layout: Layout) -> tuple:
    """What identifies the documents a search sees: each shard's Whoosh
    generation.  Searchers kept warm (on cluster workers) reopen a shard, and
    drop scores computed from the old statistics, when it changes."""
    from whoosh.index import TOC

    out = []
    for name in layout.names:
        try:
            generation = TOC._latest_generation(_storage(layout, name), "MAIN")
        except Exception:
            generation = -1
        out.append((name, generation))
    return tuple(out)


def _storage(layout: Layout, name: str):
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(os.path.join(layout.folder, name), readonly=True)
