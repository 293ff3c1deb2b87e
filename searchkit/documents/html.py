"""HTML: the visible text of a page, with its title, author and date.

Parsed with selectolax's Lexbor engine, an HTML5 parser: unclosed and
misnested tags end where a browser ends them.  On the sample pages it was the
fastest of Lexbor, lxml and the standard library's html.parser, and lxml
silently drops all text nested deeper than 255 elements (old pages with
hundreds of unclosed <font> tags).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import Iterator

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from searchkit.documents.cleaning import iso_date
from searchkit.documents.model import Blob, Context, DocumentError, Extracted
from searchkit.documents.text import decode

# Elements whose content a browser does not show as the page's text.
_HIDDEN = frozenset({
    "script", "style", "noscript", "template", "svg", "title", "iframe", "canvas",
    "audio", "video", "select", "datalist", "textarea", "noembed", "noframes", "nav",
})
# Page furniture rather than content: dropped from web pages, kept in book
# chapters, where <aside> holds footnotes and <header> a chapter's heading.
_BOILERPLATE = ('aside, header, footer, [role="navigation"], [role="banner"], '
                '[role="contentinfo"]')
# A header or footer inside one of these belongs to that part of the content
# (an article's title and byline), not to the page (HTML-AAM's rule).
_SECTIONING = frozenset({"article", "aside", "main", "nav", "section"})
_INVISIBLE = '[hidden], [style*="display:none"], [style*="display: none"]'
# Elements that start a new line, so that adjacent blocks never run together.
_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "legend", "li", "main",
    "menu", "ol", "option", "p", "pre", "section", "summary", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul", "listing", "plaintext",
})
_PREFORMATTED = frozenset({"pre", "listing", "plaintext"})

# Control characters (tab, line breaks and form feed excepted) and invisible
# characters that split words: soft hyphen, zero-width space, word joiner, BOM.
_DELETE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace but a line break, U+00A0 included


def clean(text: str) -> str:
    """NFC text, one block per line, single spaces, no invisible characters."""
    text = unicodedata.normalize("NFC", _DELETE.sub("", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# --------------------------------------------------------------------- charset

_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)""")
# Both <meta charset="x"> and <meta http-equiv="Content-Type" content="...; charset=x">.
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_PRESCAN = 4096
# Labels that browsers read as another encoding (the WHATWG Encoding Standard).
_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252",
            "ascii": "cp1252", "x-cp1250": "cp1250"}
_C1 = re.compile("[\x80-\x9f]")


def decode_html(data: bytes, charset: str | None = None) -> tuple[str, str | None]:
    """The page as text, and a warning or None.

    A byte-order mark wins, then ``charset`` (an e-mail part's header), then the
    page's own declaration, then the bytes themselves.  A declared charset that
    does not fit the bytes (not decodable, or giving C1 control characters: an
    ISO-8859-2 label on Windows-1250 text) is passed over.
    """
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace"), None
    head = data[:_PRESCAN]
    declared = [charset] if charset else []
    for pattern in (_XML_ENCODING, _META_CHARSET):
        m = pattern.search(head)
        if m:
            label = m.group(1).decode("ascii")
            # bytes that spell out "utf-16" in ASCII are not UTF-16 (WHATWG: read UTF-8)
            declared.append("utf-8" if label.lower().startswith("utf-16") else label)
    for label in declared:
        encoding = _codec(label)
        if encoding is None:
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _C1.search(text):
            return text, None
    return decode(data)


def _codec(label: str) -> str | None:
    label = label.strip().lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


# --------------------------------------------------------------------- parsing

def parse_html(data: bytes, charset: str | None = None, *, chapter: bool = False) -> Extracted:
    """The text and metadata of an HTML page (``chapter``: of a book, keep asides)."""
    return parse_with_warning(data, charset, chapter)[0]


def parse_with_warning(data: bytes, charset: str | None = None,
                       chapter: bool = False) -> tuple[Extracted, str | None]:
    """parse_html, and a warning about the bytes (for ``ctx.warn``) or None."""
    text, warning = decode_html(data, charset)
    if _looks_xhtml(text):
        text = _SELF_CLOSED.sub(r"<\1\2></\1>", text)
    try:
        tree = LexborHTMLParser(text)
    except (SelectolaxError, RuntimeError) as e:
        raise DocumentError(f"not a valid HTML page ({e})") from None
    body = tree.body
    title = _text_of(tree.css_first("head title"))
    if body is None:  # a frameset
        return Extracted(title=title, type="html"), warning
    if not title:
        title = _text_of(body.css_first("h1"))
    invisible = {node.mem_id for node in body.css(_INVISIBLE)}
    drop = invisible if chapter else invisible | _boilerplate(body)
    content = clean("".join(_visible(body, drop)))
    if not content and drop != invisible:
        # Better furniture than nothing: a page made only of a <header>, say.
        content = clean("".join(_visible(body, invisible)))
    meta = _meta(tree)
    return Extracted(text=content, title=title, author=_author(meta), date=_date(meta, tree),
                     type="html"), warning


# An XHTML page (an EPUB chapter) may write <script src="x"/>, which an HTML
# parser reads as an unclosed <script> that hides the rest of the page.
_SELF_CLOSED = re.compile(
    r"<(script|style|title|textarea|iframe|noscript|noembed|noframes|template|xmp)"
    r"(\s[^<>]*?)?/>", re.IGNORECASE)


def _looks_xhtml(text: str) -> bool:
    head = text[:1024]
    return head.lstrip().startswith("<?xml") or "http://www.w3.org/1999/xhtml" in head


def _boilerplate(body: LexborNode) -> set[int]:
    ids = set()
    for node in body.css(_BOILERPLATE):
        if node.tag in ("header", "footer") and _inside(node, _SECTIONING):
            continue
        ids.add(node.mem_id)
    return ids


def _inside(node: LexborNode, tags: frozenset[str]) -> bool:
    node = node.parent
    while node is not None and node.tag != "body":
        if node.tag in tags:
            return True
        node = node.parent
    return False


def _visible(body: LexborNode, drop: set[int]) -> list[str]:
    """The text pieces under ``body`` in document order, a newline around each block.

    Iterative, not recursive: a page may nest thousands of elements deep.
    """
    parts: list[str] = []
    above: list[LexborNode] = []  # the open elements the walk is inside
    pre = 0  # inside <pre>: line breaks are the text's own
    node = body.child
    while node is not None:
        tag = node.tag or "-"  # None for some nodes in damaged input
        if tag == "-text":
            piece = node.text_content or ""
            parts.append(piece if pre else piece.replace("\n", " "))
        elif tag[0] != "-" and tag not in _HIDDEN and (not drop or node.mem_id not in drop):
            if tag in _BLOCK:
                parts.append("\n")
            child = node.child
            if child is not None:
                pre += tag in _PREFORMATTED
                above.append(node)
                node = child
                continue
        node = node.next
        while node is None and above:
            up = above.pop()
            if up.tag in _BLOCK:
                parts.append("\n")
            pre -= up.tag in _PREFORMATTED
            node = up.next
    return parts


def _text_of(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return clean(node.text(deep=True, separator="").replace("\n", " "))


# --------------------------------------------------------------------- metadata

_AUTHOR_KEYS = ("author", "article:author", "dc.creator", "dcterms.creator", "citation_author",
                "book:author")
# Publication dates first; a modification date only when there is nothing else.
_DATE_KEYS = ("article:published_time", "datepublished", "dc.date", "dc.date.issued",
              "dc.date.created", "dcterms.created", "dcterms.issued", "dcterms.date", "date",
              "pubdate", "publishdate", "publish_date", "publication_date",
              "citation_publication_date", "citation_date", "og:published_time",
              "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
              "dc.date.modified", "last-modified")


def _meta(tree: LexborHTMLParser) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        attrs = node.attributes
        key = (attrs.get("name") or attrs.get("property") or attrs.get("itemprop")
               or attrs.get("http-equiv") or "")
        key = key.strip().lower().replace("dc:", "dc.").replace("dcterms:", "dcterms.")
        value = clean(attrs.get("content") or "").replace("\n", " ")
        if key and value:
            found.setdefault(key, value)
    return found


def _author(meta: dict[str, str]) -> str | None:
    for key in _AUTHOR_KEYS:
        value = meta.get(key)
        # article:author is often the author's profile URL, not a name
        if value and not value.startswith(("http://", "https://")):
            return value
    return None


def _date(meta: dict[str, str], tree: LexborHTMLParser) -> str | None:
    for key in _DATE_KEYS:
        date = iso_date(meta.get(key, ""))
        if date:
            return date
    # Only a <time> marked as the publication date: any other may be any date.
    node = tree.css_first('time[itemprop="datePublished"], time[pubdate]')
    if node is not None:
        return iso_date(node.attributes.get("datetime") or node.text())
    return None


def read(blob: Blob, ctx: Context) -> Iterator[Extracted]:
    extracted, warning = parse_with_warning(blob.data(), None)
    if warning:
        ctx.warn(warning)
    if not extracted.text and not extracted.title:
        raise DocumentError("no text in the HTML page")
    yield extracted
