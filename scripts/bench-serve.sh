#!/usr/bin/env bash
# Benchmark (not a test): the time from a filter change to the updated dashboard through
# `revlens serve`, on a ROWS-row transactions dataset (default 1M) with a customers file.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${ROWS:-1000000}"
export ROWS
source scripts/bench/prepare.sh
"$dir/venv/bin/python" scripts/bench/serve_bench.py "$(realpath "$target/release/revlens")" "$(realpath "$csv")" "$(realpath "$dir")"
