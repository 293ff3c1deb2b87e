"""Queries: the user's query string to a Whoosh query.

Syntax: plain words are OR-ed and ranked, so documents with more of the words
come first; ``"exact phrase"``; ``-word`` excludes, ``+word`` requires; ``AND``
/ ``OR`` / ``NOT`` and parentheses; ``title:`` / ``date:`` / ``id:`` fields
``author:`` / ``type:`` (``tytuł:``, ``data:``, ``autor:``, ``typ:`` too);
``prefix*``; ``date:[2021 TO 2022]``.

Plain words -- most queries, and every question of a batch -- are analysed and
combined here directly; a query using any syntax goes through Whoosh's parser
(``parser.py``, imported only then).  Both give the same query for plain
words (a test checks it).

A word typed without Polish diacritics also stands for the forms of the index
that differ from it only by diacritics (``zolnierze`` finds ``żołnierze``),
unless the query uses diacritics somewhere: then the user evidently typed them.
"""

from __future__ import annotations

import re
import unicodedata

from whoosh import matching, query

from searchkit.analysis import (STOPWORDS, diacritic_variants, fold, follows_sentence_end,
                                is_capitalised, iter_words, query_word_inside)
from searchkit.errors import SearchkitError
from searchkit.lemmatizer import is_caps

FIELDS = ("title", "date", "id", "author", "type")
MAX_QUERY_CHARS = 4096
MIN_PREFIX = 2

FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS) - STOPWORDS

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Anything the parser gives a meaning to (see parser.py): quotes, groups,
# fields, wildcards, ranges, boosts, and +/- or an operator word.
_SYNTAX = re.compile(r"""["()\[\]{}*^:]|(?:^|\s)[+-]"""
                     r"""|(?:^|\s)(?:AND|OR|NOT|ANDNOT|ANDMAYBE|TO)(?:\s|$)""")
_OPERATOR_WORDS = re.compile(r"\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE|TO)\b")


class QueryError(SearchkitError):
    pass


class FoldExpander:
    """What a word typed without diacritics may stand for.

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
        self.off = False  # set per query: the query has diacritics

    def alternatives(self, token: str) -> list[str]:
        """The texts to search for instead of ``token`` (empty: drop it)."""
        words = [w for w, _, _ in iter_words(token)]
        if self.off or len(words) != 1 or fold(words[0]) != words[0]:
            return [token]
        word = words[0].lower()
        # "sie", "ktory", "juz": stopwords typed without their diacritics.
        if word in FOLDED_STOPWORDS:
            return []
        forms = self._candidates(word)
        if not forms:
            return [token]
        # The typed word itself only if it is one of them: its own analysis
        # ("mieszkal" -> "mieszkalić") would only add noise.  A word typed
        # with a capital (not in capitals) keeps it in each alternative, which
        # may then be searched as a name (lemmatizer.query_terms).
        if is_capitalised(words[0]) and not is_caps(words[0]):
            forms = [f[:1].upper() + f[1:] for f in forms]
            word = words[0]
        return ([token] if word in forms else []) + [f for f in forms if f != word]

    def commonest(self, word: str) -> str:
        lower = word.lower()
        if self.off or fold(lower) != lower or lower in STOPWORDS:
            return word
        forms = self.lexicon.forms_folding_to(lower)
        return max(forms, key=self.frequency) if forms else word

    def _candidates(self, word: str) -> list[str]:
        forms = self.lexicon.forms_folding_to(word)
        if forms:
            return forms
        if self.lexicon.terms_of(word):
            return [word]
        variants = [v for v in diacritic_variants(word) if self.lemmatizer.known(v)]
        frequency = self.lemmatizer.frequency
        if variants and frequency is not None and frequency(self.lemmatizer.term(word)):
            # A form the index lacks whose term it has -- a name's other case
            # (Debianie -> debian), which no dictionary knows -- is itself too,
            # not only the dictionary's words with diacritics (dębianie).
            return [word] + variants
        return variants


class QueryBuilder:
    def __init__(self, schema, expander: FoldExpander, boosts: dict[str, float]):
        self.schema = schema
        self.expander = expander
        self.boosts = boosts
        self._parser = None
        # token -> its subqueries: batches repeat words ("roku", "został") a lot
        self._words: dict = {}

    def parse(self, text: str):
        """The Whoosh query for ``text``; QueryError with a one-line reason when
        it is unusable.  ``NullQuery`` when nothing is left to search for."""
        text = clean(text)
        if not text:
            raise QueryError("empty query")
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(f"query too long ({len(text)} characters; the limit is "
                             f"{MAX_QUERY_CHARS})")
        if not re.search(r"[\w*]", _OPERATOR_WORDS.sub(" ", text)):
            raise QueryError("nothing to search for: the query has operators but no words")
        self.expander.off = fold(text) != text
        if not _SYNTAX.search(text):
            return self.plain(text)
        from searchkit import parser

        if self._parser is None:
            self._parser = parser.make_parser(self.schema, self.expander, self.boosts)
        q = as_filters(parser.parse(self._parser, text).accept(_fix_node).normalize())
        q = q.accept(self._with_lemmas)
        _check_types(q)
        for node in _walk(q):
            if isinstance(node, (query.Prefix, query.Wildcard)):
                literal = re.split(r"[*?]", node.text, maxsplit=1)[0]
                if len(literal) < MIN_PREFIX and node.text != "*":
                    raise QueryError(f"'{node.text}' is too broad: put at least {MIN_PREFIX} "
                                     "letters before '*'")
        if _only_excludes(q, text):
            raise QueryError("nothing to search for: the query only excludes words; add a word "
                             "to look for, or '*' for every document (* -word)")
        return q

    def _with_lemmas(self, node):
        # The parser makes plain terms of the forms: their lemmas are the terms
        # ``body`` gives the lower-cased form -- for a form of the index, the
        # terms the index gave it (the lexicon's), whatever its capitals.
        if type(node) is query.Term and node.fieldname == FORMS:
            lemmas = tuple(self.schema["body"].process_text(node.text, mode="query"))
            return FormTerm(node.text, lemmas, node.boost)
        return node

    def _forms(self, alternative: str, lemmas: tuple, boost: float) -> list:
        """The forms of ``alternative``, each with the lemmas of its own word
        (Kasym-Żomart: kasym with Kasym's, żomart with Żomart's)."""
        body, forms = self.schema["body"], self.schema[FORMS]
        terms = []
        for word, _, _ in iter_words(alternative):
            own = lemmas if word == alternative else tuple(body.process_text(word, mode="query"))
            terms += [FormTerm(t, own, boost) for t in forms.process_text(word, mode="query")]
        return terms

    def plain(self, text: str):
        """Plain words, as the parser would combine them: each word in every
        field (with the field's boost), all of it OR-ed."""
        subqueries = []
        inside = False  # after the query's first word (analysis.query_word_inside)
        for token in text.split():
            key = (token, self.expander.off, inside)
            word = self._words.get(key)
            if word is None:
                word = self._words[key] = self._word(token, inside)
                if len(self._words) > 50_000:  # bounded, for endless batches
                    self._words.clear()
            subqueries.extend(word)
            inside = not follows_sentence_end(token)
        return query.Or(subqueries).normalize() if subqueries else query.NullQuery

    def _word(self, token: str, inside: bool = False) -> list:
        out = []
        body = self.schema["body"]
        for alternative in self.expander.alternatives(token):
            # The word's own terms weigh its forms (FormTerm), as the parser's
            # do; the name term a capital after the first word adds is searched.
            lemmas = tuple(body.process_text(alternative, mode="query"))
            # Only a capital says anything after the first word.
            capital = inside and any(ch.isupper() for ch in alternative)
            searched = lemmas
            if capital:
                with query_word_inside():
                    searched = tuple(body.process_text(alternative, mode="query"))
            for fieldname, boost in self.boosts.items():
                if fieldname == FORMS:
                    terms = self._forms(alternative, lemmas, boost)
                elif fieldname == "body":
                    terms = [query.Term(fieldname, t, boost=boost) for t in searched]
                else:
                    with query_word_inside(capital):
                        texts = tuple(self.schema[fieldname].process_text(alternative,
                                                                          mode="query"))
                    terms = [query.Term(fieldname, t, boost=boost) for t in texts]
                if len(terms) == 1:
                    out.append(terms[0])
                elif terms:
                    out.append(query.Or(terms))
        return out


# The field of the query's own word forms: not indexed; they re-score the best
# candidates (split_forms, search.Searcher._rescored).
FORMS = "exact"


class FormTerm(query.Term):
    """A word form of the query (lower-cased, as written), with the terms the
    same word has in ``body`` (``lemmas``): a document's count of the form is
    weighed by the IDF of its lemma (the form's own document frequency is not
    indexed; on PoQuAD the lemma's IDF ranks as well: dev 0.8559, 0.8558 before)."""

    def __init__(self, text: str, lemmas: tuple = (), boost: float = 1.0):
        super().__init__(FORMS, text, boost=boost)
        self.lemmas = tuple(lemmas)


def clean(text: str) -> str:
    """NFC, no control characters: what the parser should see."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _fix_node(node):
    # Word forms are not indexed: a phrase is checked in the lemmatised fields.
    if isinstance(node, query.Phrase) and node.fieldname == FORMS:
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


# Metadata fields narrow a search down rather than add to it.
FILTER_FIELDS = frozenset({"type", "author", "date", "id"})


def as_filters(q):
    """``wojna type:pdf date:2022`` means the PDFs of 2022 about war, not
    anything about war or any PDF: the metadata clauses a query's words are
    OR-ed with (at its top level, beside ``+word`` and ``-word`` too) become
    filters that every hit must pass (two values of one field: either will
    do), and score nothing, so they do not change the ranking."""
    filters: dict[str, list] = {}
    rest = _without_filters(q, filters)
    if not filters or rest is None:
        return q
    return query.And([rest] + [Filter(query.Or(parts).normalize()) for parts in filters.values()])


class Filter(query.WrappingQuery):
    """Documents must match ``child``, which adds nothing to their score.
    (Whoosh's ConstantScoreQuery scores 1 when asked for 0, and passes its
    child's scores through whenever the search needs match positions.)"""

    def _rewrap(self, child):
        return Filter(child)

    def matcher(self, searcher, context=None):
        m = self.child.matcher(searcher, context)
        return m if isinstance(m, matching.NullMatcherClass) else _Unscored(m)


class _Unscored(matching.WrappingMatcher):
    def _replacement(self, newchild):
        return _Unscored(newchild)

    def supports_block_quality(self):
        return False

    def score(self):
        return 0.0


def _without_filters(q, filters: dict[str, list]):
    """``q`` less the metadata clauses OR-ed in at its top level (added to
    ``filters``); None if nothing else is left."""
    if type(q) is query.Or:
        rest = []
        for child in q.subqueries:
            name = _filter_field(child)
            if name:
                filters.setdefault(name, []).append(child)
            else:
                rest.append(child)
        if len(rest) == len(q.subqueries):
            return q
        return query.Or(rest, boost=q.boost).normalize() if rest else None
    if type(q) is query.AndNot:  # words -excluded: the filters are among the words
        kept = _without_filters(q.a, filters)
        return query.AndNot(kept, q.b) if kept is not None else None
    if type(q) is query.AndMaybe:  # +required optional
        required = _without_filters(q.a, filters)
        name = _filter_field(q.b)
        if name:
            filters.setdefault(name, []).append(q.b)
            optional = None
        else:
            optional = _without_filters(q.b, filters)
        if required is None:
            return optional
        return query.AndMaybe(required, optional) if optional is not None else required
    return q


def _filter_field(q) -> str | None:
    """The metadata field ``q`` is about, if it is about one alone."""
    names = {getattr(leaf, "fieldname", None) for leaf in _walk(q) if leaf.is_leaf()}
    return names.pop() if len(names) == 1 and names <= FILTER_FIELDS else None


def _check_types(q) -> None:
    """``type:`` names a format searchkit reads, or the query is a mistake."""
    for leaf in _walk(q):
        if getattr(leaf, "fieldname", None) == "type" and isinstance(leaf, query.Term):
            from searchkit.documents.registry import TYPES
            if leaf.text not in TYPES:
                raise QueryError(f"unknown type {leaf.text!r} (types: {', '.join(TYPES)})")


def _only_excludes(q, text: str) -> bool:
    """Is every word of the query under - or NOT?  (Whoosh drops a lone
    exclusion, so an empty query with excluded words says so too.)"""
    if q is query.NullQuery:
        return any(t.startswith("-") and len(t) > 1 for t in text.split()) or "NOT" in text.split()
    return next(positive_leaves(q), None) is None


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


_TERMS = (query.Term, FormTerm)


def flat_terms(q):
    """The terms of a query that is just an OR of terms (or one term), else None."""
    if type(q) in _TERMS:
        return [q]
    if type(q) is query.Or and q.boost == 1.0 and all(type(c) in _TERMS
                                                      for c in q.subqueries):
        return q.subqueries
    return None


def terms_and_phrases(q):
    """(terms, phrases) of a query that is an OR of terms and at least one
    phrase (``"siły pokojowe" ODKB``, a question quoting a title), else None."""
    if type(q) is not query.Or or q.boost != 1.0:
        return None
    terms, phrases = [], []
    for child in q.subqueries:
        if type(child) in _TERMS:
            terms.append(child)
        elif type(child) is query.Phrase:
            phrases.append(child)
        else:
            return None
    return (terms, phrases) if phrases else None


def ranked_terms(q):
    """The terms that rank a query of plain words -- alone, or narrowed down by
    metadata filters (``as_filters``), which score nothing -- else None."""
    terms = flat_terms(q)
    if (terms is None and type(q) is query.And and q.subqueries
            and all(type(c) is Filter for c in q.subqueries[1:])):
        terms = flat_terms(q.subqueries[0])
    return terms


def split_forms(q):
    """``q`` without its word forms (``FORMS``, which no index holds), and for
    a query of words (``ranked_terms``) those forms, which re-score the best
    candidates (``Searcher._rescored``).  A form's document has its lemma too
    (the same word, in ``body``), so the matches are the same."""
    terms = ranked_terms(q)
    forms = [t for t in terms or () if type(t) is FormTerm]
    rest = q.accept(lambda node: query.NullQuery
                    if getattr(node, "fieldname", None) == FORMS else node).normalize()
    return rest, forms


def is_empty(q) -> bool:
    """Nothing left to search for (the query had only stopwords)."""
    return q is query.NullQuery
