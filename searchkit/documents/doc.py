"""Legacy Word (.doc, Word 97-2003): the text by the ``antiword`` program,
the metadata and the encryption flag from the OLE2 container (olefile).

No permissively licensed Python library reads the Word binary format, so
this is the one reader that runs a program (GPL, but run, not linked).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import subprocess
from typing import Iterator

import olefile

from searchkit.documents.cleaning import single_line, tidy
from searchkit.documents.docx import OFFICE_EARLIEST
from searchkit.documents.model import Blob, Context, DocumentError, EncryptedError, Extracted

ANTIWORD_TIMEOUT = 120  # seconds; antiword reads the 714 KB manual in a few ms
# -w 0: a paragraph on one line; UTF-8.txt: letters as UTF-8 (Polish intact).
_ANTIWORD_ARGS = ["-m", "UTF-8.txt", "-w", "0"]
_PICTURE = re.compile(r"^\[pic\]$", re.MULTILINE)  # antiword's mark for an image
_TABLE_ROW = re.compile(r"^\|(.*)\|$", re.MULTILINE)  # antiword draws cells as |a |b |
_F_ENCRYPTED = 0x0100  # in the FIB's flags (offset 10 of WordDocument)


def read(blob: Blob, ctx: Context) -> Iterator[Extracted]:
    head = blob.head(8)
    if not head:
        raise DocumentError("empty file")
    meta = _ole_metadata(blob)
    antiword = shutil.which("antiword")
    if antiword is None:
        raise DocumentError("legacy .doc needs antiword (apt-get install antiword)")
    text = _antiword(antiword, blob, ctx)
    text = _PICTURE.sub("", text)
    text = _TABLE_ROW.sub(lambda m: "\n".join(m.group(1).split("|")), text)
    yield Extracted(text=tidy(text), title=meta.get("title", ""),
                    author=meta.get("author") or None, date=meta.get("date"), type="doc")


def _antiword(program: str, blob: Blob, ctx: Context) -> str:
    # A file is read where it is; bytes (an attachment) go through standard input.
    target = blob.path if blob.content is None else "-"
    if target.startswith("-") and target != "-":
        target = "./" + target  # a file name, not an option
    try:
        done = subprocess.run([program, *_ANTIWORD_ARGS, target], input=blob.content,
                              capture_output=True, timeout=ANTIWORD_TIMEOUT,
                              env={**os.environ, "HOME": os.environ.get("HOME", "/")})
    except subprocess.TimeoutExpired:
        raise DocumentError(f"antiword took longer than {ANTIWORD_TIMEOUT} s") from None
    except OSError as e:
        raise DocumentError(f"cannot run antiword: {e.strerror}") from None
    # antiword starts its messages with the file name: drop it.
    messages = [m.removeprefix(target).strip(" .:") for m in
                done.stderr.decode("utf-8", "replace").splitlines() if m.strip()]
    if done.returncode != 0:
        # "is not a Word Document. It seems to be a ZIP file, ..." -> "not a Word Document"
        reason = messages[0].split(". ")[0].removeprefix("is ") if messages else (
            f"exit code {done.returncode}")
        raise DocumentError(f"not a valid DOC (antiword: {reason})")
    if messages:
        ctx.warn(f"antiword: {messages[0]}")
    return done.stdout.decode("utf-8", "replace")


def _ole_metadata(blob: Blob) -> dict[str, str]:
    """Title, author and date from the SummaryInformation stream; raises
    EncryptedError for a password-protected document."""
    try:
        source = blob.path if blob.content is None else io.BytesIO(blob.content)
        with olefile.OleFileIO(source) as ole:
            if ole.exists("EncryptedPackage"):  # a DOCX (or XLSX...) with a password
                raise EncryptedError("encrypted Office document: needs a password")
            if ole.exists("WordDocument"):
                with ole.openstream("WordDocument") as fib:
                    flags = struct.unpack("<H", fib.read(12)[10:12])[0]
                if flags & _F_ENCRYPTED:
                    raise EncryptedError("encrypted DOC: needs a password")
            props = ole.get_metadata()
    except EncryptedError:
        raise
    except Exception:  # olefile fails on damaged files in many ways; antiword will say
        return {}
    codepage = (props.codepage or 1252) & 0xFFFF
    meta = {key: _string(getattr(props, key), codepage) for key in ("title", "author")}
    # An unset time reads as 1601-01-01 (FILETIME zero).
    dates = [t for t in (props.create_time, props.last_saved_time) if t and t.year >= OFFICE_EARLIEST]
    if dates:
        meta["date"] = dates[0].strftime("%Y-%m-%d")
    return meta


def _string(value, codepage: int) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        return single_line(value)
    encoding = {65001: "utf-8", 1200: "utf-16-le"}.get(codepage, f"cp{codepage}")
    try:
        return single_line(value.decode(encoding))
    except (LookupError, UnicodeDecodeError):
        return single_line(value.decode("cp1252", "replace"))
