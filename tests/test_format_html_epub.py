"""HTML and EPUB readers: visible text only, blocks on their own lines,
charsets, metadata, books in reading order, and hostile zips."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest

from searchkit.documents import epub, html
from searchkit.documents.html import iso_date, parse_html
from searchkit.documents.model import Blob, Context, DocumentError

from conftest import SHARED, require_shared

DOCS = SHARED / "data" / "documents"
POLISH = "Zażółć gęślą jaźń. Żółw płynie, źrebię śpi."


def read(module, path: Path, warnings: list | None = None):
    ctx = Context(warn=(warnings if warnings is not None else []).append, nested=None)
    items = list(module.read(Blob(path.name, path=str(path)), ctx))
    assert len(items) == 1
    return items[0]


def flat(text: str) -> str:
    return " ".join(text.split())


def page(body: str, head: str = "") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


# --------------------------------------------------------------------- real files

def known_sentences():
    rows = []
    if DOCS.exists():
        with open(DOCS / "known-sentences.tsv", encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                rows += [(row["id"], name, row["text"]) for name in row["files"].split(",")
                         if name.endswith((".html", ".epub"))]
    return rows or [pytest.param(None, None, None, marks=pytest.mark.skip(
        reason=f"{DOCS} is absent: the shared data folder (../shared) is not here"))]


@pytest.mark.shared
@pytest.mark.parametrize("sid, name, sentence", known_sentences())
def test_known_sentence_is_found(sid, name, sentence):
    warnings = []
    doc = read(epub if name.endswith(".epub") else html, require_shared(DOCS) / name, warnings)
    assert sentence in flat(doc.text), sid
    assert warnings == []


@pytest.mark.shared
@pytest.mark.parametrize("name", ["kicad/pl_editor.html", "kicad/getting_started_in_kicad.html",
                                  "kicad/pl_editor.epub", "audacity/audacity-manual.html",
                                  "audacity/audacity-manual.epub"])
def test_no_css_or_script_in_the_text(name):
    doc = read(epub if name.endswith(".epub") else html, require_shared(DOCS) / name)
    for noise in ("font-family", "googleapis", "text-decoration", "max-width"):
        assert noise not in doc.text
    # the one brace the page shows: "${KIPRJMOD}" inside <code>
    assert "{" not in doc.text.replace("${KIPRJMOD}", "")


@pytest.mark.shared
def test_blocks_of_the_real_pages_stay_apart():
    doc = read(html, require_shared(DOCS) / "kicad/pl_editor.html")
    lines = doc.text.split("\n")
    # the table of contents: one entry per line, not "...Pl_Editor2. Pliki..."
    assert "1. Wprowadzenie do programu Pl_Editor" in lines
    assert "2. Pliki obsługiwane przez Pl_Editor" in lines
    assert all(line == line.strip() and "  " not in line for line in lines)


@pytest.mark.shared
def test_source_line_breaks_inside_a_paragraph_are_spaces():
    # "opartego na wersji 1.2.4b-2.1+b1 z<newline>wydania Debian Edu" in the file
    doc = read(html, require_shared(DOCS) / "audacity/audacity-manual.html")
    assert "1.2.4b-2.1+b1 z wydania Debian Edu Etch 3.0." in doc.text


@pytest.mark.shared
@pytest.mark.parametrize("name, title, author", [
    ("audacity/audacity-manual.html", "Podręcznik Debian Edu / Skolelinux Audacity", None),
    ("audacity/audacity-manual.epub", "Podręcznik Debian Edu / Skolelinux Audacity", None),
    ("kicad/pl_editor.html", "Drawing Sheet Editor", "The KiCad Team"),
    ("kicad/pl_editor.epub", "Drawing Sheet Editor", "The KiCad Team"),
    ("kicad/getting_started_in_kicad.html", "Wprowadzenie do programu KiCad", "The KiCad Team"),
])
def test_title_and_author(name, title, author):
    doc = read(epub if name.endswith(".epub") else html, require_shared(DOCS) / name)
    assert (doc.title, doc.author) == (title, author)
    assert doc.type == name.rsplit(".", 1)[1]


@pytest.mark.shared
@pytest.mark.parametrize("name", ["kicad/pl_editor.html", "kicad/pl_editor.epub",
                                  "kicad/getting_started_in_kicad.html"])
def test_zero_width_and_no_break_spaces_are_gone(name):
    doc = read(epub if name.endswith(".epub") else html, require_shared(DOCS) / name)
    assert "\u200b" not in doc.text and "\u00a0" not in doc.text
    if "pl_editor" in name:
        # "0…&#8203;9" in the page: the zero-width space must not split the range
        assert "(x = 0…9 określa numer komentarza)" in doc.text


@pytest.mark.shared
def test_epub_with_every_entry_under_a_folder():
    # The Audacity EPUB keeps epub/META-INF/container.xml, not META-INF/container.xml.
    doc = read(epub, require_shared(DOCS) / "audacity/audacity-manual.epub")
    text = flat(doc.text)
    # first and last chapter of the spine, in that order
    first, last = "Jest ona często aktualizowana.", "END OF TERMS AND CONDITIONS"
    assert 0 < text.index(first) < text.index(last)


@pytest.mark.shared
def test_zip_bomb_is_refused_quickly_with_little_memory():
    bomb = require_shared(DOCS) / "bad" / "zip-bomb-1GiB.epub"
    script = textwrap.dedent(f"""
        import resource, time
        from searchkit.documents import epub
        from searchkit.documents.model import Blob, Context, DocumentError
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.monotonic()
        try:
            list(epub.read(Blob("b.epub", path={str(bomb)!r}), Context(warn=print, nested=None)))
        except DocumentError as e:
            print("refused:", e)
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print("grown_mb", grown // 1024, "seconds", round(time.monotonic() - start, 2))
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "refused:" in done.stdout and "zip bomb" in done.stdout
    fields = done.stdout.split()
    grown_mb, seconds = int(fields[fields.index("grown_mb") + 1]), float(fields[-1])
    assert grown_mb < 300, done.stdout
    assert seconds < 10, done.stdout


# --------------------------------------------------------------------- text

def test_blocks_break_lines_and_inline_elements_do_not_break_words():
    doc = parse_html(page("<div><p>Pierwsze zdanie</p>drugie<p>trzecie<br>czwarte</p></div>"
                          "<ul><li>jeden</li><li>dwa</li></ul>"
                          "<table><tr><td>komórka</td><td>obok</td></tr></table>"
                          "<h2>Zaż<b>ół</b>ć <i>g</i>ęślą <a href='#'>jaźń</a></h2>"))
    assert doc.text.split("\n") == ["Pierwsze zdanie", "drugie", "trzecie", "czwarte", "jeden",
                                    "dwa", "komórka", "obok", "Zażółć gęślą jaźń"]
    assert doc.type == "html"


def test_scripts_styles_and_page_furniture_are_dropped():
    body = """
        <header><a href="/">Portal</a> Menu główne</header>
        <nav><a href="/a">Nawigacja</a></nav>
        <div role="navigation">Okruszki</div>
        <script>var tekst = "skrypt";</script><style>p { color: red }</style>
        <noscript>Włącz JavaScript</noscript><template><p>szablon</p></template>
        <svg><text>obrazek</text></svg>
        <main><article>
          <header><h1>Tytuł artykułu</h1></header>
          <p>Treść artykułu.</p><p hidden>ukryte</p><p style="display: none">niewidoczne</p>
          <footer>Autor artykułu</footer>
        </article></main>
        <aside>Reklama</aside>
        <footer>Stopka portalu</footer>"""
    text = parse_html(page(body, head="<title>T</title><style>body{}</style>")).text
    # the article's own header and footer stay: they hold its title and byline
    assert text.split("\n") == ["Tytuł artykułu", "Treść artykułu.", "Autor artykułu"]


def test_a_page_that_is_all_furniture_keeps_its_text():
    assert parse_html(page("<header><p>Tylko nagłówek</p></header>")).text == "Tylko nagłówek"


def test_preformatted_text_keeps_its_lines():
    doc = parse_html(page("<p>akapit\nw dwóch liniach</p><pre>linia 1\n  linia   2</pre>"))
    assert doc.text.split("\n") == ["akapit w dwóch liniach", "linia 1", "linia 2"]


def test_entities_invisible_characters_and_normal_form():
    nfd = "z\u0307o\u0301łw"  # "żółw" decomposed
    doc = parse_html(page(f"<p>a&nbsp;b &amp; c&#8203;d zaż&shy;ółć {nfd}\u0007</p>"))
    assert doc.text == "a b & cd zażółć żółw"


def test_xhtml_self_closed_script_does_not_hide_the_page():
    data = ('<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            '<head><title>Rozdział</title><script src="a.js"/></head>'
            '<body><script src="b.js"/><p>Treść rozdziału.</p></body></html>').encode()
    doc = parse_html(data)
    assert (doc.title, doc.text) == ("Rozdział", "Treść rozdziału.")


def test_hundreds_of_unclosed_tags_lose_no_text():
    # Old pages never close <font>: the nesting grows with every paragraph.
    body = "".join(f"<p><font face=Arial>akapit {i}" for i in range(2000))
    lines = parse_html(page(body)).text.split("\n")
    assert len(lines) == 2000 and lines[-1] == "akapit 1999"


def test_title_falls_back_to_the_first_heading():
    assert parse_html(page("<p>wstęp</p><h1>Nagłówek <b>strony</b></h1>")).title == \
        "Nagłówek strony"
    assert parse_html(page("<h1>H</h1>", head="<title> Tytuł\n strony </title>")).title == \
        "Tytuł strony"


def test_empty_page_is_an_error_for_the_reader(tmp_path):
    path = tmp_path / "pusta.html"
    path.write_bytes(page("<script>x()</script>"))
    with pytest.raises(DocumentError, match="no text"):
        read(html, path)


# --------------------------------------------------------------------- charset

def test_iso_8859_2_page_with_meta_charset():
    data = page(f"<p>{POLISH}</p>", head='<meta charset="iso-8859-2">').decode()
    assert parse_html(data.encode("iso-8859-2")).text == POLISH


def test_windows_1250_page_with_http_equiv():
    head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1250">'
    data = page(f"<p>{POLISH}</p>", head=f"<title>Świat</title>{head}").decode()
    doc = parse_html(data.encode("cp1250"))
    assert (doc.title, doc.text) == ("Świat", POLISH)


def test_utf8_page_without_declaration():
    assert parse_html(page(f"<p>{POLISH}</p>")).text == POLISH


def test_undeclared_8bit_page_is_guessed(tmp_path):
    path = tmp_path / "stara.html"
    path.write_bytes(page(f"<p>{POLISH}</p>").decode().encode("cp1250"))
    assert read(html, path).text == POLISH


def test_given_charset_wins_over_the_page():
    # an e-mail part's Content-Type charset is what its bytes were written in
    data = page(f"<p>{POLISH}</p>", head='<meta charset="utf-8">').decode().encode("iso-8859-2")
    assert parse_html(data, charset="iso-8859-2").text == POLISH


def test_iso_8859_2_label_on_windows_1250_bytes():
    # Common on Polish sites: ś and ź are 0x9C/0x9F in Windows-1250, C1 controls in ISO-8859-2.
    data = page(f"<p>{POLISH}</p>", head='<meta charset="iso-8859-2">').decode().encode("cp1250")
    assert parse_html(data).text == POLISH


def test_utf16_declared_in_ascii_bytes_is_read_as_utf8():
    data = page(f"<p>{POLISH}</p>", head='<meta charset="utf-16">')
    data += b"\n" * (len(data) % 2)  # even length: as UTF-16 it would decode, to garbage
    assert parse_html(data).text == POLISH


def test_byte_order_mark_wins():
    data = page(f"<p>{POLISH}</p>", head='<meta charset="iso-8859-2">').decode()
    assert parse_html(data.encode("utf-16")).text == POLISH


# --------------------------------------------------------------------- metadata

def test_author_and_date_from_meta_tags():
    head = ('<meta name="author" content="Jan Kowalski">'
            '<meta property="og:updated_time" content="2024-03-01T10:00:00+01:00">'
            '<meta property="article:published_time" content="2023-11-05T08:00:00Z">')
    doc = parse_html(page("<p>x</p>", head=head))
    assert (doc.author, doc.date) == ("Jan Kowalski", "2023-11-05")


def test_dublin_core_and_a_profile_url_as_author():
    head = ('<meta property="article:author" content="https://example.org/jan">'
            '<meta name="DC.Creator" content="Anna Nowak"><meta name="DC.Date" content="2021-07">')
    doc = parse_html(page("<p>x</p>", head=head))
    assert (doc.author, doc.date) == ("Anna Nowak", "2021-07")


def test_date_from_a_publication_time_element_only():
    assert parse_html(page('<time datetime="2020-01-02">2 stycznia</time><p>x</p>')).date is None
    doc = parse_html(page('<article><time pubdate datetime="2019-12-24T18:00">wczoraj</time>'
                          '<p>x</p></article>'))
    assert doc.date == "2019-12-24"


@pytest.mark.parametrize("value, expected", [
    ("2024-01-15T10:30:00+01:00", "2024-01-15"),
    ("2024-01-15 10:30", "2024-01-15"),
    ("2024/1/5", "2024-01-05"),
    ("2024-01", "2024-01"),
    ("2024", "2024"),
    ("20240115", "2024-01-15"),
    ("15.01.2024", "2024-01-15"),
    ("Mon, 15 Jan 2024 10:30:00 GMT", "2024-01-15"),
    ("2024-02-30", None),
    ("0000-00-00", None),
    ("jutro", None),
    ("", None),
])
def test_iso_date(value, expected):
    assert iso_date(value) == expected


# --------------------------------------------------------------------- EPUB

OPF = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf"
         xmlns:opf="http://www.idpf.org/2007/opf" version="2.0">
 <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:title>Pan Tadeusz</dc:title>
  <dc:creator opf:role="aut">Adam Mickiewicz</dc:creator>
  <dc:creator opf:role="ill">Michał Andriolli</dc:creator>
  <dc:date opf:event="modification">2020-05-05</dc:date>
  <dc:date opf:event="publication">1834-06-28</dc:date>
 </metadata>
 <manifest>{items}</manifest>
 <spine>{refs}</spine>
</package>"""
CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
 <rootfiles><rootfile full-path="{opf}" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""


def chapter(title: str, body: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            f'<head><title>{title}</title></head><body>{body}</body></html>')


def make_epub(path: Path, chapters: dict[str, str | bytes], spine: list[str], *, prefix: str = "",
              opf: str = "OEBPS/content.opf", container: bool = True) -> Path:
    """An EPUB whose manifest lists ``chapters`` in their dict order, the spine in ``spine``'s."""
    items = "".join(f'<item id="c{i}" href="{href}" media-type="application/xhtml+xml"/>'
                    for i, href in enumerate(chapters))
    ids = {href: f"c{i}" for i, href in enumerate(chapters)}
    refs = "".join(f'<itemref idref="{ids[href]}"/>' for href in spine)
    folder = opf.rpartition("/")[0]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(prefix + "mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        if container:
            z.writestr(prefix + "META-INF/container.xml", CONTAINER.format(opf=opf))
        z.writestr(prefix + opf, OPF.format(items=items, refs=refs))
        for href, xhtml in chapters.items():
            z.writestr(prefix + (folder + "/" if folder else "") + unquote(href), xhtml)
    return path


CHAPTERS = {
    "text/inwokacja.xhtml": chapter("Inwokacja", "<h1>Inwokacja</h1><p>Litwo! Ojczyzno moja!</p>"),
    "text/ksi%C4%99ga%20pierwsza.xhtml": chapter(
        "Księga pierwsza", "<h1>Gospodarstwo</h1><p>Kto zna kraj, gdzie cytryna dojrzewa.</p>"),
    "epilog.xhtml": chapter("Epilog", '<p>O tem-że dumać<a href="#p1">1</a></p>'
                            '<aside id="p1">Przypis do epilogu.</aside>'),
}


def test_epub_chapters_follow_the_spine_not_the_manifest(tmp_path):
    spine = ["epilog.xhtml", "text/inwokacja.xhtml", "text/ksi%C4%99ga%20pierwsza.xhtml"]
    warnings = []
    doc = read(epub, make_epub(tmp_path / "book.epub", CHAPTERS, spine), warnings)
    assert doc.text.split("\n\n") == [
        "O tem-że dumać1\nPrzypis do epilogu.",  # in a book, an <aside> is a footnote: kept
        "Inwokacja\nLitwo! Ojczyzno moja!",
        "Gospodarstwo\nKto zna kraj, gdzie cytryna dojrzewa."]
    assert (doc.title, doc.author, doc.date, doc.type) == \
        ("Pan Tadeusz", "Adam Mickiewicz", "1834-06-28", "epub")
    assert warnings == []


def test_epub_under_a_folder_with_the_package_at_the_root_of_it(tmp_path):
    path = make_epub(tmp_path / "book.epub", CHAPTERS, list(CHAPTERS), prefix="book/",
                     opf="content.opf")
    assert "Litwo! Ojczyzno moja!" in read(epub, path).text


def test_epub_missing_chapter_is_a_warning(tmp_path):
    path = make_epub(tmp_path / "book.epub", CHAPTERS, list(CHAPTERS))
    with zipfile.ZipFile(path) as z:
        entries = {n: z.read(n) for n in z.namelist() if not n.endswith("epilog.xhtml")}
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    warnings = []
    doc = read(epub, path, warnings)
    assert "Litwo! Ojczyzno moja!" in doc.text
    assert warnings == ["chapter OEBPS/epilog.xhtml is missing"]


def test_epub_binary_chapter_is_a_warning(tmp_path):
    chapters = {**CHAPTERS, "epilog.xhtml": bytes(range(256)) * 40}
    warnings = []
    doc = read(epub, make_epub(tmp_path / "book.epub", chapters, list(chapters)), warnings)
    assert "Litwo! Ojczyzno moja!" in doc.text
    assert len(warnings) == 1 and warnings[0].startswith("OEBPS/epilog.xhtml: binary file")


def test_epub_without_container_or_package_is_refused(tmp_path):
    path = make_epub(tmp_path / "a.epub", CHAPTERS, list(CHAPTERS), container=False)
    with pytest.raises(DocumentError, match="not a valid EPUB .*container.xml"):
        read(epub, path)
    path = tmp_path / "b.epub"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("META-INF/container.xml", CONTAINER.format(opf="OEBPS/content.opf"))
    with pytest.raises(DocumentError, match="not a valid EPUB .*content.opf"):
        read(epub, path)


def test_epub_that_is_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "c.epub"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DocumentError, match="not a valid EPUB"):
        read(epub, path)


def test_epub_inflating_past_the_limit_is_refused(tmp_path):
    bomb = chapter("B", "<p>" + "a" * (epub.MAX_EPUB_TEXT_BYTES + 1024) + "</p>")
    path = make_epub(tmp_path / "bomb.epub", {"b.xhtml": bomb}, ["b.xhtml"])
    assert path.stat().st_size < 1 << 20
    with pytest.raises(DocumentError, match="zip bomb"):
        read(epub, path)
