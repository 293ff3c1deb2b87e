"""searchkit imports Whoosh and click without the modules it never uses when it
searches (urllib.request, Whoosh's English morphology and phonetic codes,
temporary files, calendars, queues, OpenSSL's hashlib; inspect, uuid); what they took
from them must still work when used."""

import subprocess
import sys

import pytest

from searchkit import _lean_imports


def test_whoosh_is_imported_without_unused_modules_and_still_works(tmp_path):
    (tmp_path / "page.txt").write_text("strona")
    code = f"""
import sys
import searchkit, whoosh.compat, whoosh.query.terms
left_out = {sorted(_lean_imports._STAND_INS)!r}
imported = [m for m in left_out if m in sys.modules]
assert not imported, imported

assert "rendered" in whoosh.query.terms.variations("render")
path, _ = whoosh.compat.urlretrieve({(tmp_path / 'page.txt').as_uri()!r}, {str(tmp_path / 'copy.txt')!r})
assert open(path).read() == "strona"
assert whoosh.compat.htmlescape("<b>") == "&lt;b&gt;"
assert whoosh.compat.queue.Queue().empty()

import whoosh.analysis, whoosh.filedb.filestore, whoosh.reading, whoosh.util.times
assert [t.text for t in whoosh.analysis.StemmingAnalyzer()("running dogs")] == ["runn", "dog"]
# A schema pickles its analyzers, a StemFilter's stem function with it.
import os
from whoosh import fields, index
os.mkdir({str(tmp_path / 'stemmed')!r})
index.create_in({str(tmp_path / 'stemmed')!r},
                fields.Schema(body=fields.TEXT(analyzer=whoosh.analysis.StemmingAnalyzer())))
assert whoosh.analysis.morph.double_metaphone("Smith")[0] == "SM0"
assert whoosh.reading.distance("kot", "kit") == 1
assert whoosh.util.times.calendar.isleap(2024)
storage = whoosh.filedb.filestore.FileStorage({str(tmp_path)!r}).temp_storage("t")
storage.destroy()
import io, whoosh.filedb.compound, whoosh.filedb.filetables
copy = io.BytesIO()
whoosh.filedb.compound.copyfileobj(io.BytesIO(b"abc"), copy)
assert copy.getvalue() == b"abc"
import hashlib  # the terms tables' hash: what Whoosh wrote with hashlib's md5
assert whoosh.filedb.filetables.md5_hash(b"kot") == int(hashlib.md5(b"kot").hexdigest(), 16) & 0xffffffff

import urllib.request, tempfile, html, shutil  # the real ones, now that the stand-ins are gone
assert hasattr(urllib.request, "Request") and hasattr(tempfile, "mkdtemp")
assert hasattr(shutil, "rmtree") and hasattr(hashlib, "sha256")
assert html.unescape("&amp;") == "&"
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_click_is_imported_without_inspect_and_still_works():
    code = """
import sys
from searchkit import _lean_imports, cli, search, output  # what a one-shot search imports
assert ("inspect" in sys.modules) is not _lean_imports.CLICK_WITHOUT_INSPECT

import dataclasses
@dataclasses.dataclass
class Undocumented:
    x: int
assert Undocumented.__doc__ == "Undocumented(x: int)"
try:
    cli.main(["search", "--help"])
except SystemExit as e:
    assert e.code == 0
import inspect  # the real one
assert inspect.isfunction(lambda: 0) and hasattr(inspect, "__file__")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "--limit" in done.stdout


@pytest.mark.skipif(not _lean_imports.CLICK_WITHOUT_INSPECT,
                    reason="the copy of cleandoc serves Pythons before 3.12 only")
@pytest.mark.parametrize("doc", [
    "", "one line", "  leading", "\n\n  first\n    second\n  third\n\n", "a\n\tb\n  c",
    "Search the index.\n\n    \\b\n    searchkit search ODKB\n      --json\n    ", "x\n\n\n",
    "\f\n  form feed", "  \n  \n",
])
def test_own_cleandoc_is_inspect_s(doc):
    import inspect

    assert _lean_imports._cleandoc(doc) == inspect.cleandoc(doc)


@pytest.mark.skipif(not _lean_imports.CLICK_WITHOUT_INSPECT,
                    reason="the copy of cleandoc serves Pythons before 3.12 only")
def test_every_help_text_is_cleaned_as_inspect_would():
    import inspect

    import click

    from searchkit.cli import cli

    texts = []
    for command in [cli, *cli.commands.values()]:
        texts += [command.callback.__doc__ or "", command.short_help or "", command.epilog or ""]
        texts += [p.help or "" for p in command.params if isinstance(p, click.Option)]
    assert len(texts) > 40
    for text in texts:
        assert _lean_imports._cleandoc(text) == inspect.cleandoc(text)


def test_click_is_imported_without_uuid_and_its_uuid_type_still_works():
    code = """
import sys
from searchkit import cli, search, output  # what a one-shot search imports
assert "uuid" not in sys.modules and "platform" not in sys.modules
import click
value = click.UUID.convert(" 12345678-1234-5678-1234-567812345678 ", None, None)
import uuid  # the real one
assert isinstance(value, uuid.UUID) and value.int == 0x12345678123456781234567812345678
assert click.UUID.convert(value, None, None) is value
try:
    click.UUID.convert("nie-uuid", None, None)
except click.BadParameter:
    pass
else:
    raise AssertionError("no error for a bad UUID")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
