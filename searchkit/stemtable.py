"""Fast-loading, exact re-implementation of pystempel's stemming tables.

pystempel parses its tables with a pure-Python ``struct`` loop (about 1 s for
the ``default`` table and 6 s for ``polimorf``), which a one-shot search
cannot afford.  :class:`CompactStemmer` converts a loaded pystempel
``MultiTrie2`` into a few flat arrays per trie, stores them in one
``marshal`` file that loads in milliseconds, and stems words over those
arrays with a port of pystempel's lookup code, giving the same results.

This module deliberately does not import pystempel (nor its dependencies
tqdm and sortedcontainers) at module level: only building a table from
pystempel needs them, and loading or stemming must stay cheap.
"""

from __future__ import annotations

import marshal
import os
import struct
import sys
import zlib
from array import array
from typing import TYPE_CHECKING, Any, NamedTuple, Union

if TYPE_CHECKING:
    from pystempel import Stemmer

__all__ = ["FORMAT_VERSION", "TABLE_NAMES", "CompactStemmer", "load_or_build", "load_pystempel"]

PathLike = Union[str, "os.PathLike[str]"]
# array.array after a build, memoryview.cast(...) of the file's bytes after a load.
IntSequence = Union[array, memoryview]

#: Bump whenever the file layout or the meaning of its fields changes.
FORMAT_VERSION = 1

#: The pystempel tables this module knows how to load, with their resources.
TABLE_NAMES = {
    "default": ("pystempel.data.original", "stemmer_20000.tbl.gz"),
    "polimorf": ("pystempel.data.polimorf", "stemmer_polimorf.tbl.gz"),
}

# File layout (all integers little-endian):
#   header    magic, format version, CRC-32 of everything after the header,
#             length of the metadata
#   metadata  marshal blob: table name, pystempel version, and per trie its
#             flags, patch commands, sizes and array typecodes
#   sections  per trie, each padded to 4 bytes: cell chars as UTF-16-LE, then
#             the row-start, cell-command and cell-reference integer arrays
# The arrays are used in place through memoryviews of the file's bytes, so a
# load is one read, one checksum and one small unmarshal, with no copying.
# The version sits outside the checksummed part so that a file from another
# layout is reported as such rather than as corrupt; the checksum catches
# truncation and bit rot that would otherwise decode into wrong stems.
_MAGIC = b"SKSTEMTB"
_HEADER = struct.Struct("<8sIII")
_ALIGN = 4

# pystempel's patch alphabet (egothor.py).
_DASH, _DELETE, _INSERT, _REPLACE = "-", "D", "I", "R"
# Marks "no further patch parts" in tries after the first (MultiTrie.EOM).
_EOM = "*"


class _FlatTrie(NamedTuple):
    """One pystempel ``Trie`` with its rows flattened into parallel arrays.

    The cells of row ``r`` occupy positions ``row_starts[r]`` up to
    ``row_starts[r + 1]`` of ``chars``, ``cell_cmds`` and ``cell_refs``.
    Searching a row with ``str.find`` on a slice range avoids building one
    dict per row, which is what would make loading slow again.  The integer
    sequences are ``array``s after a build and memoryviews after a load.
    """

    forward: bool
    root: int
    cmds: tuple[str, ...]
    chars: str
    row_starts: IntSequence
    cell_cmds: IntSequence
    cell_refs: IntSequence


def load_pystempel(name: str) -> Stemmer:
    """Load pystempel's table ``name`` ("default" or "polimorf"), silently.

    ``pystempel.Stemmer.default()``/``polimorf()`` wrap the stream in a tqdm
    progress bar whenever they know its size, and the ``DISABLE_TQDM``
    switch is read once at import time, so it cannot be relied on if
    pystempel was already imported.  Reading the resource through a
    ``DataInputStream`` without a size skips the progress bar altogether.
    """
    try:
        package, resource = TABLE_NAMES[name]
    except KeyError:
        raise ValueError(
            f"unknown pystempel table {name!r}; expected one of {sorted(TABLE_NAMES)}"
        ) from None

    import gzip
    from importlib.resources import files

    from pystempel import Stemmer
    from pystempel.streams import DataInputStream

    with gzip.open(files(package).joinpath(resource).open("rb")) as stream:
        return Stemmer.from_stream(DataInputStream(stream))


def _installed_pystempel_version() -> str:
    # importlib.metadata costs tens of milliseconds to import, so it is only
    # imported when a version is actually needed (building or validating).
    from importlib.metadata import version

    return version("pystempel")


def _narrowest_array(values: list[int]) -> array:
    """Pack ``values`` into a 16-bit array if they fit, else a 32-bit one.

    Command and row indices of the shipped tables fit in 16 bits, which
    shrinks the file and hence the load time.
    """
    fits_16_bits = all(-0x8000 <= value < 0x8000 for value in values)
    return array("h" if fits_16_bits else "i", values)


def _padded(section: bytes) -> bytes:
    return section + bytes(-len(section) % _ALIGN)


def _typecode(values: IntSequence) -> str:
    # Works for a freshly built array and for a loaded memoryview alike.
    return memoryview(values).format


def _trie_sections(trie: _FlatTrie) -> list[bytes]:
    """The byte sections :func:`_read_trie` expects, little-endian."""
    sections = [trie.chars.encode("utf-16-le")]
    for values in (trie.row_starts, trie.cell_cmds, trie.cell_refs):
        if sys.byteorder == "big":
            values = array(_typecode(values), values)
            values.byteswap()
        sections.append(values.tobytes())
    return [_padded(section) for section in sections]


def _read_trie(meta: tuple, data: memoryview, offset: int) -> tuple[_FlatTrie, int]:
    """Rebuild one trie from its metadata and the sections at ``data[offset:]``.

    Returns the trie and the offset just past its sections.  Only cheap
    consistency checks run here: scanning every cell would cost more than
    the rest of the load, and the checksum already vouches for the contents.
    """
    forward, root, cmds, row_count, cell_count, start_type, cmd_type, ref_type = meta

    def take(length: int) -> memoryview:
        nonlocal offset
        section = data[offset : offset + length]
        if len(section) != length:
            raise ValueError("stemming table sections are shorter than declared")
        offset += length + (-length % _ALIGN)
        return section

    def take_ints(count: int, typecode: str) -> IntSequence:
        section = take(count * array(typecode).itemsize)
        if sys.byteorder == "little":
            return section.cast(typecode)
        values = array(typecode, section.tobytes())
        values.byteswap()
        return values

    chars = str(take(2 * cell_count), "utf-16-le")
    row_starts = take_ints(row_count + 1, start_type)
    trie = _FlatTrie(
        forward=forward,
        root=root,
        cmds=cmds,
        chars=chars,
        row_starts=row_starts,
        cell_cmds=take_ints(cell_count, cmd_type),
        cell_refs=take_ints(cell_count, ref_type),
    )
    if not (
        len(chars) == cell_count
        and row_count > 0
        and row_starts[0] == 0
        and row_starts[row_count] == cell_count
        and 0 <= root < row_count
    ):
        raise ValueError("inconsistent trie arrays")
    return trie, offset


def _flatten_trie(trie: Any) -> _FlatTrie:
    """Convert a pystempel ``egothor.Trie`` into a :class:`_FlatTrie`.

    The checks here reject tables on which pystempel itself would crash
    (dangling row or command indices, malformed patches), which lets the
    lookup code below skip those checks on every call.
    """
    cmds = tuple(trie.cmds)
    for cmd in cmds:
        if cmd != _EOM and (not cmd or len(cmd) % 2):
            raise ValueError(f"malformed patch command {cmd!r} in pystempel table")
    row_count = len(trie.rows)
    if not 0 <= trie.root < row_count:
        raise ValueError(f"trie root {trie.root} is outside its {row_count} rows")

    chars: list[str] = []
    cell_cmds: list[int] = []
    cell_refs: list[int] = []
    row_starts = [0]
    for row in trie.rows:
        # Row.cells is a dict, so each char occurs at most once per row and
        # str.find's first match is the only match.
        for ch, cell in row.cells.items():
            if not -1 <= cell.cmd < len(cmds) or not -1 <= cell.ref < row_count:
                raise ValueError("trie cell points outside its trie")
            # Surrogates could pair up when the UTF-16 chars are decoded.
            if "\ud800" <= ch <= "\udfff":
                raise ValueError(f"surrogate {ch!r} in pystempel table")
            chars.append(ch)
            cell_cmds.append(cell.cmd)
            cell_refs.append(cell.ref)
        row_starts.append(len(chars))
    return _FlatTrie(
        forward=bool(trie.forward),
        root=trie.root,
        cmds=cmds,
        chars="".join(chars),
        row_starts=_narrowest_array(row_starts),
        cell_cmds=_narrowest_array(cell_cmds),
        cell_refs=_narrowest_array(cell_refs),
    )


def _trie_last_on_path(trie: _FlatTrie, key: str) -> str | None:
    """Port of ``egothor.Trie.get_last_on_path`` (``key`` must be non-empty).

    Walks the key through the trie and returns the patch of the deepest cell
    on the path that has one, so unknown endings fall back to the patch of
    their longest known suffix (tables are read backwards).
    """
    forward, row, cmds, chars, row_starts, cell_cmds, cell_refs = trie
    if not forward:
        key = key[::-1]
    last = None
    for ch in key[:-1]:
        cell = chars.find(ch, row_starts[row], row_starts[row + 1])
        if cell < 0:
            # No cell: pystempel reads cmd -1 and ref -1, i.e. a dead end.
            return last
        cmd = cell_cmds[cell]
        if cmd >= 0:
            last = cmds[cmd]
        row = cell_refs[cell]
        if row < 0:
            return last
    cell = chars.find(key[-1], row_starts[row], row_starts[row + 1])
    if cell >= 0:
        cmd = cell_cmds[cell]
        if cmd >= 0:
            return cmds[cmd]
    return last


def _patch_length(patch: str) -> int:
    """Port of ``MultiTrie2.__length_pp``: how many key chars ``patch`` consumes."""
    length = 0
    for i in range(0, len(patch), 2):
        op = patch[i]
        if op == _DASH or op == _DELETE:
            length += ord(patch[i + 1]) - ord("a") + 1
        elif op == _REPLACE:
            length += 1
    return length


def _apply_patch(word: str, patch: str) -> str | None:
    """Port of ``egothor.apply_patch`` followed by ``Stemmer.__call__``'s join.

    Operations run from the end of the word towards its start; an operation
    that would leave the word stops the patch early, keeping what was done,
    exactly as pystempel does.  Returns None when nothing is left.
    """
    buffer = list(word)
    position = len(buffer) - 1
    for i in range(0, len(patch) - 1, 2):
        op, letter = patch[i], patch[i + 1]
        if op == _DASH:
            position -= ord(letter) - ord("a")
        elif op == _REPLACE:
            if not 0 <= position < len(buffer):
                break
            buffer[position] = letter
        elif op == _DELETE:
            end = position
            position -= ord(letter) - ord("a")
            if not 0 <= position < len(buffer):
                break
            del buffer[position : end + 1]
        elif op == _INSERT:
            position += 1
            if not 0 <= position <= len(buffer):
                break
            buffer.insert(position, letter)
        position -= 1
    return "".join(buffer) or None


class CompactStemmer:
    """A pystempel ``MultiTrie2`` stemming table in a fast-loading form.

    Build one with :meth:`from_pystempel`, persist it with :meth:`save`, and
    read it back with :meth:`load`; calling the object stems a word exactly
    like ``pystempel.Stemmer.__call__`` does, except that the empty string
    gives None where pystempel raises IndexError.
    """

    __slots__ = ("name", "pystempel_version", "_forward", "_tries")

    def __init__(
        self, name: str, pystempel_version: str, forward: bool, tries: tuple[_FlatTrie, ...]
    ) -> None:
        """Wrap already-flattened tries; use the ``from_*``/``load`` constructors instead."""
        self.name = name
        self.pystempel_version = pystempel_version
        self._forward = forward
        self._tries = tries

    @classmethod
    def from_pystempel(cls, name: str) -> CompactStemmer:
        """Load pystempel's table ``name`` ("default" or "polimorf") and convert it.

        This is the slow path (about 1 s for default, 6 s for polimorf); it
        never prints progress bars.
        """
        return cls.from_stemmer(load_pystempel(name), name)

    @classmethod
    def from_stemmer(cls, stemmer: Stemmer, name: str) -> CompactStemmer:
        """Convert an already loaded ``pystempel.Stemmer`` whose table is called ``name``.

        Useful when the pystempel stemmer is needed anyway (tests compare the
        two), so its slow table load is paid only once.
        """
        table = stemmer.stemmer_trie
        if not hasattr(table, "tries"):
            raise ValueError(f"expected a MultiTrie2 table, got {type(table).__name__}")
        tries = tuple(_flatten_trie(trie) for trie in table.tries)
        return cls(name, _installed_pystempel_version(), bool(table.forward), tries)

    def save(self, path: PathLike) -> None:
        """Write the table to ``path`` atomically (temp file in the same folder, then rename).

        Readers therefore see either the old file or the complete new one,
        even if several processes build the table at the same time.
        """
        # tempfile is only needed here, off the fast load path.
        import tempfile

        tries_meta = []
        sections = []
        for trie in self._tries:
            tries_meta.append(
                (
                    trie.forward,
                    trie.root,
                    trie.cmds,
                    len(trie.row_starts) - 1,
                    len(trie.chars),
                    _typecode(trie.row_starts),
                    _typecode(trie.cell_cmds),
                    _typecode(trie.cell_refs),
                )
            )
            sections += _trie_sections(trie)
        meta = marshal.dumps((self.name, self.pystempel_version, self._forward, tuple(tries_meta)))
        body = b"".join([_padded(meta), *sections])
        header = _HEADER.pack(_MAGIC, FORMAT_VERSION, zlib.crc32(body), len(meta))

        path = os.fspath(path)
        folder, base = os.path.split(os.path.abspath(path))
        fd, tmp_path = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(header)
                tmp.write(body)
                tmp.flush()
                os.fsync(tmp.fileno())
            # mkstemp creates the file private (0600); a table is shareable data.
            os.chmod(tmp_path, 0o644)
            os.replace(tmp_path, path)
        except BaseException:
            os.unlink(tmp_path)
            raise

    @classmethod
    def load(cls, path: PathLike) -> CompactStemmer:
        """Read a table written by :meth:`save`.

        Raises ValueError if the file is not such a table, was written with
        another format version, or is truncated or corrupt; OSError if it
        cannot be read.  Does not check the pystempel version (see
        :func:`load_or_build`).
        """
        with open(path, "rb") as file:
            data = file.read()
        if len(data) < _HEADER.size:
            raise ValueError(f"{path}: truncated stemming table ({len(data)} bytes)")
        magic, version, crc, meta_length = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError(f"{path}: not a searchkit stemming table")
        if version != FORMAT_VERSION:
            raise ValueError(
                f"{path}: stemming table format version {version}, expected {FORMAT_VERSION}"
            )
        body = memoryview(data)[_HEADER.size :]
        if zlib.crc32(body) != crc:
            raise ValueError(f"{path}: stemming table is truncated or corrupt (checksum mismatch)")
        try:
            name, pystempel_version, forward, tries_meta = marshal.loads(body[:meta_length])
            offset = meta_length + (-meta_length % _ALIGN)
            tries = []
            for meta in tries_meta:
                trie, offset = _read_trie(meta, body, offset)
                tries.append(trie)
            if offset != len(body):
                raise ValueError("unexpected data after the last trie")
        except (ValueError, TypeError, EOFError) as error:
            # A valid checksum over an undecodable body means a writer bug or
            # a marshal change between Python versions; either way, rebuild.
            raise ValueError(f"{path}: cannot decode stemming table: {error}") from error
        return cls(name, pystempel_version, forward, tuple(tries))

    def __call__(self, word: str) -> str | None:
        """Stem ``word``; returns None when pystempel cannot produce a stem.

        Port of ``MultiTrie2.get_last_on_path`` plus ``Stemmer.__call__``.
        The table splits a word's patch into parts, one per trie, and each
        part is looked up by the word minus the chars the previous parts
        already consumed with their skip ("-") and delete ("D") operations.
        """
        if not word:
            # pystempel raises IndexError here; "no stem" is the useful answer.
            return None
        patch = ""
        key = lookup_key = word
        previous = None
        last_op = " "
        for trie in self._tries:
            part = _trie_last_on_path(trie, lookup_key)
            if part is None or part == _EOM:
                break
            # Egothor's diff merges runs of skips (or deletes) into one
            # command, so a part starting with the command its predecessor
            # ended with cannot continue the same patch: pystempel stops.
            if last_op in (_DASH, _DELETE) and last_op == part[0]:
                break
            last_op = part[-2]
            if part[0] == _DASH:
                if previous is not None:
                    key = self._skip(key, _patch_length(previous))
                    if key is None:
                        break
                key = self._skip(key, _patch_length(part))
                if key is None:
                    break
            previous = part
            patch += part
            # Once the whole word is consumed, later parts keep using the
            # last non-empty key, as pystempel does.
            if key:
                lookup_key = key
        return _apply_patch(word, patch)

    def _skip(self, key: str, count: int) -> str | None:
        """Port of ``MultiTrie2.__skip``: drop ``count`` chars from the read-first end."""
        if self._forward:
            return key[count:]
        return None if len(key) < count else key[: len(key) - count]

    def __repr__(self) -> str:
        return (
            f"<CompactStemmer {self.name!r} from pystempel {self.pystempel_version}, "
            f"{len(self._tries)} tries>"
        )


def load_or_build(path: PathLike, name: str) -> CompactStemmer:
    """Load the compact table ``name`` from ``path``, (re)building it if needed.

    The file is rebuilt from pystempel (and saved, creating parent folders)
    when it is missing, unreadable as a table, holds another table, or was
    built from a different pystempel version than the installed one.
    """
    if name not in TABLE_NAMES:
        raise ValueError(f"unknown pystempel table {name!r}; expected one of {sorted(TABLE_NAMES)}")
    try:
        stemmer = CompactStemmer.load(path)
    except (FileNotFoundError, ValueError):
        pass
    else:
        if stemmer.name == name and stemmer.pystempel_version == _installed_pystempel_version():
            return stemmer
    stemmer = CompactStemmer.from_pystempel(name)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    stemmer.save(path)
    return stemmer
