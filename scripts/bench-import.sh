#!/usr/bin/env bash
# Import benchmark: generates a transactions CSV (5 million rows, about 300 MB, by default)
# and reports import throughput and peak memory of `revlens import` beside DuckDB's and
# pandas' read_csv on the same file, in the same run.
#   ROWS=5000000 BENCH_DIR=bench-out REPEAT=1 ./scripts/bench-import.sh
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

"$dir/venv/bin/python" scripts/bench/import_bench.py \
    --revlens "$target/release/revlens" --csv "$csv" --rows "$rows" --work "$dir" --repeat "${REPEAT:-1}"
