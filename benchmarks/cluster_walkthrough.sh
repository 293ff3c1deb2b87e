#!/bin/sh
# The README's cluster walk-through on localhost, as a new user would do it, checked:
# a fresh clone of this repository's HEAD, pip install '.[cluster]', a Dask scheduler and
# 2 worker processes, DOCS indexed in 2 shards on them and unsharded, the PoQuAD dev
# questions through batch mode on both -- the answers must be byte for byte the same
# (timings aside).  About 5 minutes for the 84k Wikisource files.
#
#   sh benchmarks/cluster_walkthrough.sh [DOCS] [WORKDIR]
#
# DOCS defaults to speed.py's 84k files (benchmarks/work/speed/corpora/all).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DOCS=${1:-$ROOT/benchmarks/work/speed/corpora/all}
WORK=${2:-/tmp/searchkit-walkthrough}
QUERIES=$ROOT/../shared/data/poquad/dev-queries.tsv
PORT=8786
[ -d "$DOCS" ] || { echo "no folder $DOCS (benchmarks/speed.py --phases setup makes it)" >&2; exit 2; }
[ -f "$QUERIES" ] || { echo "no $QUERIES (../shared is needed)" >&2; exit 2; }
rm -rf "$WORK" && git clone -q "$ROOT" "$WORK" && cd "$WORK"
echo "clone at $(git log --oneline -1)"
python3 -m venv .venv && .venv/bin/pip install -q '.[cluster]'
.venv/bin/dask scheduler --port $PORT > scheduler.log 2>&1 &
SCHEDULER=$!
sleep 5
.venv/bin/dask worker tcp://127.0.0.1:$PORT --nworkers 2 --nthreads 1 > worker.log 2>&1 &
WORKERS=$!
trap 'kill $WORKERS $SCHEDULER 2>/dev/null || true' EXIT
sleep 8
.venv/bin/searchkit index "$DOCS" --index idx-sharded --shards 2 --cluster tcp://127.0.0.1:$PORT
.venv/bin/searchkit index "$DOCS" --index idx-plain
untimed() { sed 's/"elapsed_ms": [0-9.]*/"elapsed_ms": 0/'; }
SEARCHKIT_CLUSTER=tcp://127.0.0.1:$PORT .venv/bin/searchkit search --queries "$QUERIES" \
    --index idx-sharded | untimed > sharded.jsonl || [ $? = 1 ]
.venv/bin/searchkit search --queries "$QUERIES" --index idx-plain | untimed > plain.jsonl \
    || [ $? = 1 ]
echo "$(wc -l < plain.jsonl) lines, $(grep -c total_is_estimate plain.jsonl || true) estimated totals"
if cmp -s sharded.jsonl plain.jsonl; then
    echo "the same answers, sharded on the cluster and unsharded"
else
    echo "DIFFERENT answers: diff $WORK/sharded.jsonl $WORK/plain.jsonl" >&2
    exit 1
fi
