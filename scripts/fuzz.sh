#!/usr/bin/env bash
# Fuzzes the importer for N seconds per target (default 60): any bytes as a file
# (sniff_and_parse), and workbooks with one fuzzed part (workbook_parts).
# Needs a nightly toolchain; installs cargo-fuzz if it is missing.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz: no nightly toolchain here; skipping (rustup toolchain install nightly to enable)"
    exit 0
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --quiet
fi
# A target folder of its own: sanitizer builds must not evict the main build's artifacts.
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-target}/fuzz}"
# Each target with its checked-in seeds; what the fuzzer finds goes to corpus/<target>.
for target in sniff_and_parse:corpus-seed workbook_parts:corpus-seed-workbook; do
    name="${target%%:*}"
    seeds="${target#*:}"
    echo "== fuzz $name for ${seconds}s"
    mkdir -p "corpus/$name"
    log="$(mktemp)"
    if cargo +nightly fuzz run "$name" "corpus/$name" "$seeds" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 12 "$log"
    else
        # Show the panic and the input that caused it; the input is in fuzz/artifacts/.
        grep -E -A3 "panicked at|ERROR: libFuzzer|SUMMARY|Test unit written" "$log" | head -n 40
        tail -n 5 "$log"
        exit 1
    fi
done
