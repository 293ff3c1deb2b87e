"""The installed ``searchkit`` command, run as a real process, as in a shell."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import POQUAD, SEED_ID, require_shared, run_on_terminal, searchkit_command


def test_readme_main_job(run, project):
    # searchkit index && searchkit search "ODKB", in a fresh checkout's layout
    r = run("index", cwd=project)
    assert r.returncode == 0 and r.stdout == ""
    assert "1 added" in r.stderr
    assert (project / "index" / "lexicon.sqlite").exists()
    r = run("search", "ODKB", cwd=project)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("1. Stany Zjednoczone mają zastrzeżenia")
    assert SEED_ID in r.stdout and "(ODKB)" in r.stdout


def test_json_output_feeds_other_tools(run, project):
    run("index", cwd=project)
    r = run("search", "siły pokojowe", "--json", cwd=project)
    paths = [json.loads(line)["path"] for line in r.stdout.splitlines()
             if json.loads(line)["type"] == "hit"]
    assert paths == [str(project / "seeds" / SEED_ID)]


def test_ids_feed_xargs_into_show(project):
    exe = searchkit_command()
    subprocess.run([exe, "index"], cwd=project, check=True, capture_output=True)
    out = subprocess.run(f"'{exe}' search -l -0 zamieszki | xargs -0 -n1 '{exe}' show",
                         shell=True, cwd=project, capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.startswith(f"id: {SEED_ID}\n")


def test_exit_codes_and_one_line_errors(run, project):
    r = run("search", "ODKB", cwd=project)  # no index yet
    assert r.returncode == 2
    assert r.stderr == "searchkit: error: no index at index: run 'searchkit index' first\n"
    run("index", cwd=project)
    assert run("search", "ODKB", cwd=project).returncode == 0
    assert run("search", "pingwin", cwd=project).returncode == 1
    r = run("search", '"unbalanced', "(", "foo:bar", cwd=project)
    assert r.returncode == 2  # usage error: more than one QUERY argument
    r = run("search", "foo:bar", cwd=project)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1
    r = run("index", "no-such-folder", cwd=project)
    assert r.returncode == 2 and "no-such-folder: no such file or folder" in r.stderr
    assert "Traceback" not in r.stderr


def _buffered_env() -> dict:
    """The environment with Python's output buffering on (these machines set
    PYTHONUNBUFFERED, which would hide a missing flush)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def test_output_to_a_file_is_whole_when_the_process_ends(run, tmp_path):
    # search, show and info end their process without the interpreter's
    # teardown (cli._leave): what is still buffered must be written first.
    docs = tmp_path / "docs"
    docs.mkdir()
    lines = [f"Wiersz {n}: żołnierze wrócili do koszar." for n in range(20_000)]
    (docs / "long.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (docs / "short.txt").write_text("Koszary\n\nStoją puste.\n", encoding="utf-8")
    index = str(tmp_path / "index")
    assert run("index", str(docs), "--index", index).returncode == 0
    buffered = _buffered_env()
    for args, last in ((("show", "long.txt"), lines[-1]),
                       (("show", "short.txt"), "Stoją puste."),
                       (("info", "--json"), '"documents": 2'),
                       (("search", "koszary", "--json"), '"type": "summary"')):
        with open(tmp_path / "out", "w+", encoding="utf-8") as out:
            done = subprocess.run([searchkit_command(), *args, "--index", index],
                                  stdout=out, stderr=subprocess.PIPE, text=True, env=buffered,
                                  timeout=120)
            out.seek(0)
            written = out.read().rstrip("\n").splitlines()
        assert done.returncode == 0 and done.stderr == ""
        assert written and last in written[-1], (args, written[-1:])
    assert len(written) == 3  # two hits, then the summary
    r = run("search", "pingwin", "--index", index)
    assert r.returncode == 1 and r.stdout == ""


def test_a_full_disk_is_one_line_and_exit_2(run, seed_index):
    buffered = _buffered_env()
    for args in (("info",), ("show", SEED_ID), ("search", "ODKB"), ("search", "ODKB", "--json")):
        with open("/dev/full", "w") as full:
            done = subprocess.run([searchkit_command(), *args, "--index", seed_index],
                                  stdout=full, stderr=subprocess.PIPE, text=True, env=buffered,
                                  timeout=120)
        assert done.returncode == 2, args
        assert done.stderr == ("searchkit: error: cannot write the output: "
                               "No space left on device\n"), args


def test_main_called_from_python_returns(seed_index):
    # Only the command's own process ends at once (cli._leave); a program
    # calling main() goes on after it.  (In a process of its own: were it to
    # end there, the test run would end with it, as if it had passed.)
    code = f"""
from searchkit.cli import main
for argv in (["info", "--index", {seed_index!r}], ["search", "ODKB", "--index", {seed_index!r}]):
    try:
        main(argv)
    except SystemExit as stopped:
        print("went on after", argv[0], stopped.code)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "went on after info 0" in done.stdout and "went on after search 0" in done.stdout


def test_closed_pipe_ends_quietly(poquad_index):
    proc = subprocess.Popen([searchkit_command(), "search", "rok", "--limit", "500",
                             "--index", poquad_index],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("1. ")
    proc.stdout.close()  # like `| head -1`
    stderr = proc.stderr.read()
    assert proc.wait(30) == 0
    assert stderr == ""


def test_poquad_questions_find_their_paragraphs(run, poquad_index):
    require_shared()
    questions = {q: text for q, text in (
        line.rstrip("\n").split("\t", 1)
        for line in (POQUAD / "dev-queries.tsv").read_text(encoding="utf-8").splitlines())}
    relevant = dict(line.split()[::2] for line in
                    (POQUAD / "dev-qrels.trec").read_text().splitlines())
    sample = list(questions)[:200]
    r = run("search", "--queries", "-", "--limit", "10", "--index", poquad_index,
            input="".join(f"{q}\t{questions[q]}\n" for q in sample))
    assert r.returncode == 0
    top = {}
    for line in r.stdout.splitlines():
        obj = json.loads(line)
        if obj["type"] == "hit":
            top.setdefault(obj["query_id"], []).append(obj["id"])
    in_top10 = sum(relevant[q] in top.get(q, []) for q in sample)
    # Lucene's best analyzer finds 90.7% of dev paragraphs in its top 10.
    assert in_top10 / len(sample) >= 0.88


def _without_timings(jsonl: str) -> list[dict]:
    rows = [json.loads(line) for line in jsonl.splitlines()]
    for row in rows:
        row.pop("elapsed_ms", None)
    return rows


def test_batch_answers_alike_from_one_process_or_several(run, poquad_index):
    require_shared()
    lines = (POQUAD / "dev-queries.tsv").read_text(encoding="utf-8").splitlines()[:300]
    lines.insert(7, "zły\tfoo:bar")  # a bad query keeps its place, and the batch goes on
    batch = "\n".join(lines) + "\n"
    one = run("search", "--queries", "-", "-j", "1", "--index", poquad_index, input=batch)
    three = run("search", "--queries", "-", "-j", "3", "--index", poquad_index, input=batch)
    assert one.returncode == three.returncode == 2  # the bad query
    assert _without_timings(three.stdout) == _without_timings(one.stdout)
    ids = [row["query_id"] for row in _without_timings(one.stdout) if row["type"] == "summary"]
    assert ids == [line.split("\t")[0] for line in lines]


def test_batch_from_a_pipe_answers_each_line_as_it_comes(seed_index):
    proc = subprocess.Popen([searchkit_command(), "search", "--queries", "-", "-j", "2",
                             "--index", seed_index],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    proc.stdin.write("q1\tODKB\n")
    proc.stdin.flush()
    while (row := json.loads(proc.stdout.readline()))["type"] != "summary":
        pass  # the answer comes before the input ends
    assert row["query_id"] == "q1" and row["hits"] == 1
    proc.stdin.close()
    assert proc.wait(30) == 0


def test_poquad_show_and_count(run, poquad_index):
    r = run("show", "67_0", "--index", poquad_index)
    assert r.returncode == 0 and "title: Wacław Kowalski" in r.stdout
    r = run("search", "-c", "Wacław Kowalski", "--index", poquad_index)
    assert r.returncode == 0 and int(r.stdout) >= 1
    r = run("search", "-l", "Gdzie mieszkal mlody Waclaw?", "--index", poquad_index)
    assert "67_0" in r.stdout.splitlines()[:3]


def test_progress_shows_on_a_terminal_only(run, project):
    on_terminal = run_on_terminal([searchkit_command(), "index", str(project / "seeds"),
                                   "--index", str(project / "tty-index")])
    assert "indexing" in on_terminal and "indexed" in on_terminal
    piped = run("index", str(project / "seeds"), "--index", str(project / "pipe-index"))
    assert piped.stderr.splitlines() == [piped.stderr.strip()]  # the summary alone
    assert piped.stderr.startswith("searchkit: indexed ")
