#!/usr/bin/env bash
# Metrics benchmark: on a generated transactions file (5 million rows by default), times
# import → MRR table with movements → KPIs → cohort tables with `revlens`, and the same
# computation in DuckDB SQL and pandas in the same run; checks that their totals equal
# ours and prints the ratios. Also times a warm recompute on the imported dataset.
#   ROWS=5000000 BENCH_DIR=bench-out ./scripts/bench-metrics.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench/prepare.sh

"$dir/venv/bin/python" scripts/bench/metrics_bench.py \
    --revlens "$target/release/revlens" --csv "$csv" --work "$dir"
