"""The index's vocabulary: every word form it has seen, with its term.

Kept in SQLite beside the Whoosh index, it answers in microseconds the three
questions a search asks about words, without loading any dictionary:

* which term(s) did the index give this form?  (query analysis)
* which forms fold to these letters?  (``zolnierze`` -> ``żołnierze``)
* which forms share these terms?  (highlighting every inflected form)
* which name term did a form written with a capital get?  (``name_of``)

A form's term is a pure function of the form, so the lexicon only ever grows:
an entry for a form no document uses any more is harmless, and a form missing
from it is simply analysed the slow way.
"""

from __future__ import annotations

import os
import sqlite3  # noqa: F401  (the connection type)
from typing import Iterable

from searchkit import sqlitedb
from searchkit.analysis import fold

# A term or fold equal to the form itself is not stored (NULL), nor indexed:
# half of the forms have no diacritics and a fifth are their own term (84k
# Wikisource paragraphs: 23 MB -> 16 MB with the VACUUM after a build).
# Lexicons made before hold them; every query reads both.
# ``caps``: 0 the form's term, 1 its term when written in ALL-CAPS, and a
# form written as a name has a row for its name term (lemmatizer.name):
# NAME_ANYWHERE, a name wherever written with a capital and written so inside a
# sentence somewhere in the index (a query typed with a capital asks for the
# name); NAME_STARTS, the same but seen so far only starting sentences (an old
# spelling the dictionary lacks is no name: a query asks for the word, unless
# the index writes none of its forms in lower case: lemmatizer._only_starting);
# NAME_INSIDE, a name only inside a sentence (the dictionary knows another
# word).  A form may have a NAME_STARTS and a NAME_ANYWHERE row: the latter
# holds.  A name row stores no fold: the form's own row has it.
# LOWER_CASE: a form that can only be a name (the dictionary lacks it or knows
# it only as a name) was written in lower case somewhere, or one that is a name
# wherever capitalised is a dictionary word in lower case (alfonsa: Alfons's,
# and the common alfons's); a lower-case query then means the word, not only
# the name (``lower_case_name``).  Kept for every such form written in lower
# case (the 84k paragraphs' lexicon: 16.9 -> 17.5 MB), since which of them
# some document will write as a name is not known when they are seen.
# TOWN: beside a NAME_INSIDE row, its name term is a place's, the form its
# singular (lemmatizer.places): kijów in lower case is also kij's genitive
# plural, which a lower-case query searches, and the town's other forms
# (Kijowa, Kijowie) have its name term only (lemmatizer.query_terms adds it
# where the index has the town as often).
# NAME_ALSO: a second name term, posted beside the form's name term, where the
# name's ending reads two ways (lemmatizer.second_name: Budanowie, the
# locative of Budanow, which the rules key as a family's plural, Budan).
NAME_ANYWHERE, NAME_INSIDE, NAME_STARTS, LOWER_CASE, TOWN, NAME_ALSO = 2, 3, 4, 5, 6, 7

_SCHEMA = """
CREATE TABLE IF NOT EXISTS forms (
    form TEXT NOT NULL,
    caps INTEGER NOT NULL,
    term TEXT,  -- NULL: the form
    fold TEXT,  -- NULL: the form
    PRIMARY KEY (form, caps)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS forms_term ON forms (term) WHERE term IS NOT NULL;
CREATE INDEX IF NOT EXISTS forms_fold ON forms (fold) WHERE fold IS NOT NULL;
"""

FILENAME = "lexicon.sqlite"


def lower_case_name(lexicon, codes: set[int], terms: list[str]) -> bool:
    """May a form, typed in lower case, mean the name the index writes it as
    (lemmatizer.query_terms then decides as for a capital)?  ``codes``: the caps
    of its rows (``Lexicon.codes``); ``terms``: its terms.  Only for a word that
    can only be a name, written with a capital (not only in capitals: nato is
    the acronym's term), when no form of the word (no form with its terms) is
    written in lower case: not tokajew where a document writes tokajewem, so
    that a lower-case query keeps the documents writing the word in lower case
    (only forms that can only be names count: a dictionary word sharing the
    term, the flower jaśmin, is another word -- and so is żmudzin, for
    żmudzini).  Not for a word the dictionary also knows as another: typed in
    lower case, it is that word (radiem, mieszka: on a small index their name
    terms, Rad and Mieszek, may be in as many documents)."""
    return (0 in codes and (NAME_ANYWHERE in codes or NAME_STARTS in codes)
            and not lexicon.written_in_lower_case(terms))


class Lexicon:
    def __init__(self, connection: sqlite3.Connection):
        self._db = connection
        # term -> {form: term}: a batch asks for the same terms again and again
        self._forms_of: dict[str, dict[str, str]] = {}

    @classmethod
    def open(cls, folder: str, writable: bool = False) -> "Lexicon":
        path = os.path.join(folder, FILENAME)
        if writable or not os.path.exists(path):
            # Without a lexicon file (an index from before it existed), searches
            # still work: every word is then analysed the slow way.
            db = sqlitedb.connect(path if writable else ":memory:", writable=True)
            db.executescript(_SCHEMA)
        else:
            db = sqlitedb.connect(path)
            db.execute("SELECT 1 FROM forms LIMIT 1")  # fail here, not mid-search
        return cls(db)

    def close(self) -> None:
        self._db.close()

    # ---------------------------------------------------------------- reading

    def terms_of(self, form: str) -> list[str]:
        rows = self._db.execute(
            "SELECT DISTINCT COALESCE(term, form) FROM forms WHERE form = ? AND caps < 2 "
            "ORDER BY caps", (form,))
        return [term for (term,) in rows]

    def name_of(self, form: str) -> tuple[str, bool] | None:
        """The name term the index gave ``form`` written as a name, and whether
        it is a name wherever written with a capital (lemmatizer.name); None if
        no document wrote it so."""
        row = self._db.execute(
            "SELECT term, caps FROM forms WHERE form = ? AND caps BETWEEN 2 AND 4 "
            "ORDER BY caps LIMIT 1", (form,)).fetchone()
        return (row[0], row[1] != NAME_INSIDE) if row else None

    def second_name_of(self, form: str) -> str | None:
        """The second name term the index gave ``form`` (NAME_ALSO), if any."""
        row = self._db.execute("SELECT term FROM forms WHERE form = ? AND caps = ?",
                               (form, NAME_ALSO)).fetchone()
        return row[0] if row else None

    def rows(self, form: str) -> dict[int, str]:
        """``form``'s rows: caps -> term (a LOWER_CASE row's is the form)."""
        return dict(self._db.execute("SELECT caps, COALESCE(term, form) FROM forms WHERE form = ?",
                                     (form,)))

    def codes(self, form: str) -> set[int]:
        """The ``caps`` of ``form``'s rows: how the index has written it."""
        return set(self.rows(form))

    def written_in_lower_case(self, terms: list[str]) -> bool:
        """Has some form with one of ``terms`` a LOWER_CASE row?"""
        marks = ",".join("?" * len(terms))
        return self._db.execute(
            f"SELECT 1 FROM forms AS a WHERE a.term IN ({marks}) AND a.caps = 0 AND EXISTS "
            f"(SELECT 1 FROM forms AS b WHERE b.form = a.form AND b.caps = {LOWER_CASE}) "
            f"UNION ALL SELECT 1 FROM forms WHERE form IN ({marks}) AND caps = {LOWER_CASE} "
            "LIMIT 1", (*terms, *terms)).fetchone() is not None

    def term(self, form: str, caps: bool) -> str | None:
        """The term the index gave ``form`` (written in capitals or not), if any."""
        row = self._db.execute("SELECT COALESCE(term, form) FROM forms WHERE form = ? AND caps = ?",
                               (form, int(caps))).fetchone()
        return row[0] if row else None

    def is_name(self, term: str) -> bool:
        """Is ``term`` the name term of a form written as a name inside a
        sentence that is a name wherever written with a capital (NAME_ANYWHERE):
        one a query typed with a capital takes for a name?"""
        # Also a NAME_ALSO term of such a form: Kadyrow, where the index
        # writes only o Kadyrowie (name terms Kadyr and Kadyrow).
        return self._db.execute(
            "SELECT 1 FROM forms WHERE term = ? AND caps = ? UNION ALL "
            "SELECT 1 FROM forms AS a WHERE a.term = ? AND a.caps = ? AND EXISTS "
            "(SELECT 1 FROM forms AS b WHERE b.form = a.form AND b.caps = ?) LIMIT 1",
            (term, NAME_ANYWHERE, term, NAME_ALSO, NAME_ANYWHERE)).fetchone() is not None

    def forms_folding_to(self, folded: str) -> list[str]:
        rows = self._db.execute(
            "SELECT form FROM forms WHERE fold = ? "
            "UNION SELECT form FROM forms WHERE form = ? AND fold IS NULL ORDER BY form",
            (folded, folded))
        return [form for (form,) in rows]

    def forms_within(self, word: str, maxdist: int, prefix: int) -> dict[str, int]:
        """Forms of the index within ``maxdist`` edits of ``word`` (Damerau-
        Levenshtein, as Whoosh's corrector measures) that share its first
        ``prefix`` letters -> their distance."""
        from whoosh.support.levenshtein import distance

        start = word[:prefix]
        rows = self._db.execute(
            "SELECT DISTINCT form FROM forms WHERE form >= ? AND form < ? "
            "AND length(form) BETWEEN ? AND ?",
            (start, start + "\U0010ffff", len(word) - maxdist, len(word) + maxdist))
        found = {}
        for (form,) in rows:
            if form != word:
                edits = distance(form, word, limit=maxdist)
                if edits <= maxdist:
                    found[form] = edits
        return found

    def forms_of_terms(self, terms: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """form -> its terms among ``terms`` (sorted), for every form that has
        one (a form written as a name has its term and its name term)."""
        terms = set(terms)
        cache = self._forms_of
        if len(cache) > 100_000:  # bounded, for endless batches
            cache.clear()
        missing = [t for t in terms if t not in cache]
        for i in range(0, len(missing), 400):  # twice: SQLite's old limit is 999 parameters
            chunk = missing[i:i + 400]
            for term in chunk:
                cache[term] = {}
            marks = ",".join("?" * len(chunk))
            for form, term in self._db.execute(
                    f"SELECT form, term FROM forms WHERE term IN ({marks}) UNION ALL "
                    f"SELECT form, form FROM forms WHERE form IN ({marks}) AND term IS NULL "
                    f"AND caps < {LOWER_CASE}",
                    chunk * 2):
                cache[term][form] = term
        out: dict[str, tuple[str, ...]] = {}
        for term in sorted(terms):
            for form in cache[term]:
                out[form] = out.get(form, ()) + (term,)
        return out

    def entries(self) -> dict[tuple[str, int], str]:
        """Everything: (form, caps) -> term (caps as in the table)."""
        return {(form, caps): term
                for form, caps, term in self._db.execute(
                    "SELECT form, caps, COALESCE(term, form) FROM forms")}

    # ---------------------------------------------------------------- writing

    def add(self, entries: dict[tuple[str, int], str]) -> None:
        """Store (form, caps) -> term; caps as in the table (a bool for 0/1)."""
        def rows():
            for (form, caps), term in entries.items():
                # A name row's form has its own row (caps 0) to fold by.
                folded = form if caps >= 2 else fold(form)
                yield (form, int(caps), None if term == form else term,
                       None if folded == form else folded)

        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO forms (form, caps, term, fold) VALUES (?, ?, ?, ?)",
                rows())

    def compact(self) -> None:
        """Rewrite the file without the free space that inserts in no order
        leave in its pages (10% of it after a build)."""
        self._db.execute("VACUUM")
