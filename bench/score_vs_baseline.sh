#!/usr/bin/env bash
# Side by side on one file: `flowsentry score` end to end vs the pandas + scikit-learn
# RandomForest script (bench/baseline/rf_baseline.py), on test.csv repeated to >= 100k rows.
# Usage: bench/score_vs_baseline.sh [BUILD_DIR] [DATASET_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
data="${2:-$root/../shared/datasets/unsw-nb15}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
py="$root/bench/baseline/.venv/bin/python"
[[ -x "$py" ]] || "$root/bench/baseline/setup.sh"
rf="$root/bench/baseline/.venv/rf.joblib"  # cached inside the (gitignored) venv
if [[ ! -f "$rf" ]]; then
  echo "training the baseline RandomForest once (cached in $rf)..."
  "$py" "$root/bench/baseline/rf_baseline.py" train --data "$data/train.csv" --out "$rf"
fi
# test.csv repeated 9x: header once, then the rows.
{ head -n 1 "$data/test.csv"; for _ in $(seq 9); do tail -n +2 "$data/test.csv"; done; } > "$work/flows.csv"
rows=$(( $(wc -l < "$work/flows.csv") - 1 ))
echo "file: $rows rows ($(du -h "$work/flows.csv" | cut -f1))"
t0=$(date +%s.%N)
"$build/flowsentry" score --model "$root/models/default" --data "$work/flows.csv" \
  --out "$work/fs.jsonl" 2>/dev/null
t1=$(date +%s.%N)
"$py" "$root/bench/baseline/rf_baseline.py" score --model "$rf" --data "$work/flows.csv" \
  --out "$work/rf.jsonl"
t2=$(date +%s.%N)
fs=$(echo "$t1 - $t0" | bc -l)
base=$(echo "$t2 - $t1" | bc -l)
printf "flowsentry score:          %6.2f s (%d lines)\n" "$fs" "$(wc -l < "$work/fs.jsonl")"
printf "python RandomForest score: %6.2f s (%d lines)\n" "$base" "$(wc -l < "$work/rf.jsonl")"
printf "ratio (baseline / flowsentry): %.1fx\n" "$(echo "$base / $fs" | bc -l)"
echo
"$build/flowsentry" bench score --model "$root/models/default" --data "$work/flows.csv"
"$py" "$root/bench/baseline/rf_baseline.py" bench --model "$rf" --data "$work/flows.csv"
