"""E-mail: single messages (.eml) and mailboxes (.mbox), with their attachments.

Messages are parsed by the standard library's ``email`` package with the
``compat32`` policy: its headers stay raw strings, so a malformed address
cannot raise when it is read (the ``default`` policy's header objects do, for
about 5 % of fuzzed address headers).  Headers are decoded here instead, with
the same charset handling as the bodies: a declared charset that is unknown
or visibly wrong (Polish text sent as ISO-8859-1, Windows-1250 labelled
ISO-8859-2) gives way to ``text.decode``'s guess, with a warning.

An mbox is split while it is read line by line, so a mailbox of any size
costs the memory of one message.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import io
import mimetypes
import re
from email import errors as email_errors
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_tz
from typing import Iterator

from searchkit.documents.cleaning import single_line, tidy
from searchkit.documents.model import MAX_FILE_BYTES, Blob, Context, DocumentError, Extracted
from searchkit.documents.text import decode

# Header lines put before the body so that names and subjects are searchable.
_LABELS = (("from", "Od"), ("to", "Do"), ("cc", "DW"), ("subject", "Temat"))

# Deeper MIME nesting than this is not real mail (and would exhaust the stack).
MAX_MIME_DEPTH = 50

# Not documents: skipped without a warning.
_SKIP_TYPES = ("image/", "audio/", "video/")
_SIGNATURES = {"application/pgp-signature", "application/pkcs7-signature",
               "application/x-pkcs7-signature", "application/pgp-keys"}

_POLISH = frozenset("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
# Polish letters of ISO-8859-2 / Windows-1250 as Latin-1 or Windows-1250 shows
# them ("³" is "ł"): characters real text hardly uses.
_MOJIBAKE = frozenset("³¹±¶¼¥")
_C1 = re.compile("[\x80-\x9f]")

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_SURROGATE = re.compile("[\udc80-\udcff]")
_MBOX_FROM = re.compile(rb"From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +[A-Z][a-z]{2} +\d")
_ESCAPED_FROM = re.compile(rb">+From ")
_BOUNDARY_LINE = re.compile(r"^--([^\s]{1,200}?)\s*$", re.MULTILINE)

_DEFECTS = {
    email_errors.NoBoundaryInMultipartDefect: "multipart without a boundary",
    email_errors.StartBoundaryNotFoundDefect: "multipart boundary not found",
    email_errors.CloseBoundaryNotFoundDefect: "truncated multipart",
    email_errors.MultipartInvariantViolationDefect: None,  # reported by the two above
    email_errors.InvalidBase64CharactersDefect: "bad base64",
    email_errors.InvalidBase64PaddingDefect: "bad base64",
    email_errors.InvalidBase64LengthDefect: "bad base64",
    email_errors.MissingHeaderBodySeparatorDefect: "headers not followed by a blank line",
}


def read_eml(blob: Blob, ctx: Context) -> Iterator[Extracted]:
    yield from _message(blob.data(), ctx, None, ctx.warn)


def read_mbox(blob: Blob, ctx: Context) -> Iterator[Extracted]:
    for n, data, envelope in _split_mbox(blob):
        def warn(message: str, skipped: bool = False, _where=f"/{n}") -> None:
            ctx.warn(message, where=_where, skipped=skipped)

        if data is None:
            warn(f"message larger than {MAX_FILE_BYTES >> 20} MB", skipped=True)
            continue
        if not data.strip():
            continue
        try:
            yield from _message(data, ctx, str(n), warn, envelope)
        except DocumentError as e:
            warn(str(e), skipped=True)


# ------------------------------------------------------------------------ mbox

def _split_mbox(blob: Blob) -> Iterator[tuple[int, bytes | None, bytes]]:
    """(number, message bytes or None when too large, envelope line) per message.

    A message starts at a ``From `` line that follows a blank line (or opens
    the file), or that looks like an envelope line anyway (``From addr Mon
    Jan``).  Body lines escaped as ``>From `` (mboxo) or ``>>From `` (mboxrd)
    lose one ``>``.
    """
    try:
        f = open(blob.path, "rb") if blob.content is None else io.BytesIO(blob.content)
    except OSError as e:
        raise DocumentError(f"cannot read: {e.strerror}") from None
    with f:
        n, lines, size, envelope, blank_before = 0, [], 0, b"", True
        started = False  # a message is open (an envelope line, or text before any)
        for line in _lines(f):
            if line.startswith(b"From ") and (blank_before or _MBOX_FROM.match(line)):
                if started:
                    n += 1
                    yield n, _join(lines), envelope
                lines, size, envelope, blank_before, started = [], 0, line, False, True
                continue
            blank_before = not line.strip()
            started = started or not blank_before
            if lines is None:
                continue  # past the size limit: read on to the next message
            if _ESCAPED_FROM.match(line):
                line = line[1:]
            size += len(line)
            if size > MAX_FILE_BYTES:
                lines = None
            else:
                lines.append(line)
        if started:
            yield n + 1, _join(lines), envelope


def _lines(f) -> Iterator[bytes]:
    try:
        # bounded: a file without line breaks must not become one huge line
        yield from iter(lambda: f.readline(1 << 20), b"")
    except OSError as e:
        raise DocumentError(f"cannot read: {e.strerror}") from None


def _join(lines: list[bytes] | None) -> bytes | None:
    if lines is None:
        return None
    # The blank line before the next envelope line is the separator, not the body's.
    if lines and not lines[-1].strip():
        lines.pop()
    return b"".join(lines)


# --------------------------------------------------------------------- message

class _Reading:
    """What one message yields: body texts, attachments, and what went wrong."""

    def __init__(self):
        self.texts: list[str] = []
        self.attachments: list[Message] = []
        self.problems: dict[str, None] = {}  # ordered set

    def note(self, problem: str) -> None:
        self.problems[problem] = None


def _message(data: bytes, ctx: Context, suffix: str | None, warn,
             envelope: bytes = b"") -> Iterator[Extracted]:
    reading = _Reading()
    try:
        msg = BytesParser(policy=compat32).parsebytes(data)
        _walk(msg, reading, 0)
    except RecursionError:
        raise DocumentError("MIME parts nested too deep") from None
    headers = _headers(msg, reading)
    text = "\n\n".join([_header_lines(headers), *reading.texts])
    for part in _all_parts(msg):
        for defect in part.defects:
            problem = _DEFECTS.get(type(defect), type(defect).__name__)
            if problem:
                reading.note(f"malformed MIME ({problem})")
    if reading.problems:
        warn("; ".join(reading.problems))
    yield Extracted(text=re.sub(r"\n{3,}", "\n\n", text).strip(), title=headers.get("subject", ""),
                    author=headers.get("from") or None,
                    date=_date(headers.get("date"), envelope), type="email", suffix=suffix)
    yield from _attachments(reading.attachments, ctx, suffix, warn)


def _all_parts(part: Message, depth: int = 0) -> Iterator[Message]:
    yield part
    # is_multipart() first: get_payload() of a leaf decodes it, and may raise
    if part.is_multipart() and depth < MAX_MIME_DEPTH:
        for child in part.get_payload():
            if isinstance(child, Message):
                yield from _all_parts(child, depth + 1)


def _walk(part: Message, reading: _Reading, depth: int) -> None:
    """Collect the body texts and the attachments of ``part``."""
    if depth > MAX_MIME_DEPTH:
        reading.note("MIME parts nested too deep: the deepest left out")
        return
    ctype = part.get_content_type()
    if part.is_multipart():  # (a leaf's get_payload() decodes it, and may raise)
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if ctype.startswith("message/"):
            # A forwarded message: its headers are as searchable as ours.
            for child in children:
                reading.texts.append(_header_lines(_headers(child, reading)))
                _walk(child, reading, depth + 1)
        elif ctype == "multipart/alternative":
            _alternative(children, reading, depth)
        else:
            for child in children:
                _walk(child, reading, depth + 1)
        return
    if ctype.startswith("multipart/"):
        recovered = _without_boundary(part)
        if recovered is not None:
            _walk(recovered, reading, depth + 1)
            return
        ctype = "text/plain"  # whatever it holds, its text is better than nothing
    if _is_attachment(part, ctype):
        if not _skipped(part, ctype):
            reading.attachments.append(part)
    elif ctype in ("text/plain", "text/html"):
        reading.texts.append(_part_text(part, ctype, reading))
    # other unnamed parts (text/calendar, text/css, ...) are not the message's text


def _alternative(children: list[Message], reading: _Reading, depth: int) -> None:
    """The plain-text version when it has text, else the richest one that has."""
    plain = [c for c in children if c.get_content_type() == "text/plain"]
    others = [c for c in reversed(children) if c not in plain]
    for child in plain + others:
        trial = _Reading()
        _walk(child, trial, depth + 1)
        if any(t.strip() for t in trial.texts):
            reading.texts += trial.texts
            reading.attachments += trial.attachments
            for problem in trial.problems:
                reading.note(problem)
            return


def _without_boundary(part: Message) -> Message | None:
    """A multipart whose boundary is missing or wrong, re-parsed with the
    boundary its body actually uses; None when there is none."""
    data = part.get_payload(decode=True)
    body = data.decode("ascii", "surrogateescape") if data else ""
    m = _BOUNDARY_LINE.search(body)
    if not m:
        return None
    boundary = m.group(1)
    if boundary.endswith("--"):
        boundary = boundary[:-2]
    ctype = part.get_content_type()
    ctype = ctype if ctype.isascii() else "multipart/mixed"
    head = f'Content-Type: {ctype}; boundary="{boundary}"\n\n'
    raw = (head + body).encode("ascii", "surrogateescape")
    recovered = BytesParser(policy=compat32).parsebytes(raw)
    return recovered if recovered.is_multipart() else None


def _is_attachment(part: Message, ctype: str) -> bool:
    if _filename(part) is not None or part.get_content_disposition() == "attachment":
        return True
    # An unnamed PDF or Word file is a document all the same (unnamed text/css,
    # text/calendar and the like are not).
    return ctype.startswith("application/")


def _skipped(part: Message, ctype: str) -> bool:
    if ctype.startswith(_SKIP_TYPES) or ctype in _SIGNATURES:
        return True
    guessed = mimetypes.guess_type(_filename(part) or "")[0] or ""
    return guessed.startswith(_SKIP_TYPES)


def _part_text(part: Message, ctype: str, reading: _Reading) -> str:
    data = part.get_payload(decode=True) or b""
    charset = _charset(part)
    text = _decode(data, charset, reading, "body")
    if ctype == "text/html":
        from searchkit.documents.html import parse_html

        try:
            # Already decoded (charset problems handled here): handed on as UTF-8.
            text = parse_html(text.encode("utf-8", "replace"), "utf-8", chapter=True).text
        except DocumentError as e:
            reading.note(f"HTML body: {e}")
            return ""
    elif str(part.get_param("format", "")).lower() == "flowed":
        text = _unflow(text, str(part.get_param("delsp", "")).lower() == "yes")
    return tidy(text)


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except (LookupError, UnicodeError, ValueError, TypeError):
        return None


def _unflow(text: str, delsp: bool) -> str:
    """Join the lines of a format=flowed text (RFC 3676) back into paragraphs."""
    out: list[list] = []  # [quote depth, text, flows on]
    for line in text.split("\n"):
        line = line.rstrip("\r")
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffed
        flows = content.endswith(" ") and content != "-- "
        if flows and delsp:
            content = content[:-1]
        if out and out[-1][2] and out[-1][0] == depth:
            out[-1][1] += content
            out[-1][2] = flows
        else:
            out.append([depth, content, flows])
    return "\n".join((">" * d + " " if d else "") + t for d, t, _ in out)


# --------------------------------------------------------------------- charsets

def _decode(data: bytes, charset: str | None, reading: _Reading, what: str) -> str:
    """Bytes in the declared charset -- unless it is unknown, does not fit, or
    visibly lies, when ``text.decode`` guesses (and a warning says so)."""
    if not data:
        return ""
    text = None
    if charset:
        try:
            text = data.decode(charset)
        except LookupError:
            problem = f"unknown charset {charset!r}"
        except (UnicodeError, ValueError, TypeError):
            problem = f"{what} is not valid {charset}"
    else:
        try:
            return data.decode("ascii")
        except UnicodeError:
            problem = None  # no charset declared: guessing is all anyone can do
    if text is not None:
        if not (_C1.search(text) or _MOJIBAKE.intersection(text)):
            return text
        problem = f"{what} is not {charset}"
    try:
        guess, _ = decode(data)
    except DocumentError:
        guess = data.decode("utf-8", "replace")
    if text is not None and _score(guess) <= _score(text):
        return text
    if problem:
        reading.note(f"{problem}: charset guessed")
    return guess


def _score(text: str) -> int:
    return sum(ch in _POLISH for ch in text) - 10 * sum(
        ch in _MOJIBAKE or ch == "\ufffd" or "\x80" <= ch <= "\x9f" for ch in text)


# ---------------------------------------------------------------------- headers

def _headers(msg: Message, reading: _Reading) -> dict[str, str]:
    """Decoded From, To, Cc, Subject and Date of ``msg``."""
    raw: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        name = name.lower()
        if name in ("from", "to", "cc", "subject", "date") and isinstance(value, str):
            raw.setdefault(name, []).append(_unfold(value))
    out = {}
    for name, values in raw.items():
        if name in ("subject", "date"):
            out[name] = single_line(_decode_words(values[0], reading))
        else:
            out[name] = _addresses(values, reading)
    return out


def _header_lines(headers: dict[str, str]) -> str:
    """"Od: ...", "Do: ..." lines: the names and the subject become searchable."""
    return "\n".join(f"{label}: {headers[name]}" for name, label in _LABELS if headers.get(name))


def _unfold(value: str) -> str:
    value = _FOLD.sub("", value)
    if _SURROGATE.search(value):
        # Raw 8-bit bytes in a header: the parser kept them as surrogates.
        data = value.encode("ascii", "surrogateescape")
        try:
            value, _ = decode(data)
        except DocumentError:
            value = data.decode("utf-8", "replace")
    return value


def _addresses(values: list[str], reading: _Reading) -> str:
    """``Name <address>, ...``: names decoded, quotes gone.  When the header
    does not parse as addresses, its decoded text as it is."""
    pairs = getaddresses(values)
    if pairs and all("@" in addr for _, addr in pairs):
        return ", ".join(single_line(f"{_decode_words(name, reading)} <{addr}>" if name else addr)
                         for name, addr in pairs)
    return single_line(", ".join(_decode_words(v, reading) for v in values))


def _decode_words(value: str, reading: _Reading) -> str:
    """Decode RFC 2047 encoded-words: the space between two of them goes (a
    word may be split across them), and neighbours in one charset are decoded
    together (so may a character's bytes)."""
    out: list[str] = []
    pending, pending_charset = b"", None  # bytes of adjacent words in one charset
    pos = 0
    for m in _ENCODED_WORD.finditer(value):
        between = value[pos:m.start()]
        charset = m.group(1).split("*")[0]  # RFC 2231 adds *language
        data = _word_bytes(m.group(2), m.group(3))
        # white space between two encoded-words is not part of the text
        adjacent = pos and not between.strip() and data is not None
        if not adjacent or (pending_charset and charset.lower() != pending_charset.lower()):
            out.append(_flush(pending, pending_charset, reading))
            pending, pending_charset = b"", None
        if not adjacent:
            out.append(between)
        if data is None:
            out.append(m.group())
        else:
            pending, pending_charset = pending + data, charset
        pos = m.end()
    out.append(_flush(pending, pending_charset, reading))
    out.append(value[pos:])
    return "".join(out)


def _word_bytes(encoding: str, text: str) -> bytes | None:
    try:
        if encoding in "Qq":
            return binascii.a2b_qp(text.encode("ascii"), header=True)
        return base64.b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        return None


def _flush(data: bytes, charset: str | None, reading: _Reading) -> str:
    return _decode(data, charset, reading, "header") if data else ""


def _date(value: str | None, envelope: bytes) -> str | None:
    """The Date header (or the mbox envelope's date) as YYYY-MM-DD, in the
    sender's own time zone."""
    candidates = [value or ""]
    if envelope:
        # "From sender@example.org Fri Jan 19 10:00:00 2024"
        candidates.append(envelope.decode("ascii", "replace").split(None, 2)[-1])
    for candidate in candidates:
        try:
            parsed = parsedate_tz(candidate)
            if parsed and 1900 <= parsed[0] <= 2200:
                return datetime.date(*parsed[:3]).isoformat()
        except (ValueError, TypeError, IndexError, OverflowError):
            pass
    return None


# ------------------------------------------------------------------ attachments

def _attachments(parts: list[Message], ctx: Context, suffix: str | None,
                 warn) -> Iterator[Extracted]:
    used: set[str] = set()
    for part in parts:
        name = _unique(_filename(part) or _unnamed(part), used)
        data = part.get_payload(decode=True)
        if not data:
            continue
        prefix = f"{suffix}/{name}" if suffix else name
        try:
            for item in ctx.nested(Blob(name=name, content=data)):
                item.suffix = f"{prefix}/{item.suffix}" if item.suffix else prefix
                yield item
        except DocumentError as e:
            warn(f"attachment {name}: {e}", skipped=True)


def _filename(part: Message) -> str | None:
    """The attachment's file name, RFC 2231 and (as mailers do) RFC 2047
    decoded, without any folder."""
    try:
        name = part.get_filename()
    except (LookupError, UnicodeError, ValueError, TypeError):
        return None
    if not name:
        return None
    name = _decode_words(_unfold(name), _Reading())
    name = re.split(r"[/\\]", name)[-1]
    return single_line(name) or None


def _unnamed(part: Message) -> str:
    ext = mimetypes.guess_extension(part.get_content_type()) or ""
    return f"attachment{ext}"


def _unique(name: str, used: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    if not stem:
        stem, dot, ext = name, "", ""
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{stem}-{n}{dot}{ext}"
    used.add(candidate)
    return candidate


# ------------------------------------------------------------------------- text


