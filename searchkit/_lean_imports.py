"""Import Whoosh and click without the modules searchkit never uses when it searches.

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

click and dataclasses import ``inspect`` (with ``ast``, ``dis`` and
``tokenize``: about 10 ms of a one-shot search) for what a search never does
up to Python 3.11: click to format help texts, dataclasses to write a
docstring for a class that has none.  From 3.12 dataclasses reads every
class's annotations with inspect, so there it is imported as usual.  click
imports ``uuid`` (with ``platform``: about 5 ms) for its UUID parameter type,
which searchkit has none of; it names ``uuid.UUID`` while it is imported only
as a type annotation's argument.
"""

from __future__ import annotations

import contextlib
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


def _cleandoc(doc: str) -> str:
    """inspect.cleandoc of Pythons 3.10 and 3.11 (3.13 strips only spaces),
    which click calls on every option's help when a command is defined: the
    rest of inspect waits until it is used."""
    lines = doc.expandtabs().split("\n")
    margin = sys.maxsize
    for line in lines[1:]:
        content = len(line.lstrip())
        if content:
            margin = min(margin, len(line) - content)
    lines[0] = lines[0].lstrip()
    if margin < sys.maxsize:
        lines[1:] = [line[margin:] for line in lines[1:]]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


# What a stand-in kept whole answers itself, without importing its module.
_OWN = {"inspect": {"cleandoc": _cleandoc}}


def _stand_in(module: str, names: tuple[str, ...] | None) -> types.ModuleType:
    stand_in = types.ModuleType(module)
    if names is None:
        stand_in.__dict__.update(_OWN.get(module, {}))
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


@contextlib.contextmanager
def _standing_in(stand_ins: dict):
    placed = {}
    for module, names in stand_ins.items():
        if module not in sys.modules:
            placed[module] = sys.modules[module] = _stand_in(module, names)
    try:
        yield placed
    finally:
        for module, stand_in in placed.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]


def import_whoosh() -> None:
    if "whoosh.compat" in sys.modules:
        return  # imported already, by us or by the program using searchkit
    with _standing_in(_STAND_INS):
        import whoosh.compat  # noqa: F401
        import whoosh.query  # noqa: F401  (imports whoosh.query.terms, reading, index, fields)
        import whoosh.codec.whoosh3  # noqa: F401  (what opening an index imports)


# Modules click and dataclasses keep whole: both use inspect inside functions,
# click's cleandoc as soon as a command is defined (_OWN); click calls uuid
# only to convert a UUID parameter.
_CLICK_STAND_INS = {"inspect": None, "uuid": None}


# From 3.12 dataclasses calls inspect.get_annotations for every class.
CLICK_WITHOUT_INSPECT = sys.version_info < (3, 12)


class _UUIDType:
    """What click's ``ParamType[uuid.UUID]`` names while click is imported;
    anyone else, and click.types once it is imported, gets the real one."""


def import_click() -> None:
    if "click" in sys.modules:
        return
    stand_ins = dict(_CLICK_STAND_INS)
    if not CLICK_WITHOUT_INSPECT:
        del stand_ins["inspect"]
    with _standing_in(stand_ins) as placed:
        uuid = placed.get("uuid")
        if uuid is not None:
            forward = uuid.__getattr__

            def only_to_click(name):
                # Only click.types' own module code: another thread importing
                # uuid meanwhile must get the real UUID.
                if name == "UUID" and sys._getframe(1).f_globals.get("__name__") == "click.types":
                    return _UUIDType
                return forward(name)
            uuid.__getattr__ = only_to_click
        try:
            import click  # noqa: F401
            import dataclasses  # noqa: F401
        finally:
            if uuid is not None:
                uuid.__getattr__ = forward
