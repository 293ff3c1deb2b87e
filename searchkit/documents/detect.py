"""What a file really is, from its first bytes (and a zip's member names).

The name only breaks ties: a ``.pdf`` holding plain text is read as text, a
PDF without an extension as PDF.  Binary containers are recognised by their
magic bytes wherever they are; the text-based formats (HTML, e-mail) by
their opening, unless the name says plain text.
"""

from __future__ import annotations

import re

from searchkit.documents.model import Blob, EncryptedError

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_HTML = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body"
                   rb"|<meta|<title)", re.IGNORECASE | re.DOTALL)
_HEADER = re.compile(rb"^([A-Za-z][A-Za-z0-9-]*):[ \t]", re.MULTILINE)
_MAIL_HEADERS = {b"from", b"to", b"subject", b"date", b"message-id", b"received",
                 b"mime-version", b"return-path", b"delivered-to", b"reply-to", b"cc",
                 b"content-type", b"x-mailer", b"user-agent", b"in-reply-to"}
_MBOX_FROM = re.compile(rb"^From \S+.*\n", re.MULTILINE)


def detect(blob: Blob, hint: str = "") -> str | None:
    """The kind of ``blob`` ("pdf", "docx", ..., "text"); None for a format
    searchkit does not read (images, archives, programs).  ``hint`` is the
    kind its name suggests."""
    head = blob.head(8192)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(_ZIP):
        return _zip_kind(blob, hint)
    if head.startswith(_OLE2):
        # A password-protected DOCX is an OLE2 file too, holding the encrypted zip.
        from searchkit.documents.docx import is_encrypted_ooxml
        if is_encrypted_ooxml(head, blob):
            raise EncryptedError("encrypted Office document: needs a password")
        return "doc"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return "rtf"
    if hint == "jsonl":
        return "jsonl"
    if hint == "text":
        return "text"  # the name says plain text: markup inside is the text
    if head.startswith(b"From ") and _MBOX_FROM.match(head) and _is_mail(
            head[_MBOX_FROM.match(head).end():]):
        # one message saved with its envelope line is still one message
        return "eml" if hint == "eml" else "mbox"
    if _is_mail(head):
        return "eml"
    body = head.lstrip(b"\xef\xbb\xbf")
    if _HTML.match(body) or (hint == "html" and b"<" in body[:1024]):
        return "html"
    if hint == "" and not _looks_like_text(head):
        return None  # a program, an image, an archive: nothing the name promised
    return "text"


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with its BOM
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f\x1b")
    return controls <= len(head) // 100


def _is_mail(head: bytes) -> bool:
    """Does ``head`` open with a block of RFC 5322 headers, most of them mail's own?"""
    block = head.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    lines = [line for line in block.split(b"\n") if line and not line[:1].isspace()]
    if not lines or not _HEADER.match(lines[0]):
        return False
    names = {m.group(1).lower() for m in map(_HEADER.match, lines) if m}
    return len(names & _MAIL_HEADERS) >= 2 and len(names) >= len(lines) * 0.8


def _zip_kind(blob: Blob, hint: str) -> str | None:
    from searchkit.documents.zipped import zip_listing

    listing = zip_listing(blob)
    if listing is None:
        # Damaged: let the reader its name suggests report what is wrong.
        return hint if hint in ("docx", "odt", "epub") else None
    names, mimetype = listing
    members = set(names)
    if "word/document.xml" in members or hint == "docx" and "[Content_Types].xml" in members:
        return "docx"
    mimetype = mimetype.strip()
    if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        return "odt"
    if mimetype == b"application/epub+zip" or any(
            n == "META-INF/container.xml" or n.endswith("/META-INF/container.xml") for n in names):
        return "epub"
    if "content.xml" in members and hint == "odt":
        return "odt"
    if hint in ("docx", "odt", "epub"):
        return hint  # the reader says what is missing
    return None
