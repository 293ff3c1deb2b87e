"""Import Whoosh without the modules searchkit never uses when it searches.

Whoosh imports, at its top level, modules it only calls into from code paths
searchkit does not take: ``whoosh.compat`` imports ``urllib.request`` (and with
it http.client, email, ssl: about 35 ms) for a download helper,
``whoosh.query.terms`` compiles English morphology tables
(``whoosh.lang.morph_en``, about 8 ms), and the schema, storage and analysis
modules import phonetic codes, temporary files, calendars, queues and OpenSSL
(about 18 ms more) -- together a third of a one-shot search.  While Whoosh is first
imported, stand-ins take their place, and are removed again afterwards, so any
later import gets the real modules.  A stand-in imports the real module the
first time it is used: a function taken from it (``from m import f``) does so
when called; a module kept whole (``import m``) when one of its attributes is
read.
"""

from __future__ import annotations

import importlib
import sys
import types

# module -> the functions Whoosh takes from it by name, or None where Whoosh
# keeps the module and reads its attributes only inside functions.
_STAND_INS = {
    "urllib.request": ("urlretrieve",),       # whoosh.compat
    "html": ("escape",),                      # whoosh.compat
    "queue": None,                            # whoosh.compat
    "whoosh.lang.morph_en": ("variations",),  # whoosh.query.terms
    # (Not whoosh.lang.porter: StemFilter keeps its stem function and pickles
    # it into a schema, which a stand-in function would break.)
    "whoosh.lang.dmetaphone": ("double_metaphone",),  # whoosh.analysis.morph
    "whoosh.support.levenshtein": ("distance",),  # whoosh.reading
    "tempfile": None,                         # whoosh.filedb.filestore
    "calendar": None,                         # whoosh.util.times
    "shutil": ("copyfileobj",),               # whoosh.filedb.compound
    "hashlib": ("md5",),                      # whoosh.filedb.filetables
}

# Where CPython's own implementation of a function serves as well: the terms
# tables hash every key looked up with md5, and hashlib would load OpenSSL.
_BUILT_IN = {("hashlib", "md5"): "_md5"}


def _real(module: str, stand_in: types.ModuleType) -> types.ModuleType:
    # Used before the stand-in left sys.modules, import_module would hand back
    # the stand-in itself.
    if sys.modules.get(module) is stand_in:
        del sys.modules[module]
    return importlib.import_module(module)


def _stand_in(module: str, names: tuple[str, ...] | None) -> types.ModuleType:
    stand_in = types.ModuleType(module)
    if names is None:
        stand_in.__getattr__ = lambda name: getattr(_real(module, stand_in), name)
        return stand_in

    def forward(name):
        def call(*args, **kwargs):
            return getattr(_real(module, stand_in), name)(*args, **kwargs)
        call.__name__ = name
        return call

    for name in names:
        try:
            function = getattr(importlib.import_module(_BUILT_IN[module, name]), name)
        except (KeyError, ImportError):
            function = forward(name)
        setattr(stand_in, name, function)
    return stand_in


def import_whoosh() -> None:
    if "whoosh.compat" in sys.modules:
        return  # imported already, by us or by the program using searchkit
    placed = {}
    for module, names in _STAND_INS.items():
        if module not in sys.modules:
            placed[module] = sys.modules[module] = _stand_in(module, names)
    try:
        import whoosh.compat  # noqa: F401
        import whoosh.query  # noqa: F401  (imports whoosh.query.terms, reading, index, fields)
        import whoosh.codec.whoosh3  # noqa: F401  (what opening an index imports)
    finally:
        for module, stand_in in placed.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]
