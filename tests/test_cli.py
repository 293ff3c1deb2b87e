"""The command line through Click's CliRunner: formats, exit codes, errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SEED_ID

RED = "\x1b[1;31m"


@pytest.fixture
def sk(cli, seed_index):
    """Run a command against the seed index."""
    def run(*args, **kw):
        return cli(*args, "--index", seed_index, **kw)
    return run


def jsonl(text):
    return [json.loads(line) for line in text.splitlines()]


def test_search_prints_rank_title_id_date_score_and_passages(sk):
    r = sk("search", "ODKB")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].startswith("1. Stany Zjednoczone mają zastrzeżenia")
    assert lines[1].split() == [SEED_ID, "2022-01", "score", lines[1].split()[-1]]
    passages = [line for line in lines if line.startswith("   | ")]
    assert 1 <= len(passages) <= 3 and "ODKB" in passages[0]
    assert "\x1b" not in r.stdout  # not a terminal: no colour


def test_color_always_highlights_every_match(sk):
    r = sk("search", "Kazachstanem", "--color", "always")
    assert f"{RED}Kazachstanu" in r.stdout


def test_color_auto_and_no_color(sk, monkeypatch):
    assert "\x1b[" not in sk("search", "ODKB", "--color", "auto").stdout
    assert "\x1b[" not in sk("search", "ODKB", "--color", "never").stdout
    from searchkit.output import use_color

    class Tty:
        def isatty(self):
            return True
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_color("auto", Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color("auto", Tty())
    assert use_color("always", Tty())


def test_json_lines_schema(sk):
    r = sk("search", "siły pokojowe", "--json")
    assert r.exit_code == 0
    *hits, summary = jsonl(r.stdout)
    assert [h["type"] for h in hits] == ["hit"]
    hit = hits[0]
    assert set(hit) == {"type", "query", "rank", "id", "path", "title", "date", "format",
                        "author", "score", "passages"}
    assert (hit["id"], hit["rank"], hit["date"], hit["format"], hit["author"]) == (
        SEED_ID, 1, "2022-01", "text", None)
    assert hit["path"].endswith(SEED_ID)
    for p in hit["passages"]:
        assert set(p) == {"text", "offset", "page", "matches"}
        assert p["page"] is None  # a text file has no pages
        for m in p["matches"]:
            assert p["text"][m["start"]:m["end"]] == m["text"]
    assert {m["text"] for p in hit["passages"] for m in p["matches"]} >= {"sił", "pokojowych"}
    assert summary == {"type": "summary", "query": "siły pokojowe", "hits": 1, "total": 1,
                       "elapsed_ms": summary["elapsed_ms"], "suggestion": None}


def test_json_keeps_control_characters_text_escapes_them(cli, make_index):
    index = make_index({"evil.txt": "Tytuł\x1b]0;pwned\x07\n\nZłośliwy \x1b[2J tekst o wojnie."})
    r = cli("search", "wojna", "--index", index, "--color", "always")
    assert "\x1b]0" not in r.stdout and "\x1b[2J" not in r.stdout and "\x07" not in r.stdout
    assert "\\x1b[2J" in r.stdout
    hit = jsonl(cli("search", "wojna", "--json", "--index", index).stdout)[0]
    assert "\x1b[2J" in hit["passages"][0]["text"] and "\x1b]0;pwned\x07" in hit["title"]
    shown = cli("show", "evil.txt", "--index", index).stdout
    assert "\x1b" not in shown and "\x07" not in shown


def test_files_with_matches_and_null(sk):
    assert sk("search", "-l", "ODKB").stdout == SEED_ID + "\n"
    assert sk("search", "-l", "-0", "ODKB").stdout == SEED_ID + "\0"


def test_count(sk):
    assert sk("search", "-c", "Kazachstan").stdout == "1\n"
    r = sk("search", "-c", "pingwin")
    assert (r.stdout, r.exit_code) == ("0\n", 1)


def test_exit_status_follows_grep(sk, cli, tmp_path):
    assert sk("search", "ODKB").exit_code == 0
    assert sk("search", "pingwin").exit_code == 1
    r = sk("search", "foo:bar")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        "searchkit: error: unknown field 'foo' (fields: title, date, id, author, type); "
        "put the text in quotes to search for it"]
    r = cli("search", "ODKB", "--index", str(tmp_path / "nope"))
    assert r.exit_code == 2 and "no index" in r.stderr and "Traceback" not in r.stderr
    assert sk("search", "-0", "ODKB").exit_code == 2  # -0 without -l


def test_no_match_suggests_on_stderr(sk):
    r = sk("search", "Kazahstanu")
    assert r.exit_code == 1 and r.stdout == ""
    assert "did you mean: Kazachstanu" in r.stderr
    summary = jsonl(sk("search", "Kazahstanu", "--json").stdout)[-1]
    assert summary["suggestion"] == "Kazachstanu"


def test_only_stopwords_explained(sk):
    r = sk("search", "i w na")
    assert r.exit_code == 1 and "stopwords" in r.stderr


def test_limit(cli, poquad_index):
    r = cli("search", "wojna", "-l", "--limit", "3", "--index", poquad_index)
    assert len(r.stdout.splitlines()) == 3


def test_batch_mode_reads_ids_and_bare_queries(sk):
    r = sk("search", "--queries", "-", input="q1\tODKB\nżołnierze\n\nq3\tpingwin\n")
    assert r.exit_code == 0
    rows = jsonl(r.stdout)
    assert [(o["type"], o["query_id"]) for o in rows] == [
        ("hit", "q1"), ("summary", "q1"), ("hit", "2"), ("summary", "2"), ("summary", "q3")]
    assert rows[0]["passages"]


def test_batch_mode_reports_bad_queries_and_goes_on(sk):
    r = sk("search", "--queries", "-", input="a\tfoo:bar\nb\tODKB\n")
    assert r.exit_code == 2
    rows = jsonl(r.stdout)
    assert "unknown field" in rows[0]["error"] and rows[1]["id"] == SEED_ID


def test_show_prints_metadata_and_text(sk):
    r = sk("show", SEED_ID)
    assert r.exit_code == 0
    assert r.stdout.startswith(f"id: {SEED_ID}\npath: ")
    assert "title: Stany Zjednoczone" in r.stdout and "date: 2022-01" in r.stdout
    assert "Poprosił o wsparcie Organizację Układu o Bezpieczeństwie Zbiorowym." in r.stdout


def test_show_highlights_a_query_and_speaks_json(sk):
    r = sk("show", SEED_ID, "--query", "zamieszki", "--color", "always")
    assert f"{RED}zamieszkami" in r.stdout and f"{RED}zamieszek" in r.stdout
    doc = json.loads(sk("show", SEED_ID, "--json", "--query", "ODKB").stdout)
    assert doc["id"] == SEED_ID and doc["date"] == "2022-01"
    assert [m["text"] for m in doc["matches"]] == ["ODKB", "ODKB"]


def test_show_only_shows_indexed_documents(sk, tmp_path):
    (tmp_path / "secret.txt").write_text("tajne")
    for doc_id in (str(tmp_path / "secret.txt"), "../secret.txt", "/etc/passwd"):
        r = sk("show", doc_id)
        assert r.exit_code == 1 and r.stdout == "" and "no document" in r.stderr


def test_info(sk):
    facts = json.loads(sk("info", "--json").stdout)
    assert facts["documents"] == 1 and facts["source_files"] == 1
    assert "Morfeusz" in facts["analysis"] and facts["size_mb"] > 0
    assert sk("info").stdout.startswith("index ")


def test_index_command_summary_and_env(cli, project, monkeypatch):
    monkeypatch.chdir(project)
    monkeypatch.setenv("SEARCHKIT_INDEX", str(project / "elsewhere"))
    r = cli("index")
    assert r.exit_code == 0 and r.stdout == ""
    assert "1 added, 0 updated, 0 removed, 0 unchanged, 0 skipped" in r.stderr
    assert (project / "elsewhere").is_dir() and not (project / "index").exists()
    r = cli("index")
    assert "0 added, 0 updated, 0 removed, 1 unchanged" in r.stderr


def test_index_reports_skipped_files_with_status_1(cli, project):
    (project / "seeds" / "empty.txt").write_text("")
    r = cli("index", str(project / "seeds"), "--index", str(project / "ix"))
    assert r.exit_code == 1
    assert "skipped: " in r.stderr and "empty.txt: empty file" in r.stderr
    assert "1 skipped" in r.stderr


def test_help_shows_examples(cli):
    r = cli("search", "--help")
    assert "searchkit search ODKB" in r.stdout and "--files-with-matches" in r.stdout


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=50))
def test_any_query_gives_a_status_and_at_most_one_line(cli, seed_index, text):
    r = cli("search", "--index", seed_index, "--", text)
    assert r.exit_code in (0, 1, 2)
    assert len(r.stderr.splitlines()) <= 1
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
