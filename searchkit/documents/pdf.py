"""PDF: the text layer page by page, with PDFium (pypdfium2).

PDFium was measured against pdfminer.six and pypdf on the shared Polish PDFs
(``benchmarks/extraction.py --compare-libraries``): it finds every known
sentence and is the fastest of the three by far, on par with poppler's
``pdftotext``.  A file on disk is opened by path: PDFium reads it lazily, so a
PDF of thousands of pages never sits in memory whole (but see REOPEN_EVERY).
PDFium is not thread-safe: read PDFs in one thread per process.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Iterator

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from searchkit.documents.cleaning import iso_date, single_line
from searchkit.documents.model import Blob, Context, DocumentError, EncryptedError, Extracted

# PDF's own header may follow up to 1 KB of junk (PDFium and poppler accept that).
_HEADER_WINDOW = 1024

# PDFium keeps every object it has parsed (page dictionaries, fonts, content
# streams) until the document is closed: 45 MB per 1,000 pages of the shared
# manuals' pages repeated, measured.  Reopening every so many pages bounds that
# at little cost: none measurable on those pages (smaller caches pay for
# re-reading the cross-reference table), 0.06 ms a page on near-empty ones.
REOPEN_EVERY = 250


# PDFium marks a hyphen it takes for one breaking a word at a line end:
# FPDFText_GetText writes U+FFFE (the char API says 0x02) and drops the line
# break after it.  A plain hyphen ending a line is looked at too, and a soft
# hyphen (U+00AD) is invisible wherever it is: the word goes on after it.
_HYPHEN = re.compile("\xad\n?|[\ufffe\x02]\n?|-\n")
_MARKS = {0xFFFE: "-", 0x02: "-"}

# Control characters but whitespace (left to the line clean-up) and \x02
# (PDFium's hyphen mark, seen to above); zero-width spaces.
_INVISIBLE = re.compile("[\x00\x01\x03-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u200b\ufeff]")

# Document info titles that name the file or the program, not the document.
_JUNK_TITLE = re.compile(
    r"""(untitled\b.*|bez\s+tytułu.*|microsoft\s+\w+(\s+\w+)?\s+-\s.*
        |.*\.(docx?|odt|rtf|txt|pdf|xlsx?|pptx?|odp|ods|tex|dvi|ps|eps|indd|qxd|pages|html?)
        |[\W_]*)""", re.IGNORECASE | re.VERBOSE)

_PDF_DATE = re.compile(r"(?:D:)?\s*(\d{4})(\d{2})?(\d{2})?")


def read(blob: Blob, ctx: Context) -> Iterator[Extracted]:
    if b"%PDF-" not in blob.head(_HEADER_WINDOW):
        raise DocumentError("not a PDF")
    source = blob.path if blob.content is None else blob.content
    pdf = _open(source)
    try:
        title, author = _meta(pdf, "Title"), _meta(pdf, "Author")
        date = pdf_date(_meta(pdf, "CreationDate")) or pdf_date(_meta(pdf, "ModDate"))
        pages, scanned, lost = [], [], []
        for index in range(len(pdf)):
            if index and index % REOPEN_EVERY == 0:
                pdf.close()
                pdf = _open(source)
            try:
                text, has_images = _page(pdf, index)
            except (pdfium.PdfiumError, ValueError):
                text, has_images = "", False
                lost.append(index + 1)
            pages.append(text)
            if not text and has_images:
                scanned.append(index + 1)
    finally:
        pdf.close()
    if lost:
        if len(lost) == len(pages):
            raise DocumentError("damaged PDF: no page can be read")
        ctx.warn(f"damaged PDF: {len(lost)} of {len(pages)} pages unreadable ({_ranges(lost)})")
    yield Extracted(type="pdf", pages=pages, title=_title(title),
                    author=single_line(author) or None, date=date, scanned=scanned)


def _open(source: str | bytes) -> pdfium.PdfDocument:
    """The document, opened with PDFium's own calls: pypdfium2 reports a PDF
    without pages with whatever error PDFium recorded last, maybe for another
    file (PDFium does not reset it on success)."""
    # No password is given: a file protected by an owner password only
    # (restricting copying or printing) opens and is indexed, as most search
    # tools do -- its text is readable without any password.
    if isinstance(source, bytes):  # the caller keeps ``source`` while PDFium reads it
        raw = pdfium_c.FPDF_LoadMemDocument64(source, len(source), None)
    else:
        raw = pdfium_c.FPDF_LoadDocument(os.fsencode(source), None)
    if not raw:
        code = pdfium_c.FPDF_GetLastError()
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedError("encrypted PDF: needs a password")
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise EncryptedError("encrypted PDF: unsupported security handler")
        if code == pdfium_c.FPDF_ERR_FILE:
            raise DocumentError("cannot read the file")
        raise DocumentError("damaged PDF: cannot read its structure")
    pdf = pdfium.PdfDocument(raw)
    if len(pdf) < 1:
        pdf.close()
        raise DocumentError("damaged PDF: no pages")
    return pdf


def _meta(pdf: pdfium.PdfDocument, key: str) -> str:
    try:
        return pdf.get_metadata_value(key)
    except ValueError:  # broken UTF-16 in the document info
        return ""


def _page(pdf: pdfium.PdfDocument, index: int) -> tuple[str, bool]:
    """The text of one page, and whether it shows images (for a page without text)."""
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            text = clean(textpage.get_text_range())
        finally:
            textpage.close()
        # Only a page without text is looked at: it is an OCR candidate if it shows an image.
        has_images = not text and any(
            True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
        return text, has_images
    finally:
        page.close()


def clean(text: str) -> str:
    """PDFium's page text as searchkit's text: lines trimmed, runs of spaces
    collapsed, hyphenated words joined.  (str.translate and a regex per rule
    took five times as long on Polish text, measured.)"""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    # split() takes every Unicode space (U+00A0, tabs, thin spaces) as one.
    text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    if "\ufffe" in text or "\x02" in text or "\xad" in text or "-\n" in text:
        text = _HYPHEN.sub(_join, text)
    return unicodedata.normalize("NFC", text.strip())


def _join(m: re.Match) -> str:
    if m.group().startswith("\xad"):
        return ""
    text, start, end = m.string, m.start(), m.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before.isalpha() and after.isalpha() and (
            # "ak-/tualizowana" is one word; "Świątek-/Przykładowa" keeps its hyphen.
            # All-capital text breaks words too ("CONSEQU-/ENTIAL"), pdftotext agrees.
            after.islower() or (before.isupper() and after.isupper())):
        return ""
    return m.group().translate(_MARKS)


def _title(value: str) -> str:
    value = single_line(value)
    return "" if _JUNK_TITLE.fullmatch(value) else value


def pdf_date(value: str) -> str | None:
    """ "D:20240115103000+01'00'" -> "2024-01-15" (as precise as the value is)."""
    m = _PDF_DATE.match(value or "")
    if not m:
        return None
    year, month, day = m.groups()
    if not 1000 <= int(year) <= 9999:
        return None
    if not month or not 1 <= int(month) <= 12:
        return year
    if not day or iso_date(f"{year}-{month}-{day}") is None:  # no 31 February
        return f"{year}-{month}"
    return f"{year}-{month}-{day}"


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> "pages 1-3, 7", [4] -> "page 4" """
    spans, start = [], numbers[0]
    for prev, cur in zip(numbers, numbers[1:] + [None]):
        if cur != prev + 1:
            spans.append(f"{start}-{prev}" if prev > start else str(start))
            start = cur
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(spans)
