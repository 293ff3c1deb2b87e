"""Passages: the sentences of a document that best show why it matched.

A passage is scored by the distinct query terms it contains (weighted by their
IDF, so a rare name counts more than a common verb), plus a little for every
further match.  Long sentences are cut to a window around their matches, so a
passage is never the whole document.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from searchkit.analysis import STOPWORDS, form_spans, is_capitalised, iter_words, starts_sentence

MAX_CHARS = 300
FIND_MAX_FORMS = 64  # see Highlighter.find

# Where a sentence may end: after . ! ? … (and closing quotes) followed by space,
# or at a line break.  A lower-case letter after the dot means an abbreviation
# ("3 tys. osób"), not a sentence end.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”»)\]]*[ \t]+|[ \t\r]*\n\s*")

# Formats whose lines wrap sentences (Document.type): a PDF's text comes out
# line by line as printed, plain text and e-mails are often wrapped at ~72
# characters.  There a single line break before a lower-case letter is read
# as a space ("dostępny jest\nonline."); in the other formats a line break
# separates blocks (a heading, a list item, a paragraph).
WRAPPED_TYPES = frozenset({"pdf", "text", "email"})

# Abbreviations that hardly ever end a sentence, so a capital after them
# ("dosł. „pytania”", "prof. Nowak") does not start a new one.  Not "r." or
# "tys.": "w 1939 r." ends sentences all the time.
_ABBREVIATIONS = frozenset("""
    dosł ang łac niem fr ros gr wł tzw np ds prof dr hab inż mgr gen płk ppłk mjr kpt ks
    św ul al im wg nr zob tj tzn por ur zm pt ok
""".split())
_LAST_WORD = re.compile(r"(\w+)\.$")


class Highlighter:
    """Finds the words of a text that a query matches.

    ``forms`` maps a lower-cased word form to (the query term it matches, its
    weight); ``prefixes`` come from wildcard queries (``kazach*``).  A form in
    ``names`` matches only where it is written as a name (its name term is
    the one it matches: lemmatizer.name): with a capital inside a sentence,
    or at a sentence's start too when ``names[form]`` (a name wherever written
    with a capital).
    """

    def __init__(self, forms: dict[str, tuple[str, float]], prefixes=(),
                 names: dict[str, bool] | None = None):
        self.forms = forms
        self.words = frozenset(forms)
        self.prefixes = tuple(p.lower() for p in prefixes if p)
        self.names = names or {}

    def find(self, text: str) -> list[tuple[int, int, str, float]]:
        """(start, end, term, weight) of every matching word in ``text``."""
        forms, prefixes = self.forms, self.prefixes
        # Without prefixes, only the query's forms are looked for: a long text
        # (a 200,000-character part of a book) is not split into all its words
        # -- unless there are so many forms that one pass over the words costs
        # less than a search for each (about 60 forms on such a part).
        if prefixes or len(self.words) > FIND_MAX_FORMS:
            spans = spans_of(text)
        else:
            spans = form_spans(text, self.words)
        # Only the forms both sides have: a set intersection, not a loop over words.
        out = [(start, end, *forms[form]) for form in spans.keys() & forms.keys()
               for start, end in spans[form]]
        if self.names:
            names = self.names
            out = [hit for hit in out if (form := text[hit[0]:hit[1]].lower()) not in names
                   or _as_name(text, hit[0], hit[1], names[form])]
        if prefixes:
            out += [(start, end, form, 1.0) for form, positions in spans.items()
                    if form not in forms and form.startswith(prefixes) and form not in STOPWORDS
                    for start, end in positions]
        out.sort()
        return out


def _as_name(text: str, start: int, end: int, anywhere: bool) -> bool:
    """Is the word at ``start:end`` written as a name, as the index read it?"""
    return is_capitalised(text[start:end]) and (anywhere or not starts_sentence(text, start))


@functools.lru_cache(maxsize=8192)  # a batch meets the same documents again and again
def spans_of(text: str) -> dict[str, list[tuple[int, int]]]:
    """Each lower-cased word of ``text`` (as the index saw them) -> where it occurs."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for word, start, end in iter_words(text):
        spans.setdefault(word.lower(), []).append((start, end))
    return spans


@dataclass
class Passage:
    """A best passage of a hit: a sentence or part of one, with the query's matches."""

    text: str  # a slice of the document text
    offset: int  # where it starts in the document text (characters)
    matches: list[tuple[int, int]] = field(default_factory=list)  # within ``text``
    cut_before: bool = False  # the sentence goes on before ``text``
    cut_after: bool = False
    page: int | None = None  # of a paged document (PDF): the page it is on


@functools.lru_cache(maxsize=8192)  # a batch meets the same documents again and again
def sentences(text: str, wrapped: bool = False) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``; ``wrapped``: its lines wrap
    sentences (``WRAPPED_TYPES``)."""
    spans, start = [], 0
    for m in _BOUNDARY.finditer(text):
        after = text[m.end():m.end() + 1]
        if wrapped and after.islower() and m.group().count("\n") == 1:
            continue
        if "\n" not in m.group() and m.group().startswith(".") and not after.islower():
            word = _LAST_WORD.search(text, max(0, m.start() - 12), m.start() + 1)
            if word and word.group(1).lower() in _ABBREVIATIONS:
                continue
        if "\n" in m.group() or not after.islower():
            end = m.start() + len(m.group().rstrip())
            if text[start:end].strip():
                spans.append((start, end))
            start = m.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def best_passages(text: str, highlighter: Highlighter, limit: int = 3,
                  max_chars: int = MAX_CHARS, wrapped: bool = False) -> list[Passage]:
    """Up to ``limit`` passages, best first.  Without any match in the text (the
    title matched), the opening sentence stands in, without highlights.
    ``wrapped``: as for ``sentences``."""
    if limit <= 0 or not text.strip():
        return []
    matches = highlighter.find(text)
    spans = sentences(text, wrapped)
    if not matches:
        start, end = spans[0]
        return [_window(text, start, end, [], max_chars)]
    scored = []
    i = 0
    for start, end in spans:
        inside = []
        while i < len(matches) and matches[i][0] < end:
            if matches[i][0] >= start:
                inside.append(matches[i])
            i += 1
        if inside:
            distinct = {key: weight for _, _, key, weight in inside}
            score = sum(distinct.values()) + 0.1 * (len(inside) - len(distinct))
            scored.append((-score, start, end, inside))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [_window(text, start, end, [(s, e) for s, e, _, _ in inside], max_chars)
            for _, start, end, inside in scored[:limit]]


def _window(text: str, start: int, end: int, matches: list[tuple[int, int]],
            max_chars: int) -> Passage:
    cut_before = cut_after = False
    if end - start > max_chars:
        # Start a little before the first match, at a word boundary.
        first = matches[0][0] if matches else start
        new_start = max(start, first - max_chars // 4)
        if new_start > start:
            # a wrapped sentence's words are also split by line breaks
            space = max(text.rfind(" ", start, new_start), text.rfind("\n", start, new_start))
            new_start = space + 1 if space >= start else new_start
            cut_before = new_start > start
        new_end = min(end, new_start + max_chars)
        if new_end < end:
            space = max(text.rfind(" ", new_start, new_end), text.rfind("\n", new_start, new_end))
            new_end = space if space > new_start else new_end
            cut_after = True
        start, end = new_start, new_end
    return Passage(
        text=text[start:end],
        offset=start,
        matches=[(s - start, e - start) for s, e in matches if s >= start and e <= end],
        cut_before=cut_before,
        cut_after=cut_after,
    )
