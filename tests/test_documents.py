"""Documents in: decoding, metadata, JSON Lines, walking folders."""

from __future__ import annotations

import os
import unicodedata

import pytest

from searchkit.documents import (DocumentError, Source, decode, find_sources, read_source,
                                 split_metadata)

from conftest import SEEDS, SEED_ID

POLISH = "Zażółć gęślą jaźń. Żółw płynie, źrebię śpi."


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1250", "iso-8859-2", "utf-16"])
def test_decodes_polish_encodings(encoding):
    text, warning = decode(POLISH.encode(encoding))
    assert text == POLISH
    assert warning is None


def test_windows_1250_and_iso_8859_2_are_told_apart():
    # ś, ź, ą differ between the two; a wrong guess would give "¶wiat" or "œwiat".
    for enc in ("cp1250", "iso-8859-2"):
        assert decode("Świat źle ściąga ąę".encode(enc))[0] == "Świat źle ściąga ąę"


def test_decomposed_text_is_composed():
    nfd = unicodedata.normalize("NFD", "żółw")
    assert len(nfd) > len("żółw")
    assert decode(nfd.encode("utf-8"))[0] == "żółw"


def test_invalid_utf8_bytes_are_replaced_with_a_warning():
    data = "Żółw i żaba ".encode() * 20 + b"\xff\xfe broken"
    text, warning = decode(data)
    assert "Żółw" in text and "\ufffd" in text
    assert "invalid UTF-8" in warning


def test_utf8_with_as_many_broken_bytes_as_polish_letters_stays_utf8(make_index):
    # Three valid multi-byte letters (ł, ę, ó) against three broken bytes: the
    # valid sequences are the evidence, not the count of each.
    data = b"Tekst z b\xc5\x82\xc4\x99dem \xff\xfe w \x80 srodku; poprawne: kr\xc3\xb3lewski."
    text, warning = decode(data)
    assert "błędem" in text and "królewski" in text and text.count("\ufffd") == 3
    assert "invalid UTF-8" in warning
    from searchkit.search import Searcher
    with Searcher(make_index({"zepsuty.txt": b"Tytul\n\n" + data})) as s:
        assert [h.id for h in s.search("królewski").hits] == ["zepsuty.txt"]


@pytest.mark.parametrize("encoding", ["cp1250", "iso-8859-2"])
def test_real_polish_paragraphs_in_8_bit_encodings_are_not_taken_for_utf8(encoding):
    import gzip
    import json

    from conftest import SHARED, require_shared
    path = require_shared(SHARED / "data" / "wikisource" / "paragraphs.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for _, line in zip(range(2000), f)]
    wrong = [t for t in texts if t.isascii() is False and _encodable(t, encoding)
             and decode(t.encode(encoding))[0] != t]
    assert wrong == []


def _encodable(text, encoding):
    try:
        text.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def test_a_few_nul_bytes_are_removed_with_a_warning():
    text, warning = decode(("ala ma kota " * 50).encode() + b"\x00")
    assert "\x00" not in text
    assert "NUL" in warning


def test_binary_data_is_refused():
    with pytest.raises(DocumentError, match="binary"):
        decode(bytes(range(256)) * 40)
    with pytest.raises(DocumentError, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n" + b"\x00\x01\x02\x03" * 100)


def test_control_characters_are_kept_in_text():
    # Stored intact (printers escape them); only decoding problems are fixed.
    assert decode("kolor \x1b[31mczerwony".encode())[0] == "kolor \x1b[31mczerwony"


# ------------------------------------------------------------------ metadata

def test_seed_date_line_is_metadata_not_title():
    text = (SEEDS / SEED_ID).read_text(encoding="utf-8")
    title, date, body = split_metadata(text)
    assert date == "2022-01"
    assert title.startswith("Stany Zjednoczone mają zastrzeżenia")
    assert "date" not in title and "2022" not in title
    assert body.startswith("Prezydent Kazachstanu")


def test_front_matter_and_markdown_heading():
    title, date, body = split_metadata("---\ntitle: \"Raport\"\ndate: 2021-03-04\n---\n# Nagłówek\n\nTreść.")
    assert (title, date) == ("Raport", "2021-03-04")
    assert "Treść." in body
    assert split_metadata("# Nagłówek drugi\n\nTreść.")[:2] == ("Nagłówek drugi", None)


def test_first_line_is_the_title():
    assert split_metadata("\n\nTytuł\nPierwsze zdanie.\nDrugie.") == (
        "Tytuł", None, "Pierwsze zdanie.\nDrugie.")


# ------------------------------------------------------------------ sources

def _source(path, root=None) -> Source:
    st = os.stat(path)
    kind = "jsonl" if str(path).endswith(".jsonl") else "text"
    return Source(str(path), str(root or path), kind, st.st_mtime_ns, st.st_size)


def test_jsonl_documents_keep_their_ids_and_report_bad_lines(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a1", "title": "Tytuł", "text": "Treść", "date": "2020"}\n'
                    "{not json}\n"
                    '{"title": "bez id", "text": "x"}\n'
                    '{"id": 7, "text": "liczba jako id"}\n', encoding="utf-8")
    warnings = []
    docs = read_source(_source(path), lambda w, m, skipped=False: warnings.append((w, m, skipped)))
    assert [(d.id, d.title, d.date, d.line) for d in docs] == [
        ("a1", "Tytuł", "2020", 1), ("7", "", None, 4)]
    assert [(w, skipped) for w, _, skipped in warnings] == [(f"{path}:2", True),
                                                            (f"{path}:3", True)]
    assert "malformed JSON" in warnings[0][1]


def test_jsonl_text_may_hold_unicode_line_separators(tmp_path):
    path = tmp_path / "c.jsonl"
    # Raw U+2028 and U+0085 inside a JSON string are legal JSON;
    # Windows line ends too.
    path.write_bytes('{"id": "a", "text": "jeden\u2028dwa\x85trzy"}\r\n'
                     '{"id": "b", "text": "pięć"}\r\n'.encode("utf-8"))
    warnings = []
    docs = read_source(_source(path), lambda w, m, skipped=False: warnings.append((w, m)))
    assert [(d.id, d.text, d.line) for d in docs] == [
        ("a", "jeden\u2028dwa\x85trzy", 1), ("b", "pięć", 2)]
    assert warnings == []
    path.write_bytes('{"id": "a", "text": "raz"}\r{"id": "b", "text": "dwa"}\r'.encode())
    assert [d.id for d in read_source(_source(path), lambda *a, **k: None)] == ["a", "b"]


def test_empty_file_is_skipped(tmp_path):
    (tmp_path / "e.txt").write_text("  \n")
    with pytest.raises(DocumentError, match="empty"):
        read_source(_source(tmp_path / "e.txt"), lambda w, m, skipped=False: None)


def test_walk_finds_document_formats_but_not_hidden_or_other_files(tmp_path):
    for name in ["a.txt", "b.md", "c.jsonl", "d.pdf", "d.png", "style.css", ".hidden.txt",
                 "sub/e.TXT", ".git/f.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = sorted(s.text_id() for s in find_sources([str(tmp_path)], lambda w, m, skipped=False: None))
    assert found == ["a.txt", "b.md", "c.jsonl", "d.pdf", "sub/e.TXT"]


def test_symlink_loop_is_reported_not_followed(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "doc.txt").write_text("tekst")
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    warnings = []
    found = [s.text_id() for s in find_sources([str(tmp_path)],
                                               lambda w, m, skipped=False: warnings.append((w, m, skipped)))]
    assert found == ["a/doc.txt"]
    assert len(warnings) == 1 and "loop" in warnings[0][1] and warnings[0][2]


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(DocumentError, match="no such file"):
        list(find_sources([str(tmp_path / "nope")], lambda w, m, skipped=False: None))


def test_a_file_name_that_is_not_utf8_is_skipped_with_a_warning(tmp_path, make_index):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "dobry.txt").write_text("Tytuł\n\nTreść.", encoding="utf-8")
    with open(os.path.join(os.fsencode(folder), b"z\xb3y.txt"), "wb") as f:  # cp1250 "zły"
        f.write(b"Tekst")
    warnings = []
    found = [s.text_id() for s in find_sources(
        [str(folder)], lambda w, m, skipped=False: warnings.append((w, m, skipped)))]
    assert found == ["dobry.txt"]
    [(where, message, skipped)] = warnings
    assert skipped and "not valid UTF-8" in message and where.encode("utf-8")  # printable
