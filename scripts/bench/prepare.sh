# Sourced by the bench scripts: builds revlens in release, makes the Python peers' venv
# (DuckDB, pandas from PyPI) and generates the transactions file once. Sets $csv, $dir, $target.
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
