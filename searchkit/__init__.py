"""searchkit: fast, accurate full-text search over Polish documents.

The library mirrors the command line, one module per stage of the data's path:
``documents`` (files in) -> ``analysis`` / ``lemmatizer`` (Polish words to
terms) -> ``index`` (schema, incremental updates) -> ``search`` (queries,
ranking, passages) -> ``output`` (printers) -> ``cli``.

    >>> from searchkit.index import update
    >>> from searchkit.search import Searcher
    >>> update("index", ["seeds"], warn=print)            # doctest: +SKIP
    >>> with Searcher("index") as s:                      # doctest: +SKIP
    ...     for hit in s.search("ODKB").hits: print(hit.rank, hit.id, hit.title)
"""

__version__ = "1.0.0"

# Every searchkit module that uses Whoosh is imported after this.
from searchkit._lean_imports import import_whoosh as _import_whoosh  # noqa: E402

_import_whoosh()
