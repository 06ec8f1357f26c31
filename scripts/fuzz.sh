#!/usr/bin/env bash
# Fuzzes the importer's sniffing and parsing for N seconds (default 60).
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
echo "== fuzz sniff_and_parse for ${seconds}s"
mkdir -p corpus/sniff_and_parse
log="$(mktemp)"
if cargo +nightly fuzz run sniff_and_parse corpus/sniff_and_parse corpus-seed -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 12 "$log"
else
    # Show the panic and the input that caused it; the input is in fuzz/artifacts/.
    grep -E -A3 "panicked at|ERROR: libFuzzer|SUMMARY|Test unit written" "$log" | head -n 40
    tail -n 5 "$log"
    exit 1
fi
