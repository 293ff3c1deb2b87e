"""searchkit imports Whoosh without urllib.request and Whoosh's English morphology;
the functions Whoosh took from them must still work when called."""

import subprocess
import sys


def test_whoosh_is_imported_without_unused_modules_and_still_works(tmp_path):
    (tmp_path / "page.txt").write_text("strona")
    code = f"""
import sys
import searchkit, whoosh.compat, whoosh.query.terms
assert "urllib.request" not in sys.modules, "urllib.request was imported"
assert "whoosh.lang.morph_en" not in sys.modules, "morph_en was imported"
assert "rendered" in whoosh.query.terms.variations("render")
path, _ = whoosh.compat.urlretrieve({(tmp_path / 'page.txt').as_uri()!r}, {str(tmp_path / 'copy.txt')!r})
assert open(path).read() == "strona"
import urllib.request  # the real one, now that searchkit's stand-in is gone
assert hasattr(urllib.request, "Request")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
