"""Fixes to Whoosh 2.7.4 (pinned) that searchkit's results depend on.

``AndNotMatcher`` (``a -b``) only skips the excluded side forward when both
sides start on the same document: when the excluded term's first document
comes before the wanted term's, the exclusion is never applied and ``żółw
-koperta`` returns documents with *koperta*.  Its ``_find_next`` already skips
properly; the first position must use it too.

A phrase of one word (``film "Psychoza"``) normalises to a plain term that
drops the phrase's boost: the quoted word counted in ``title`` five times
as much as any other word does there (1.0 instead of the field's 0.2), and
its form in the word forms' field 1.0 instead of 0.3.
"""

from __future__ import annotations

from whoosh.matching import binary
from whoosh.query import positional, terms


def _find_first(self) -> None:
    if self.a.is_active() and self.b.is_active():
        self._find_next()


binary.AndNotMatcher._find_first = _find_first


_phrase_normalize = positional.Phrase.normalize


def _normalize_phrase(self):
    q = _phrase_normalize(self)
    if type(q) is terms.Term:
        q.boost = self.boost
    return q


positional.Phrase.normalize = _normalize_phrase
