"""Tests for searchkit.stemtable: CompactStemmer must stem exactly like pystempel."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit import stemtable
from searchkit.stemtable import FORMAT_VERSION, CompactStemmer, load_or_build, load_pystempel

INFLECTION_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "inflection"

TRICKY_WORDS = [
    "a",
    "i",
    "w",
    "z",
    "ą",
    "Ż",
    "-",
    "--",
    "ODKB",
    "NATO",
    "NATO-wski",
    "2021",
    "0",
    "1234567890",
    "F-16",
    "F16",
    "żółw",
    "ŻÓŁW",
    "Żółwiami",
    "Kazachstanie",
    "Tokajewa",
    "ß",
    "Straße",
    "é",
    "café",
    "ё",
    "ёлка",
    "’",
    "d’Artagnana",
    "😀",
    "😀ami",
    "\x00",
    "\ud800",
    "tab\tulator",
    "konstantynopolitańczykowianeczkami" * 8,
    "ami",
    "ach",
    "owie",
    "ości",
    "ować",
]

POLISH_LETTERS = "aąbcćdeęfghijklłmnńoóprsśtuwyzźż"
ALPHABET = POLISH_LETTERS + POLISH_LETTERS.upper() + "qvxQVX" + "0123456789" + "-"
# Common inflectional endings: random strings alone rarely reach deep trie
# paths, where the multi-part patch logic is exercised.
ENDINGS = [
    "ach", "ami", "ów", "owi", "owie", "ego", "emu", "ej", "ych", "ymi", "ich", "imi",
    "ość", "ości", "ania", "aniem", "ować", "uje", "ują", "ował", "iłem", "cie", "dzie",
    "ście", "szy", "ń", "ąc", "ęła", "li", "ły",
]


def reference_stem(reference: Callable[[str], str | None], word: str) -> str | None:
    """What pystempel gives for ``word``, with its one crash mapped to None.

    pystempel indexes ``word[-1]`` unguarded and raises IndexError for the
    empty string; CompactStemmer documents None for it instead.
    """
    if word == "":
        with pytest.raises(IndexError):
            reference(word)
        return None
    return reference(word)


@pytest.fixture(scope="module", params=["default", "polimorf"])
def tables(request, tmp_path_factory) -> tuple[Callable[[str], str | None], CompactStemmer]:
    """(pystempel stemmer, CompactStemmer) for one table, loaded once per module.

    The compact stemmer is saved and loaded back, so the tests exercise the
    memoryview-backed arrays a real search uses, not the freshly built ones.
    """
    reference = load_pystempel(request.param)
    path = tmp_path_factory.mktemp("stemtable") / f"{request.param}.tbl"
    CompactStemmer.from_stemmer(reference, request.param).save(path)
    return reference, CompactStemmer.load(path)


@pytest.fixture(scope="module")
def default_compact(tmp_path_factory) -> tuple[CompactStemmer, Path]:
    """A saved default-table CompactStemmer and its file, for file-handling tests."""
    path = tmp_path_factory.mktemp("default") / "default.tbl"
    compact = CompactStemmer.from_stemmer(load_pystempel("default"), "default")
    compact.save(path)
    return compact, path


def shared_words() -> Iterator[str]:
    """Every form and lemma in ../shared/data/inflection (skips if absent)."""
    if not INFLECTION_DIR.is_dir():
        pytest.skip(f"shared test data not found at {INFLECTION_DIR}")
    # (file, indices of the form and lemma columns)
    for name, columns in (("paradigms_sgjp.tsv.gz", (2, 0)), ("gold_ud.tsv.gz", (0, 1))):
        with gzip.open(INFLECTION_DIR / name, "rt", encoding="utf-8") as file:
            next(file)  # header
            for line in file:
                fields = line.rstrip("\n").split("\t")
                for column in columns:
                    yield fields[column]


def assert_same_stems(tables, words) -> int:
    reference, compact = tables
    words = set(words)
    mismatches = [
        (word, reference_stem(reference, word), compact(word))
        for word in sorted(words)
        if compact(word) != reference_stem(reference, word)
    ]
    assert not mismatches, f"{len(mismatches)} of {len(words)} differ, e.g. {mismatches[:20]}"
    return len(words)


def test_tricky_words_match_pystempel(tables):
    assert_same_stems(tables, TRICKY_WORDS)


def test_empty_string_gives_none(tables):
    reference, compact = tables
    assert reference_stem(reference, "") is None
    assert compact("") is None


@pytest.mark.shared
def test_inflection_data_matches_pystempel(tables):
    checked = assert_same_stems(tables, shared_words())
    assert checked > 100_000


@settings(max_examples=3000, deadline=None)
@given(
    word=st.one_of(
        st.text(ALPHABET, max_size=25),
        st.builds(str.__add__, st.text(ALPHABET, max_size=10), st.sampled_from(ENDINGS)),
    )
)
def test_arbitrary_text_matches_pystempel(tables, word):
    reference, compact = tables
    assert compact(word) == reference_stem(reference, word)


def test_built_and_loaded_stemmers_agree(tables):
    reference, loaded = tables
    built = CompactStemmer.from_stemmer(reference, loaded.name)
    assert (built.name, built.pystempel_version) == (loaded.name, loaded.pystempel_version)
    assert [built(word) for word in TRICKY_WORDS] == [loaded(word) for word in TRICKY_WORDS]


def test_save_load_round_trip(default_compact, tmp_path):
    compact, _ = default_compact
    first = tmp_path / "first.tbl"
    compact.save(first)
    loaded = CompactStemmer.load(first)
    # Saving a loaded table (memoryview arrays) must work too.
    second = tmp_path / "second.tbl"
    loaded.save(second)
    reloaded = CompactStemmer.load(second)
    for stemmer in (loaded, reloaded):
        assert stemmer.name == "default"
        assert stemmer.pystempel_version == compact.pystempel_version
        assert [stemmer(word) for word in TRICKY_WORDS] == [compact(word) for word in TRICKY_WORDS]
    # The temporary files of the atomic writes are gone.
    assert sorted(os.listdir(tmp_path)) == ["first.tbl", "second.tbl"]


def test_save_replaces_existing_file(default_compact, tmp_path):
    compact, _ = default_compact
    path = tmp_path / "table.tbl"
    path.write_bytes(b"old contents")
    compact.save(path)
    assert CompactStemmer.load(path)("Kazachstanie") == compact("Kazachstanie")
    assert os.listdir(tmp_path) == ["table.tbl"]


def _flip_middle_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x40]) + data[middle + 1 :]


def _bump_format_version(data: bytes) -> bytes:
    return data[:8] + (FORMAT_VERSION + 1).to_bytes(4, "little") + data[12:]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: b"", "truncated"),
        (lambda data: data[:10], "truncated"),
        (lambda data: data[: len(data) // 2], "corrupt"),
        (lambda data: data[:-1], "corrupt"),
        (lambda data: data + b"\0", "corrupt"),
        (_flip_middle_byte, "corrupt"),
        (lambda data: b"NOTATABL" + data[8:], "not a searchkit stemming table"),
        (_bump_format_version, "format version"),
    ],
    ids=[
        "empty", "header-cut", "half", "last-byte-cut", "extra-byte", "flipped-byte", "magic",
        "version",
    ],
)
def test_damaged_file_raises_value_error(default_compact, tmp_path, damage, message):
    _, good_path = default_compact
    path = tmp_path / "damaged.tbl"
    path.write_bytes(damage(good_path.read_bytes()))
    with pytest.raises(ValueError, match=message):
        CompactStemmer.load(path)


@pytest.fixture
def counted_builds(default_compact, monkeypatch) -> list[str]:
    """Replace the slow pystempel build with the fixture table, recording each build."""
    compact, _ = default_compact
    builds: list[str] = []

    def fake_from_pystempel(name: str) -> CompactStemmer:
        builds.append(name)
        return compact

    monkeypatch.setattr(CompactStemmer, "from_pystempel", staticmethod(fake_from_pystempel))
    return builds


def test_load_or_build_builds_missing_file_then_loads_it(counted_builds, tmp_path):
    path = tmp_path / "cache" / "nested" / "default.tbl"
    assert load_or_build(path, "default")("Tokajewa") is not None
    assert counted_builds == ["default"]
    assert path.is_file()
    assert load_or_build(path, "default").name == "default"
    assert counted_builds == ["default"]


def test_load_or_build_rebuilds_stale_version(default_compact, counted_builds, tmp_path):
    _, good_path = default_compact
    stale = CompactStemmer.load(good_path)
    stale.pystempel_version = "0.0.0"
    path = tmp_path / "default.tbl"
    stale.save(path)
    result = load_or_build(path, "default")
    assert counted_builds == ["default"]
    assert result.pystempel_version == stemtable._installed_pystempel_version()
    assert CompactStemmer.load(path).pystempel_version == result.pystempel_version


def test_load_or_build_rebuilds_other_table(default_compact, counted_builds, tmp_path):
    _, good_path = default_compact
    other = CompactStemmer.load(good_path)
    other.name = "polimorf"
    path = tmp_path / "default.tbl"
    other.save(path)
    assert load_or_build(path, "default").name == "default"
    assert counted_builds == ["default"]


def test_load_or_build_rebuilds_corrupt_file(counted_builds, tmp_path):
    path = tmp_path / "default.tbl"
    path.write_bytes(b"garbage")
    assert load_or_build(path, "default").name == "default"
    assert counted_builds == ["default"]
    assert CompactStemmer.load(path).name == "default"


def test_unknown_table_name(tmp_path):
    with pytest.raises(ValueError, match="unknown pystempel table"):
        CompactStemmer.from_pystempel("nope")
    with pytest.raises(ValueError, match="unknown pystempel table"):
        load_or_build(tmp_path / "nope.tbl", "nope")


def test_from_pystempel_prints_nothing(capfd, default_compact):
    compact, _ = default_compact
    built = CompactStemmer.from_pystempel("default")
    captured = capfd.readouterr()
    assert (captured.out, captured.err) == ("", "")
    assert [built(word) for word in TRICKY_WORDS] == [compact(word) for word in TRICKY_WORDS]


def test_loading_and_stemming_do_not_import_pystempel(default_compact):
    # A fresh interpreter that loads the module by file path, so that whatever
    # the searchkit package itself imports does not interfere.
    _, path = default_compact
    script = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("stemtable", {stemtable.__file__!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(module.CompactStemmer.load({str(path)!r})("Kazachstanie"))
print(sorted(m for m in ("pystempel", "tqdm", "sortedcontainers") if m in sys.modules))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == ["Kazachstan", "[]"]
    assert result.stderr == ""
