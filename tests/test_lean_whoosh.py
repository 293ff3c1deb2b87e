"""searchkit imports Whoosh without the modules it never uses when it searches
(urllib.request, Whoosh's English morphology and phonetic codes, temporary
files, calendars, queues, OpenSSL's hashlib); what Whoosh took from them must still work when used."""

import subprocess
import sys

from searchkit import _lean_whoosh


def test_whoosh_is_imported_without_unused_modules_and_still_works(tmp_path):
    (tmp_path / "page.txt").write_text("strona")
    code = f"""
import sys
import searchkit, whoosh.compat, whoosh.query.terms
left_out = {sorted(_lean_whoosh._STAND_INS)!r}
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
