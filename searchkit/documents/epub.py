"""EPUB: a book's chapters in reading order, with its title, author and date.

META-INF/container.xml names the package document (OPF); its manifest maps
ids to files and its spine lists the ids in reading order.  Each chapter goes
through the HTML reader.
"""

from __future__ import annotations

import posixpath
from typing import Iterator
from urllib.parse import unquote
from xml.etree import ElementTree

from searchkit.documents.html import clean, iso_date, parse_with_warning
from searchkit.documents.model import Blob, Context, DocumentError, Extracted
from searchkit.documents.zipped import Zip

CONTAINER = "META-INF/container.xml"
# The markup of a whole book is a few megabytes; past this much inflated, the
# file is refused (a zip bomb), long before the general zip limit.
MAX_EPUB_TEXT_BYTES = 64 * 1024 * 1024


def read(blob: Blob, ctx: Context) -> Iterator[Extracted]:
    with Zip(blob, "EPUB", limit=MAX_EPUB_TEXT_BYTES) as book:
        opf_name = _package_name(book)
        package = book.xml(opf_name)
        chapters, first_title = [], ""
        for name in _spine(book, package, posixpath.dirname(opf_name), ctx):
            data = book.read(name)  # a zip bomb or damaged zip stops the whole book
            try:
                chapter, warning = parse_with_warning(data, None, chapter=True)
            except DocumentError as e:  # one unreadable chapter does not
                ctx.warn(f"{name}: {e}")
                continue
            if warning:
                ctx.warn(f"{name}: {warning}")
            first_title = first_title or chapter.title
            if chapter.text:
                chapters.append(chapter.text)
    metadata = package.find("{*}metadata")
    if metadata is None:
        metadata = ElementTree.Element("metadata")
    title = _first(metadata, "title") or first_title
    if not chapters and not title:
        raise DocumentError("no text in the EPUB")
    yield Extracted(text="\n\n".join(chapters), title=title, author=_authors(metadata),
                    date=_date(metadata), type="epub")


def _package_name(book: Zip) -> str:
    """The OPF's path in the zip.

    Some books keep everything under a folder (the Audacity manual has
    epub/META-INF/container.xml); paths in the container are relative to it.
    """
    if book.has(CONTAINER):
        prefix = ""
    else:
        found = sorted((n for n in book.names() if n.endswith("/" + CONTAINER)), key=len)
        if not found:
            raise DocumentError(f"not a valid EPUB ({CONTAINER} is missing)")
        prefix = found[0][:-len(CONTAINER)]
    rootfile = book.xml(prefix + CONTAINER).find(".//{*}rootfile")
    path = rootfile.get("full-path") if rootfile is not None else None
    if not path:
        raise DocumentError(f"not a valid EPUB ({CONTAINER} names no package document)")
    return _resolve(book, prefix, path)


def _spine(book: Zip, package: ElementTree.Element, folder: str, ctx: Context) -> list[str]:
    """The chapter files in reading order."""
    manifest = {item.get("id"): item for item in package.iterfind("{*}manifest/{*}item")}
    refs = package.findall("{*}spine/{*}itemref")
    if not refs:
        raise DocumentError("not a valid EPUB (the spine lists no chapters)")
    names: list[str] = []
    for ref in refs:
        item = manifest.get(ref.get("idref"))
        href = item.get("href") if item is not None else None
        if not href:
            ctx.warn(f"spine item {ref.get('idref')!r} is not in the manifest")
            continue
        kind = item.get("media-type") or ""
        if not ("html" in kind or "oeb1-document" in kind
                or (not kind and href.lower().endswith((".html", ".xhtml", ".htm")))):
            continue  # an image or SVG page: no text
        name = _resolve(book, folder, href)
        if not book.has(name):
            ctx.warn(f"chapter {name} is missing")
        elif name not in names:
            names.append(name)
    return names


def _resolve(book: Zip, folder: str, href: str) -> str:
    """A zip member name for ``href`` (URL-encoded, relative to ``folder``)."""
    path = unquote(href.split("#", 1)[0])
    name = posixpath.normpath(posixpath.join(folder, path)).lstrip("/")
    if not book.has(name):
        # Book tools on case-insensitive file systems write hrefs in the wrong case.
        for candidate in book.names():
            if candidate.lower() == name.lower():
                return candidate
    return name


def _first(metadata: ElementTree.Element, tag: str) -> str:
    for element in metadata.iterfind("{*}" + tag):
        text = clean("".join(element.itertext())).replace("\n", " ")
        if text:
            return text
    return ""


def _authors(metadata: ElementTree.Element) -> str | None:
    names = []
    for creator in metadata.iterfind("{*}creator"):
        # EPUB 2 marks illustrators, editors... with opf:role; authors are "aut"
        role = next((v for k, v in creator.attrib.items() if k.endswith("role")), "aut")
        name = clean("".join(creator.itertext())).replace("\n", " ")
        if name and role == "aut" and name not in names:
            names.append(name)
    return ", ".join(names) or None


def _date(metadata: ElementTree.Element) -> str | None:
    """dc:date; of several, the publication date (EPUB 2's opf:event)."""
    dates = []
    for element in metadata.iterfind("{*}date"):
        event = next((v for k, v in element.attrib.items() if k.endswith("event")), "")
        date = iso_date(element.text)
        if date:
            dates.append((event in ("", "publication"), date))
    return max(dates, key=lambda d: d[0])[1] if dates else None  # max: the first best
