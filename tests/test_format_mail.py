"""E-mail reader: .eml and .mbox, charsets, headers, attachments, broken MIME."""

from __future__ import annotations

import base64
import importlib.util
import re

import pytest
from conftest import SHARED, require_shared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit.documents import mail
from searchkit.documents.mail import read_eml, read_mbox
from searchkit.documents.model import Blob, Context, DocumentError, Extracted

DATA = SHARED / "data" / "documents"
EMAIL = DATA / "email"
KNOWN = {
    "k01": "Konfiguracja Audacity nie jest trudna",
    "k03": "Za pomocą audacity można importować audio w różnych, regularnych postaciach",
    "k04": "Pierwszą rzeczą, o której trzeba pamiętać podczas tworzenia nagrania",
    "k05": "Za pomocą narzędzia Koperta można manipulować głośnością poprzez zwiększanie jej "
           "poziomu podczas obróbki dowolnego segmentu.",
    "k08": "Ta funkcjonalność pozwala na definiowanie układów strony niezależnie od rozmiaru "
           "papieru.",
    "k09": "Elementy składowe ramek można powtarzać.",
    "k11": "Wprowadzenie do programu Pl_Editor: pliki obsługiwane przez Pl_Editor",
    "k12": "Żaneta Świątek-Przykładowa",
}
HAS_HTML = importlib.util.find_spec("searchkit.documents.html") is not None
HAS_DOCX = importlib.util.find_spec("searchkit.documents.docx") is not None


def flat(text: str) -> str:
    return " ".join(text.split())


class Recorder:
    """A Context whose nested reader records each attachment and returns one
    item (or raises, for names in ``fail``)."""

    def __init__(self, fail: dict[str, str] | None = None, read=None):
        self.warnings: list[str] = []
        self.attachments: list[tuple[str, bytes]] = []
        self.fail = fail or {}
        self.read = read
        self.ctx = Context(warn=self.warn, nested=self.nested)

    def warn(self, message: str, where: str = "", skipped: bool = False) -> None:
        self.warnings.append(f"{where} {message}".strip())

    def nested(self, blob: Blob):
        self.attachments.append((blob.name, blob.content))
        if blob.name in self.fail:
            raise DocumentError(self.fail[blob.name])
        if self.read:
            return self.read(blob, self.ctx)
        return iter([Extracted(text=f"inside {blob.name}", type="pdf")])


def eml(raw: bytes | str, rec: Recorder | None = None) -> list[Extracted]:
    if isinstance(raw, str):
        raw = raw.encode("ascii")
    return list(read_eml(Blob(name="m.eml", content=raw), (rec or Recorder()).ctx))


def shared_file(name: str):
    require_shared(DATA)
    return Blob(name=name, path=str(EMAIL / name))


# ----------------------------------------------------------------- shared data

def test_quoted_printable_utf8_message():
    (item,) = read_eml(shared_file("01-plain-utf8-quoted-printable.eml"), Recorder().ctx)
    assert KNOWN["k03"] in flat(item.text)
    assert (item.type, item.suffix, item.date) == ("email", None, "2024-01-15")
    assert item.title == "Importowanie audio"
    assert item.author == "Jan Przykladowy <jan.przykladowy@example.org>"
    assert item.text.startswith("Od: Jan Przykladowy <jan.przykladowy@example.org>\n"
                                "Do: lista-audacity@example.org\nTemat: Importowanie audio\n\n")


def test_iso_8859_2_base64_message():
    (item,) = read_eml(shared_file("02-iso-8859-2-base64.eml"), Recorder().ctx)
    assert KNOWN["k08"] in flat(item.text)
    assert item.title == "Układ współrzędnych"
    assert item.author == "Łucja Przykładowa <lucja@example.org>"


def test_multipart_message_body_and_attachment():
    if HAS_DOCX:
        from searchkit.documents.docx import read as read_docx
    rec = Recorder(read=read_docx if HAS_DOCX else None)
    items = list(read_eml(shared_file("03-multipart-html-with-docx-attachment.eml"), rec.ctx))
    body = flat(items[0].text)
    # The plain part is the body; its HTML alternative is not added a second time.
    assert body.count(KNOWN["k04"]) == 1
    assert "Do: Łucja Przykładowa <lucja@example.org>" in items[0].text
    # RFC 2231: filename*=utf-8''Podr%C4%99cznik%20Audacity.docx
    ((name, content),) = rec.attachments
    assert name == "Podręcznik Audacity.docx"
    assert content.startswith(b"PK")
    assert all(item.suffix == "Podręcznik Audacity.docx" for item in items[1:])
    if HAS_DOCX:
        assert any(KNOWN["k01"] in flat(item.text) for item in items[1:])
    assert rec.warnings == []


def test_attachment_through_the_registry():
    """End to end: the registry's nested reader detects the DOCX and reads it."""
    from searchkit.documents.registry import extract

    require_shared(DATA)
    pytest.importorskip("searchkit.documents.docx")
    docs = extract(str(EMAIL / "03-multipart-html-with-docx-attachment.eml"))
    by_id = {doc.id: doc for doc in docs}
    inner = by_id["03-multipart-html-with-docx-attachment.eml/Podręcznik Audacity.docx"]
    assert KNOWN["k01"] in flat(inner.text)
    assert by_id["03-multipart-html-with-docx-attachment.eml"].type == "email"


def test_encoded_words_split_inside_words():
    (item,) = read_eml(shared_file("04-rfc2047-encoded-subject-and-from.eml"), Recorder().ctx)
    assert item.title.startswith(KNOWN["k11"])
    assert item.title.endswith("pliki wejściowe i domyślny plik układu strony")
    assert item.author == "Żaneta Świątek-Przykładowa <zaneta@example.org>"
    assert f"Od: {KNOWN['k12']}" in item.text


def test_mbox_messages():
    items = list(read_mbox(shared_file("lista-dyskusyjna.mbox"), Recorder().ctx))
    assert [i.suffix for i in items] == ["1", "2", "3"]
    assert [i.title for i in items] == ["Narzedzie Koperta", "Re: Narzedzie Koperta",
                                        "Elementy powtarzalne"]
    assert [i.date for i in items] == ["2024-01-19", "2024-01-19", "2024-01-20"]
    assert KNOWN["k05"] in flat(items[0].text)
    assert KNOWN["k05"] in flat(items[1].text)  # quoted in the reply
    assert KNOWN["k09"] in flat(items[2].text)
    assert items[2].author == f"{KNOWN['k12']} <zaneta@example.org>"  # ISO-8859-2 Q-encoded


# ------------------------------------------------------------------- charsets

def test_windows_1250_body():
    body = "Zażółć gęślą jaźń. Świętość, źdźbło, Łódź.".encode("cp1250")
    raw = (b"Subject: cp1250\nContent-Type: text/plain; charset=windows-1250\n"
           b"Content-Transfer-Encoding: 8bit\n\n" + body)
    rec = Recorder()
    (item,) = eml(raw, rec)
    assert "Zażółć gęślą jaźń. Świętość, źdźbło, Łódź." in item.text
    assert rec.warnings == []


@pytest.mark.parametrize("declared, encoding", [
    ("x-nieznany", "iso-8859-2"),  # unknown name
    ("utf-8", "cp1250"),  # not decodable as declared
    ("iso-8859-2", "cp1250"),  # decodes, but to control characters
    ("iso-8859-1", "iso-8859-2"),  # decodes, to "Za¿ó³æ"
    ("windows-1250", "iso-8859-2"),  # decodes, to "g궱"
])
def test_unknown_or_lying_charset_is_guessed(declared, encoding):
    body = "Zażółć gęślą jaźń, świętość. Źdźbło i łódź.".encode(encoding)
    raw = (f"Subject: x\nContent-Type: text/plain; charset={declared}\n"
           f"Content-Transfer-Encoding: base64\n\n").encode() + base64.encodebytes(body)
    rec = Recorder()
    (item,) = eml(raw, rec)
    assert "Zażółć gęślą jaźń, świętość. Źdźbło i łódź." in item.text
    assert len(rec.warnings) == 1 and "charset guessed" in rec.warnings[0]


def test_true_latin1_is_left_alone():
    # ê and ü are ę and ü in ISO-8859-2: guessing would damage real Latin-1 text.
    raw = ("Subject: x\nContent-Type: text/plain; charset=iso-8859-1\n"
           "Content-Transfer-Encoding: 8bit\n\n").encode() + "Être, Grüße.".encode("latin-1")
    rec = Recorder()
    (item,) = eml(raw, rec)
    assert "Être, Grüße." in item.text and rec.warnings == []


def test_raw_8bit_and_encoded_headers():
    raw = ("Subject: Pilne: umowa na łódź\nFrom: Paweł Gaweł <pawel@example.pl>\n"
           "To: =?windows-1250?q?Ma=B3gorzata_=C6wik?= <m@example.pl>,\n"
           ' "Kowalski, Jan" <jan@example.pl>\n'
           "Cc: =?utf-8?q?=C5=BB?= =?utf-8?q?=C3=B3=C5=82w?=\n"
           "\n"
           "treść\n").encode("cp1250")
    (item,) = eml(raw)
    assert item.title == "Pilne: umowa na łódź"
    assert item.author == "Paweł Gaweł <pawel@example.pl>"
    assert "Do: Małgorzata Ćwik <m@example.pl>, Kowalski, Jan <jan@example.pl>\n" in item.text
    assert "DW: Żółw\n" in item.text  # not an address: kept as decoded text


def test_multibyte_character_split_across_encoded_words():
    # "ż" is C5 BC: its two bytes are in two encoded-words
    raw = "Subject: =?utf-8?q?mo=C5?=\n =?utf-8?q?=BCna?=\n\nx\n"
    assert eml(raw)[0].title == "można"


def test_dates():
    assert eml("Date: Sun, 31 Dec 2023 23:30:00 -0500\n\nx")[0].date == "2023-12-31"
    assert eml("Date: 31 Dec 99 23:30 GMT\n\nx")[0].date == "1999-12-31"
    assert eml("Date: wczoraj\n\nx")[0].date is None
    assert eml("Date: Tue, 31 Feb 2024 10:00:00 +0100\n\nx")[0].date is None


# ------------------------------------------------------------------- structure

MULTIPART = """\
Subject: umowy
Content-Type: multipart/mixed; boundary="B"

--B
Content-Type: text/plain; charset=utf-8

W załączeniu umowy.
--B
Content-Type: application/pdf; name="umowa.pdf"
Content-Disposition: attachment; filename="umowa.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJSBwaWVyd3N6YQo=
--B
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="umowa.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJSBkcnVnYQo=
--B
Content-Type: image/png; name="logo.png"
Content-Disposition: inline; filename="logo.png"
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--B
Content-Type: application/octet-stream
Content-Disposition: attachment;
 filename="=?utf-8?q?zepsuty_za=C5=82=C4=85cznik.bin?="
Content-Transfer-Encoding: base64

AAECAw==
--B--
"""


def test_attachments_get_unique_suffixes_and_failures_are_warned():
    rec = Recorder(fail={"zepsuty załącznik.bin": "not a format searchkit reads"})
    items = eml(MULTIPART.encode(), rec)
    assert [i.suffix for i in items] == [None, "umowa.pdf", "umowa-2.pdf"]
    assert [name for name, _ in rec.attachments] == [
        "umowa.pdf", "umowa-2.pdf", "zepsuty załącznik.bin"]  # the image is never read
    assert rec.attachments[1][1] == b"%PDF-1.4\n% druga\n"
    assert rec.warnings == ["attachment zepsuty załącznik.bin: not a format searchkit reads"]
    assert "W załączeniu umowy." in items[0].text


def test_mbox_attachments_and_nested_suffixes():
    def read(blob, ctx):  # an attachment that is itself a container (an attached mbox)
        return iter([Extracted(text="a", suffix="1"), Extracted(text="b", suffix="2")])

    mbox = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: pierwsza\n\nx\n\n" \
           b"From a@b Mon Jan  1 00:00:00 2024\n" + MULTIPART.encode()
    rec = Recorder(read=read, fail={"zepsuty załącznik.bin": "binary"})
    items = list(read_mbox(Blob(name="x.mbox", content=mbox), rec.ctx))
    assert [i.suffix for i in items] == ["1", "2", "2/umowa.pdf/1", "2/umowa.pdf/2",
                                         "2/umowa-2.pdf/1", "2/umowa-2.pdf/2"]
    assert rec.warnings == ["/2 attachment zepsuty załącznik.bin: binary"]


def test_rfc2231_continuations_and_paths_in_file_names():
    raw = """\
Content-Type: multipart/mixed; boundary="B"

--B
Content-Type: text/plain

x
--B
Content-Type: application/pdf
Content-Disposition: attachment; filename*0*=iso-8859-2''Umowa%20na%20%B3;
 filename*1*=%F3d%BC.pdf

JVBERg==
--B
Content-Type: application/pdf; name="C:\\\\Dokumenty\\\\faktura.pdf"

JVBERg==
--B--
"""
    rec = Recorder()
    eml(raw, rec)
    assert [name for name, _ in rec.attachments] == ["Umowa na łódź.pdf", "faktura.pdf"]


@pytest.mark.skipif(not HAS_HTML, reason="searchkit.documents.html is not written yet")
def test_html_only_message():
    html = ("<html><head><style>p{color:red}</style></head><body><p>Dzień dobry,</p>"
            "<p>przesyłam <b>ofertę</b>&nbsp;na&nbsp;rok 2024.</p></body></html>")
    raw = ("Subject: oferta\nContent-Type: text/html; charset=iso-8859-2\n"
           "Content-Transfer-Encoding: base64\n\n").encode() + base64.encodebytes(
        html.encode("iso-8859-2"))
    (item,) = eml(raw)
    body = item.text.split("\n\n", 1)[1]
    assert "przesyłam ofertę na rok 2024." in body
    assert "color" not in body and "<" not in body


@pytest.mark.skipif(not HAS_HTML, reason="searchkit.documents.html is not written yet")
def test_empty_plain_alternative_gives_way_to_html():
    raw = """\
Content-Type: multipart/alternative; boundary="A"

--A
Content-Type: text/plain

\t
--A
Content-Type: text/html

<p>Tylko w HTML</p>
--A--
"""
    assert eml(raw)[0].text.endswith("Tylko w HTML")


def test_format_flowed_lines_are_joined():
    # DelSp=yes: the space before each soft break is the break's own, so a
    # break between words leaves two, one inside a word leaves one.
    raw = ("Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n\n"
           "Jest to bardzo d\xc5\x82ugie zdanie, kt\xc3\xb3re program pocztowy  \n"
           "zawin\xc4\x85\xc5\x82 w po\xc5\x82owie s\xc5\x82o \n"
           "wa.\n"
           "> cytat  \n"
           "> dalej\n").encode("latin-1")
    text = eml(raw)[0].text
    assert "Jest to bardzo długie zdanie, które program pocztowy zawinął w połowie słowa.\n" \
           "> cytat dalej" in text


def test_forwarded_message_is_part_of_the_body():
    raw = """\
Subject: Fwd: spotkanie
Content-Type: multipart/mixed; boundary="B"

--B
Content-Type: text/plain

Przesyłam dalej.
--B
Content-Type: message/rfc822

From: =?utf-8?q?Zofia_G=C3=B3rska?= <zofia@example.pl>
Subject: spotkanie

Spotkanie w czwartek.
--B--
"""
    text = eml(raw.encode())[0].text
    assert "Przesyłam dalej." in text
    assert "Od: Zofia Górska <zofia@example.pl>" in text and "Spotkanie w czwartek." in text


# --------------------------------------------------------------- malformed MIME

def test_missing_boundary_is_recovered():
    raw = """\
Subject: bez granicy
Content-Type: multipart/mixed

--zgubiona
Content-Type: text/plain; charset=utf-8

Treść odzyskana.
--zgubiona
Content-Type: application/pdf; name="a.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--zgubiona--
"""
    rec = Recorder()
    items = eml(raw.encode(), rec)
    assert items[0].text.endswith("Treść odzyskana.")
    assert "JVBER" not in items[0].text  # no base64 garbage in the text
    assert rec.attachments == [("a.pdf", b"%PDF-1.4\n")]
    assert len(rec.warnings) == 1 and "malformed MIME" in rec.warnings[0]


def test_truncated_multipart_and_bad_base64():
    raw = """\
Subject: urwana
Content-Type: multipart/mixed; boundary="B"

--B
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

WmHFvMOzxYLEhyBn!!!xJnFm2zEhSBqYcW6xYQ
--B
Content-Type: application/pdf; name="a.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJSBwaWVy"""
    rec = Recorder()
    items = eml(raw.encode(), rec)
    assert items[0].text.endswith("Zażółć gęślą jaźń")
    (warning,) = rec.warnings
    assert "truncated multipart" in warning and "bad base64" in warning


def nested_multiparts(depth: int) -> bytes:
    return b"Subject: deep\n" + b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i)
        for i in range(depth)) + b"Content-Type: text/plain\n\nna dnie\n"


def test_deep_nesting():
    # Deeper than the parser's recursion can go: a per-file error, not a crash.
    with pytest.raises(DocumentError, match="nested too deep"):
        eml(nested_multiparts(5000))
    # Deeper than mail ever is: read down to MAX_MIME_DEPTH, and said so.
    rec = Recorder()
    (item,) = eml(nested_multiparts(mail.MAX_MIME_DEPTH + 10), rec)
    assert item.title == "deep" and "na dnie" not in item.text
    assert "nested too deep" in rec.warnings[0]
    assert eml(nested_multiparts(mail.MAX_MIME_DEPTH - 1))[0].text.endswith("na dnie")


SAMPLES = [MULTIPART.encode(), ("Subject: =?utf-8?b?xYHDs2TFug==?= =?iso-8859-2?q?=B3?=\n"
                                "From: \"A, B\" <a@b>, =?x?q?c?= <c@d>\nDate: Mon, 1 Jan 2024\n"
                                "Content-Type: text/plain; charset=utf-8; format=flowed\n\n"
                                "a \nb\n").encode()]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=8)),
                                          max_size=6), st.integers(0, 2000))
def test_damaged_messages_raise_only_document_errors(sample, edits, cut):
    data = bytearray(sample)
    for position, junk in edits:
        position %= len(data) + 1
        data[position:position + len(junk)] = junk
    data = bytes(data[:max(cut, 1)]) if cut < len(data) else bytes(data)
    rec = Recorder()
    for read in (read_eml, read_mbox):
        try:
            for item in read(Blob(name="m", content=data), rec.ctx):
                assert isinstance(item.text, str)
                assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b]", item.text)
        except DocumentError:
            pass


# ------------------------------------------------------------------------ mbox

def test_mbox_escaping_and_separators():
    mbox = (b"From a@b Mon Jan  1 00:00:00 2024\nSubject: jeden\n\n"
            b">From the start, as mboxo escapes it.\n"
            b">>From mboxrd, quoted twice.\n"
            b"From a@b Tue Jan  2 10:00:00 2024\n"  # no blank line before: an envelope anyway
            b"Subject: dwa\n\nbez daty w nag\xc5\x82\xc3\xb3wku\n\n"
            b"From  \n"  # after a blank line: a separator, even without address and date
            b"Subject: trzy\n\n\n")
    items = list(read_mbox(Blob(name="x.mbox", content=mbox), Recorder().ctx))
    assert [(i.suffix, i.title) for i in items] == [("1", "jeden"), ("2", "dwa"), ("3", "trzy")]
    assert "\nFrom the start, as mboxo escapes it.\n>From mboxrd, quoted twice." in items[0].text
    assert items[1].date == "2024-01-02"  # from the envelope line: no Date header
    assert items[1].text.endswith("bez daty w nagłówku")


def test_mbox_is_streamed(tmp_path, monkeypatch):
    class NoWholeRead(Blob):
        def data(self):
            raise AssertionError("the mbox was read whole")

    path = tmp_path / "big.mbox"
    big = b"x" * 300 + b"\n"
    path.write_bytes(b"From a@b Mon Jan  1 00:00:00 2024\nSubject: za duza\n\n" + big * 10 +
                     b"\nFrom a@b Mon Jan  1 00:00:00 2024\nSubject: mala\n\nok\n")
    monkeypatch.setattr(mail, "MAX_FILE_BYTES", 2000)  # message 1 is past it
    rec = Recorder()
    items = list(read_mbox(NoWholeRead(name="big.mbox", path=str(path)), rec.ctx))
    assert [(i.suffix, i.title) for i in items] == [("2", "mala")]
    (warning,) = rec.warnings
    assert warning.startswith("/1 message larger than")
