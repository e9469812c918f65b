#!/usr/bin/env bash
# The demo: install dependencies, build, generate the demo data set with `cardwatch synth`,
# import its registry, analyze its capture, and show what was found. The README's first command.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
OUT=${CW_DEMO_DIR:-demo}
CARDS=${CW_DEMO_CARDS:-50000}
PACKETS=${CW_DEMO_PACKETS:-500000}

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS" >build/demo-build.log 2>&1 || { cat build/demo-build.log; exit 1; }

CW=build/cardwatch
rm -rf "$OUT"
echo "== 1. synth: $CARDS cards, $PACKETS packets (seed 1) into $OUT/"
$CW synth --seed 1 --cards "$CARDS" --packets "$PACKETS" --out "$OUT/data"
echo "== 2. registry import"
$CW registry import --demo --warnings 5 --db "$OUT/registry" "$OUT/data/registry.csv" \
    "$OUT/data/outlets.csv" "$OUT/data/ranges.csv" "$OUT/data/cells.csv"
echo "== 3. analyze (alerts in $OUT/alerts.jsonl)"
$CW analyze --db "$OUT/registry" --rules rules --alerts "$OUT/alerts.jsonl" "$OUT/data/traffic.pcap"
echo "== 4. first alert"
head -n 1 "$OUT/alerts.jsonl"
echo "== 5. alerts against the generator's ground truth"
$CW score --truth "$OUT/data/truth.csv" --alerts "$OUT/alerts.jsonl" --cards "$CARDS"
echo "== 6. the regulator's audit of the registry (top 3 of each list; --json or --csv for all)"
$CW registry audit --db "$OUT/registry" --top 3
