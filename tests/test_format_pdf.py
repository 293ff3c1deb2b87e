"""The PDF reader: text page by page, metadata, scanned pages, broken files.

PDFs made here by ``make_pdf`` cover what the reader must do on any machine;
the shared Polish PDFs (skipped when ../shared is absent) check it on real files.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import pytest
from conftest import SHARED, require_shared

from searchkit.documents.model import Blob, Context, DocumentError, EncryptedError
from searchkit.documents.pdf import clean, pdf_date, read

DOCS = SHARED / "data" / "documents"

# ------------------------------------------------------------------ helpers

_POLISH = "ąćęłńśźżĄĆĘŁŃŚŹŻ"
_GLYPHS = ("aogonek cacute eogonek lslash nacute sacute zacute zdotaccent "
           "Aogonek Cacute Eogonek Lslash Nacute Sacute Zacute Zdotaccent")


def _pdf_string(text: str) -> bytes:
    out = bytearray(b"(")
    for ch in text:  # Polish letters at 128+ (see the font's /Differences), the rest cp1252
        b = bytes([0x80 + _POLISH.index(ch)]) if ch in _POLISH else ch.encode("cp1252")
        out += b"\\" + b if b in (b"\\", b"(", b")") else b
    return bytes(out + b")")


def make_pdf(pages: list[list[str]], info: dict[str, str] | None = None,
             image_pages: tuple[int, ...] = (), filler: int = 0,
             size: tuple[int, int] = (595, 842)) -> bytes:
    """A PDF whose page n shows the lines ``pages[n - 1]`` (Helvetica, Polish
    letters included), an image on the 1-based ``image_pages``, ``filler``
    bytes of comments in each page's content, ``info`` as document info;
    pages of ``size`` points (A4)."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding "
           b"/BaseEncoding /WinAnsiEncoding /Differences [128 /"
           + _GLYPHS.replace(" ", " /").encode() + b"] >> >>",
        4: b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
           b"/BitsPerComponent 8 /Length 4 >>\nstream\n\x00\xff\xff\x00\nendstream",
    }
    comment = b"%" + b"x" * 98 + b"\n"
    for i, lines in enumerate(pages):
        ops = [b"BT /F1 11 Tf 14 TL 72 770 Td"] + [_pdf_string(line) + b" Tj T*" for line in lines]
        ops.append(b"ET")
        if i + 1 in image_pages:
            ops.append(b"q 400 0 0 400 100 200 cm /Im1 Do Q")
        ops.append(comment * (filler // len(comment)))
        stream = b"\n".join(ops)
        objects[10 + 2 * i] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size[0]} {size[1]}] "
            f"/Contents {11 + 2 * i} 0 R "
            "/Resources << /Font << /F1 3 0 R >> /XObject << /Im1 4 0 R >> >> >>").encode()
        objects[11 + 2 * i] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    kids = b" ".join(b"%d 0 R" % (10 + 2 * i) for i in range(len(pages)))
    objects[2] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(pages), kids)
    trailer = b""
    if info:
        def literal(value: str) -> bytes:  # a PDF text string: UTF-16 with a BOM
            return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"
        objects[5] = b"<< " + b" ".join(b"/%s %s" % (k.encode(), literal(v))
                                        for k, v in info.items()) + b" >>"
        trailer = b" /Info 5 0 R"
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    size, xref = max(objects) + 1, len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else \
            b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (size, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def extract(blob: Blob, warnings: list[str] | None = None):
    ctx = Context(warn=(warnings if warnings is not None else []).append,
                  nested=lambda b: iter(()))
    [item] = list(read(blob, ctx))
    return item


def from_bytes(data: bytes, warnings: list[str] | None = None):
    return extract(Blob(name="test.pdf", content=data), warnings)


def from_file(path, warnings: list[str] | None = None):
    return extract(Blob(name=path.name, path=str(path)), warnings)


def collapsed(text: str) -> str:
    """The known-sentence matching rule: NFC, every run of whitespace one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


# ----------------------------------------------------------- generated PDFs

def test_pages_come_one_text_each_in_order():
    item = from_bytes(make_pdf([["Zażółć gęślą jaźń", "ŻÓŁW (w nawiasie) \\ ukośnik"],
                                ["druga strona"], ["trzecia strona"]]))
    assert item.type == "pdf"
    assert item.text == ""
    assert item.pages == ["Zażółć gęślą jaźń\nŻÓŁW (w nawiasie) \\ ukośnik",
                          "druga strona", "trzecia strona"]
    assert item.scanned == []


def test_line_end_hyphenation_is_joined_before_a_lower_case_letter():
    item = from_bytes(make_pdf([["Jest ona często ak-", "tualizowana. Żaneta Świątek-",
                                 "Przykładowa, rok 2-", "letni, CONSEQU-", "ENTIAL"]]))
    text = collapsed(item.pages[0])
    assert "Jest ona często aktualizowana." in text
    assert "Świątek-Przykładowa" in text  # a hyphen before a capital is the name's own
    assert "2- letni" in text  # not a broken word: a digit before the hyphen
    assert "CONSEQUENTIAL" in text  # an all-capital word broken like pdftotext joins it


@pytest.mark.parametrize("raw, expected", [
    ("ak\ufffetualizowana", "aktualizowana"),  # PDFium's mark, as FPDFText_GetText gives it
    ("ak\x02tualizowana", "aktualizowana"),  # the same mark as the char API gives it
    ("ak\xad\r\ntualizowana", "aktualizowana"),  # a soft hyphen at a line end
    ("Świątek\ufffePrzykładowa", "Świątek-Przykładowa"),
    ("ak-  \r\n  tualizowana", "aktualizowana"),
    ("a\xa0\xa0b\t c \u200bd\x00e\r\n\r\nf ", "a b c de\n\nf"),
    ("Zaz\u0307o\u0301łc\u0301", "Zażółć"),  # decomposed letters come out composed (NFC)
])
def test_clean(raw, expected):
    assert clean(raw) == expected


def test_metadata_from_document_info():
    item = from_bytes(make_pdf([["tekst"]], info={
        "Title": "Umowa najmu (kopia)", "Author": "Jan Kowalski",
        "CreationDate": "D:20240115103000+01'00'", "ModDate": "D:20250101000000Z"}))
    assert (item.title, item.author, item.date) == ("Umowa najmu (kopia)", "Jan Kowalski",
                                                    "2024-01-15")


def test_missing_metadata_stays_empty():
    item = from_bytes(make_pdf([["tekst"]]))
    assert (item.title, item.author, item.date) == ("", None, None)


@pytest.mark.parametrize("title", ["", "   ", "Untitled", "untitled-1", "Bez tytułu",
                                   "Microsoft Word - umowa.docx", "umowa_2024.doc",
                                   "C:\\Dokumenty\\raport.pdf", "-"])
def test_a_junk_title_is_left_out(title):
    assert from_bytes(make_pdf([["tekst"]], info={"Title": title})).title == ""


@pytest.mark.parametrize("value, expected", [
    ("D:20240115103000+01'00'", "2024-01-15"), ("D:20240131160855-00'00'", "2024-01-31"),
    ("D:2024", "2024"), ("D:202403", "2024-03"), ("20240115", "2024-01-15"),
    ("D:20241315", "2024"), ("D:20240100", "2024-01"), ("D:20240231", "2024-02"), ("wczoraj", None), ("", None),
])
def test_pdf_date(value, expected):
    assert pdf_date(value) == expected


def test_pages_with_images_but_no_text_are_scanned():
    item = from_bytes(make_pdf([["tekst"], [], [], ["podpis pod obrazem"]],
                               image_pages=(2, 4)))
    # page 2: an image only (scanned); page 3: blank, nothing to OCR; page 4: has text
    assert item.pages[1:3] == ["", ""]
    assert item.scanned == [2]


def test_a_file_and_its_bytes_read_alike(tmp_path):
    data = make_pdf([["pierwsza"], ["druga"]], info={"Title": "Tytuł"})
    path = tmp_path / "a.pdf"
    path.write_bytes(data)
    assert from_file(path) == from_bytes(data)


def test_text_that_is_not_a_pdf_is_refused():
    with pytest.raises(DocumentError, match="^not a PDF$"):
        from_bytes(b"Konfiguracja Audacity nie jest trudna, jesli pamietasz...")
    with pytest.raises(DocumentError, match="^not a PDF$"):
        from_bytes(b"")


def test_a_truncated_pdf_is_damaged():
    data = make_pdf([["jeden"], ["dwa"], ["trzy"]])
    with pytest.raises(DocumentError, match="^damaged PDF"):
        from_bytes(data[:len(data) // 2])


def test_a_pdf_without_pages_is_refused():
    # PDFium keeps the error of an earlier file when the next opens without
    # pages: that file's reason must not be reported for this one.
    with pytest.raises(DocumentError, match="cannot read its structure"):
        from_bytes(b"%PDF-1.4\n" + b"garbage\n" * 100)
    with pytest.raises(DocumentError, match="^damaged PDF: no pages$"):
        from_bytes(make_pdf([]))


def test_an_unreadable_page_is_skipped_with_a_warning():
    data = make_pdf([["jeden"], ["dwa"], ["trzy"]])
    broken = data.replace(b"\n12 0 obj\n", b"\n12 0 bad\n")  # page 2's object, same length
    assert broken != data
    warnings = []
    item = from_bytes(broken, warnings)
    assert item.pages == ["jeden", "", "trzy"]
    assert item.scanned == []
    assert warnings == ["damaged PDF: 1 of 3 pages unreadable (page 2)"]


def test_thousands_of_pages_read_with_bounded_memory(tmp_path):
    """PDFium keeps what it parsed until the document closes; the reader must
    not, or memory grows with the file (here 90 MB over 3,000 pages)."""
    if not Path("/proc/self/status").exists():
        pytest.skip("measures memory with Linux's /proc/self/status")
    pages = 3000
    path = tmp_path / "big.pdf"
    path.write_bytes(make_pdf([[f"Strona {n}: jest ona często ak-", "tualizowana."]
                               for n in range(1, pages + 1)], filler=30_000))
    size_mb = path.stat().st_size / 2**20
    # The peak RSS of the child process alone: getrusage's ru_maxrss survives
    # exec, so a child of this (large) pytest process would start at its size;
    # VmHWM belongs to the new program's memory.
    script = textwrap.dedent(f"""
        import re
        from searchkit.documents.model import Blob, Context
        from searchkit.documents.pdf import read
        def peak_mb():
            with open("/proc/self/status") as f:
                return int(re.search(r"VmHWM:\\s*(\\d+)", f.read()).group(1)) / 1024
        before = peak_mb()
        [item] = read(Blob("big.pdf", path={str(path)!r}), Context(print, None))
        print(len(item.pages), peak_mb() - before, item.pages[-1])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    count, growth_mb, last = done.stdout.split(maxsplit=2)
    assert int(count) == pages
    assert last.strip() == f"Strona {pages}: jest ona często aktualizowana."
    # Measured: 14 MB; reading it all into PDFium (from bytes, or without
    # closing the document now and then) grows by 95 MB.
    assert float(growth_mb) < min(size_mb / 3, 200), (growth_mb, size_mb)


# ---------------------------------------------------------------- real PDFs

def _known() -> list[tuple[str, str, str]]:
    """(id, sentence, PDF) for every known sentence in a shared text PDF."""
    if not DOCS.exists():
        return []
    rows = [line.split("\t") for line in
            (DOCS / "known-sentences.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    return [(row[0], row[1], name) for row in rows for name in row[2].split(",")
            if name.endswith(".pdf")]


@pytest.fixture(scope="module")
def real():
    """The shared text PDFs, read once: relative path -> Extracted."""
    require_shared(DOCS)
    return {name: from_file(DOCS / name)
            for name in ("audacity/audacity-manual.pdf", "kicad/pl_editor.pdf")}


@pytest.mark.shared
def test_every_known_sentence_of_a_pdf_is_found(real):
    known = _known()
    assert {k[0] for k in known} == {f"k0{n}" for n in range(1, 10)}
    missing = [(k, name) for k, sentence, name in known
               if sentence not in collapsed("\n".join(real[name].pages))]
    assert missing == []


@pytest.mark.shared
@pytest.mark.parametrize("name, known_id, page", [
    # checked with pdftotext -f N -l N
    ("audacity/audacity-manual.pdf", "k01", 3), ("audacity/audacity-manual.pdf", "k02", 3),
    ("audacity/audacity-manual.pdf", "k04", 6), ("audacity/audacity-manual.pdf", "k03", 12),
    ("audacity/audacity-manual.pdf", "k05", 14), ("kicad/pl_editor.pdf", "k07", 3),
    ("kicad/pl_editor.pdf", "k08", 4), ("kicad/pl_editor.pdf", "k09", 6),
])
def test_a_sentence_is_on_its_page(real, name, known_id, page):
    sentence = next(s for k, s, _ in _known() if k == known_id)
    on = [n for n, text in enumerate(real[name].pages, 1) if sentence in collapsed(text)]
    assert on == [page]


@pytest.mark.shared
def test_real_metadata(real):
    audacity, kicad = real["audacity/audacity-manual.pdf"], real["kicad/pl_editor.pdf"]
    assert (len(audacity.pages), audacity.title, audacity.author, audacity.date) == (
        18, "Podręcznik Debian Edu / Skolelinux Audacity", None, "2024-01-31")
    assert (len(kicad.pages), kicad.title, kicad.author) == (
        21, "Drawing Sheet Editor", "The KiCad Team")
    assert audacity.scanned == kicad.scanned == []


@pytest.mark.shared
def test_real_text_is_clean(real):
    for item in real.values():
        for text in item.pages:
            assert unicodedata.is_normalized("NFC", text)
            assert "  " not in text and "\r" not in text and "\ufffe" not in text
            assert not any(ord(c) < 32 and c != "\n" for c in text)


@pytest.mark.shared
def test_the_scan_has_three_pages_to_ocr():
    require_shared(DOCS)
    item = from_file(DOCS / "scanned" / "audacity-manual-scan.pdf")
    assert item.pages == ["", "", ""]
    assert item.scanned == [1, 2, 3]


@pytest.mark.shared
def test_a_user_password_is_needed():
    require_shared(DOCS)
    with pytest.raises(EncryptedError, match="^encrypted PDF: needs a password$"):
        from_file(DOCS / "bad" / "encrypted-user-password.pdf")


@pytest.mark.shared
def test_an_owner_password_alone_does_not_stop_indexing():
    require_shared(DOCS)
    item = from_file(DOCS / "bad" / "encrypted-owner-password-only.pdf")
    text = collapsed("\n".join(item.pages))
    assert len(item.pages) == 3
    assert "Konfiguracja Audacity nie jest trudna" in text
    assert "Jest ona często aktualizowana." in text


@pytest.mark.shared
def test_the_truncated_manual_is_damaged():
    require_shared(DOCS)
    with pytest.raises(DocumentError, match="^damaged PDF: ") as caught:
        from_file(DOCS / "bad" / "truncated-audacity-manual.pdf")
    assert not isinstance(caught.value, EncryptedError)


@pytest.mark.shared
def test_plain_text_named_pdf_is_not_a_pdf():
    require_shared(DOCS)
    with pytest.raises(DocumentError, match="^not a PDF$"):
        from_file(DOCS / "bad" / "plain-text-named.pdf")
