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


def zip_listing(blob: Blob) -> tuple[list[str], bytes] | None:
    """A zip file's member names and the start of its ``mimetype`` member (ODF,
    EPUB), for type detection in one opening; None if it is not a zip."""
    try:
        source = blob.path if blob.content is None else io.BytesIO(blob.content)
        with zipfile.ZipFile(source) as z:
            names = z.namelist()
            mimetype = b""
            if "mimetype" in names:
                try:
                    with z.open("mimetype") as member:
                        mimetype = member.read(200)
                except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
                    pass
            return names, mimetype
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return None
