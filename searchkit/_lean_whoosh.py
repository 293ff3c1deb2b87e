"""Import Whoosh without two modules searchkit never uses.

``whoosh.compat`` imports ``urllib.request`` (and with it http.client, email,
ssl: about 35 ms) for a download helper, and ``whoosh.query.terms`` compiles
English morphology tables (``whoosh.lang.morph_en``, about 8 ms) -- together a
third of a one-shot search.  While Whoosh is first imported, stand-ins take
their place; a stand-in function imports the real module when called, and the
stand-in modules are removed again, so any later import gets the real ones.
"""

from __future__ import annotations

import importlib
import sys
import types

_STAND_INS = {
    "urllib.request": ("urlretrieve",),
    "whoosh.lang.morph_en": ("variations",),
}


def _forward(module: str, name: str):
    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)
    call.__name__ = name
    return call


def import_whoosh() -> None:
    if "whoosh.compat" in sys.modules:
        return  # imported already, by us or by the program using searchkit
    placed = {}
    for module, names in _STAND_INS.items():
        if module not in sys.modules:
            stand_in = types.ModuleType(module)
            for name in names:
                setattr(stand_in, name, _forward(module, name))
            placed[module] = sys.modules[module] = stand_in
    try:
        import whoosh.compat  # noqa: F401
        import whoosh.query  # noqa: F401  (imports whoosh.query.terms)
    finally:
        for module, stand_in in placed.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]
