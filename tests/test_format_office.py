"""The office readers: DOCX, ODT, RTF and legacy DOC.

The shared Polish manual (the same text in every format) checks the known
sentences and metadata; small documents built here check what the manual
lacks: headers, footnotes, text boxes and tables read exactly once, deleted
revisions left out, and the broken and encrypted cases."""

from __future__ import annotations

import csv
import functools
import io
import re
import shutil
import struct
import unicodedata
import zipfile

import pytest
from conftest import SHARED, require_shared

from searchkit.documents import doc, docx, odt, rtf
from searchkit.documents.model import Blob, Context, DocumentError, EncryptedError
from searchkit.documents.zipped import Zip

DOCUMENTS = SHARED / "data" / "documents"
READERS = {"docx": docx, "odt": odt, "rtf": rtf, "doc": doc}
TITLE = "Podręcznik Debian Edu / Skolelinux Audacity"
ANTIWORD = shutil.which("antiword")
needs_antiword = pytest.mark.skipif(ANTIWORD is None, reason="antiword is not installed "
                                    "(apt-get install antiword): legacy .doc cannot be read")


def extract(module, blob: Blob, warnings: list | None = None):
    ctx = Context(warn=(warnings if warnings is not None else []).append, nested=None)
    items = list(module.read(blob, ctx))
    assert len(items) == 1
    return items[0]


def read_bytes(module, data: bytes, name: str = "x", warnings: list | None = None):
    return extract(module, Blob(name=name, content=data), warnings)


def flat(text: str) -> str:
    """The known-sentences matching rule: NFC, whitespace runs as one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def known_sentences(suffix: str) -> list[tuple[str, str]]:
    with open(require_shared(DOCUMENTS) / "known-sentences.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    found = [(row["id"], row["text"]) for row in rows
             if f"audacity/audacity-manual.{suffix}" in row["files"].split(",")]
    assert {key for key, _ in found} >= {"k01", "k02", "k03", "k04", "k05", "k06"}
    return found


@pytest.fixture(scope="module")
def manual():
    """The manual read once per format: kind -> Extracted."""
    cache = {}

    def get(kind):
        if kind == "doc" and ANTIWORD is None:
            pytest.skip("antiword is not installed (apt-get install antiword)")
        if kind not in cache:
            path = require_shared(DOCUMENTS) / "audacity" / f"audacity-manual.{kind}"
            cache[kind] = extract(READERS[kind], Blob(name=path.name, path=str(path)))
        return cache[kind]

    return get


# --------------------------------------------------------------- the real manual

@pytest.mark.shared
@pytest.mark.parametrize("kind", ["docx", "odt", "rtf", "doc"])
def test_known_sentences_of_the_manual_are_found_once(manual, kind):
    item = manual(kind)
    text = flat(item.text)
    for key, sentence in known_sentences(kind):
        assert text.count(sentence) == 1, (key, sentence)
    assert item.type == kind


@pytest.mark.shared
@pytest.mark.parametrize("kind", ["docx", "odt", "rtf", "doc"])
def test_manual_metadata(manual, kind):
    item = manual(kind)
    assert item.title == TITLE
    # The files carry no author, and zero dates (RTF \yr0, DOC's FILETIME 1601)
    # that must not become a date.
    assert item.author is None
    assert item.date is None


@pytest.mark.shared
@pytest.mark.parametrize("kind", ["docx", "odt", "rtf", "doc"])
def test_manual_text_is_clean(manual, kind):
    text = manual(kind).text
    assert unicodedata.is_normalized("NFC", text)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00a0\u200b]|  |\n\n\n", text)
    assert "[pic]" not in text  # antiword's image mark
    assert "\nswh-plugins\n" in text  # a table cell, on a line of its own


@pytest.mark.shared
def test_every_format_gives_the_same_words(manual):
    # The four files hold one text: any word lost, doubled or glued shows here.
    kinds = ["docx", "odt", "rtf"] + (["doc"] if ANTIWORD else [])
    words = {kind: sorted(manual(kind).text.split()) for kind in kinds}
    for kind in kinds[1:]:
        assert words[kind] == words["docx"], kind


@pytest.mark.shared
@needs_antiword
def test_doc_from_bytes_matches_doc_from_file(manual):
    path = require_shared(DOCUMENTS) / "audacity" / "audacity-manual.doc"
    assert read_bytes(doc, path.read_bytes(), "a.doc").text == manual("doc").text


# ------------------------------------------------------------------------ DOCX

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = (f'xmlns:w="{W}" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
      'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
      'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
      'xmlns:v="urn:schemas-microsoft-com:vml"')
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

DOCUMENT = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document {NS}><w:body>
<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>
  <w:r><w:t>Pierwszy</w:t></w:r><w:r><w:tab/><w:t>akapit</w:t><w:br/><w:t>druga linia</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">Zdanie z przypisem</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r>
  <w:r><w:t xml:space="preserve"> i dalszym ciągiem.</w:t></w:r></w:p>
<w:p><w:hyperlink r:id="rId9"><w:r><w:t>tekst odnośnika</w:t></w:r></w:hyperlink>
  <w:del w:id="5" w:author="x"><w:r><w:delText>usunięty tekst</w:delText></w:r></w:del>
  <w:ins w:id="6" w:author="x"><w:r><w:t xml:space="preserve"> wstawiony tekst</w:t></w:r></w:ins></w:p>
<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> HYPERLINK "http://example.org" </w:instrText></w:r>
  <w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>wynik pola</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>
<w:tbl><w:tblPr/><w:tr><w:tc><w:p><w:r><w:t>komórka A1</w:t></w:r></w:p></w:tc>
  <w:tc><w:p><w:r><w:t>komórka B1</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>
  <w:p><w:r><w:t>treść pola tekstowego</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>
  <mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>treść pola tekstowego</w:t></w:r></w:p>
  </w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>
<w:p><w:pPr><w:sectPr><w:headerReference w:type="default" r:id="rId1"/><w:footerReference w:type="default" r:id="rId2"/></w:sectPr></w:pPr></w:p>
<w:p><w:r><w:t>Druga sekcja</w:t></w:r></w:p>
<w:sectPr><w:headerReference w:type="default" r:id="rId1"/><w:headerReference w:type="first" r:id="rId4"/>
  <w:footerReference w:type="default" r:id="rId2"/></w:sectPr>
</w:body></w:document>"""

DOCUMENT_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{REL}/header" Target="header1.xml"/>
<Relationship Id="rId2" Type="{REL}/footer" Target="footer1.xml"/>
<Relationship Id="rId3" Type="{REL}/footnotes" Target="footnotes.xml"/>
<Relationship Id="rId4" Type="{REL}/header" Target="/word/header2.xml"/>
<Relationship Id="rId9" Type="{REL}/hyperlink" Target="http://example.org" TargetMode="External"/>
</Relationships>"""


def header_part(tag: str, text: str) -> str:
    return f'<w:{tag} {NS}><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:{tag}>'


FOOTNOTES = f"""<w:footnotes {NS}>
<w:footnote w:type="separator" w:id="0"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:type="continuationSeparator" w:id="1"><w:p><w:r><w:t>----</w:t></w:r></w:p></w:footnote>
<w:footnote w:id="2"><w:p><w:r><w:t>Treść przypisu dolnego.</w:t></w:r></w:p></w:footnote>
</w:footnotes>"""

CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">
<dc:title>Sprawozdanie  roczne</dc:title><dc:creator>Żaneta Świątek</dc:creator>
<dcterms:created>{created}</dcterms:created><dcterms:modified>2024-03-02T08:00:00Z</dcterms:modified>
</cp:coreProperties>"""

ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{REL}/officeDocument" Target="word/document.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
</Relationships>"""


def make_zip(members: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buf.getvalue()


def make_docx(**changes) -> bytes:
    members = {
        "[Content_Types].xml": "<Types/>",
        "_rels/.rels": ROOT_RELS,
        "word/document.xml": DOCUMENT,
        "word/_rels/document.xml.rels": DOCUMENT_RELS,
        "word/header1.xml": header_part("hdr", "Nagłówek firmowy"),
        # the first page's header: another part, the same text
        "word/header2.xml": header_part("hdr", "Nagłówek firmowy"),
        "word/footer1.xml": header_part("ftr", "Stopka strony"),
        "word/footnotes.xml": FOOTNOTES,
        "docProps/core.xml": CORE.format(created="2024-01-15T10:30:00Z"),
    }
    members.update(changes)
    return make_zip({k: v for k, v in members.items() if v is not None})


def test_docx_parts_are_read_once_in_order():
    item = read_bytes(docx, make_docx())
    text = item.text
    for once in ("Nagłówek firmowy", "Stopka strony", "Treść przypisu dolnego.",
                 "treść pola tekstowego", "komórka A1", "komórka B1", "tekst odnośnika",
                 "wynik pola", "Druga sekcja"):
        assert text.count(once) == 1, once
    assert "Pierwszy akapit\ndruga linia" in text  # a tab is a space, a break a new line
    # The footnote goes after the body: the sentence that cites it stays whole.
    assert "Zdanie z przypisem i dalszym ciągiem." in text
    assert text.index("Druga sekcja") < text.index("Treść przypisu") < text.index("Stopka")
    assert "usunięty" not in text and "wstawiony tekst" in text  # tracked changes
    assert "HYPERLINK" not in text and "----" not in text  # field code, note separator
    assert item.type == "docx"


def test_docx_metadata():
    item = read_bytes(docx, make_docx())
    assert (item.title, item.author, item.date) == ("Sprawozdanie roczne", "Żaneta Świątek",
                                                    "2024-01-15")
    # No creation date: the modification date is the next best.
    assert read_bytes(docx, make_docx(**{"docProps/core.xml": CORE.format(created="")})).date \
        == "2024-03-02"
    bare = read_bytes(docx, make_docx(**{"docProps/core.xml": None, "_rels/.rels": None}))
    assert (bare.title, bare.author, bare.date) == ("", None, None)
    assert "Pierwszy akapit" in bare.text  # the default document path without _rels


def test_docx_broken_secondary_part_is_a_warning():
    warnings = []
    item = read_bytes(docx, make_docx(**{"word/footnotes.xml": "<w:footnotes"}), warnings=warnings)
    assert "Pierwszy akapit" in item.text and "Treść przypisu" not in item.text
    assert any("footnotes.xml" in w for w in warnings)


def test_docx_bad_files():
    with pytest.raises(DocumentError, match="empty file"):
        read_bytes(docx, b"")
    with pytest.raises(DocumentError, match=r"not a valid DOCX \(word/document.xml is missing"):
        read_bytes(docx, make_docx(**{"word/document.xml": None}))
    with pytest.raises(DocumentError, match="not a valid DOCX .*damaged zip"):
        read_bytes(docx, make_docx()[:-100])
    with pytest.raises(DocumentError, match="not a valid DOCX .*document.xml"):
        read_bytes(docx, make_docx(**{"word/document.xml": "<w:document><w:body>"}))
    with pytest.raises(DocumentError, match="OLE2 .*legacy Word"):
        read_bytes(docx, compound_file({"WordDocument": b"\xec\xa5" + b"\0" * 200}))


@pytest.mark.shared
def test_docx_bad_files_from_the_shared_folder():
    bad = require_shared(DOCUMENTS) / "bad"
    with pytest.raises(DocumentError, match="empty file"):
        extract(docx, Blob(name="empty.docx", path=str(bad / "empty.docx")))
    with pytest.raises(DocumentError, match=r"^not a valid DOCX \(word/document.xml is missing\)$"):
        extract(docx, Blob(name="m.docx", path=str(bad / "missing-document-xml.docx")))


def test_docx_zip_bomb_stops_the_file(monkeypatch):
    # A footnotes part that inflates past the limit must stop the file, not
    # become a warning (the limit is lowered: the real one is 256 MB).
    monkeypatch.setattr(docx, "Zip", functools.partial(Zip, limit=1 << 20))
    bomb = make_docx(**{"word/footnotes.xml": FOOTNOTES + " " * (2 << 20)})
    assert len(bomb) < 100_000
    with pytest.raises(DocumentError, match="zip bomb"):
        read_bytes(docx, bomb)


def test_encrypted_docx():
    # Office encrypts a DOCX into an OLE2 file with an EncryptedPackage stream.
    encrypted = compound_file({"EncryptionInfo": b"\x04\x00\x04\x00",
                               "EncryptedPackage": b"x" * 5000})
    blob = Blob(name="tajne.docx", content=encrypted)
    assert docx.is_encrypted_ooxml(encrypted[:8], blob)
    with pytest.raises(EncryptedError, match="encrypted DOCX: needs a password"):
        read_bytes(docx, encrypted)
    # A zip whose members are encrypted (the flag bit) is refused the same way.
    with pytest.raises(EncryptedError, match="encrypted DOCX: needs a password"):
        read_bytes(docx, zip_with_encryption_flag(make_docx()))


def test_is_encrypted_ooxml_is_false_for_other_files():
    legacy = compound_file({"WordDocument": b"\xec\xa5" + b"\0" * 200})
    assert not docx.is_encrypted_ooxml(legacy[:8], Blob(name="a.doc", content=legacy))
    plain = make_docx()
    assert not docx.is_encrypted_ooxml(plain[:8], Blob(name="a.docx", content=plain))
    broken = legacy[:600]  # OLE2 magic, truncated directory
    assert not docx.is_encrypted_ooxml(broken[:8], Blob(name="a.doc", content=broken))


def zip_with_encryption_flag(data: bytes) -> bytes:
    """Set bit 0 ("encrypted") of every member's flags, as an encrypting zip tool does."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            data[at + offset] |= 1
            at = data.find(signature, at + 4)
    return bytes(data)


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (version 3, 512-byte sectors) holding
    ``streams``, each padded with NULs to 4096 bytes at least, so that no mini
    stream is needed."""
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    fat = [0xFFFFFFFD, end]  # sector 0 holds the FAT, sector 1 the directory
    placed = []
    for name, content in streams.items():
        body = content.ljust(max(4096, -(-len(content) // 512) * 512), b"\0")
        first, count = len(fat), len(body) // 512
        fat += [first + i + 1 for i in range(count - 1)] + [end]
        placed.append((name, first, len(body), body))
    fat += [free] * (128 - len(fat))

    def entry(name, kind, child=free, right=free, start=end, size=0):
        raw = (name + "\0").encode("utf-16-le")
        return (raw.ljust(64, b"\0") + struct.pack("<HBB3I", len(raw), kind, 1, free, right, child)
                + b"\0" * 36 + struct.pack("<IQ", start, size))

    entries = [entry("Root Entry", 5, child=1)]
    for i, (name, first, size, _) in enumerate(placed):
        entries.append(entry(name, 2, right=i + 2 if i + 1 < len(placed) else free,
                             start=first, size=size))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<5H", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<9I", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<109I", 0, *[free] * 108))
    return (header + struct.pack("<128I", *fat) + b"".join(entries).ljust(512, b"\0")
            + b"".join(body for *_, body in placed))


# ------------------------------------------------------------------------- ODT

ODF = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
       'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
       'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
       'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
       'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
       'xmlns:dc="http://purl.org/dc/elements/1.1/" '
       'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"')

CONTENT = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-content {ODF}><office:body><office:text>
<text:tracked-changes><text:changed-region text:id="c1"><text:deletion>
  <text:p>usunięty tekst</text:p></text:deletion></text:changed-region></text:tracked-changes>
<text:h text:outline-level="1">Rozdział pierwszy</text:h>
<text:p>Słowo<text:s text:c="3"/>po<text:tab/>spacjach<text:line-break/>nowa   linia
  w źródle</text:p>
<text:p>Zdanie z przypisem<text:note text:id="n1" text:note-class="footnote">
  <text:note-citation>1</text:note-citation><text:note-body><text:p>Treść przypisu dolnego.</text:p>
  </text:note-body></text:note> i dalszym ciągiem.<office:annotation><dc:creator>Recenzent</dc:creator>
  <text:p>komentarz recenzenta</text:p></office:annotation></text:p>
<text:list><text:list-item><text:p>punkt listy</text:p></text:list-item></text:list>
<table:table><table:table-row><table:table-cell><text:p>komórka A1</text:p></table:table-cell>
  <table:table-cell><text:p>komórka B1</text:p></table:table-cell></table:table-row></table:table>
<text:p><draw:frame><draw:text-box><text:p>treść ramki</text:p></draw:text-box></draw:frame>
  <draw:frame><draw:image/><svg:title>opis obrazka</svg:title></draw:frame>po ramce</text:p>
</office:text></office:body></office:document-content>"""

STYLES = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles {ODF}><office:master-styles>
<style:master-page style:name="Standard"><style:header><text:p>Nagłówek firmowy</text:p></style:header>
  <style:footer><text:p>Stopka strony</text:p></style:footer></style:master-page>
<style:master-page style:name="Druga"><style:header><text:p>Nagłówek firmowy</text:p></style:header>
</style:master-page></office:master-styles></office:document-styles>"""

META = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta {ODF}><office:meta><dc:title>Sprawozdanie roczne</dc:title>
<meta:initial-creator>Żaneta Świątek</meta:initial-creator>{date}
</office:meta></office:document-meta>"""


def make_odt(**changes) -> bytes:
    members = {
        "mimetype": "application/vnd.oasis.opendocument.text",
        "content.xml": CONTENT,
        "styles.xml": STYLES,
        "meta.xml": META.format(ODF=ODF, date="<meta:creation-date>2023-05-06T10:00:00"
                                "</meta:creation-date><dc:date>2024-02-01T00:00:00</dc:date>"),
        "META-INF/manifest.xml": "<manifest/>",
    }
    members.update(changes)
    return make_zip({k: v for k, v in members.items() if v is not None})


def test_odt_parts_are_read_once_in_order():
    item = read_bytes(odt, make_odt())
    text = item.text
    for once in ("Rozdział pierwszy", "Nagłówek firmowy", "Stopka strony",
                 "Treść przypisu dolnego.", "punkt listy", "komórka A1", "komórka B1",
                 "treść ramki"):
        assert text.count(once) == 1, once
    assert "Słowo po spacjach\nnowa linia w źródle" in text  # text:s, tab, break, XML whitespace
    assert "Zdanie z przypisem i dalszym ciągiem." in text  # the note moved after the body
    assert text.index("po ramce") < text.index("Treść przypisu") < text.index("Nagłówek")
    for absent in ("usunięty", "komentarz", "Recenzent", "opis obrazka"):
        assert absent not in text
    assert not re.search(r"(?m)^1$", text)  # the note's citation number
    assert item.type == "odt"


def test_odt_metadata():
    item = read_bytes(odt, make_odt())
    assert (item.title, item.author, item.date) == ("Sprawozdanie roczne", "Żaneta Świątek",
                                                    "2023-05-06")
    no_creation = make_odt(**{"meta.xml": META.format(ODF=ODF, date=(
        "<dc:creator>Jan Kowalski</dc:creator><dc:date>2024-02-01T00:00:00</dc:date>"))})
    item = read_bytes(odt, no_creation)
    assert (item.author, item.date) == ("Jan Kowalski", "2024-02-01")
    bare = read_bytes(odt, make_odt(**{"meta.xml": None, "styles.xml": None}))
    assert (bare.title, bare.author, bare.date) == ("", None, None)
    assert "Rozdział pierwszy" in bare.text


def test_odt_bad_files(monkeypatch):
    with pytest.raises(DocumentError, match="empty file"):
        read_bytes(odt, b"")
    with pytest.raises(DocumentError, match=r"not a valid ODT \(content.xml is missing"):
        read_bytes(odt, make_odt(**{"content.xml": None}))
    with pytest.raises(DocumentError, match="not a valid ODT .*damaged zip"):
        read_bytes(odt, make_odt()[:-50])
    with pytest.raises(DocumentError, match="not a valid ODT .*content.xml"):
        read_bytes(odt, make_odt(**{"content.xml": "<office:document-content"}))
    encrypted_manifest = ('<manifest:file-entry manifest:full-path="content.xml">'
                          '<manifest:encryption-data/></manifest:file-entry>')
    with pytest.raises(EncryptedError, match="encrypted ODT: needs a password"):
        read_bytes(odt, make_odt(**{"META-INF/manifest.xml": encrypted_manifest}))
    monkeypatch.setattr(odt, "Zip", functools.partial(Zip, limit=1 << 20))
    with pytest.raises(DocumentError, match="zip bomb"):
        read_bytes(odt, make_odt(**{"styles.xml": STYLES + " " * (2 << 20)}))


# ------------------------------------------------------------------------- RTF

RTF = rb"""{\rtf1\ansi\ansicpg1250\deff0
{\fonttbl{\f0\fswiss\fcharset0 Arial;}{\f1\froman\fcharset204 Times New Roman Cyr;}}
{\colortbl;\red0\green0\blue0;}
{\stylesheet{\s0 Normal;}}
{\info{\upr{\title Podr\'3fcznik}{\*\ud{\title Podr\u281\'3fcznik u\u380\'3fytkownika}}}
{\author Jan Kowalski}{\creatim\yr2021\mo3\dy9\hr10\min0}{\revtim\yr2022\mo1\dy1}}
{\*\generator Riched20;}
{\header\pard Nag\'b3\'f3wek firmowy\par}
\pard Pierwsz\u261\'3f rzecz\u261\'3f jest g\'b3o\'9c\'b3o\'9c\'e6.\par
{\uc2 Dwa bajty: \u380\'bf\'bf koniec.}\par
Zdanie z przypisem{\super\chftn{\footnote\pard\chftn Tre\'9c\'e6 przypisu.}} i dalszym ci\u261\'3fgiem.\par
{\f1 \'cf\'f0\'e8\'e2\'e5\'f2}\tab po tabulatorze\line nowa linia\par
{\pict\pngblip 89504e470d0a1a0a}{\*\shppict{\pict ffd8}}{\*\nieznane ukryty tekst}
{\field{\*\fldinst HYPERLINK "http://example.org"}{\fldrslt wynik pola}}\par
{\shp{\*\shpinst{\sp{\sn shapeType}{\sv 202}}{\shptxt\pard tre\'9c\'e6 ramki\par}}{\shprslt tre\'9c\'e6 ramki}}
\trowd\cellx1000\cellx2000 kom\'f3rka A1\cell kom\'f3rka B1\cell\row
Emoji \u-10179\'3f\u-8704\'3f tu.\par
\sect{\header\pard Nag\'b3\'f3wek firmowy\par}{\footer\pard Stopka\par}
Druga sekcja\par}
po zamkni\u281\'3fciu"""


def test_rtf_text():
    text = read_bytes(rtf, RTF).text
    assert "Pierwszą rzeczą jest głośłość." in text  # \uN + fallback, \'xx in cp1250
    assert "Dwa bajty: ż koniec." in text  # \uc2: two fallback bytes skipped
    assert "Zdanie z przypisem i dalszym ciągiem." in text
    assert text.count("Treść przypisu.") == 1
    assert text.index("Druga sekcja") < text.index("Treść przypisu.")
    assert "Привет po tabulatorze\nnowa linia" in text  # \fcharset204 font: cp1251
    assert "wynik pola" in text and "HYPERLINK" not in text
    assert text.count("treść ramki") == 1  # the text box, not its drawn copy (\shprslt)
    assert "komórka A1\nkomórka B1" in text
    assert "Emoji \U0001F600 tu." in text  # a surrogate pair of \uN escapes
    assert text.count("Nagłówek firmowy") == 1 and text.count("Stopka") == 1
    for absent in ("Arial", "Normal", "Riched20", "89504e", "ffd8", "ukryty", "Kowalski",
                   "shapeType", "202", "zamknię", "?"):
        assert absent not in text, absent


def test_rtf_metadata():
    item = read_bytes(rtf, RTF)
    # \upr gives the title twice, in ANSI and (\ud) in Unicode: the Unicode one wins.
    assert (item.title, item.author, item.date) == ("Podręcznik użytkownika", "Jan Kowalski",
                                                    "2021-03-09")
    assert item.type == "rtf"
    item = read_bytes(rtf, rb"{\rtf1{\info{\revtim\yr2022\mo1\dy2}}Tekst}")
    assert (item.title, item.author, item.date, item.text) == ("", None, "2022-01-02", "Tekst")


def test_rtf_code_page_defaults_to_cp1252():
    assert read_bytes(rtf, rb"{\rtf1\ansi Caf\'e9 \'9c}").text == "Café œ"


def test_rtf_bad_files():
    with pytest.raises(DocumentError, match="empty file"):
        read_bytes(rtf, b"")
    with pytest.raises(DocumentError, match="not an RTF file"):
        read_bytes(rtf, b"Konfiguracja Audacity nie jest trudna {\\rtf1}")
    # Truncated or unbalanced: what was read is kept, nothing escapes.
    truncated = read_bytes(rtf, RTF[:RTF.index(b"po tabulatorze")]).text
    assert "Zdanie z przypisem i dalszym ciągiem." in truncated
    assert "Treść przypisu." in truncated
    assert "tekst" in read_bytes(rtf, rb"{\rtf1 tekst}}}{\'zz\u").text


# ------------------------------------------------------------------------- DOC

def test_doc_without_antiword(monkeypatch):
    monkeypatch.setattr(doc.shutil, "which", lambda name: None)
    legacy = compound_file({"WordDocument": b"\xec\xa5" + b"\0" * 200})
    with pytest.raises(DocumentError,
                       match=r"legacy \.doc needs antiword \(apt-get install antiword\)"):
        read_bytes(doc, legacy)


def test_encrypted_doc():
    # The FIB's fEncrypted flag (bit 8 of the word at offset 10): antiword would print garbage.
    fib = b"\xec\xa5\xc1\x00" + b"\0" * 6 + struct.pack("<H", 0x0100) + b"\0" * 200
    with pytest.raises(EncryptedError, match="encrypted DOC: needs a password"):
        read_bytes(doc, compound_file({"WordDocument": fib}))
    ooxml = compound_file({"EncryptionInfo": b"\x04\x00", "EncryptedPackage": b"x" * 5000})
    with pytest.raises(EncryptedError, match="needs a password"):
        read_bytes(doc, ooxml)


@needs_antiword
def test_doc_bad_files():
    with pytest.raises(DocumentError, match="empty file"):
        read_bytes(doc, b"")
    with pytest.raises(DocumentError, match=r"not a valid DOC \(antiword: not a Word Document\)"):
        read_bytes(doc, b"Konfiguracja Audacity nie jest trudna")
    with pytest.raises(DocumentError, match="not a valid DOC"):
        read_bytes(doc, make_docx())
