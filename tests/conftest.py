"""Shared fixtures: a seed index built once per session, the shared data folder,
and ways to run the command line (Click's CliRunner, or the installed command)."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED_ID = "000_39aee3dc07359252.txt"
SHARED = ROOT.parent / "shared"
POQUAD = SHARED / "data" / "poquad"


def require_shared(path: Path = POQUAD) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data folder (../shared) is not here")
    return path


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> str:
    """An index of the bundled seeds/, built once."""
    from searchkit.index import update

    folder = tmp_path_factory.mktemp("seed") / "index"
    warnings = []
    update(str(folder), [str(SEEDS)], warn=lambda w, m, skipped=False: warnings.append((w, m)))
    assert warnings == []
    return str(folder)


@pytest.fixture(scope="session")
def searcher(seed_index):
    from searchkit.search import Searcher

    with Searcher(seed_index) as s:
        yield s


@pytest.fixture(scope="session")
def poquad_index(tmp_path_factory) -> str:
    """PoQuAD's 1,449 paragraphs, indexed by the installed command."""
    require_shared()
    folder = tmp_path_factory.mktemp("poquad") / "index"
    done = subprocess.run([searchkit_command(), "index", str(POQUAD / "corpus.jsonl"),
                           "--index", str(folder)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "1449 added" in done.stderr
    return str(folder)


@pytest.fixture
def cli():
    """Run the command line in-process: cli(*args, input=None, env=None) -> result."""
    from searchkit.cli import cli as command

    runner = CliRunner()

    def run(*args, input=None, env=None):
        return runner.invoke(command, list(args), input=input, env=env,
                             catch_exceptions=False)

    return run


def searchkit_command() -> str:
    """The installed console script, as the README's install puts it."""
    path = Path(sys.executable).parent / "searchkit"
    found = str(path) if path.exists() else shutil.which("searchkit")
    assert found, "the searchkit command is not installed (pip install '.[test]')"
    return found


@pytest.fixture
def run():
    """Run the installed searchkit command: run(*args, cwd=..., input=...)."""
    exe = searchkit_command()

    def go(*args, cwd=None, input=None, env=None, timeout=120):
        full_env = dict(os.environ, **(env or {}))
        full_env.pop("SEARCHKIT_INDEX", None)
        return subprocess.run([exe, *args], cwd=cwd, input=input, capture_output=True,
                              text=True, env=full_env, timeout=timeout)

    return go


@pytest.fixture
def project(tmp_path) -> Path:
    """A working folder laid out like the repository: seeds/ beside an empty index/."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    return tmp_path


@pytest.fixture
def make_index(tmp_path):
    """make_index({"a.txt": "text", ...}) -> index folder built from those files."""
    from searchkit.index import update

    def build(files: dict[str, str | bytes], name: str = "docs", warnings: list | None = None):
        folder = tmp_path / name
        for rel, content in files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        index = tmp_path / f"{name}-index"
        sink = warnings if warnings is not None else []
        update(str(index), [str(folder)], warn=lambda w, m, skipped=False: sink.append((w, m)))
        return str(index)

    return build


def run_on_terminal(argv) -> str:
    """Run ``argv`` with stdout and stderr on a pseudo-terminal; what it printed."""
    main, secondary = pty.openpty()
    env = dict(os.environ, TERM="xterm")
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(argv, stdout=secondary, stderr=secondary, env=env)
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the other end closed
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(30)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def make_pdf(pages: list[str], title: str | None = None, author: str | None = None,
             created: str | None = None) -> bytes:
    """A small real PDF: one page per string (ASCII, lines split on "\\n"),
    Helvetica, and an Info dictionary; for tests that must not depend on ../shared."""
    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None,
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        lines = "".join(f"({esc(line)}) Tj T* " for line in text.split("\n"))
        stream = f"BT /F1 12 Tf 14 TL 72 720 Td {lines}ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents "
                       f"{len(objects)} 0 R /Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    info = {"Title": title, "Author": author, "CreationDate": created}
    objects.append("<< " + " ".join(f"/{k} ({esc(v)})" for k, v in info.items() if v) + " >>")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)
