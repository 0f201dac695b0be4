#!/usr/bin/env bash
# The storage bars: starts a throwaway PostgreSQL server (scripts/postgres), loads FLOWS flows
# (default 1M) into SQLite and into PostgreSQL through Store::write, and prints write rates (with
# the one-INSERT-per-row reference on PostgreSQL) and dashboard query p50/p95 for 1 h and 24 h.
# On PostgreSQL it then runs the fair Python baseline (baseline/pg_copy_writer.py, psycopg COPY
# per batch, with the system python3 and Debian's python3-psycopg) against Store::write on the
# same FAIR_ROWS rows and prints the ratio.
#   bench/store_bench.sh [BUILD_DIR]      env: FLOWS, BATCH, REFERENCE_ROWS, RUNS, FAIR_ROWS
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
flows=${FLOWS:-1000000}
batch=${BATCH:-4000}  # the pipeline's default pipeline.batch_size
reference=${REFERENCE_ROWS:-10000}
runs=${RUNS:-30}
fair_rows=${FAIR_ROWS:-200000}

[ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja >/dev/null
ninja -C "$build" bench_store >/dev/null

work=$(mktemp -d /tmp/flowsentry-store-bench-XXXXXX)
chmod 755 "$work"  # the server runs as user postgres when we are root
export FLOWSENTRY_PG_DIR=$work/pg
cleanup() { "$root/scripts/postgres" stop || true; rm -rf "$work"; }
trap cleanup EXIT
url=$("$root/scripts/postgres" start)

echo "# flowsentry storage benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$build/bench/bench_store" --store "sqlite:$work/bench.db" --flows "$flows" --batch "$batch" \
  --runs "$runs"
echo
"$build/bench/bench_store" --store "$url" --flows "$flows" --batch "$batch" \
  --reference-rows "$reference" --runs "$runs" \
  --fair-writer "$root/bench/baseline/pg_copy_writer.py" --python /usr/bin/python3 \
  --fair-rows "$fair_rows" \
  --server-pid "$(head -n 1 "$FLOWSENTRY_PG_DIR/data/postmaster.pid")"
