"""OCR of scanned PDF pages: recall on a real scan, known sentences, what a user
is told when Tesseract's Polish model is missing."""

from __future__ import annotations

import json
import multiprocessing
import re
import sys
import unicodedata
from collections import Counter

import pytest

from searchkit.documents import ocr
from searchkit.documents.model import DocumentError

from conftest import SHARED, require_shared

DOCUMENTS = SHARED / "data" / "documents"
SCAN = DOCUMENTS / "scanned" / "audacity-manual-scan.pdf"


def require_ocr() -> None:
    missing = ocr.unavailable()
    if missing:
        pytest.skip(missing)


def collapsed(text: str) -> str:
    return " ".join(text.split())


def words(text: str) -> Counter:
    """Words as the data README compares them: no number-only tokens, case and diacritics folded."""
    def fold(word):
        word = unicodedata.normalize("NFKD", word.lower().replace("ł", "l"))
        return "".join(c for c in word if not unicodedata.combining(c))
    return Counter(fold(w) for w in re.findall(r"\w+", text) if not w.isdigit())


def word_recall(truth: str, found: str) -> float:
    expected, got = words(truth), words(found)
    return sum(min(n, got[w]) for w, n in expected.items()) / sum(expected.values())


@pytest.fixture(scope="module", params=["tesserocr", "command"])
def scan_pages(request) -> list[str]:
    """The scan's pages OCRed by each engine that is installed."""
    prefer = ocr.PREFER
    ocr.PREFER = (request.param,)
    try:
        if ocr.engine() != request.param:
            pytest.skip(f"the {request.param} engine is not installed")
        require_ocr()
        require_shared(DOCUMENTS)
        yield [ocr.ocr_page(str(SCAN), n) for n in (1, 2, 3)]
    finally:
        ocr.PREFER = prefer


@pytest.mark.shared
@pytest.mark.parametrize("page", [1, 2, 3])
def test_recall_against_ground_truth(scan_pages, page):
    truth = json.loads((DOCUMENTS / "scan-ground-truth.json").read_text(encoding="utf-8"))
    [expected] = [p["text"] for p in truth["pages"] if p["scan_page"] == page]
    assert word_recall(expected, scan_pages[page - 1]) >= 0.95


@pytest.mark.shared
def test_known_sentences_on_their_pages(scan_pages):
    page1, page2, page3 = map(collapsed, scan_pages)
    assert "Konfiguracja Audacity nie jest trudna" in page1
    # "ak-" / "tualizowana" at a line end on the scan: found only if the word is joined
    assert "Jest ona często aktualizowana." in page1
    assert "Za pomocą audacity można importować audio w różnych, regularnych postaciach" in page3
    assert "Jest wiele sposobów wyeksportowania twojego efektu końcowego." in page3
    assert "Konfiguracja Audacity" not in page2 + page3


@pytest.mark.shared
def test_text_is_clean_paragraphs(scan_pages):
    for text in scan_pages:
        assert text == unicodedata.normalize("NFC", text)
        assert not re.search(r"[\x00-\x09\x0b-\x1f\u200b\u00a0]|  |\n\n", text)
    # a paragraph spread over several lines of the page comes out as one line
    assert any(line.startswith("Konfiguracja Audacity nie jest trudna") and line.endswith("jest tutaj:")
               for line in scan_pages[0].split("\n"))


def _ocr_in_child(path, page):
    inherited = ocr._engine_pid
    return inherited, ocr.ocr_page(path, page), ocr._engine_pid


@pytest.mark.shared
@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_worker_makes_its_own_engine(monkeypatch):
    monkeypatch.setattr(ocr, "PREFER", ("tesserocr",))
    if ocr.engine() != "tesserocr":
        pytest.skip("the tesserocr library is not installed (pip install 'searchkit[ocr]')")
    require_ocr()
    require_shared(DOCUMENTS)
    page2 = ocr.ocr_page(str(SCAN), 2)  # the parent's engine: a child must not use its copy
    parent = ocr._engine_pid
    with multiprocessing.get_context("fork").Pool(1) as pool:
        inherited, text, used = pool.apply(_ocr_in_child, (str(SCAN), 2))
    assert inherited == parent and used != parent  # the child replaced its copy
    assert text == page2


@pytest.mark.shared
def test_a_page_that_is_not_there(scan_pages):
    with pytest.raises(DocumentError, match="no page 4: the PDF has 3"):
        ocr.ocr_page(str(SCAN), 4)


def test_a_file_that_is_not_a_pdf(tmp_path):
    require_ocr()
    fake = tmp_path / "skan.pdf"
    fake.write_text("Konfiguracja Audacity nie jest trudna", encoding="utf-8")
    with pytest.raises(DocumentError, match="cannot open the PDF"):
        ocr.ocr_page(str(fake), 1)
    with pytest.raises(DocumentError, match="no such file"):
        ocr.ocr_page(str(tmp_path / "brak.pdf"), 1)


def test_blank_and_poster_pages(tmp_path):
    require_ocr()
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    pdf.new_page(595, 842)  # A4, in points
    pdf.new_page(2384, 3370)  # A0: 300 dpi would be 139 million pixels
    pdf.save(tmp_path / "pusty.pdf")
    assert ocr.ocr_page(str(tmp_path / "pusty.pdf"), 1) == ""
    _, width, height, _, dpi = ocr._render(str(tmp_path / "pusty.pdf"), 2)
    assert (width - 1) * (height - 1) <= ocr.MAX_PIXELS and dpi < ocr.DPI  # rounded up to whole pixels


def test_a_missing_polish_model_is_named(tmp_path, monkeypatch):
    require_ocr()
    (tmp_path / "eng.traineddata").write_bytes(b"")  # a tessdata folder without Polish
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    message = ocr.unavailable()
    assert "pol.traineddata" in message and str(tmp_path) in message
    assert "apt-get install tesseract-ocr-pol" in message
    with pytest.raises(DocumentError, match="tesseract-ocr-pol"):
        ocr.engine_signature()


def test_the_model_is_found_where_tessdata_prefix_points(tmp_path, monkeypatch):
    require_ocr()
    (tmp_path / "tessdata").mkdir()
    (tmp_path / "tessdata" / "pol.traineddata").write_bytes(b"model")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # the parent folder works too
    assert ocr.unavailable() is None


def test_without_tesseract_the_message_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tesserocr", None)  # makes "import tesserocr" fail
    monkeypatch.setenv("PATH", str(tmp_path))  # and no tesseract command
    assert ocr.unavailable().startswith(
        "OCR needs Tesseract with its Polish model: apt-get install tesseract-ocr "
        "tesseract-ocr-pol")


def test_the_command_serves_when_the_library_is_absent(monkeypatch):
    import shutil
    if not shutil.which("tesseract"):
        pytest.skip("the tesseract command is not installed (apt-get install tesseract-ocr)")
    monkeypatch.setitem(sys.modules, "tesserocr", None)
    assert ocr.engine() == "command"
    assert "(command)" in ocr.engine_signature() or ocr.unavailable()


def test_signature_changes_with_resolution(monkeypatch):
    require_ocr()
    before = ocr.engine_signature()
    assert "tesseract 5." in before and "pol" in before and f"{ocr.DPI}dpi" in before
    monkeypatch.setattr(ocr, "DPI", 200)
    assert ocr.engine_signature() != before


def test_line_end_hyphenation_and_paragraphs():
    raw = ("Jest ona często ak-\ntualizowana.  Pakiet\u00a0debian-\nEdu\n\n"
           "wersja 1.2.4b-\n2.1\n \nz\u0307o\u0301łw\u200b\x0c")
    assert ocr.clean(raw) == ("Jest ona często aktualizowana. Pakiet debian- Edu\n"
                              "wersja 1.2.4b- 2.1\nżółw")
