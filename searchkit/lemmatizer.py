"""The word -> index term function at the heart of searchkit's Polish analysis.

A word becomes one term:

1. a token with a digit (2022, F-16, COVID-19) is kept as it is;
2. a word the SGJP dictionary knows (through Morfeusz 2) becomes its lemma.
   Readings marked archaic, colloquial etc. and gerund/depreciative readings
   only count when there is no other.  A noun that SGJP lists as a lemma of its
   own but that is a form of an adjective the word may also be (pierwsza,
   radna, nowa: substantivised adjectives) counts as that adjective, and an
   adjective that is a participle of a verb the word may also be (zakończony,
   stosowany) as that verb, so that no lexeme's forms are split between two
   lemmas.  Of several lemmas
   left, the alphabetically first is taken: every form of a lexeme then picks
   the same one, which is what matching needs (measured: nDCG@10 +0.003 over
   Morfeusz's first reading; the conflation figures are in
   benchmarks/stemmer_eval.py).  An ALL-CAPS token
   prefers an ALL-CAPS lemma (NATO, USA, PRL-u);
3. anything else: an ALL-CAPS token (ODKB) or a word of fewer than 4 letters is
   kept as it is, since the stemmer turns them into garbage (odkb -> odkiebajt,
   nato -> na); other words, mostly names (Tokajewem, Kramatorsku), get the key that the
   ending rules learnt from SGJP's names guess for them (``guesser``:
   tokajewem -> tokajew, pawłogradzie -> pawłograd), in whatever case they were
   typed.  pystempel's polimorf table is the fallback when no rule applies
   (to words of 5 letters or more).

A word written with a capital inside a sentence (or starting one, when it can
only be a name) gets a second term beside its own, its *name term* (``name``):
the name's key, capitalised (Tokajewem -> ``Tokajew``, Markiem -> ``Marek``).
Terms are otherwise always lower case, so names have a term space of their
own: a name typed with a capital asks for the name, not for a word that
shares its term (``query_terms``).

The heavy parts (Morfeusz's dictionary, the stemming table) load lazily, the
first time a word is not found in ``cache`` -- which the indexer pre-fills with
the corpus vocabulary, and which at search time is backed by the index's lexicon.
"""

from __future__ import annotations

import os

from searchkit import guesser

# Unknown words this short are not stemmed: the stemming tables were trained on
# dictionary words, and for short unknown tokens (mostly abbreviations and
# acronyms typed in lower case) their output is noise.
MIN_STEM_LENGTH = 5
# The name rules keep at least three letters, and short names inflect too
# (Anna: annę, anną; Goya: goyę): on held-out SGJP names, guessing 4-letter
# forms as well raised recall by 2 points without more wrong hits
# (benchmarks/names_eval.py, measured on the training names only).
MIN_GUESS_LENGTH = 4

STEMMER_TABLE = "polimorf"

# Bump when compute() or name() would give any word another term, or the
# lexicon would hold other rows (12: LOWER_CASE; 13: towns' name keys; 14: Jan;
# 15: TOWN; 16: NAME_ALSO; 17: no name term for a word in capitals that is
# not a name wherever capitalised; 18: adjectival_keys; 19: also for a word
# the dictionary knows only as another word): an
# index's terms (and its lexicon, which caches them) are only valid for the
# rules that made them.
RULES_VERSION = 19

# A word typed with a capital that the dictionary also knows as another word
# (Koronowa: the adjective koronowy, and the town Koronowo's genitive; Wojna)
# is searched as the name when its name term is in this share of as many
# documents as its word's terms: 1.0, as many.  Lower shares are measured in
# the README ("Names SGJP lacks"): 0.25 takes the wrong hits on held-out SGJP
# names from 5.0% to 4.3%, but costs the title queries 0.006 of nDCG (Żubr,
# Gwiazda: words some documents capitalise, which a title's first word always is).
NAME_SHARE = 1.0

# Name terms kept (``Lemmatizer.names``): bounded, for endless batches.
NAMES_CACHED = 100_000

# A capitalised word this short gets no name term (Ul, Al, Dr: abbreviations
# more than names).
MIN_NAME_LENGTH = 3


# Gerunds duplicate their verb's lexeme; depreciative forms are a register.
_SECONDARY_TAGS = frozenset({"ger", "depr"})
# SGJP's labels of rare or marked usage (archaic, obsolete, colloquial, rare,
# dialectal, ...).  Domain labels (zool., praw., przen.) say nothing of rarity.
_MARKED_LABELS = frozenset({
    "daw.", "przest.", "przest._dziś_książk.", "daw._dziś_gwar.", "pot.", "rzad.", "gwar.",
    "reg.", "środ.", "pogard.", "wulg.", "żart.", "slang", "indyw."})


def is_secondary(tag: str, labels) -> bool:
    """Does this reading count only when the form has no other?  Gerunds and
    depreciative forms, and marked usage."""
    return (tag.split(":", 1)[0] in _SECONDARY_TAGS
            or any(label in _MARKED_LABELS for group in labels for label in group.split(",")))


def family_plurals(readings) -> set[str]:
    """The lemmas of ``readings`` ((lemma, tag, qualifiers)) read only as a
    family's plural (a first name's or surname's, m1) where the same form is a
    town's singular (m3): the Kraks of *Krakowie*, Kraków's locative; the
    Kijs of *Kijowie*; the Lews of *Lwowie*.  Their alphabetical lemma took
    *Kraków* and *Krakowie* away from the city's other forms (*Krakowa*,
    *Krakowem*).  Peoples stay (*Serbów*: the Serbs, not the village Serbów),
    and so do families beside a neuter village's (*Nowakowie*, not
    Nowakowo's).  The cost, measured in the README: a family whose plural is
    a town's form goes to the town (*Radziwiłłowie*)."""
    if not any(tag.startswith("subst:sg:") and tag.endswith(":m3")
               and "nazwa_geograficzna" in names for _lemma, tag, names in readings):
        return set()
    plural, other = set(), set()
    for lemma, tag, names in readings:
        if (tag.startswith("subst:pl:") and tag.endswith(":m1") and "nazwa_pospolita" not in names
                and ("nazwisko" in names or "imię" in names)):
            plural.add(lemma)
        else:
            other.add(lemma)
    return plural - other


_NOT_KNOWN, _A_WORD, _ONLY_NAMES = 0, 1, 2


def _kind(lemmas: list[str]) -> int:
    if not lemmas:
        return _NOT_KNOWN
    return _ONLY_NAMES if all(lemma[:1].isupper() for lemma in lemmas) else _A_WORD


def _abbreviations(readings) -> set[str]:
    """The lemmas ``readings`` ((lemma, tag)) read only as an abbreviation's."""
    brev, other = set(), set()
    for lemma, tag in readings:
        (brev if tag.startswith("brev") else other).add(lemma)
    return brev - other


def town_lemmas(readings) -> set[str]:
    """The lemmas of towns (m3 place names) that ``readings`` ((lemma, tag,
    qualifiers)) read a form as a singular of, where its other names'
    readings are places or plurals: Kijów (the villages Kij's and Kije's
    genitive plural), Lwów (the Lews'), Tarnowie (Tarnowa's, Tarnowo's).  Not
    over a people (Węgrów, Włochów: the Hungarians, the Italians) nor over a
    person's singular (Romanowa: Romanow's genitive)."""
    towns = {lemma for lemma, tag, names in readings
             if tag.startswith("subst:sg") and tag.endswith(":m3")
             and "nazwa_geograficzna" in names}
    if towns and any(lemma[:1].isupper() and lemma not in towns
                     and ("nazwa_pospolita" in names
                          or (tag.startswith("subst:sg") and "nazwa_geograficzna" not in names))
                     for lemma, tag, names in readings):
        return set()
    return towns


def second_name(form: str, key: str) -> str | None:
    """A second name key for ``form`` (lower-cased), guessed ``key``, where
    its ending reads two ways: -owie is a family's plural (Nowakowie, which
    the rules learnt from SGJP's paradigms take it for: Nowak) and the
    locative of a name in -ow (Budanowie, Ławrowie, Pieskowie: Budanow), rarer
    in SGJP's names than in the news.  Keyed the first way alone, o Budanowie
    missed Budanow and Budanowa; the other way alone, names SGJP lacks lost
    0.6 points of recall in documents (README)."""
    if form.endswith("owie") and len(form) > 7 and not key.endswith("ow"):
        return guesser.name_key(form[:-2])
    return None


# A key in -sk, -ck, -dzk is a town's (Kramatorsk, Kramatorsku, Kramatorskiem)
# or an adjectival surname's (Nikolski, Nikolskiego, Nikolskim): the rules key
# both the same, and the town Nikolsk met the surname Nikolski.  Forms only an
# adjective has keep the surname's -i; -ska is both (the town's genitive, the
# woman's name) and gets both keys.
_ADJECTIVAL_STEMS = ("sk", "ck", "dzk")
_ADJECTIVAL_ENDINGS = ("i", "iego", "iemu", "im", "ich", "imi", "iej", "ą", "ie")


def adjectival_keys(form: str, key: str) -> tuple[str, str | None]:
    """(name key, second key or None) of ``form`` (lower-cased), guessed
    ``key``: a word the dictionary lacks, or knows only as another word
    (Woski, also wosk's plural)."""
    if not key.endswith(_ADJECTIVAL_STEMS):
        return key, None
    if form == key[:-1] + "cy":  # the family: Syrscy, Zieleccy, Zawadzcy
        return key + "i", None
    if not form.startswith(key):
        return key, None
    ending = form[len(key):]
    if ending == "a":
        return key, key + "i"
    if ending in _ADJECTIVAL_ENDINGS:
        return key + "i", None
    return key, None


def guessed_keys(form: str, key: str) -> tuple[str, str | None]:
    """(name key, second key or None) of ``form`` (lower-cased), a word the
    dictionary lacks, guessed ``key``: ``adjectival_keys`` and -owie's
    ``second_name``, which no form takes both of."""
    second = second_name(form, key)
    key, other = adjectival_keys(form, key)
    return key, second or other


def name_term(key: str) -> str:
    """A name key as the name term: capitalised, where no lower-case word is."""
    return key[:1].upper() + key[1:]


def places(readings) -> set[str]:
    """The lower-cased lemmas of the places ``readings`` ((lemma, tag,
    qualifiers)) read a form as a singular of, whatever the other readings
    (Gdańska: also a surname's, which ``town_lemmas`` leaves alone)."""
    return {lemma.lower() for lemma, tag, names in readings
            if tag.startswith("subst:sg") and "nazwa_geograficzna" in names}


def is_caps(token: str) -> bool:
    """ALL-CAPS acronym-like token (ODKB, NATO); single letters do not count."""
    return len(token) > 1 and token.isupper()


class Lemmatizer:
    """Maps a lower-cased word (plus whether it was written in capitals) to its term."""

    def __init__(self, stemmer_path: str | None = None):
        # (form, caps) -> term
        self.cache: dict[tuple[str, bool], str] = {}
        # form -> (name term, a name wherever written with a capital?)
        self.names: dict[str, tuple[str, bool]] = {}
        # The forms of ``names`` whose name term is a place's singular
        # (lexicon.TOWN; ``name`` adds them, SegmentBuilder reads them at once).
        self.town_forms: set[str] = set()
        # The forms of ``names`` with a second name term (lexicon.NAME_ALSO).
        self.second_names: dict[str, str] = {}
        # form -> is it a dictionary word (_NOT_KNOWN, _A_WORD, _ONLY_NAMES),
        # for the forms ``compute`` looked up (a name term, or only_a_name,
        # would otherwise ask Morfeusz a second time).
        self._known: dict[str, int] = {}
        # At search time: a term's document frequency in ``body`` (``query_terms``).
        self.frequency = None
        self._stemmer_path = stemmer_path
        # At search time: the index's lexicon (see ``query_terms``).
        self.lexicon = None
        self._morfeusz = None
        self._stem = None
        self._guess = None
        self._lemmas_read: dict[str, list[tuple[str, str]]] = {}
        self._last_readings: tuple = (None, [])
        # (form, its readings as (lemma, tag, qualifiers)) of the last _analysis
        self._last_named: tuple = (None, [])

    # The two resources are loaded on first use: a search whose words are all in
    # the index's lexicon never pays for them.
    @property
    def morfeusz(self):
        if self._morfeusz is None:
            import morfeusz2
            self._morfeusz = morfeusz2.Morfeusz(generate=False, expand_tags=False)
        return self._morfeusz

    @property
    def stem(self):
        if self._stem is None:
            from searchkit import stemtable
            path = self._stemmer_path
            if path and os.path.exists(path):
                # The index's own copy: the table its terms were made with.  No
                # version check (it costs more than the load).
                self._stem = stemtable.CompactStemmer.load(path)
            else:
                # Never write into an index from here (it may be read-only):
                # the user's cache, else a table built in memory.
                try:
                    self._stem = stemtable.load_or_build(default_stemmer_path(), STEMMER_TABLE)
                except OSError:
                    self._stem = stemtable.CompactStemmer.from_pystempel(STEMMER_TABLE)
        return self._stem

    @property
    def guess(self):
        if self._guess is None:
            from searchkit.guesser import Guesser
            self._guess = Guesser.load()
        return self._guess

    def term(self, form: str, caps: bool = False) -> str:
        key = (form, caps)
        term = self.cache.get(key)
        if term is None:
            term = self.cache[key] = self.compute(form, caps)
        return term

    def name(self, form: str, term: str | None = None) -> tuple[str, bool]:
        """The name term of ``form`` (lower-cased; written with a capital in a
        document), and whether the word is a name wherever it is written with
        a capital, a sentence's start included: when the dictionary lacks it
        (Tokajewem) or knows it only as a name (Władysław, Krakowie); not a
        word it also knows as another (Marek, Wojna, Koronowa).

        The key: for a word the dictionary lacks, its term (the rules' guess);
        for one it knows as a name, that name's lemma (its term when that is
        one: Marka is Marek's, not the brand's); for one it
        knows only as another word, the rules' guess, so that a name it lacks
        meets its other forms among the names (Koronowa, the adjective
        koronowy, meets Koronowem when SGJP lacks Koronowo)."""
        found = self.names.get(form)
        if found is None:
            if len(self.names) >= NAMES_CACHED:
                self.clear_names()
            if term is None:
                term = self.term(form)  # ``term``: the caller has it
            known = self._known.get(form)
            if known is None:
                known = self.known(form)
            key, anywhere, second = term, not known, None
            if not known:
                key, second = guessed_keys(form, key)
            else:
                # Morfeusz reads a capitalised word's name readings, which the
                # lower-cased word's analysis leaves out (marek: only common).
                capitalised = form[:1].upper() + form[1:]
                lemmas = self.lemmas(capitalised)
                proper = [lemma for lemma in lemmas if lemma[:1].isupper()]
                # Not an abbreviation's expansion where the form is a name
                # too: Jan is also "Ewangelia świętego Jana", whose lemma
                # came first, so that Jan and Jana never met.
                abbreviations = _abbreviations(self._readings(capitalised))
                names_only = [lemma for lemma in proper if lemma not in abbreviations]
                if proper:
                    # The word's own term where it is one of them: it is
                    # chosen alike for a lexeme's forms (Markiem is Marek's,
                    # not the first name reading, Marco).
                    named = {lemma.lower() for lemma in names_only or proper}
                    # A town's form (its m3 singular) is the town's, not the
                    # plural of other places or names it also is: Kijów, also
                    # the villages Kij's and Kije's genitive plural, keyed
                    # kij, while Kijowa and Kijowie were kijów; Tarnów (of
                    # Tarnowa, Tarnowo), Lwów (the Lews), Piotrków.
                    readings = self._named_readings(capitalised)
                    towns = {lemma.lower() for lemma in town_lemmas(readings)}
                    candidates = (towns & named) or named
                    key = term if term in candidates else min(candidates)
                    if key in places(readings):
                        self.town_forms.add(form)
                    if key.endswith("o"):
                        # A masculine name in -o declines like a feminine in
                        # -a (Łukaszenki, Łukaszence), and the news also write
                        # Łukaszenka, which the rules key without a vowel.
                        key = guesser.name_key(key)
                    anywhere = len(proper) == len(lemmas)
                elif len(form) >= MIN_GUESS_LENGTH:
                    key, second = adjectival_keys(form, self.guess(form) or term)
            if second:
                self.second_names[form] = name_term(second)
            found = self.names[form] = (name_term(key), anywhere)
        return found

    def clear_names(self) -> None:
        self.names.clear()
        self.town_forms.clear()
        self.second_names.clear()

    def only_a_name(self, form: str, look_up: bool = True) -> bool | None:
        """Is ``form`` (lower-cased) a name wherever it is written with a
        capital, as ``name`` says: the dictionary lacks it (tokajewem) or knows
        it only as a name (krakowie; not marek, also the genitive plural of
        marka)?  Read from the lower-cased word's own lemmas, which hold a
        name's only when the word is nothing else -- ``compute``'s, kept.
        None, without ``look_up``, for a word ``compute`` has not seen (its
        term came from an updated index's lexicon)."""
        if not look_up and form not in self._known:
            return None
        return self._kind_of(form) != _A_WORD

    def dictionary_name(self, form: str) -> bool:
        """Does the dictionary know ``form`` (lower-cased), and only as a name
        (gdańsk, kraków; not a form it lacks, whose name key is a guess)?"""
        return self._kind_of(form) == _ONLY_NAMES

    def _kind_of(self, form: str) -> int:
        kind = self._known.get(form)
        if kind is None:
            kind = self._known[form] = _kind(self.lemmas(form))
        return kind

    def query_terms(self, form: str, caps: bool = False,
                    capital: bool | None = None, inside: bool = False) -> list[str]:
        """Terms to look up for a query word: those the index gave this form, if
        it has seen it (in any capitalisation), else the computed one.
        ``capital``: True, the word was typed as a name may be written
        (analysis.is_capitalised, which holds MIN_NAME_LENGTH and digits);
        False, in lower case; None, neither or not known (a phrase's word).

        A word typed with a capital that can only be a name (the dictionary
        lacks it, or knows it only as a name) and that the index writes as a
        name inside a sentence is searched as that name, its name term alone:
        not a lower-case word that shares its term (Pociej, poco); not an old
        spelling the dictionary lacks that only ever starts a sentence.  A name
        the dictionary knows that the index lacks in this form is searched by
        its name term as well as its terms (``_with_name``).  A word
        the dictionary also knows as another word is that word (Wojna: a
        capital at a query's start says nothing), unless the index has its
        name in as many documents as its word (``NAME_SHARE``: Koronowa, the
        adjective, where the town Koronowo is commoner).  After the query's
        first word (``inside``; analysis.query_word_inside), a capital says
        what it says inside a sentence: such a word is searched by its name
        term too, beside its terms (muzyka Duda: the president's documents
        rank above the bagpipe's, which its terms still find).

        In lower case, as most queries are typed, a word is searched by its
        terms, but as if typed with a capital where the index writes it as a
        name and no form of the word in lower case (``lexicon.lower_case_name``):
        jaśmina, a name the dictionary lacks, whose guessed key is the flower
        jaśmin's term, finds the woman; gdansk finds Gdańska, also the
        adjective gdański's; so too a form it lacks that the dictionary lacks
        (kadyrow, where documents write o Kadyrowie).  A town's form that is
        also a common word's is searched by both (``_with_town``: kijów, kij's
        genitive plural)."""
        lexicon = self.lexicon
        seen = lexicon.terms_of(form) if lexicon is not None else []
        terms = seen or [self.term(form, caps)]
        if capital is None or caps or lexicon is None or self.frequency is None:
            return terms
        if not capital:
            from searchkit.lexicon import lower_case_name  # (lexicon imports analysis, this)
            if not seen:
                # A word the dictionary lacks, none of whose forms the index
                # writes in lower case, is taken as lower_case_name takes one
                # it has (kadyrow, where documents write o Kadyrowie).
                if self._kind_of(form) != _NOT_KNOWN or lexicon.written_in_lower_case(terms):
                    return self._with_name(form, terms)
            else:
                codes = lexicon.codes(form)  # once: both ask how the index wrote it
                if not lower_case_name(lexicon, codes, seen):
                    return self._with_town(form, terms, codes)
        found = None
        if not seen:
            term, anywhere = self.name(form)  # analysed as a document's word would be
        else:
            # No dictionary to load: the name term the index gave the form, or
            # -- a form it only saw in lower case -- the one a name's other
            # forms would have (Tokajewowi: Tokajew's, the term capitalised;
            # nikolskiego: Nikolski's, and nikolska both keys, adjectival_keys).
            found = lexicon.name_of(form)
            if found is None:
                key, other = guessed_keys(form, terms[0])
                term, anywhere = name_term(key), True
            else:
                term, anywhere = found
        if anywhere:
            # Only a name wherever written with a capital counts (is_name), not
            # the name term some forms of a common word have: the guessed key of
            # an old spelling that only starts sentences (Nieustannem) may be
            # that of a band's name (Nieustanny Ruch), Wiosną's is Praska Wiosna.
            if not lexicon.is_name(term) or not self.frequency(term):
                # Where the index lacks the form or has it only starting
                # sentences (a letter's "Gdańsk, 12 maja"), the dictionary
                # decides; not for a form only seen in lower case (wojna).
                if seen and found is None:
                    return terms
                if not (seen and self._only_starting(form, term, terms)):
                    return self._with_name(form, terms)
        elif not self._as_common(term, terms, share=True):
            if inside and term not in terms and self.frequency(term):
                return terms + [term]
            return terms
        # Budanowie: Budan's and Budanow's (second_name).
        if not seen:
            second = self.second_names.get(form)
        elif found is None:
            second = other and name_term(other)
        else:
            second = lexicon.second_name_of(form)
        return [term] if second is None else [term, second]

    def _only_starting(self, form: str, term: str, terms: list[str]) -> bool:
        """Is ``form``, which the index has only starting sentences, a name
        the dictionary lacks, none of whose forms (``terms``: the form's) the
        index writes in lower case?  Its terms are a guess that may be a
        common word's (Gina: gin, also where documents write ginie), so it is
        searched by its name term alone.  A word the dictionary lacks that
        starts sentences in some documents is written in lower case in
        others: an old spelling (nieustannem), a text without diacritics
        (Jezyki; jezyka, jezykiem)."""
        return (self.frequency(term) > 0 and self._kind_of(form) == _NOT_KNOWN
                and not self.lexicon.written_in_lower_case(terms))

    def _with_name(self, form: str, terms: list[str]) -> list[str]:
        """``terms`` of a query word the index lacks (or has only starting
        sentences), with its name term where the dictionary knows it only as
        a name and the index has that term: Gdańsk, where documents only write
        Gdańsku and Gdańska (also the adjective gdański's, so no NAME_ANYWHERE
        row), found nothing by its own term.  So too for a town's form that is
        also a common word's (kijów, kij's genitive plural, where the index
        has only Kijowa and Kijowie), where the index has the town in as many
        documents as the word (``NAME_SHARE``).  Beside its terms, not
        instead: a name's forms may have other name terms (Klara is also the
        surname Klar's genitive, Klary only Klara's), which its terms still
        reach.  Only where the dictionary is loaded already (the form's term)
        or seldom (a name only ever starting sentences): asking it about a
        word the lexicon answers would cost a one-shot search its load."""
        dictionary = self.dictionary_name(form)
        term = self.name(form)[0]
        if not (dictionary or form in self.town_forms):
            return terms
        return self._beside(terms, term, share=not dictionary)

    def _with_town(self, form: str, terms: list[str], codes: set[int]) -> list[str]:
        """``terms`` of a query word typed in lower case, with the name term of
        the town the index writes it as (lexicon.TOWN) where the index has the
        town in as many documents as the word (``NAME_SHARE``, as for a
        capital): kijów, in lower case kij's genitive plural, also finds Kijowa
        and Kijowie.  Beside its terms: a lower-case query keeps the documents
        that write the word in lower case.  ``codes``: the caps of the form's
        rows."""
        from searchkit.lexicon import TOWN

        if TOWN not in codes:
            return terms
        found = self.lexicon.name_of(form)
        return terms if found is None else self._beside(terms, found[0], share=True)

    def _beside(self, terms: list[str], term: str, share: bool) -> list[str]:
        """``terms`` and ``term`` where ``_as_common``."""
        if term in terms or not self._as_common(term, terms, share):
            return terms
        return terms + [term]

    def _as_common(self, term: str, terms: list[str], share: bool) -> bool:
        """Does the index have ``term`` -- with ``share``, in as many documents
        as the commonest of ``terms`` (``NAME_SHARE``)?"""
        named = self.frequency(term)
        return bool(named) and not (share and named < NAME_SHARE * max(map(self.frequency, terms)))

    def compute(self, form: str, caps: bool = False) -> str:
        """The term for ``form`` (already lower-cased), bypassing the cache."""
        if any(ch.isdigit() for ch in form):
            return form
        lemmas = self.lemmas(form)
        if len(self._known) >= 400_000:
            self._known.clear()
        self._known[form] = _kind(lemmas)
        if lemmas:
            lemmas = self.lexeme_lemmas(lemmas, self._readings(form))
            if caps:
                acronyms = [lemma for lemma in lemmas if is_caps(lemma)]
                if acronyms:
                    return min(acronyms).lower()
            return min(lemma.lower() for lemma in lemmas)
        if caps or len(form) < MIN_GUESS_LENGTH:
            return form
        if len(form) >= MIN_STEM_LENGTH and form.endswith("o"):
            # The first part of a compound adjective (skrajno-prawicowy), which
            # the tokenizer splits off: Morfeusz knows it only in a compound.
            lemmas = self.compound_lemmas(form)
            if lemmas:
                return min(lemmas)
        guess = self.guess(form)
        if guess or len(form) < MIN_STEM_LENGTH:
            return guess or form
        return self.stem(form) or form

    def lexeme_lemmas(self, lemmas: list[str], readings: list[tuple[str, str]]) -> list[str]:
        """``lemmas`` of a word whose readings (``_analysis``) are ``readings``,
        each noun among them that is itself a form of an adjective the word
        may also be replaced by that adjective, and each adjective that is a
        participle of a verb the word may also be replaced by that verb.

        SGJP lists substantivised adjectives (pierwsza, radna, nowa, znana)
        as nouns of their own whose forms are all forms of the adjective too:
        ``pierwszym`` is pierwszy or pierwsza, ``pierwszego`` only pierwszy.
        The alphabetical choice would give the adjective's forms two terms
        (measured on PoQuAD's questions: pierwszy/pierwszym, radnego/radnym
        missed each other); with the noun read as the adjective they get one.
        Likewise SGJP's adjectives that are participles (zakończony,
        stosowany, znany): ``zakończone`` is zakończony or zakończyć's
        participle, ``zakończono`` only zakończyć.  Negated participles
        (nieznany, nieoceniony) mean something else and stay adjectives."""
        candidates = {lemma for lemma, _ in readings}
        if len(candidates) < 2:
            return lemmas
        nouns = {lemma for lemma, tag in readings if tag.startswith("subst")}
        chosen = {}
        for lemma in set(lemmas):
            word = lemma
            if word in nouns:
                adjectives = [other for other, tag in self._lemma_readings(word)
                              if tag.startswith("adj") and other != word and other in candidates]
                if adjectives:
                    word = min(adjectives)
            verbs = [other for other, tag in self._lemma_readings(word)
                     if tag.split(":", 1)[0] in ("ppas", "pact") and ":neg" not in tag
                     and other != word and other in candidates]
            chosen[lemma] = min(verbs) if verbs else word
        return [chosen[lemma] for lemma in lemmas]

    def _readings(self, form: str) -> list[tuple[str, str]]:
        """Every reading of ``form`` as (lemma, tag): those ``lemmas`` has just
        read when it was asked about ``form`` (a subclass may answer
        ``lemmas`` otherwise: then Morfeusz is asked again)."""
        last_form, readings = self._last_readings
        return readings if last_form == form else self._analysis(form)[2]

    def _named_readings(self, form: str) -> list[tuple[str, str, list[str]]]:
        """``form``'s readings with their qualifiers: those ``lemmas`` has just
        read (a subclass may answer ``lemmas`` otherwise: then Morfeusz is
        asked).  Only ``name`` needs them (``town_lemmas``, ``places``)."""
        last_form, named = self._last_named
        if last_form != form:
            self._analysis(form)
            named = self._last_named[1]
        return named

    def _lemma_readings(self, lemma: str) -> list[tuple[str, str]]:
        """``_analysis(lemma)``'s readings, kept: the same lemmas come up again
        and again (every form of radny asks about radna)."""
        found = self._lemmas_read.get(lemma)
        if found is None:
            found = self._lemmas_read[lemma] = self._analysis(lemma)[2]
        return found

    def compound_lemmas(self, form: str) -> list[str]:
        if form.endswith("ąco"):  # przebywająco- is przebywając's
            return [lemma.lower() for lemma in self.lemmas(form[:-1])]
        return [lemma.split(":", 1)[0].lower()
                for start, _end, (_orth, lemma, tag, _names, _labels)
                in self.morfeusz.analyse(form + "-polski") if start == 0 and tag == "adja"]

    def known(self, form: str) -> bool:
        """Is ``form`` a word of the dictionary?"""
        return bool(self.lemmas(form))

    def lemmas(self, form: str) -> list[str]:
        """Morfeusz's lemmas for the first segment of ``form`` (homonym tags removed).

        Readings marked archaic, colloquial and the like, and secondary
        readings (gerunds, depreciative forms), only count when there is no
        other: ``idzie`` is not the archaic ``iścić``, ``zamieszkami`` is
        ``zamieszki``, not the archaic ``zamieszka``."""
        plain, marked, readings = self._analysis(form)
        self._last_readings = (form, readings)
        return plain or marked

    def _analysis(self, form: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
        """``lemmas``' plain and marked lemmas of ``form``, and every reading
        as (lemma, tag), from one call of Morfeusz."""
        plain, marked, named, readings = [], [], [], []
        for start, _end, (_orth, lemma, tag, names, labels) in self.morfeusz.analyse(form):
            if start == 0 and tag != "ign":
                lemma = lemma.split(":", 1)[0]
                readings.append((lemma, tag))
                if self._dropped(lemma, names):
                    continue
                (marked if is_secondary(tag, labels) else plain).append(lemma)
                named.append((lemma, tag, names))
        self._last_named = (form, named)
        families = family_plurals(named)
        if families:
            plain = [lemma for lemma in plain if lemma not in families]
            marked = [lemma for lemma in marked if lemma not in families]
        return plain, marked, readings

    def _dropped(self, lemma: str, names) -> bool:
        """A reading the lemmas leave out (a subclass's dictionary may lack
        some names: benchmarks/names_eval.py)."""
        return False


def default_stemmer_path() -> str:
    """Where the compact stemming table is cached when no index supplies one."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "searchkit", f"stempel-{STEMMER_TABLE}.bin")
