"""JSON Lines collections: one document per line, with its own id."""

from __future__ import annotations

import json
from typing import Iterator

from searchkit.documents.model import Blob, Context, Extracted
from searchkit.documents.text import decode, nfc


def read(blob: Blob, ctx: Context) -> Iterator[Extracted]:
    text, warning = decode(blob.data())
    if warning:
        ctx.warn(warning)
    # JSON Lines ends records at "\n" only: str.splitlines() would also break
    # at U+2028, U+0085 and other separators that JSON strings may hold raw
    # (31 of Wikisource's paragraphs); a "\r" before "\n" is JSON whitespace,
    # and a file of old Mac line ends ("\r" alone, never raw inside a JSON
    # string) is split at those.
    for number, line in enumerate(text.split("\n" if "\n" in text else "\r"), 1):
        if not line.strip():
            continue
        where = f":{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            ctx.warn(f"malformed JSON ({e.msg})", where=where, skipped=True)
            continue
        if not isinstance(obj, dict):
            ctx.warn("not a JSON object", where=where, skipped=True)
            continue
        doc_id, body = obj.get("id"), obj.get("text")
        if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool) or str(doc_id) == "":
            ctx.warn("missing or invalid \"id\"", where=where, skipped=True)
            continue
        if not isinstance(body, str):
            ctx.warn("missing or invalid \"text\"", where=where, skipped=True)
            continue
        title, date = obj.get("title"), obj.get("date")
        yield Extracted(
            id=str(doc_id),
            title=nfc(title.strip()) if isinstance(title, str) else "",
            text=nfc(body),
            date=str(date) if isinstance(date, (str, int)) and str(date) else None,
            type="text",
            line=number,
        )
