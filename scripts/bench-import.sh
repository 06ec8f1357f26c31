#!/usr/bin/env bash
# Import benchmark: generates a transactions CSV (5 million rows, about 300 MB, by default)
# and reports import throughput and peak memory of `revlens import` beside DuckDB's and
# pandas' read_csv on the same file, in the same run.
#   ROWS=5000000 BENCH_DIR=bench-out REPEAT=1 ./scripts/bench-import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench/prepare.sh

"$dir/venv/bin/python" scripts/bench/import_bench.py \
    --revlens "$target/release/revlens" --csv "$csv" --rows "$rows" --work "$dir" --repeat "${REPEAT:-1}"
