#!/usr/bin/env bash
# The main job: RevLens on its demo workspace (local SQLite, no server needed).
# Until the desktop app lands this is the CLI: it creates the demo workspace from the
# bundled sample data and shows its revenue metrics.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
cargo build --release --locked -p revlens-cli
revlens=("${CARGO_TARGET_DIR:-target}/release/revlens" --home "${REVLENS_HOME:-$HOME/.local/share/revlens-demo}")

"${revlens[@]}" demo
demo=("${revlens[@]}" --workspace "Demo SaaS")
data=(--dataset subscriptions --kind subscriptions)
echo; echo "MRR and movements, last 12 months"
"${demo[@]}" metrics mrr "${data[@]}" --from 2025-01
echo; echo "KPIs"
"${demo[@]}" metrics kpis "${data[@]}" --from 2025-07
echo; echo "Top customers, 2025-12"
"${demo[@]}" metrics top-customers "${data[@]}" --month 2025-12 --limit 5
echo; echo "Churn (provided vs computed), first rows"
"${demo[@]}" churn "${data[@]}" --customers-dataset customers | head -n 8
