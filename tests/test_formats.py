"""Documents of every format through the whole product: detected by content,
indexed, found, shown by page; bad files cost one warning line each.

Each format's own reader has its own test file (test_format_*.py); this one
runs the installed command on real documents, as a user would.
"""

from __future__ import annotations

import csv
import os
import json
import shutil
import subprocess

import pytest

from conftest import SHARED, make_pdf, require_shared, searchkit_command

DOCUMENTS = SHARED / "data" / "documents"
K01 = "Konfiguracja Audacity nie jest trudna"


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def sk(*args, timeout=300):
    return subprocess.run([searchkit_command(), *args], capture_output=True, text=True,
                          timeout=timeout)


def known_sentences() -> dict[str, dict]:
    with open(DOCUMENTS / "known-sentences.tsv", encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f, delimiter="\t")}


@pytest.fixture(scope="module")
def shared_index(tmp_path_factory):
    """Every folder of ../shared/data/documents indexed by the installed command."""
    require_shared(DOCUMENTS)
    folder = tmp_path_factory.mktemp("documents") / "index"
    folders = [str(DOCUMENTS / name) for name in ("audacity", "kicad", "email", "scanned", "bad")]
    done = sk("index", *folders, "--index", str(folder))
    return str(folder), done


def page_with(pdf, sentence: str) -> int | None:
    """The page poppler's pdftotext finds ``sentence`` on: a second opinion."""
    pages = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True).stdout.splitlines()
        if line.startswith("Pages:")))
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              capture_output=True, text=True).stdout
        if sentence in " ".join(text.split()):
            return page
    return None


def test_bad_files_cost_one_line_each_and_the_rest_is_indexed(shared_index):
    folder, done = shared_index
    assert done.returncode == 1, done.stderr  # something was skipped: exit 1, as documented
    lines = done.stderr.splitlines()
    for name in ("empty.docx", "encrypted-user-password.pdf", "missing-document-xml.docx",
                 "zip-bomb-1GiB.epub"):
        mine = [line for line in lines if name in line]
        assert len(mine) == 1 and "skipped:" in mine[0], (name, lines)
    assert "password" in next(line for line in lines if "encrypted-user-password" in line)
    for name in ("truncated-audacity-manual.pdf", "plain-text-named.pdf",
                 "encrypted-owner-password-only.pdf"):
        assert len([line for line in lines if name in line]) <= 1, (name, lines)
    assert not any("Traceback" in line or "internal error" in line for line in lines)
    info = json.loads(sk("info", "--index", folder, "--json").stdout)
    assert {"pdf", "docx", "odt", "rtf", "html", "epub", "email"} <= set(info["types"])
    assert info["types"]["email"] >= 7  # 4 .eml + 3 mbox messages


def test_a_sentence_is_found_in_every_format_and_the_pdf_hit_cites_its_page(shared_index):
    folder, _ = shared_index
    r = sk("search", f'"{K01}"', "--index", folder, "--json", "-n", "50")
    assert r.returncode == 0, r.stderr
    hits = {h["id"]: h for h in jsonl(r.stdout) if h["type"] == "hit"}
    for name in ("pdf", "epub", "html", "docx", "odt", "rtf"):
        assert f"audacity-manual.{name}" in hits, (name, sorted(hits))
        assert hits[f"audacity-manual.{name}"]["format"] == name
    if shutil.which("antiword"):
        assert "audacity-manual.doc" in hits
    # e-mail 03 carries the manual as an attachment: its own document
    assert "03-multipart-html-with-docx-attachment.eml/Podręcznik Audacity.docx" in hits
    pdf = hits["audacity-manual.pdf"]
    pages = {p["page"] for p in pdf["passages"] if K01 in " ".join(p["text"].split())}
    assert pages and None not in pages
    if shutil.which("pdftotext"):
        assert pages == {page_with(DOCUMENTS / "audacity" / "audacity-manual.pdf", K01)}
    # the text printer says so too
    text = sk("search", f'"{K01}"', "--index", folder, "-n", "50", "--color", "never").stdout
    block = text.split("audacity-manual.pdf", 1)[1].split("\n\n", 1)[0]
    assert f"p. {min(pages)}  " in block


def test_every_known_sentence_is_found_where_the_data_says(shared_index):
    folder, _ = shared_index
    for key, row in known_sentences().items():
        files = [f for f in row["files"].split(",") if f and not f.endswith(".doc")]
        r = sk("search", f'"{row["text"]}"', "--index", folder, "-l", "-n", "100")
        found = set(r.stdout.split("\n"))
        for f in files:
            doc_id = f.split("/", 1)[1]
            if doc_id.endswith(".mbox"):  # its messages are documents of their own
                assert any(i.startswith(doc_id + "/") for i in found), (key, f, found)
            else:
                assert doc_id in found, (key, f, found)


def test_show_prints_one_page(shared_index):
    folder, _ = shared_index
    page = json.loads(sk("search", f'"{K01}" type:pdf', "--index", folder, "--json").stdout
                      .splitlines()[0])["passages"][0]["page"]
    r = sk("show", "audacity-manual.pdf", "--page", str(page), "--index", folder)
    assert r.returncode == 0
    assert K01 in " ".join(r.stdout.split())
    whole = sk("show", "audacity-manual.pdf", "--index", folder).stdout
    assert len(r.stdout) < len(whole) / 3
    doc = json.loads(sk("show", "audacity-manual.pdf", "--page", str(page), "--index", folder,
                        "--json").stdout)
    assert doc["page"] == page and doc["pages"] > page and doc["format"] == "pdf"
    bad = sk("show", "audacity-manual.pdf", "--page", "999", "--index", folder)
    assert bad.returncode == 2 and "no page 999" in bad.stderr
    bad = sk("show", "audacity-manual.html", "--page", "1", "--index", folder)
    assert bad.returncode == 2 and "no pages" in bad.stderr


def test_scanned_attachments_are_not_promised_to_ocr(tmp_path, scan_folder):
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["Subject"] = "Jan <jan@example.org>", "Skan umowy"
    message.set_content("W załączniku skan.")
    message.add_attachment((scan_folder / "skan.pdf").read_bytes(), maintype="application",
                           subtype="pdf", filename="skan.pdf")
    (scan_folder / "skan.pdf").unlink()
    (scan_folder / "list.eml").write_bytes(bytes(message))
    done = sk("index", str(scan_folder), "--index", str(tmp_path / "index"))
    assert done.returncode == 0 and "note:" not in done.stderr, done.stderr
    ids = sk("search", "type:pdf", "--index", str(tmp_path / "index"), "-l").stdout.split()
    assert ids == ["list.eml/skan.pdf"]


def test_type_author_and_date_fields_narrow_a_search_down(shared_index):
    folder, _ = shared_index
    r = sk("search", "Audacity type:pdf", "--index", folder, "--json", "-n", "50")
    formats = {h["format"] for h in jsonl(r.stdout) if h["type"] == "hit"}
    assert formats == {"pdf"}
    r = sk("search", "Audacity type:pdf type:DOCX", "--index", folder, "--json", "-n", "50")
    formats = {h["format"] for h in jsonl(r.stdout) if h["type"] == "hit"}
    assert formats == {"pdf", "docx"}  # two values of one field: either
    r = sk("search", "type:email", "--index", folder, "-l", "-n", "50")
    assert len(r.stdout.split()) >= 7
    # e-mail 04's sender, only in its headers (k12)
    r = sk("search", "author:Świątek-Przykładowa", "--index", folder, "-l")
    assert "04-rfc2047-encoded-subject-and-from.eml" in r.stdout.split()
    r = sk("search", "author:Swiatek", "--index", folder, "-l")  # typed without diacritics
    assert "04-rfc2047-encoded-subject-and-from.eml" in r.stdout.split()
    r = sk("search", "Audacity type:eml", "--index", folder)
    assert r.returncode == 2 and "unknown type 'eml' (types: text, pdf" in r.stderr
    r = sk("search", "date:2024-01", "--index", folder, "-l", "-n", "50")
    assert "01-plain-utf8-quoted-printable.eml" in r.stdout.split()


def test_scanned_pages_are_named_with_how_to_ocr_them(shared_index):
    _, done = shared_index
    note = [line for line in done.stderr.splitlines() if "audacity-manual-scan.pdf" in line]
    assert len(note) == 1 and "--ocr" in note[0] and "3 pages" in note[0]


# ------------------------------------------------------- without ../shared

def test_content_decides_the_format_not_the_name(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "raport").write_bytes(make_pdf(["Sprawozdanie o Kazachstanie.", "Druga strona."],
                                           title="Raport"))
    (docs / "notatka.pdf").write_text("Notatka o Kazachstanie, zapisana jako tekst.",
                                      encoding="utf-8")
    (docs / "zdjecie.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    index = tmp_path / "index"
    done = sk("index", str(docs), "--index", str(index))
    assert done.returncode == 0, done.stderr
    hits = {h["id"]: h for h in jsonl(sk("search", "Kazachstan", "--index", str(index),
                                         "--json").stdout) if h["type"] == "hit"}
    assert hits["raport"]["format"] == "pdf" and hits["raport"]["title"] == "Raport"
    assert hits["raport"]["passages"][0]["page"] == 1
    assert hits["notatka.pdf"]["format"] == "text"
    assert "zdjecie.png" not in hits


def test_binary_files_without_an_extension_are_passed_over_without_a_word(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "program").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4)
    (docs / "obrazek").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (docs / "README").write_text("Notatka o Kazachstanie.\n\nBez rozszerzenia.",
                                 encoding="utf-8")
    done = sk("index", str(docs), "--index", str(tmp_path / "index"))
    assert done.returncode == 0, done.stderr
    assert "program" not in done.stderr and "obrazek" not in done.stderr
    assert sk("search", "Kazachstan", "--index", str(tmp_path / "index"), "-l").stdout == \
        "README\n"


def test_a_blank_last_page_is_still_a_page(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "raport.pdf").write_bytes(make_pdf(["Strona pierwsza.", "Strona druga.", ""]))
    index = str(tmp_path / "index")
    sk("index", str(docs), "--index", index)
    doc = json.loads(sk("show", "raport.pdf", "--index", index, "--json").stdout)
    assert doc["pages"] == 3
    page = sk("show", "raport.pdf", "--page", "3", "--index", index)
    assert page.returncode == 0 and "Strona" not in page.stdout.split("\n\n", 1)[1]


def test_page_numbers_of_a_long_pdf_survive_its_split_into_parts(tmp_path, monkeypatch):
    import searchkit.index
    from searchkit.index import update
    from searchkit.search import Searcher

    # Parts of a few pages each, so that page starts fall on part boundaries.
    monkeypatch.setattr(searchkit.index, "PART_CHARS", 300)
    pages = [f"Strona {n}. " + "Zwykle zdanie bez znaczenia. " * 5 +
             ("Tu jest Kazachstan." if n == 17 else "") for n in range(1, 41)]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "gruby.pdf").write_bytes(make_pdf(pages))
    update(str(tmp_path / "ix"), [str(docs)], warn=lambda *a, **k: None)
    with Searcher(str(tmp_path / "ix")) as s:
        hit = s.search("Kazachstan").hits[0]
        assert [p.page for p in hit.passages] == [17]
        doc = s.document("gruby.pdf")
        assert len(doc.pages) == 40
        assert all(doc.page(n).startswith(f"Strona {n}.") for n in range(1, 41))


# ------------------------------------------------------------------ OCR

def require_ocr():
    from searchkit.documents import ocr
    missing = ocr.unavailable()
    if missing:
        pytest.skip(missing)


@pytest.fixture
def scan_folder(tmp_path):
    require_shared(DOCUMENTS)
    folder = tmp_path / "skany"
    folder.mkdir()
    shutil.copyfile(DOCUMENTS / "scanned" / "audacity-manual-scan.pdf", folder / "skan.pdf")
    return folder


def test_ocr_makes_a_scan_searchable_and_never_reads_a_page_twice(tmp_path, scan_folder,
                                                                   monkeypatch):
    require_ocr()
    index = str(tmp_path / "index")
    first = sk("index", str(scan_folder), "--index", index)
    assert first.returncode == 0 and "--ocr" in first.stderr
    assert sk("search", f'"{K01}"', "--index", index).returncode == 1
    info = json.loads(sk("info", "--index", index, "--json").stdout)
    assert info["files_with_pages_without_text"] == 1
    # the file has not changed, but it has pages waiting for OCR: --ocr reads it again
    done = sk("index", str(scan_folder), "--index", index, "--ocr")
    assert done.returncode == 0, done.stderr
    assert "1 updated" in done.stderr and "note:" not in done.stderr
    hit = jsonl(sk("search", f'"{K01}"', "--index", index, "--json").stdout)[0]
    assert hit["id"] == "skan.pdf" and hit["passages"][0]["page"] == 1
    assert json.loads(sk("info", "--index", index, "--json").stdout)[
        "files_with_pages_without_text"] == 0

    # A rebuild finds every page in the index's OCR cache: no OCR runs at all.
    from searchkit.documents import ocr
    from searchkit.index import update

    def no_ocr(path, page):
        raise AssertionError("OCR ran again")

    monkeypatch.setattr(ocr, "ocr_page", no_ocr)
    summary = update(index, [str(scan_folder)], warn=lambda *a, **k: None, ocr=True,
                     rebuild=True)
    assert summary.ocr_pages == 0 and summary.documents == 1 and not summary.scanned
    hit = jsonl(sk("search", f'"{K01}"', "--index", index, "--json").stdout)[0]
    assert hit["passages"][0]["page"] == 1
    # An ordinary re-index of the touched file (no --ocr) reads it again and
    # finds its pages' text in the cache: the document is as it was.
    os.utime(scan_folder / "skan.pdf", (1, 1))
    again = sk("index", str(scan_folder), "--index", index)
    assert again.returncode == 0 and "1 unchanged" in again.stderr, again.stderr
    assert "note:" not in again.stderr
    assert sk("search", f'"{K01}"', "--index", index, "-l").stdout == "skan.pdf\n"


def test_ocr_without_tesseract_is_one_line_and_status_2(tmp_path, scan_folder):
    env = dict(os.environ, TESSDATA_PREFIX=str(tmp_path / "nowhere"))
    done = subprocess.run([searchkit_command(), "index", str(scan_folder), "--index",
                           str(tmp_path / "index"), "--ocr"], capture_output=True, text=True,
                          env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "tesseract-ocr-pol" in done.stderr
    assert not (tmp_path / "index").exists()  # nothing was started
