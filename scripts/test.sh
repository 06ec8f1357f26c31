#!/usr/bin/env bash
# Every check CI runs: formatting, lints, all tests, and a short fuzz run.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked

# A short fuzz run of the importer; FUZZ_SECONDS=0 skips it.
fuzz_seconds="${FUZZ_SECONDS:-45}"
if [ "$fuzz_seconds" -gt 0 ]; then
    ./scripts/fuzz.sh "$fuzz_seconds"
fi
