"""Polish analysis: the one definition of how text becomes index terms.

Whoosh pickles these analyzers into the index's schema, so the writer and the
query parser always run the same pipeline::

    PolishTokenizer() | LowercaseFilter() | StopFilter(STOPWORDS) | LemmaFilter()

``polish_analyzer()`` turns words into terms (lemma, stem, or the word itself:
see ``lemmatizer``), and gives a word written as a name -- with a capital
inside a sentence (not in capitals), or anywhere when it can only be a name --
its name term too,
at the same position (``lemmatizer.name``); ``surface_analyzer()`` keeps the
lower-cased word forms,
the query's own forms, which reward the documents that use them (``form_counts``).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import unicodedata
from typing import Iterator

from whoosh.analysis import Filter, LowercaseFilter, StopFilter, Token, Tokenizer

from searchkit.lemmatizer import MIN_NAME_LENGTH, Lemmatizer, is_caps

# A word: letters/digits, possibly joined by hyphens.  Hyphenated words split
# into their parts (Kasym-Żomart -> kasym, żomart) unless a part has a digit:
# model numbers and codes (F-16, COVID-19) only make sense whole.  Numbers
# joined by hyphens (1994-1997) split too (see ``_split``).
_HYPHENS = "-\u2010\u2011"
_WORD = re.compile(rf"\w+(?:[{_HYPHENS}]\w+)*")
_HYPHEN = re.compile(f"[{_HYPHENS}]")


def _has_hyphen(text: str) -> bool:
    return "-" in text or "\u2010" in text or "\u2011" in text


def _split(word: str) -> bool:
    """Is ``word`` indexed as its hyphen-separated parts?  Yes when no part
    has a digit, and when every part is a number: a range (1994-1997,
    110-115) is about each of its numbers, as Lucene's tokenizer reads it."""
    if not _has_hyphen(word):
        return False
    if not any(ch.isdigit() for ch in word):
        return True
    return all(part.isdigit() for part in _HYPHEN.split(word))


# What ends a sentence, for the capitals that mean a name: a capital after one
# of these says nothing (Wielka, Idę starting a sentence are the words).
SENTENCE_ENDS = ".!?…:;\n"
_WORD_OR_END = re.compile(rf"\w+(?:[{_HYPHENS}]\w+)*|[{SENTENCE_ENDS}]")
_END_IN = re.compile(f"[{SENTENCE_ENDS}]")
# A full stop after these does not end the sentence: titles and kinds of place
# (gen. Syrski, św. Jana, ul. Piotrkowska, im. Kościuszki); nor after an
# initial (J. Kowalski).
# (benchmarks/names_docs.py judges names in documents by the same rules.)
ABBREVIATIONS = frozenset(
    "św bł ks bp abp kard o gen płk ppłk mjr kpt por ppor sierż kpr szer adm prof dr doc hab "
    "inż mgr lek red hr p pp im ul al pl os gm pow woj tzw np tj tzn wg nr".split())


# Set while a query word after the query's first is analysed (not after a
# sentence's end in it: ``query_word_inside``).
_INSIDE_QUERY = contextvars.ContextVar("searchkit_inside_query", default=False)


@contextlib.contextmanager
def query_word_inside(inside: bool = True):
    """Analyse the query words of this block as ones after the query's first:
    a capital there marks a name, as one inside a sentence does in a document
    (lemmatizer.query_terms, ``inside``)."""
    token = _INSIDE_QUERY.set(inside)
    try:
        yield
    finally:
        _INSIDE_QUERY.reset(token)


_LAST_WORD_AND_AFTER = re.compile(r"(\w*)(\W*)$")


def follows_sentence_end(token: str) -> bool:
    """Does a query word after ``token`` (a query split at whitespace) start a
    sentence, by the rules of ``starts_after`` (not after ``św.``, ``J.``;
    after ``wyrok.”``)?"""
    word, after = _LAST_WORD_AND_AFTER.search(token).groups()
    return starts_after("".join(_END_IN.findall(after)), word)


def is_capitalised(word: str) -> bool:
    """Written as a name may be: with a capital (Tokajew, Koronowa, McDonald)
    or in capitals (KRAKÓW in a heading), MIN_NAME_LENGTH letters or more,
    without a digit (F16)."""
    return (word[:1].isupper() and len(word) >= MIN_NAME_LENGTH
            and not any(ch.isdigit() for ch in word))


def _abbreviation(word: str) -> bool:
    return word.lower() in ABBREVIATIONS or (len(word) == 1 and word.isupper())


def starts_after(ends: str, previous: str | None) -> bool:
    """Does a word start a sentence when ``ends`` (the SENTENCE_ENDS between
    it and the word before, in order) follow the word ``previous`` (None: it
    is the text's first word)?"""
    return previous is None or (bool(ends) and not (ends == "." and _abbreviation(previous)))


def starts_sentence(text: str, start: int) -> bool:
    """Does the word at ``start`` of ``text`` start a sentence, as the
    tokenizer marks it (``PolishTokenizer``: the sentence ends since the word
    before it)?"""
    gap = start
    while gap and not _in_word(text[gap - 1]):
        gap -= 1
    if not gap:
        return True
    before = gap
    while before and _in_word(text[before - 1]):
        before -= 1
    return starts_after("".join(_END_IN.findall(text, gap, start)), text[before:gap])


def words_and_ends(text: str) -> list[str]:
    """``words_of(text)`` with the sentence ends between the words (each one
    character of SENTENCE_ENDS, a token of its own): where a capital means a
    name.  The indexer's per-token loop starts here (segments.py)."""
    return _split_hyphenated(_WORD_OR_END.findall(text), text)


def iter_words(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield (word, start, end) for every word of ``text``, as the index sees them."""
    for m in _WORD.finditer(text):
        word = m.group()
        if _split(word):
            start = m.start()
            for part in _HYPHEN.split(word):
                yield part, start, start + len(part)
                start += len(part) + 1
            continue
        yield word, m.start(), m.end()


def words_of(text: str) -> list[str]:
    """The words of ``iter_words``, without their offsets: one regex pass in C
    where no word has a hyphen."""
    return _split_hyphenated(_WORD.findall(text), text)


def _split_hyphenated(found: list[str], text: str) -> list[str]:
    if not _has_hyphen(text):
        return found
    words: list[str] = []
    for word in found:
        if _split(word):
            words.extend(_HYPHEN.split(word))
        else:
            words.append(word)
    return words


def form_spans(text: str, forms: frozenset[str]) -> dict[str, list[tuple[int, int]]]:
    """Where ``text`` has each of ``forms`` (lower-cased words) as a word of its
    own, as ``iter_words`` reads it: form -> [(start, end)] in ``text``.
    ``str.find`` locates the candidates (tokenizing a 200,000-character text
    in Python took 84 ms, a regular expression with look-arounds 2.5 ms, find
    microseconds); only the hyphenated word around each is split (``f-16`` is
    one word, ``polsko-litewski`` two), so a long text costs little more than
    lower-casing it."""
    low = text.lower()
    spans: dict[str, list[tuple[int, int]]] = {}
    # Word by word where lower-casing the whole text differs from lower-casing
    # each word: a letter whose lower case is longer (İ) would shift offsets,
    # and a capital sigma lower-cases by what follows it (ΟΔΟΣ.Α: σ, ΟΔΟΣ: ς).
    if len(low) != len(text) or "Σ" in text:
        for word, start, end in iter_words(text):
            word = word.lower()
            if word in forms:
                spans.setdefault(word, []).append((start, end))
        return spans
    size = len(low)
    seen = set()  # where the words examined start
    for form in forms:
        at = low.find(form) if form else -1
        while at >= 0:
            end = at + len(form)
            if not (at and _in_word(low[at - 1])) and not (end < size and _in_word(low[end])):
                start = at
                while start and _in_hyphenated(low[start - 1]):
                    start -= 1
                if start not in seen:
                    seen.add(start)
                    while end < size and _in_hyphenated(low[end]):
                        end += 1
                    for word, s, e in iter_words(low[start:end]):
                        if word in forms:
                            spans.setdefault(word, []).append((start + s, start + e))
            at = low.find(form, at + len(form))
    for found in spans.values():
        found.sort()
    return spans


def form_counts(text: str, forms: frozenset[str]) -> dict[str, int]:
    """How often ``text`` has each of ``forms`` as a word of its own (``form_spans``)."""
    return {form: len(found) for form, found in form_spans(text, forms).items()}


def _in_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what \w matches


def _in_hyphenated(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or ch in _HYPHENS


def _load_stopwords() -> frozenset[str]:
    path = os.path.join(os.path.dirname(__file__), "data", "stopwords-pl.txt")
    with open(path, encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip() and not line.startswith("#"))


STOPWORDS = _load_stopwords()

# Bump when iter_words would split any text into other words.
TOKENS_VERSION = 2


def signature() -> str:
    """Everything that decides which term a word gets.  An index records it;
    updating an index made under another signature would mix two analyses."""
    import hashlib
    from importlib.metadata import version

    from searchkit.lemmatizer import STEMMER_TABLE

    head, tail = _rules_parts()
    stopwords = hashlib.sha1("\n".join(sorted(STOPWORDS)).encode()).hexdigest()[:12]
    return (f"{head}; stopwords {stopwords}; morfeusz2 {version('morfeusz2')}; "
            f"pystempel {version('pystempel')} {STEMMER_TABLE}; {tail}")


def same_terms(recorded: str | None) -> bool:
    """Does an index whose signature is ``recorded`` give words the terms this
    searchkit's rules give them?  What a search can check cheaply -- the
    tokenizer's and rules' versions, the name rules -- not the dictionary's or
    the stemmer's package version, whose look-up would cost a search 10 ms."""
    if recorded is None:
        return True
    head, tail = _rules_parts()
    return recorded.startswith(head + ";") and recorded.endswith("; " + tail)


def _rules_parts() -> tuple[str, str]:
    """The first and last parts of ``signature``: this code's own rules."""
    from searchkit.guesser import rules_digest
    from searchkit.lemmatizer import RULES_VERSION

    return f"tokens {TOKENS_VERSION}; rules {RULES_VERSION}", f"name rules {rules_digest()}"


_FOLD = str.maketrans("łŁ", "lL")


def fold(text: str) -> str:
    """Remove Polish diacritics (and other combining marks): żołnierze -> zolnierze."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_DIACRITICS = {"a": "ą", "c": "ć", "e": "ę", "l": "ł", "n": "ń", "o": "ó", "s": "ś", "z": "źż"}


def diacritic_variants(word: str, limit: int = 1024) -> list[str]:
    """Every spelling of a lower-case ``word`` with Polish diacritics added
    (``zolw`` -> zolw, zołw, ... żółw), or [] when there would be over ``limit``."""
    options = [ch + _DIACRITICS.get(ch, "") for ch in word]
    count = 1
    for letters in options:
        count *= len(letters)
        if count > limit:
            return []
    variants = [""]
    for letters in options:
        variants = [v + ch for v in variants for ch in letters]
    return variants


class PolishTokenizer(Tokenizer):
    """Splits text with ``iter_words``; marks ALL-CAPS tokens (``token.caps``),
    those written with a capital (``token.capital``, ``is_capitalised``; False
    for a word in lower case) and whether a token starts a sentence
    (``token.start``; ``starts_after``)."""

    # A query word goes through several fields' analyzers in a row (body,
    # title, its forms): the words of the last text are kept, so it is split once.
    _last: tuple = (None, ())

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            words = [(value, 0, len(value))]
        elif PolishTokenizer._last[0] is value:
            words = PolishTokenizer._last[1]
        else:
            words = list(iter_words(value))
            PolishTokenizer._last = (value, words)
        previous, end = None, 0
        for pos, (word, start, stop) in enumerate(words, start_pos):
            t.text = word
            t.caps = is_caps(word)
            # Not for a single literal (a prefix's, a range's): no names there.
            # None: neither a name's capital nor lower case (iPhone, Ul).
            t.capital = (None if not tokenize else True if is_capitalised(word)
                         else False if word.islower() else None)
            if t.capital:
                t.start = starts_after("".join(_END_IN.findall(value, end, start)), previous)
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + stop
            previous, end = word, stop
            yield t


class LemmaFilter(Filter):
    """Replaces each word with its term.

    The lemmatizer is bound at run time (``bind``), never pickled with the
    schema.  At query time a word the index has seen takes the term(s) the
    index gave it, from the lexicon: so ``odkb`` typed in lower case finds the
    ``ODKB`` of a document, and no dictionary or stemmer needs loading.
    """

    def __init__(self):
        self.lemmatizer: Lemmatizer | None = None

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self.lemmatizer = None

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(self, tokens):
        lemmatizer = self.lemmatizer or default_lemmatizer()
        for t in tokens:
            if "*" in t.text or "?" in t.text:
                yield t  # a wildcard pattern matches terms as they are
            elif t.mode == "query" and t.chars:
                # A phrase (Whoosh's PhraseNode asks for characters): one term
                # a position, the word's own; the phrase says which it is.
                t.text = lemmatizer.query_terms(t.text, t.caps)[0]
                yield t
            elif t.mode == "query":
                inside = bool(t.capital) and _INSIDE_QUERY.get()
                for term in lemmatizer.query_terms(t.text, t.caps, t.capital, inside):
                    t.text = term
                    yield t
            else:
                form = t.text
                t.text = lemmatizer.term(form, t.caps)
                yield t
                if t.capital:
                    name, anywhere = lemmatizer.name(form)
                    # Capitals (a heading's JAŚMINU, the flower's) say no more
                    # than a sentence's first letter whether a word is a name.
                    if anywhere or not (t.start or t.caps):
                        t.text = name
                        yield t
                        second = lemmatizer.second_names.get(form)
                        if second is not None:
                            t.text = second
                            yield t


def polish_analyzer():
    return PolishTokenizer() | LowercaseFilter() | StopFilter(
        stoplist=STOPWORDS, minsize=1) | LemmaFilter()


def surface_analyzer():
    return PolishTokenizer() | LowercaseFilter() | StopFilter(stoplist=STOPWORDS, minsize=1)


class DateTokenizer(Tokenizer):
    """Indexes ``2022-01-05`` as 2022, 2022-01 and 2022-01-05, so ``date:2022``
    and ``date:2022-01`` both match it.  A query value is kept whole."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        value = value.strip().lower()
        if mode == "query" or not tokenize:
            texts = [value]
        else:
            parts = value.split("-")
            texts = ["-".join(parts[:i]) for i in range(1, len(parts) + 1)]
        for i, text in enumerate(texts):
            t.text, t.boost, t.stopped = text, 1.0, False
            if positions:
                t.pos = start_pos + i
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t


def date_analyzer():
    return DateTokenizer()


def keyword_analyzer():
    """A whole value as one lower-cased term (``type:PDF`` finds pdf)."""
    from whoosh.analysis import IDTokenizer
    return IDTokenizer() | LowercaseFilter()


# ------------------------------------------------------------------ binding

_default: Lemmatizer | None = None


def default_lemmatizer() -> Lemmatizer:
    """The lemmatizer of filters that were not bound (e.g. in indexing workers)."""
    global _default
    if _default is None:
        _default = Lemmatizer()
    return _default


def set_default_lemmatizer(lemmatizer: Lemmatizer) -> None:
    global _default
    _default = lemmatizer


def bind(schema, lemmatizer: Lemmatizer) -> None:
    """Point every LemmaFilter in ``schema``'s analyzers at ``lemmatizer``."""
    for name in schema.names():
        analyzer = getattr(schema[name], "analyzer", None)
        for item in getattr(analyzer, "items", ()):
            if isinstance(item, LemmaFilter):
                item.lemmatizer = lemmatizer
