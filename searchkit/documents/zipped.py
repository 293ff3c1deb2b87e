"""Reading zip-based formats (DOCX, ODT, EPUB) without trusting the zip.

A member's declared size can lie, so reads are counted as they inflate: past
``MAX_UNZIPPED_BYTES`` for the whole file (or the caller's ``limit``) the file
is refused, and memory never holds more than that.  XML is parsed with the
standard library's expat, which refuses entity-expansion bombs.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

from searchkit.documents.model import MAX_UNZIPPED_BYTES, Blob, DocumentError

_CHUNK = 1 << 20


class Zip:
    """A zip archive opened from a Blob, with bounded member reads."""

    def __init__(self, blob: Blob, what: str, limit: int = MAX_UNZIPPED_BYTES):
        self.what = what  # "DOCX", "EPUB": for messages
        self.limit = limit
        self.read_bytes = 0
        try:
            source = blob.path if blob.content is None else io.BytesIO(blob.content)
            self._zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as e:
            raise DocumentError(f"not a valid {what} (damaged zip: {e})") from None
        if any(info.flag_bits & 0x1 for info in self._zip.infolist()):
            from searchkit.documents.model import EncryptedError
            raise EncryptedError(f"encrypted {what}: needs a password")
        self._names = {info.filename for info in self._zip.infolist()}

    def __enter__(self) -> "Zip":
        return self

    def __exit__(self, *exc) -> None:
        self._zip.close()

    def names(self) -> list[str]:
        return self._zip.namelist()

    def has(self, name: str) -> bool:
        return name in self._names

    def read(self, name: str) -> bytes:
        """A member's bytes; DocumentError if missing, damaged or too large."""
        if name not in self._names:
            raise DocumentError(f"not a valid {self.what} ({name} is missing)")
        out = bytearray()
        try:
            with self._zip.open(name) as member:
                while True:
                    chunk = member.read(_CHUNK)
                    if not chunk:
                        break
                    self.read_bytes += len(chunk)
                    if self.read_bytes > self.limit:
                        raise DocumentError(
                            f"{self.what} inflates to more than {self.limit >> 20} MB "
                            "(a zip bomb?)")
                    out += chunk
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as e:
            raise DocumentError(f"not a valid {self.what} (damaged member {name}: {e})") from None
        return bytes(out)

    def xml(self, name: str) -> ElementTree.Element:
        """A member parsed as XML."""
        data = self.read(name)
        try:
            return ElementTree.fromstring(data)
        except ElementTree.ParseError as e:
            raise DocumentError(f"not a valid {self.what} ({name}: {e})") from None


def zip_names(blob: Blob) -> list[str] | None:
    """The member names of a zip file (for type detection), None if it is not one."""
    try:
        source = blob.path if blob.content is None else io.BytesIO(blob.content)
        with zipfile.ZipFile(source) as z:
            return z.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return None


def zip_member_head(blob: Blob, name: str, n: int = 200) -> bytes:
    """The first ``n`` bytes of a member (the ODF/EPUB ``mimetype``), or b""."""
    try:
        source = blob.path if blob.content is None else io.BytesIO(blob.content)
        with zipfile.ZipFile(source) as z, z.open(name) as member:
            return member.read(n)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return b""
