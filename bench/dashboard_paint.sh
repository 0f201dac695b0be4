#!/usr/bin/env bash
# Dashboard first paint over a 24-hour window: loads FLOWS flows spread over one day into a
# SQLite store (bench_store's data; rollups written as the pipeline writes them), serves it with
# `flowsentry serve`, and times the first paint in headless chromium (web/bench/first_paint.mjs).
# Long windows read the 10 s rollups, whose size depends on the window, not on the flow rate, so
# the 24 h figure stands for any rate; the raw-row panels (recent, top-N, score points) are
# index-bounded reads.
#   bench/dashboard_paint.sh [BUILD_DIR]      env: FLOWS (default 1000000), RUNS (5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
flows=${FLOWS:-1000000}
runs=${RUNS:-5}
ninja -C "$build" flowsentry bench_store >/dev/null
work=$(mktemp -d /tmp/flowsentry-paint-XXXXXX)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "loading $flows flows over 24 h into SQLite..."
"$build/bench/bench_store" --store "sqlite:$work/paint.db" --flows "$flows" --runs 1 \
  | grep -E "^write|flows/s" | head -3 || true
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The data is dated March 2026: keep retention from dropping it.
"$build/flowsentry" serve --model "$root/models/default" --store "sqlite:$work/paint.db" \
  --port "$port" --set store.retention_days=3650 >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
# bench_store fills the 24 h before 2026-03-02 00:00 UTC.
to=1772409600
echo "# dashboard first paint, 24 h window, $flows flows — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
node "$root/web/bench/first_paint.mjs" --url "http://127.0.0.1:$port" --from $((to - 86400)) \
  --to "$to" --runs "$runs"
