"""Bad input, interruptions and faults, exercised for real: real files, the
installed command in real processes, real signals, a really full disk."""

from __future__ import annotations

import contextlib
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from conftest import SEEDS, SEED_ID, run_on_terminal, searchkit_command


def sk(*args, env=None, timeout=300, **kw):
    """Run the installed command, as a user would."""
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("SEARCHKIT_INDEX", None)
    return subprocess.run([searchkit_command(), *map(str, args)], capture_output=True,
                          text=True, env=full_env, timeout=timeout, **kw)


def one_clear_line(stderr: str) -> bool:
    lines = stderr.splitlines()
    return len(lines) == 1 and lines[0].startswith("searchkit: ") and "Traceback" not in stderr


def index_files(folder: Path) -> set[str]:
    return {name for name in os.listdir(folder) if name != ".searchkit-lock"}


# ------------------------------------------------------------------ bad documents

@pytest.fixture
def messy(tmp_path):
    """A folder with every kind of bad file beside good ones."""
    d = tmp_path / "messy"
    d.mkdir()
    (d / "cp1250.txt").write_bytes("Zwierzęta\n\nŻółw pływa w stawie.".encode("cp1250"))
    (d / "latin2.txt").write_bytes("Ogród\n\nŹrebię śpi, żółw je.".encode("iso-8859-2"))
    (d / "broken-utf8.txt").write_bytes("Uwaga\n\nŻaba i żółw ".encode() * 30 + b"\xff\xfe!")
    (d / "nul.txt").write_bytes(("Kot\n\nKot śpi na dachu. " * 40).encode() + b"\x00")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (d / "empty.txt").write_bytes(b"")
    (d / "nfd.txt").write_text(unicodedata.normalize("NFD", "Gady\n\nŻółwica złożyła jaja."),
                               encoding="utf-8")
    (d / "ansi.txt").write_text("Tytuł\x1b]0;pwned\x07\n\nZłośliwy \x1b[2J\x1b[31m tekst o żółwiach.",
                                encoding="utf-8")
    (d / "bad.jsonl").write_text('{"id": "j1", "title": "Dobry", "text": "Dobry żółw"}\n'
                                 '{"id": "j2", "text": \n'
                                 '{"id": "j3", "title": "Też dobry", "text": "żółwik"}\n',
                                 encoding="utf-8")
    (d / "loop").mkdir()
    os.symlink(d, d / "loop" / "back")
    return d


def test_bad_documents_are_named_skipped_or_recovered_and_counted(messy, tmp_path):
    r = sk("index", messy, "--index", tmp_path / "ix")
    assert r.returncode == 1  # something was skipped; the index is fine
    lines = r.stderr.splitlines()
    skipped = sorted(line.split(": ")[2] for line in lines if line.startswith("searchkit: skipped"))
    assert sorted(Path(p).name for p in skipped) == ["back", "bad.jsonl:2", "binary.txt", "empty.txt"]
    warned = [line for line in lines if line.startswith("searchkit: warning")]
    assert any("broken-utf8.txt: invalid UTF-8" in w for w in warned)
    assert any("nul.txt: removed 1 NUL byte" in w for w in warned)
    assert "8 added" in lines[-1] and "4 skipped" in lines[-1]
    assert "Traceback" not in r.stderr


def test_legacy_encodings_and_decomposed_text_are_found(messy, tmp_path):
    sk("index", messy, "--index", tmp_path / "ix")
    found = set(sk("search", "-l", "żółw", "--index", tmp_path / "ix").stdout.split())
    assert {"cp1250.txt", "latin2.txt", "broken-utf8.txt", "j1"} <= found
    # NFD in the file, NFC in the query -- and the other way round
    assert "nfd.txt" in sk("search", "-l", "Żółwica", "--index", tmp_path / "ix").stdout
    nfd_query = unicodedata.normalize("NFD", "żółw")
    assert "cp1250.txt" in sk("search", "-l", nfd_query, "--index", tmp_path / "ix").stdout


def test_documents_cannot_drive_the_terminal(messy, tmp_path):
    sk("index", messy, "--index", tmp_path / "ix")
    # a real terminal: colour on (auto), so only the escape codes searchkit writes
    for args in (["search", "żółwiach"], ["search", "-l", "żółwiach"],
                 ["show", "ansi.txt"], ["show", "ansi.txt", "--query", "tekst"]):
        out = run_on_terminal([searchkit_command(), *args, "--index", str(tmp_path / "ix")])
        assert "ansi.txt" in out
        assert "\x1b]0;" not in out and "\x07" not in out and "\x1b[2J" not in out
        assert "\x1b[31m" not in out  # the document's red, not ours (ours is 1;31)


def test_a_50_mb_file_is_indexed_with_bounded_memory(tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    sentences = [s.strip() + "." for s in
                 (SEEDS / SEED_ID).read_text(encoding="utf-8").replace("\n", " ").split(".")
                 if s.strip()]
    rnd = random.Random(7)
    with open(folder / "wielki.txt", "w", encoding="utf-8") as out:
        out.write("Wielki dokument\n\n")
        number = 0
        while out.tell() < 50_000_000:
            out.write(f"Akapit {number}. " + " ".join(rnd.choice(sentences) for _ in range(8))
                      + "\n\n")
            number += 1
        out.write("Na samym końcu stoi słowo Zanzibar.\n")
    status, peak_kb, stderr = peak_rss([searchkit_command(), "index", str(folder),
                                        "--index", str(tmp_path / "ix")])
    assert status == 0, stderr
    assert peak_kb / 1024 < 600, f"peak RSS {peak_kb / 1024:.0f} MB for a 50 MB file"
    r = sk("search", "Zanzibar", "--index", tmp_path / "ix")
    assert r.returncode == 0 and "wielki.txt" in r.stdout and "Zanzibar" in r.stdout
    # all 200-odd parts come back as one document, exactly
    body = (folder / "wielki.txt").read_text(encoding="utf-8").split("\n", 1)[1].strip()
    assert sk("show", "wielki.txt", "--index", tmp_path / "ix").stdout.endswith(
        "\n\n" + body + "\n")


# Linux counts the memory of the process that forked a child into the child's
# peak RSS (at exec), and this test process is big: a small launcher forks.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_rss(argv) -> tuple[int, int, str]:
    """(exit status, peak RSS in KB of the process and its workers, stderr)."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *argv], capture_output=True,
                          text=True)
    status, peak = done.stdout.split()
    return int(status), int(peak), done.stderr


def test_unreadable_files_are_skipped(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ok.txt").write_text("Jawny\n\nJawny tekst o żółwiu.", encoding="utf-8")
    (docs / "secret.txt").write_text("Tajny\n\nTajny tekst.", encoding="utf-8")
    (docs / "secret.txt").chmod(0)
    r = sk("index", docs, "--index", tmp_path / "ix", preexec_fn=permissions_bind)
    assert r.returncode == 1
    assert "skipped: " in r.stderr and "secret.txt: cannot read: Permission denied" in r.stderr
    assert "1 added" in r.stderr


def permissions_bind() -> None:
    """In the child before exec: file permissions stop root too.  Dropping the
    capabilities that bypass them (CAP_DAC_OVERRIDE 1, CAP_DAC_READ_SEARCH 2)
    from the bounding set keeps them from the program exec'd next."""
    if os.geteuid() != 0:
        return
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    PR_CAPBSET_DROP = 24
    for capability in (1, 2):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


# ------------------------------------------------------------------ bad queries

@pytest.mark.parametrize("query, status, message", [
    ('"siły pokojowe', 0, None), ("(Rosja OR ODKB", 0, None), ("Rosja)", 0, None),
    ("OR", 2, "operators but no words"), ("-", 2, "operators but no words"),
    ("AND NOT", 2, "operators but no words"), ("-Rosja", 2, "only excludes"),
    ("i w na", 1, "only stopwords"), ("", 2, "empty query"),
    ("wojna " * 2000, 2, "query too long"), ("kolor:czerwony", 2, "unknown field 'kolor'"),
    ("*", 0, None), ("a*", 2, "too broad"),
])
def test_bad_queries_get_a_clear_message_or_a_sensible_result(seed_index, query, status,
                                                              message):
    r = sk("search", "--index", seed_index, "--", query)  # "--": queries may start with "-"
    assert r.returncode == status
    if message:
        assert one_clear_line(r.stderr) and message in r.stderr
    else:
        assert r.stderr == "" and SEED_ID in r.stdout


# ------------------------------------------------------------------ interruptions

def _write_corpus(folder, documents: int):
    folder.mkdir()
    sentences = [s.strip() + "." for s in
                 (SEEDS / SEED_ID).read_text(encoding="utf-8").replace("\n", " ").split(".")
                 if s.strip()]
    rnd = random.Random(3)
    for i in range(documents):
        text = " ".join(rnd.choice(sentences) for _ in range(12))
        (folder / f"{i:05d}.txt").write_text(f"Dokument {i}\n\n{text} Numer{i}.",
                                             encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Enough documents that indexing takes a few seconds (and uses workers)."""
    return _write_corpus(tmp_path_factory.mktemp("corpus") / "docs", 3000)


@pytest.fixture(scope="module")
def long_corpus(tmp_path_factory):
    """Enough documents that the writers are still at work well after a second
    command has started and waited for the lock (3,000 were once done first)."""
    return _write_corpus(tmp_path_factory.mktemp("long") / "docs", 12000)


@pytest.fixture
def seeded(tmp_path):
    """An index holding the seed article: the 'previous index' that must survive."""
    ix = tmp_path / "ix"
    assert sk("index", SEEDS, "--index", ix).returncode == 0
    return ix


def start_indexing(corpus, ix):
    # A session of its own, like a job a shell started: signals can go to the
    # whole group, as a terminal's Ctrl-C does.  And SIGINT at its default, as
    # in a foreground job: a shell starts background jobs with SIGINT ignored,
    # and a test run may well be one.
    return subprocess.Popen([searchkit_command(), "index", str(corpus), "--index", str(ix)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def wait_until_writing(proc, ix, timeout=60):
    """Until the writer's worker processes are at work (their log files exist)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(name.startswith(".worker-") for name in os.listdir(ix)):
            time.sleep(0.3)
            return
        assert proc.poll() is None, "indexing ended before it could be interrupted"
        time.sleep(0.02)
    raise AssertionError("indexing never reached the writing phase")


def processes_using(path) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if str(path).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(int(pid))
            except OSError:
                pass
    return found


@pytest.mark.parametrize("how, status", [("ctrl-c", 130), ("sigterm", 143), ("kill -9", -9)])
def test_interrupted_indexing_keeps_the_previous_index(corpus, seeded, how, status):
    before = sk("search", "-l", "ODKB", "--index", seeded).stdout
    files_before = index_files(seeded)
    proc = start_indexing(corpus, seeded)
    wait_until_writing(proc, seeded)
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)
    elif how == "sigterm":
        proc.send_signal(signal.SIGTERM)
    else:
        proc.send_signal(signal.SIGKILL)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == status
    if status > 0:
        assert stderr.splitlines()[-1] in ("searchkit: error: interrupted",
                                           "searchkit: error: terminated")
        assert "Traceback" not in stderr
    time.sleep(0.5)  # workers get SIGKILL when their parent dies
    assert processes_using(seeded) == []
    # The previous index answers as before...
    assert sk("search", "-l", "ODKB", "--index", seeded).stdout == before
    assert sk("search", "-c", "Numer42", "--index", seeded).stdout == "0\n"
    # ... nothing half-written is left once the next run starts ...
    if how != "kill -9":
        assert index_files(seeded) == files_before
    # ... and the next run completes.
    r = sk("index", corpus, "--index", seeded, "--wait", "0")
    assert r.returncode == 0, r.stderr
    assert "3000 added" in r.stderr
    assert sk("search", "-l", "Numer42", "--index", seeded).stdout == "00042.txt\n"


def test_a_second_indexer_waits_then_gives_up_and_searches_go_on(long_corpus, seeded):
    proc = start_indexing(long_corpus, seeded)
    wait_until_writing(proc, seeded)
    second = sk("index", SEEDS, "--index", seeded, "--wait", "0.5")
    assert second.returncode == 2 and one_clear_line(second.stderr)
    assert f"another 'searchkit index' (pid {proc.pid}) is updating" in second.stderr
    # A search during indexing answers from the last complete index.
    during = sk("search", "-l", "ODKB", "--index", seeded)
    assert during.returncode == 0 and during.stdout == f"{SEED_ID}\n"
    assert proc.wait(120) == 0
    assert sk("search", "-c", "Numer42", "--index", seeded).stdout == "1\n"
    assert sk("info", "--json", "--index", seeded).stdout.count('"documents": 12001') == 1


# ------------------------------------------------------------------ faults

def test_missing_and_empty_index_folders(tmp_path):
    for folder in (tmp_path / "nowhere", tmp_path):
        r = sk("search", "ODKB", "--index", folder)
        assert r.returncode == 2 and one_clear_line(r.stderr)
        assert "searchkit index" in r.stderr  # says what to do


@pytest.mark.parametrize("victim", ["toc", "terms", "postings", "stored", "lexicon"])
def test_a_damaged_index_is_reported_in_one_line(seeded, victim):
    pick = {"toc": "_MAIN_*.toc", "terms": "*.trm", "postings": "*.pst",
            "stored": "*_stored.col", "lexicon": "lexicon.sqlite"}[victim]
    path = next(seeded.glob(pick))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 4] + b"\x13" * 97)
    for args in (["search", "ODKB"], ["search", "Tokajewie"], ["show", SEED_ID]):
        r = sk(*args, "--index", seeded)
        assert r.returncode in (0, 1, 2) and "Traceback" not in r.stderr
        if r.returncode == 2:
            assert one_clear_line(r.stderr) and "rebuild" in r.stderr
    assert sk("search", "ODKB", "--index", seeded).returncode == 2
    # and a rebuild repairs it
    assert sk("index", SEEDS, "--index", seeded, "--rebuild").returncode == 0
    assert sk("search", "-l", "ODKB", "--index", seeded).stdout == f"{SEED_ID}\n"


@contextlib.contextmanager
def mounted(source: Path | None, target: Path, options: str):
    """A real mount (tmpfs or a bind mount) if this machine lets us make one."""
    target.mkdir(exist_ok=True)
    cmd = (["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)] if source is None
           else ["mount", "--bind", str(source), str(target)])
    if os.geteuid() != 0 or subprocess.run(cmd, capture_output=True).returncode != 0:
        yield False
        return
    try:
        if source is not None and "ro" in options:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)
        yield True
    finally:
        subprocess.run(["umount", str(target)], capture_output=True)


def test_read_only_index_folder(seeded, tmp_path):
    view = tmp_path / "read-only"
    with mounted(seeded, view, "ro") as is_mount:
        if not is_mount:  # not root: permissions do the job
            shutil.copytree(seeded, view, dirs_exist_ok=True)
            view.chmod(0o555)
        r = sk("search", "ODKB", "--index", view)
        assert r.returncode == 0 and SEED_ID in r.stdout
        assert sk("search", "Tokajewie", "--index", view).returncode == 0  # loads the stemmer
        before = index_files(view)
        r = sk("index", SEEDS, "--index", view)
        assert r.returncode == 2 and one_clear_line(r.stderr)
        assert "cannot write" in r.stderr or "read-only" in r.stderr
        assert index_files(view) == before


def test_disk_full_leaves_the_previous_index_as_it_was(corpus, tmp_path):
    disk = tmp_path / "disk"
    with mounted(None, disk, "size=7m") as is_mount:
        ix = disk / "ix"
        limit = {}
        if not is_mount:  # no tmpfs for us: a file size limit fails writes the same way
            limit = {"preexec_fn": lambda: (
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN),
                resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000)))}
        assert sk("index", SEEDS, "--index", ix).returncode == 0
        files_before = index_files(ix)
        r = sk("index", corpus, "--index", ix, **limit)
        assert r.returncode == 2 and one_clear_line(r.stderr), r.stderr
        assert "cannot write the index" in r.stderr and "previous index is unchanged" in r.stderr
        assert index_files(ix) == files_before  # nothing half-written left behind
        r = sk("search", "-l", "ODKB", "--index", ix)
        assert r.returncode == 0 and r.stdout == f"{SEED_ID}\n"
