"""Fixes to Whoosh 2.7.4 (pinned) that searchkit's results depend on.

``AndNotMatcher`` (``a -b``) only skips the excluded side forward when both
sides start on the same document: when the excluded term's first document
comes before the wanted term's, the exclusion is never applied and ``żółw
-koperta`` returns documents with *koperta*.  Its ``_find_next`` already skips
properly; the first position must use it too.
"""

from __future__ import annotations

from whoosh.matching import binary


def _find_first(self) -> None:
    if self.a.is_active() and self.b.is_active():
        self._find_next()


binary.AndNotMatcher._find_first = _find_first
