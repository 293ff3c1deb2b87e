"""Documents in: find source files, tell what they are, read them into documents.

``sources`` walks folders; ``detect`` tells a file's format from its content;
``registry`` hands it to the reader of that format (one module each: ``text``,
``jsonl``, ``pdf``, ``docx``, ``odt``, ``rtf``, ``doc``, ``html``, ``epub``,
``mail``); every reader turns a file into ``Extracted`` items, which become
``Document``s.  Problems with single files never stop a run: they go to a
``warn(where, message, skipped=False)`` callback -- ``skipped`` when the file,
folder or line is left out, not when it was recovered.
"""

from searchkit.documents.model import Document, DocumentError, EncryptedError, Source, Warn
from searchkit.documents.registry import TYPES, extract, read_source
from searchkit.documents.sources import find_sources
from searchkit.documents.text import decode, split_metadata

__all__ = ["Document", "DocumentError", "EncryptedError", "Source", "TYPES", "Warn", "decode",
           "extract", "find_sources", "read_source", "split_metadata"]
