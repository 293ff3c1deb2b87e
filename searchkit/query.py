"""Query parsing: the user's query string to a Whoosh query.

Syntax (Whoosh's parser, configured): plain words are OR-ed and ranked, so
documents with more of the words come first; ``"exact phrase"``; ``-word``
excludes, ``+word`` requires; ``AND`` / ``OR`` / ``NOT`` and parentheses;
``title:`` / ``date:`` / ``id:`` fields (``tytuł:`` and ``data:`` work too);
``prefix*``; ``date:[2021 TO 2022]``.

A plain word typed without Polish diacritics also matches the forms of the
index that differ from it only by diacritics (``zolnierze`` finds
``żołnierze``), unless the query uses diacritics somewhere (then the user
evidently typed them).
"""

from __future__ import annotations

import re
import unicodedata

from whoosh import qparser, query
from whoosh.qparser import syntax

from searchkit.analysis import STOPWORDS, diacritic_variants, fold, iter_words
from searchkit.errors import SearchkitError

FIELDS = ("title", "date", "id")
ALIASES = {"title": ["tytuł", "tytul"], "date": ["data"]}
MAX_QUERY_CHARS = 4096
MIN_PREFIX = 2

FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS) - STOPWORDS

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class QueryError(SearchkitError):
    pass


class _FoldPlugin(qparser.Plugin):
    """Finds what a query typed without diacritics means.

    A word stands for the forms of the index that differ from it only by
    diacritics (``zolnierze`` -> ``żołnierze``); a word whose form the index
    lacks, for the dictionary words it may be (``oblezeniem`` -> ``oblężeniem``,
    which the lemmatizer relates to the ``oblężenie`` of a document).  In a
    phrase, each word becomes its commonest form in the index.
    """

    def __init__(self, lexicon, lemmatizer, frequency):
        self.lexicon = lexicon
        self.lemmatizer = lemmatizer
        self.frequency = frequency  # form -> number of documents using it

    def filters(self, parser):
        # After field names are assigned (100), before the multifield split (110).
        return [(self.expand, 105)]

    def expand(self, parser, group):
        if getattr(parser, "_has_diacritics", False):
            return group
        out = group.empty_copy()
        for node in group:
            if isinstance(node, syntax.GroupNode):
                out.append(self.expand(parser, node))
            elif getattr(node, "fieldname", None) not in (None, "title"):
                out.append(node)
            elif isinstance(node, syntax.WordNode):
                replacement = self._alternatives(node)
                if replacement is not None:
                    out.append(replacement)
            elif isinstance(node, qparser.PhrasePlugin.PhraseNode):
                node.text = re.sub(r"\w+", lambda m: self._commonest(m.group()), node.text)
                out.append(node)
            else:
                out.append(node)
        return out

    def _candidates(self, word: str) -> list[str]:
        forms = self.lexicon.forms_folding_to(word)
        if forms:
            return forms
        if self.lexicon.terms_of(word):
            return [word]
        return [v for v in diacritic_variants(word) if self.lemmatizer.known(v)]

    def _alternatives(self, node):
        words = [w for w, _, _ in iter_words(node.text)]
        if len(words) != 1 or fold(words[0]) != words[0]:
            return node
        word = words[0].lower()
        # "sie", "ktory", "juz": stopwords typed without their diacritics.
        if word in FOLDED_STOPWORDS:
            return None
        forms = self._candidates(word)
        if not forms:
            return node
        # The typed word itself only if it is one of them: its own analysis
        # ("mieszkal" -> "mieszkalić") would only add noise.
        alternatives = [node] if word in forms else []
        alternatives += [_word_like(node, form) for form in forms if form != word]
        return alternatives[0] if len(alternatives) == 1 else syntax.OrGroup(alternatives)

    def _commonest(self, word: str) -> str:
        lower = word.lower()
        if fold(lower) != lower or lower in STOPWORDS:
            return word
        forms = self.lexicon.forms_folding_to(lower)
        return max(forms, key=self.frequency) if forms else word


def _word_like(node, text):
    new = syntax.WordNode(text)
    new.fieldname, new.boost = node.fieldname, node.boost
    new.startchar, new.endchar = node.startchar, node.endchar
    return new


class _FieldCheckPlugin(qparser.Plugin):
    """Unknown field names are errors, not silently searched-for text."""

    def __init__(self, known):
        self.known = set(known)

    def filters(self, parser):
        return [(self.check, 101)]

    def check(self, parser, group):
        for node in group:
            if isinstance(node, syntax.GroupNode):
                self.check(parser, node)
            name = getattr(node, "fieldname", None)
            if name is not None and name not in self.known:
                raise QueryError(f"unknown field {name!r} (fields: {', '.join(FIELDS)}); "
                                 "put the text in quotes to search for it")
        return group


class _StarPlugin(qparser.WildcardPlugin):
    # Only "*" is a wildcard: "?" ends questions ("Gdzie mieszkał Wacław?").
    qmarks = ""
    expr = "(?P<text>[*])"


def make_parser(schema, lexicon, lemmatizer, frequency, boosts: dict[str, float]):
    parser = qparser.MultifieldParser(list(boosts), schema, fieldboosts=boosts,
                                      group=qparser.OrGroup)
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(_StarPlugin())
    parser.remove_plugin_class(qparser.FieldsPlugin)
    # Field names are letters only: "10:30" is a time, not the field "10".
    parser.add_plugin(qparser.FieldsPlugin(expr=r"(?P<text>[^\W\d_]\w*):", remove_unknown=False))
    parser.add_plugin(qparser.FieldAliasPlugin(ALIASES))
    # "-" and "+" are operators only at the start of a word: inside one they are
    # hyphens (Kasym-Żomart, KISS-ów, F-16), which Whoosh's default would read
    # as "Kasym AND NOT Żomart".
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+",
                                              minusexpr=r"(?<![^\s(])-"))
    parser.add_plugin(_FieldCheckPlugin(FIELDS + tuple(boosts)))
    parser.add_plugin(_FoldPlugin(lexicon, lemmatizer, frequency))
    return parser


def clean(text: str) -> str:
    """NFC, no control characters, single-line: what the parser should see."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", text)).strip()


def parse(parser, text: str):
    """Parse ``text``; raise QueryError with a one-line reason when it is unusable."""
    text = clean(text)
    if not text:
        raise QueryError("empty query")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters; the limit is "
                         f"{MAX_QUERY_CHARS})")
    parser._has_diacritics = fold(text) != text
    try:
        q = parser.parse(text)
    except QueryError:
        raise
    except Exception as e:  # the parser's own errors are not meant for users
        raise QueryError(f"cannot parse the query: {e}") from None
    q = q.accept(_fix_node).normalize()
    for node in _walk(q):
        if isinstance(node, (query.Prefix, query.Wildcard)):
            literal = re.split(r"[*?]", node.text, maxsplit=1)[0]
            if len(literal) < MIN_PREFIX and node.text != "*":
                raise QueryError(f"'{node.text}' is too broad: put at least {MIN_PREFIX} "
                                 "letters before '*'")
    return q


def _fix_node(node):
    # The exact-forms field has no positions, so it cannot check a phrase:
    # the phrase is checked in the lemmatised fields only.
    if isinstance(node, query.Phrase) and node.fieldname == "exact":
        return query.NullQuery
    # A date has no inner words to order: all of its parts will do.
    if isinstance(node, query.Phrase) and node.fieldname == "date":
        return query.And([query.Term("date", w) for w in node.words], boost=node.boost)
    # date:[2021 TO 2022] should include 2022-05: extend the upper bound to
    # everything that starts with it.
    if isinstance(node, query.TermRange) and node.fieldname == "date" and node.end:
        return query.TermRange("date", node.start, node.end + "\uffff", node.startexcl,
                               node.endexcl, boost=node.boost)
    return node


def _walk(q):
    yield q
    if q.is_leaf():
        return
    for child in q.children():
        yield from _walk(child)


def positive_leaves(q):
    """The leaf queries whose matches should be highlighted (not those under NOT)."""
    if isinstance(q, query.Not):
        return
    if isinstance(q, query.AndNot):
        yield from positive_leaves(q.a)
        return
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from positive_leaves(child)


def is_empty(q) -> bool:
    """Nothing left to search for (the query had only stopwords)."""
    return q is query.NullQuery
