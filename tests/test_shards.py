"""Sharded indexes (searchkit.shards): searched as one index would be, and
everything else -- show, info, -l, -c, batch mode, did-you-mean, incremental
updates, the lock, an interrupted build -- works on them."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import POQUAD, SEED_ID, SEEDS, require_shared, searchkit_command

QUERIES = ["ODKB", "Kazachstanem zamieszki", "żołnierze rosyjscy", '"siły pokojowe"',
           "wojna -Rosja", "title:Kazachstan", "kazach*", "zolnierze", "NATO OR ODKB",
           "Tokajewa", "*", "type:text", "type:text zamieszki", "protest", "rząd Kazachstanu",
           "Białoruś", "prezydent", "xyzzy", "Kazahstanu", "i w na", "date:2022",
           "tokajewa", "kazachstanie rosja"]  # lower case: names the index writes only so


def make_corpus(folder: Path, n: int = 300, seed: int = 10, jsonl_ids: str = "j") -> Path:
    """Documents made of the seed article's sentences: many share words (real
    ranking), some are identical (equal scores: the tie order), one JSON Lines
    file holds several documents (read by every shard), one is long enough to
    be stored in parts (the slow ranking path)."""
    text = (SEEDS / SEED_ID).read_text(encoding="utf-8")
    sentences = [s.strip() + "." for s in text.replace("\n", " ").split(".") if s.strip()]
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        picked = rnd.sample(sentences, rnd.randint(1, 6))
        (folder / f"d{i:04d}.txt").write_text(f"Dokument {i} {rnd.choice(['o', 'z'])} "
                                              f"{picked[0][:40]}\n\n" + " ".join(picked),
                                              encoding="utf-8")
    for i in range(6):  # identical: equal scores for every query
        (folder / f"twin{i}.txt").write_text("Bliźniak\n\nProtest w Kazachstanie i zamieszki.",
                                             encoding="utf-8")
    with open(folder / "kolekcja.jsonl", "w", encoding="utf-8") as f:
        for i in range(20):
            f.write(json.dumps({"id": f"{jsonl_ids}{i}", "title": f"Notatka {i}",
                                "text": " ".join(rnd.sample(sentences, 3))},
                               ensure_ascii=False) + "\n")
    long_text = " ".join(rnd.choice(sentences) for _ in range(2500))
    (folder / "long.txt").write_text("Długi dokument\n\n" + long_text, encoding="utf-8")
    return folder


def sk(*args, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("SEARCHKIT_INDEX", None)
    env.pop("SEARCHKIT_CLUSTER", None)
    env.update(kw.pop("env", {}))
    return subprocess.run([searchkit_command(), *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=kw.pop("timeout", 300), **kw)


def batch(index, queries, *extra) -> list[dict]:
    """Batch mode's JSON objects, without the timings."""
    r = sk("search", "--queries", "-", "--index", index, *extra,
           input="".join(f"q{i}\t{q}\n" for i, q in enumerate(queries)))
    assert r.returncode in (0, 1), r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    for obj in out:
        obj.pop("elapsed_ms", None)
    return out


def untimed(output: str) -> str:
    return re.sub(r'"elapsed_ms": [0-9.]+', '"elapsed_ms": 0', output)


def answers(searcher, queries):
    """What a user sees of each query: ids, order, scores, passages, counts, suggestions."""
    out = []
    for q in queries:
        r = searcher.search(q, limit=10, passages=2)
        out.append((q, r.total, r.suggestion, r.note,
                    [(h.id, h.score, h.title_matches,
                      [(p.text, p.offset, p.matches) for p in h.passages]) for h in r.hits]))
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "docs")


@pytest.fixture(scope="module")
def plain(corpus, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("plain") / "index"
    r = sk("index", corpus, "--index", folder)
    assert r.returncode == 0, r.stderr
    return str(folder)


@pytest.fixture(scope="module")
def sharded(corpus, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("sharded") / "index"
    r = sk("index", corpus, "--index", folder, "--shards", 3)
    assert r.returncode == 0, r.stderr
    assert "in 3 shards" in r.stderr
    return str(folder)


# ------------------------------------------------------------------ ranking

def test_sharded_ranks_as_one_index(plain, sharded):
    from searchkit.search import Searcher
    from searchkit.shards.search import ShardedSearcher

    with Searcher(plain) as one, ShardedSearcher(sharded) as many:
        expected, got = answers(one, QUERIES), answers(many, QUERIES)
        assert got == expected
    # the documents are spread: every shard holds some
    from searchkit.shards.build import describe
    assert all(n > 50 for n in describe(sharded)["shards"].values())


def test_a_form_whose_lemma_a_shard_lacks_ranks_as_in_one_index(tmp_path):
    # "Kasym" alone has another lemma than in "Kasym-Żomart"; the form kasym
    # is weighed by the whole index's frequency of its lemma, which a shard
    # without that lemma must not take for 0.
    from searchkit.search import Searcher
    from searchkit.shards.layout import shard_of
    from searchkit.shards.search import ShardedSearcher

    docs = tmp_path / "docs"
    docs.mkdir()
    names: dict[int, list[str]] = {0: [], 1: [], 2: []}
    i = 0
    while min(map(len, names.values())) < 4:
        name = f"doc{i:03d}.txt"
        names[shard_of(name, 3)].append(name)
        i += 1
    for name in names[0][:4]:
        (docs / name).write_text("Prezydent Kasym-Żomart Tokajew przemawiał w stolicy długo.\n",
                                 encoding="utf-8")
    for shard in (1, 2):
        for j, name in enumerate(names[shard][:4]):
            (docs / name).write_text("Kasym Tokajew" + " i prezydent" * j + " mówił.\n",
                                     encoding="utf-8")
    for folder, extra in ((tmp_path / "one", ()), (tmp_path / "many", ("--shards", 3))):
        assert sk("index", docs, "--index", folder, *extra).returncode == 0
    queries = ["Kasym-Żomart", "Kasym", "Kasym-Żomart Kasym", "Kasym Kasym-Żomart"]
    with Searcher(str(tmp_path / "one")) as one, ShardedSearcher(str(tmp_path / "many")) as many:
        assert answers(many, queries) == answers(one, queries)
        # and the order of the words does not change a score
        assert ([h.score for h in one.search(queries[2]).hits]
                == [h.score for h in one.search(queries[3]).hits])


def test_ties_rank_by_id_in_both(plain, sharded):
    from searchkit.search import Searcher

    with Searcher(plain) as one:
        hits = one.search("Bliźniak", limit=4, passages=0).hits
    assert [h.id for h in hits] == ["twin0.txt", "twin1.txt", "twin2.txt", "twin3.txt"]
    assert len({h.score for h in hits}) == 1
    assert batch(sharded, ["Bliźniak", "*"], "-n", "4") == batch(plain, ["Bliźniak", "*"],
                                                                  "-n", "4")


def test_batch_mode_and_listing_options_agree(plain, sharded):
    assert batch(sharded, QUERIES) == batch(plain, QUERIES)
    for args in (["-l", "Kazachstan"], ["-c", "Kazachstan"], ["-c", "*"], ["-l", "-n", "50", "*"],
                 ["--json", "protest"], ["zamieszki", "--color", "never"]):
        a, b = sk("search", *args, "--index", plain), sk("search", *args, "--index", sharded)
        assert (b.returncode, untimed(b.stdout)) == (a.returncode, untimed(a.stdout)), args


def test_did_you_mean_on_a_sharded_index(sharded):
    r = sk("search", "Kazahstanu", "--index", sharded)
    assert r.returncode == 1
    assert "did you mean: Kazachstanu" in r.stderr


def test_show_and_info(plain, sharded):
    for doc in ("d0007.txt", "j3", "long.txt"):
        a = sk("show", doc, "--index", plain, "--query", "Kazachstan", "--json")
        b = sk("show", doc, "--index", sharded, "--query", "Kazachstan", "--json")
        assert b.returncode == 0 and b.stdout == a.stdout
    assert sk("show", "nie-ma.txt", "--index", sharded).returncode == 1
    info = json.loads(sk("info", "--json", "--index", sharded).stdout)
    plain_info = json.loads(sk("info", "--json", "--index", plain).stdout)
    assert info["documents"] == plain_info["documents"] == 327
    assert info["types"] == plain_info["types"]
    assert info["source_files"] == plain_info["source_files"]
    assert sorted(info["shards"]) == ["shard-0of3", "shard-1of3", "shard-2of3"]
    assert sum(info["shards"].values()) == 327
    assert "shards" in sk("info", "--index", sharded).stdout


@pytest.fixture(scope="module")
def poquad_sharded(tmp_path_factory) -> Path:
    require_shared()
    folder = tmp_path_factory.mktemp("poquad-sharded") / "index"
    r = sk("index", POQUAD / "corpus.jsonl", "--index", folder, "--shards", 2)
    assert r.returncode == 0, r.stderr
    return folder


def poquad_questions(n: int, folded: int = 0) -> list[str]:
    return ([line.split("\t", 1)[1].rstrip("\n")
             for line in (POQUAD / "dev-queries.tsv").open(encoding="utf-8")][:n]
            + [line.split("\t", 1)[1].rstrip("\n")
               for line in (POQUAD / "dev-queries-folded.tsv").open(encoding="utf-8")][:folded])


def test_poquad_sharded_equals_unsharded(poquad_index, poquad_sharded):
    queries = (poquad_questions(400, 100) + [q.lower() for q in poquad_questions(100)]
               + ["Warszaw*", '"Polska Rzeczpospolita Ludowa"', "title:Kraków", "wojna -Niemcy",
                  "Krakuw"])
    expected, got = batch(poquad_index, queries), batch(poquad_sharded, queries)
    assert len(got) > 5000
    for a, b in zip(expected, got):  # scores are printed rounded to 4 places
        assert a == b


def test_estimated_totals_are_those_of_one_index(poquad_index, poquad_sharded, monkeypatch):
    """An estimate is made from the whole index's statistics, not from how far
    the pruned ranking read (which differs by shard): the same number, marked
    alike, sharded or not."""
    from searchkit import topk
    from searchkit.search import Searcher
    from searchkit.shards.search import open_searcher

    from searchkit import search

    # PoQuAD is small: prune and estimate as a large index would.
    monkeypatch.setattr(search, "PRUNE_MIN_DOCUMENTS", 0)
    monkeypatch.setattr(topk, "COUNT_UP_TO", 300)
    estimated = 0
    with Searcher(poquad_index) as plain, open_searcher(str(poquad_sharded)) as sharded:
        for text in poquad_questions(150):
            a = plain.search(text, passages=0, count="estimate")
            b = sharded.search(text, passages=0, count="estimate")
            assert [(h.id, h.score) for h in a.hits] == [(h.id, h.score) for h in b.hits]
            assert (a.total, a.total_is_estimate) == (b.total, b.total_is_estimate), text
            estimated += a.total_is_estimate
            if not a.total_is_estimate:
                assert a.total == plain.search(text, passages=0, count=True).total
    assert 10 < estimated < 140


# --------------------------------------------------------------- updating

def test_incremental_update_touches_only_changed_shards(corpus, tmp_path):
    from searchkit.shards import layout
    from searchkit.shards.search import ShardedSearcher

    docs = tmp_path / "docs"
    make_corpus(docs, n=60, seed=3)
    folder = tmp_path / "index"
    assert sk("index", docs, "--index", folder, "--shards", 3).returncode == 0
    before = dict(layout.version(layout.read(str(folder))))
    again = sk("index", docs, "--index", folder)
    assert again.returncode == 0 and "0 added, 0 updated, 0 removed, 87 unchanged" in again.stderr
    assert dict(layout.version(layout.read(str(folder)))) == before

    (docs / "d0005.txt").write_text("Zmieniony\n\nTeraz o hipopotamach.", encoding="utf-8")
    (docs / "d0006.txt").unlink()
    (docs / "nowy.txt").write_text("Nowy\n\nO żyrafach.", encoding="utf-8")
    r = sk("index", docs, "--index", folder)
    assert r.returncode == 0, r.stderr
    assert "1 added, 1 updated, 1 removed, 85 unchanged" in r.stderr
    after = dict(layout.version(layout.read(str(folder))))
    touched = {layout.names_for(3)[layout.shard_of(i, 3)]
               for i in ("d0005.txt", "d0006.txt", "nowy.txt")}
    assert {name for name in after if after[name] != before[name]} == touched
    with ShardedSearcher(str(folder)) as s:
        assert [h.id for h in s.search("hipopotam").hits] == ["d0005.txt"]
        assert [h.id for h in s.search("żyrafa").hits] == ["nowy.txt"]
        assert s.document("d0006.txt") is None
        assert s.count("*") == 87
    # changing the number of shards asks for a rebuild, which re-shards
    r = sk("index", docs, "--index", folder, "--shards", 2)
    assert r.returncode == 2 and "--rebuild --shards 2" in r.stderr
    r = sk("index", docs, "--index", folder, "--shards", 2, "--rebuild")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["shard-0of2", "shard-1of2"]
    assert sk("search", "-c", "*", "--index", folder).stdout.strip() == "87"


def test_an_unsharded_index_is_sharded_only_by_a_rebuild(tmp_path):
    folder = tmp_path / "index"
    assert sk("index", SEEDS, "--index", folder).returncode == 0
    r = sk("index", SEEDS, "--index", folder, "--shards", 2)
    assert r.returncode == 2 and "not sharded" in r.stderr and "Traceback" not in r.stderr
    assert sk("index", SEEDS, "--index", folder, "--shards", 2, "--rebuild").returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == [".searchkit-lock", "shard-0of2",
                                                       "shard-1of2", "shards.json"]
    assert sk("search", "-l", "ODKB", "--index", folder).stdout.strip() == SEED_ID
    r = sk("search", "ODKB", "--index", tmp_path / "index", "--cluster", "tcp://127.0.0.1:9")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1


def test_the_lock_holds_for_a_sharded_index(tmp_path):
    from searchkit.lock import IndexLock

    folder = tmp_path / "index"
    assert sk("index", SEEDS, "--index", folder, "--shards", 2).returncode == 0
    with IndexLock(str(folder)):
        r = sk("index", SEEDS, "--index", folder, "--wait", "0.5")
    assert r.returncode == 2
    assert "another 'searchkit index'" in r.stderr and "Traceback" not in r.stderr
    assert sk("search", "-l", "ODKB", "--index", folder).stdout.strip() == SEED_ID


def test_a_killed_build_leaves_every_shard_whole(tmp_path):
    """Killed mid-build, each shard has its old generation or its new one,
    never half of one; the next run finishes the job."""
    from searchkit.shards.layout import shard_of
    from searchkit.shards.search import ShardedSearcher

    docs = tmp_path / "docs"
    make_corpus(docs, n=20, seed=5)
    folder = tmp_path / "index"
    assert sk("index", docs, "--index", folder, "--shards", 2).returncode == 0
    with ShardedSearcher(str(folder)) as s:
        before = answers(s, ["Kazachstan", "protest"])
    make_corpus(docs / "more", n=1500, seed=6, jsonl_ids="more-j")
    new_ids = [f"more/{p.name}" for p in (docs / "more").glob("*.txt")]
    new_ids += [f"more-j{i}" for i in range(20)]
    per_shard = [sum(shard_of(i, 2) == k for i in new_ids) for k in range(2)]
    proc = subprocess.Popen([searchkit_command(), "index", str(docs), "--index", str(folder)],
                            stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with ShardedSearcher(str(folder)) as s:
        total = s.count("*")
        # each shard old or new, wholly
        assert total in (47, 47 + per_shard[0], 47 + per_shard[1], 47 + len(new_ids))
        if total == 47:  # neither shard had committed: the previous index, as it was
            assert answers(s, ["Kazachstan", "protest"]) == before
    r = sk("index", docs, "--index", folder)
    assert r.returncode == 0, r.stderr
    assert sk("search", "-c", "*", "--index", folder).stdout.strip() == str(47 + 1527)
