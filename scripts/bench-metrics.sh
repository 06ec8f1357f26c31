#!/usr/bin/env bash
# Metrics benchmark: on a generated transactions file (5 million rows by default), times
# import → MRR table with movements → KPIs → cohort tables with `revlens`, and the same
# computation in DuckDB SQL and pandas in the same run; checks that their totals equal
# ours and prints the ratios. Also times a warm recompute on the imported dataset.
#   ROWS=5000000 BENCH_DIR=bench-out ./scripts/bench-metrics.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${ROWS:-5000000}"
dir="${BENCH_DIR:-bench-out}"
target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$dir"

./scripts/setup.sh
cargo build --release --locked -p revlens-cli -p revlens-datagen

if [ ! -x "$dir/venv/bin/python" ]; then
    python3 -m venv "$dir/venv"
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check duckdb pandas
fi

csv="$dir/transactions-$rows.csv"
if [ ! -s "$csv" ]; then
    echo "generating $csv …"
    "$target/release/revlens-datagen" transactions "$rows" "$csv"
fi

"$dir/venv/bin/python" scripts/bench/metrics_bench.py \
    --revlens "$target/release/revlens" --csv "$csv" --work "$dir"
